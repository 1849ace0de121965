"""MotoBridge: one AWS API request in, moto's answer out, and a change counted for every write.

boto3 clients here send through the bridge itself (a `before-send` hook), with no server between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from infra.local.aws import Backends
from infra.local.aws.bridge import MotoBridge
from infra.local.vocabulary import HttpReply, HttpRequest

ENDPOINT = "http://127.0.0.1:9"  # never dialled: the hook answers first


class Body:
    """A reply body botocore can read."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data

    def read(self, *_: Any, **__: Any) -> bytes:
        return self.data


def as_edge_request(prepared: Any) -> HttpRequest:
    """botocore's prepared request as the edge would hand it on."""
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    return HttpRequest(
        method=prepared.method,
        target=url.path + (f"?{url.query}" if url.query else ""),
        headers={
            "host": url.netloc,  # an HTTP/1.1 client always sends it
            **{
                name.lower(): value.decode() if isinstance(value, bytes) else value
                for name, value in prepared.headers.items()
            },
        },
        body=body.encode() if isinstance(body, str) else bytes(body),
    )


@pytest.fixture
def bridge() -> MotoBridge:
    """A bridge over emptied moto backends (moto's state is the process's)."""
    backends = Backends()
    backends.reset()
    return MotoBridge(backends, port=9)


@pytest.fixture
def client(bridge: MotoBridge) -> Callable[..., Any]:
    """A factory of boto3 clients whose requests the bridge answers."""
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )

    def make(service: str) -> Any:
        made = session.client(service, endpoint_url=ENDPOINT)

        def send(request: Any, **_: Any) -> AWSResponse:
            reply = bridge.handle(as_edge_request(request))
            return AWSResponse(request.url, reply.status, dict(reply.headers), Body(reply.body))

        made.meta.events.register("before-send", send)
        return made

    return make


def signed(service: str) -> dict[str, str]:
    """Headers of a request signed for `service` (moto reads the scope, not the signature)."""
    return {
        "authorization": f"AWS4-HMAC-SHA256 Credential=testing/20261206/us-east-1/{service}/"
        "aws4_request, SignedHeaders=host, Signature=0000",
        "host": "127.0.0.1:9",
    }


def test_moto_answers_what_boto3_asks(client: Callable[..., Any]) -> None:
    """A call through the bridge is moto's: a log group created is then listed."""
    logs = client("logs")
    logs.create_log_group(logGroupName="/bridge/one")
    groups = logs.describe_log_groups(logGroupNamePrefix="/bridge/")["logGroups"]
    assert [group["logGroupName"] for group in groups] == ["/bridge/one"]


def test_a_write_counts_as_a_change_of_its_service(
    bridge: MotoBridge, client: Callable[..., Any]
) -> None:
    """After a write the service's generation moves on, and the listeners hear its name."""
    heard: list[str] = []
    bridge.backends.on_change(heard.append)
    before = bridge.backends.generation("logs")
    client("logs").create_log_group(logGroupName="/bridge/changed")
    assert bridge.backends.generation("logs") > before
    assert "logs" in heard


def test_a_read_changes_nothing(bridge: MotoBridge, client: Callable[..., Any]) -> None:
    """Describe, List and Get calls leave every generation where it was."""
    logs = client("logs")
    logs.create_log_group(logGroupName="/bridge/read")
    before = {service: bridge.backends.generation(service) for service in ("logs", "dynamodb")}
    logs.describe_log_groups()
    client("dynamodb").list_tables()
    after = {service: bridge.backends.generation(service) for service in ("logs", "dynamodb")}
    assert after == before


def test_a_head_request_is_answered_as_moto_s_server_answers_it(
    client: Callable[..., Any],
) -> None:
    """HEAD (through Flask): 200 for a bucket that is there, 404 for one that is not."""
    s3 = client("s3")
    s3.create_bucket(Bucket="bridge-bucket")
    assert s3.head_bucket(Bucket="bridge-bucket")["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(s3.exceptions.ClientError) as missing:
        s3.head_bucket(Bucket="no-such-bucket")
    assert missing.value.response["Error"]["Code"] == "404"


def test_a_request_from_a_browser_gets_cors_headers(bridge: MotoBridge) -> None:
    """A request with an Origin header gets moto's CORS headers (what only Flask adds)."""
    request = HttpRequest(
        "POST",
        "/",
        {
            **signed("logs"),
            "origin": "http://127.0.0.1:8888",
            "x-amz-target": "Logs_20140328.DescribeLogGroups",
            "content-type": "application/x-amz-json-1.1",
        },
        b"{}",
    )
    reply = bridge.handle(request)
    assert reply.status == 200
    headers = {name.lower(): value for name, value in reply.headers}
    assert headers["access-control-allow-origin"] in ("*", "http://127.0.0.1:8888")


def test_a_path_moto_has_no_operation_for_is_the_service_s_unknown_operation(
    bridge: MotoBridge,
) -> None:
    """moto's bare 404 becomes the service's own: UnknownOperationException for Lambda."""
    reply = bridge.handle(HttpRequest("GET", "/2015-03-31/no-such-thing", signed("lambda")))
    assert reply.status == 404
    assert ("x-amzn-ErrorType", "UnknownOperationException") in reply.headers


def test_a_request_refused_in_itself_never_reaches_moto(bridge: MotoBridge) -> None:
    """DynamoDB with a text/plain body: DynamoDB's 404, and no change is counted."""
    before = bridge.backends.generation("dynamodb")
    headers = {
        **signed("dynamodb"),
        "x-amz-target": "DynamoDB_20120810.CreateTable",
        "content-type": "text/plain",
    }
    reply = bridge.handle(HttpRequest("POST", "/", headers, b"{}"))
    assert reply == HttpReply(404, [], b"<UnknownOperationException/>\n")
    assert bridge.backends.generation("dynamodb") == before


def test_a_bad_body_moto_fails_on_is_the_service_s_4xx(bridge: MotoBridge) -> None:
    """A Logs body that is JSON but no object: 400 SerializationException, never a 500."""
    headers = {
        **signed("logs"),
        "x-amz-target": "Logs_20140328.CreateLogGroup",
        "content-type": "application/x-amz-json-1.1",
    }
    reply = bridge.handle(HttpRequest("POST", "/", headers, b"[]"))
    assert reply.status == 400
    assert b"SerializationException" in reply.body


def test_a_moto_failure_is_a_500_never_an_exception(bridge: MotoBridge) -> None:
    """moto raising on a request: 500 InternalFailure, and the bridge goes on serving."""
    headers = signed("s3")
    del headers["host"]  # moto 5.2.5's dispatcher reads HTTP_HOST for S3: a KeyError
    reply = bridge.handle(HttpRequest("PUT", "/hostless-bucket", headers))
    assert reply.status == 500
    assert ("x-amzn-ErrorType", "InternalFailure") in reply.headers
    assert bridge.handle(HttpRequest("PUT", "/hosted-bucket", signed("s3"))).status == 200
