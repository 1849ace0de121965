"""The DynamoDB Streams API through boto3, in-process and against moto's server app."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

from infra.local.aws.dynamodb import install
from tests import waits

CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


@pytest.fixture
def endpoint_url() -> Iterator[str]:
    install()
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(2)


def read_stream(**client_options: str) -> list[dict]:
    """Create a table with a stream, write one item, read it back through the Streams API."""
    dynamodb = boto3.client("dynamodb", **CREDENTIALS, **client_options)
    name = "streams-api-test"
    stream_arn = waits.create_table(
        dynamodb,
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "hello"}})
    streams = boto3.client("dynamodbstreams", **CREDENTIALS, **client_options)
    description = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn,
        ShardId=description["Shards"][0]["ShardId"],
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    waits.delete_table(dynamodb, name)
    return records


def test_streams_api_works_against_the_server_app(endpoint_url: str):
    """describe_stream, get_shard_iterator and get_records answer through moto's server app."""
    records = read_stream(endpoint_url=endpoint_url)
    assert [r["dynamodb"]["Keys"] for r in records] == [{"pk": {"S": "hello"}}]


def test_streams_api_works_in_process_after_install(monkeypatch: pytest.MonkeyPatch):
    """Under mock_aws the account-based streams host reaches moto once installed."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    install()
    with mock_aws():
        records = read_stream()
    assert [r["eventName"] for r in records] == ["INSERT"]
