"""The compiled JSON serializer answers exactly what moto's own serializer answers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.model import StructureShape
from moto.core.responses import BaseResponse

from infra.local.aws import json_protocol
from tests import waits

TABLE = "serializer-test"


Call = tuple[Any, Callable[[], Any]]  # a boto3 client, and one of its calls


@pytest.fixture(scope="module")
def calls(cloud: Any, aws: Any) -> dict[str, Call]:
    """Read-only calls whose answers cover every kind of value (sets, maps, blobs, dates)."""
    dynamodb = aws("dynamodb")
    stream = waits.create_table(
        dynamodb,
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    rich = {
        "pk": {"S": "a"},
        "sk": {"N": "1"},
        "text": {"S": "héllo <b>"},
        "number": {"N": "3.25"},
        "blob": {"B": base64.b64encode(b"\x00\xffbytes").decode()},
        "strings": {"SS": ["x", "y"]},
        "numbers": {"NS": ["1", "2.5"]},
        "blobs": {"BS": [base64.b64encode(b"one").decode()]},
        "nested": {"M": {"list": {"L": [{"S": "in"}, {"N": "7"}, {"NULL": True}]}}},
        "flag": {"BOOL": False},
        "nothing": {"NULL": True},
        "empty": {"S": ""},
    }
    for sk in range(1, 6):
        dynamodb.put_item(TableName=TABLE, Item={**rich, "sk": {"N": str(sk)}})
    streams = aws("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
    logs = aws("logs")
    logs.create_log_group(logGroupName="/serializer/test")
    logs.create_log_stream(logGroupName="/serializer/test", logStreamName="s")
    logs.put_log_events(
        logGroupName="/serializer/test",
        logStreamName="s",
        logEvents=[{"timestamp": 1_700_000_000_000 + i, "message": f"line {i}"} for i in range(3)],
    )
    return {
        "GetItem": (dynamodb, lambda: dynamodb.get_item(TableName=TABLE, Key=key)),
        "GetItem projected": (dynamodb, lambda: dynamodb.get_item(
            TableName=TABLE, Key=key, ProjectionExpression="nested.list[1], #b",
            ExpressionAttributeNames={"#b": "blob"},
        )),
        "GetItem missing": (dynamodb, lambda: dynamodb.get_item(
            TableName=TABLE, Key={"pk": {"S": "none"}, "sk": {"N": "0"}}
        )),
        "Query": (dynamodb, lambda: dynamodb.query(
            TableName=TABLE, KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "a"}}, Limit=2,
            ReturnConsumedCapacity="TOTAL",
        )),
        "Scan": (dynamodb, lambda: dynamodb.scan(TableName=TABLE, Select="ALL_ATTRIBUTES")),
        "Scan count": (dynamodb, lambda: dynamodb.scan(TableName=TABLE, Select="COUNT")),
        "BatchGetItem": (dynamodb, lambda: dynamodb.batch_get_item(
            RequestItems={TABLE: {"Keys": [key]}}
        )),
        "UpdateItem unchanged": (dynamodb, lambda: dynamodb.update_item(
            TableName=TABLE, Key=key, UpdateExpression="SET #t = #t",
            ExpressionAttributeNames={"#t": "text"}, ReturnValues="ALL_NEW",
        )),
        "DescribeTable": (dynamodb, lambda: dynamodb.describe_table(TableName=TABLE)),
        "ListTables": (dynamodb, lambda: dynamodb.list_tables()),
        "GetRecords": (streams, lambda: streams.get_records(ShardIterator=iterator)),
        "DescribeStream": (streams, lambda: streams.describe_stream(StreamArn=stream)),
        "FilterLogEvents": (logs, lambda: logs.filter_log_events(logGroupName="/serializer/test")),
        "DescribeLogStreams": (logs, lambda: logs.describe_log_streams(
            logGroupName="/serializer/test"
        )),
    }  # fmt: skip


@pytest.fixture
def moto_serializer() -> Iterator[Callable[[], Any]]:
    """A switch to moto's own serializer for the duration of a call."""
    compiled = BaseResponse.serialized

    def use_moto() -> Any:
        BaseResponse.serialized = compiled.__wrapped__

    yield use_moto
    BaseResponse.serialized = compiled


def raw_answer(call: Call) -> dict[str, Any]:
    """The JSON body the server sent for one boto3 call."""
    client, function = call
    bodies: list[bytes] = []

    def keep(http_response: Any, **_: Any) -> None:
        bodies.append(http_response.content)

    client.meta.events.register("after-call", keep)
    try:
        function()
    finally:
        client.meta.events.unregister("after-call", keep)
    return json.loads(bodies[-1])


OPERATIONS = [
    "GetItem",
    "GetItem projected",
    "GetItem missing",
    "Query",
    "Scan",
    "Scan count",
    "BatchGetItem",
    "UpdateItem unchanged",
    "DescribeTable",
    "ListTables",
    "GetRecords",
    "DescribeStream",
    "FilterLogEvents",
    "DescribeLogStreams",
]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_compiled_answer_equals_motos(
    operation: str, calls: dict[str, Call], moto_serializer: Callable[[], Any]
) -> None:
    """Both serializers turn the same result into the same JSON."""
    ours = raw_answer(calls[operation])
    moto_serializer()
    theirs = raw_answer(calls[operation])
    for answer in (ours, theirs):  # fresh on every call: event ids, shard iterators
        answer.pop("NextShardIterator", None)
        for event in answer.get("events", []):
            event.pop("eventId", None)
    assert ours == theirs


def test_members_the_model_lacks_are_left_out() -> None:
    """Keys of a result that the output shape does not model are not sent, as with moto."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    output = client.meta.service_model.operation_model("GetItem").output_shape
    convert = json_protocol.compile_shape(output)
    assert convert({"Item": {"a": {"S": "b"}}, "Unmodeled": 1}) == {"Item": {"a": {"S": "b"}}}


def test_document_types_keep_motos_serializer() -> None:
    """A shape the compiler does not handle raises Unsupported, so moto's serializer answers."""
    document = StructureShape("Doc", {"type": "structure", "document": True, "members": {}})
    with pytest.raises(json_protocol.Unsupported):
        json_protocol.compile_shape(document)


REQUESTS = [
    ("dynamodb", "PutItem", {
        "TableName": "t",
        "Item": {
            "pk": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": "AP9ieXRlcw=="},
            "bs": {"BS": ["b25l", "dHdv"]}, "m": {"M": {"l": {"L": [{"NULL": True}, {"BOOL": False}]}}},
        },
        "ConditionExpression": "attribute_not_exists(pk)",
        "Unmodeled": "dropped",
    }),
    ("dynamodb", "Query", {
        "TableName": "t", "KeyConditionExpression": "pk = :pk", "Limit": 2,
        "ExpressionAttributeValues": {":pk": {"S": "a"}}, "ScanIndexForward": False,
        "ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"N": "1"}},
    }),
    ("dynamodb", "BatchWriteItem", {
        "RequestItems": {"t": [{"PutRequest": {"Item": {"pk": {"S": "x"}}}},
                               {"DeleteRequest": {"Key": {"pk": {"S": "y"}}}}]},
    }),
    ("dynamodb", "UpdateItem", {"TableName": "t", "Key": {"pk": {"S": "a"}}, "ReturnValues": None}),
    ("logs", "FilterLogEvents", {"logGroupName": "g", "startTime": 1700000000000, "limit": 10}),
    ("events", "PutEvents", {"Entries": [{"Time": 1700000000, "Source": "s", "Detail": "{}"}]}),
]  # fmt: skip


@pytest.mark.parametrize("service, operation, request_body", REQUESTS)
def test_compiled_parse_equals_motos(service: str, operation: str, request_body: Any) -> None:
    """moto's JSON parser and the compiled one give a handler the same parameters."""
    from moto.core.parse import JSONParser

    model = boto3.client(service, region_name="us-east-1").meta.service_model
    operation_model = model.operation_model(operation)
    theirs = JSONParser(operation_model).parse(
        {
            "body": json.dumps(request_body).encode(),
            "headers": {},
            "method": "POST",
            "url_params": {},
            "url_path": "/",
            "values": {},
        }  # fmt: skip
    )
    ours = json_protocol.compile_input(operation_model.input_shape)(request_body)
    assert ours == theirs
