"""The quick UpdateItem answers, stores and streams exactly what moto's own UpdateItem does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from infra.local import aws
from infra.local.aws import dynamodb_fast
from tests import waits

ROW = {"pk": {"S": "row"}, "n": {"N": "1"}, "color": {"S": "#000000"}, "gsi": {"S": "g"}}
LARGE = "x" * 410_000

# (label, UpdateItem parameters). Each runs against a fresh copy of ROW.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("set by name", {"UpdateExpression": "SET color = :c", "ExpressionAttributeValues": {":c": {"S": "#ffffff"}}}),
    ("set by placeholders", {
        "UpdateExpression": "SET #x = :x, #y = :y",
        "ExpressionAttributeNames": {"#x": "x", "#y": "y"},
        "ExpressionAttributeValues": {":x": {"N": "0.5"}, ":y": {"N": "0.25"}},
    }),
    ("all new", {"UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "2"}}, "ReturnValues": "ALL_NEW"}),
    ("all old", {"UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "2"}}, "ReturnValues": "ALL_OLD"}),
    ("updated old", {"UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "2"}}, "ReturnValues": "UPDATED_OLD"}),
    ("updated new", {"UpdateExpression": "SET n = :n, m = :m", "ExpressionAttributeValues": {":n": {"N": "1"}, ":m": {"L": [{"S": "a"}]}}, "ReturnValues": "UPDATED_NEW"}),
    ("bad return values", {"UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "2"}}, "ReturnValues": "SOME"}),
    ("condition holds", {
        "UpdateExpression": "SET #x = :x",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": {"#x": "x"},
        "ExpressionAttributeValues": {":x": {"N": "1"}},
    }),
    ("condition fails", {
        "UpdateExpression": "SET #x = :x",
        "ConditionExpression": "attribute_not_exists(pk)",
        "ExpressionAttributeNames": {"#x": "x"},
        "ExpressionAttributeValues": {":x": {"N": "1"}},
    }),
    ("condition fails, all old", {
        "UpdateExpression": "SET #x = :x",
        "ConditionExpression": "attribute_not_exists(pk)",
        "ExpressionAttributeNames": {"#x": "x"},
        "ExpressionAttributeValues": {":x": {"N": "1"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }),
    ("condition with values", {
        "UpdateExpression": "SET n = :two",
        "ConditionExpression": "n < :limit",
        "ExpressionAttributeValues": {":two": {"N": "2"}, ":limit": {"N": "5"}},
    }),
    ("new item", {"Key": {"pk": {"S": "fresh"}}, "UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "1"}}}),
    ("new item, condition fails", {
        "Key": {"pk": {"S": "fresh"}},
        "UpdateExpression": "SET n = :n",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeValues": {":n": {"N": "1"}},
    }),
    ("key attribute", {"UpdateExpression": "SET pk = :k", "ExpressionAttributeValues": {":k": {"S": "other"}}}),
    ("index key, wrong type", {"UpdateExpression": "SET gsi = :g", "ExpressionAttributeValues": {":g": {"N": "1"}}}),
    ("index key, right type", {"UpdateExpression": "SET gsi = :g", "ExpressionAttributeValues": {":g": {"S": "h"}}}),
    ("missing name", {"UpdateExpression": "SET #x = :x", "ExpressionAttributeValues": {":x": {"N": "1"}}}),
    ("missing value", {"UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":other": {"N": "1"}}}),
    ("unused value", {"UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "1"}, ":spare": {"N": "2"}}}),
    ("unused name", {"UpdateExpression": "SET n = :n", "ExpressionAttributeNames": {"#spare": "s"}, "ExpressionAttributeValues": {":n": {"N": "1"}}}),
    ("same path twice", {"UpdateExpression": "SET n = :a, n = :b", "ExpressionAttributeValues": {":a": {"N": "1"}, ":b": {"N": "2"}}}),
    ("reserved word", {"UpdateExpression": "SET name = :n", "ExpressionAttributeValues": {":n": {"S": "x"}}}),
    ("nested path", {"UpdateExpression": "SET m.a = :a", "ExpressionAttributeValues": {":a": {"N": "1"}}}),
    ("remove", {"UpdateExpression": "REMOVE color"}),
    ("arithmetic", {"UpdateExpression": "SET n = n + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}),
    ("function", {"UpdateExpression": "SET n = if_not_exists(n, :z)", "ExpressionAttributeValues": {":z": {"N": "0"}}}),
    ("empty values", {"UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {}}),
    ("empty number set", {"UpdateExpression": "SET s = :s", "ExpressionAttributeValues": {":s": {"NS": []}}}),
    ("too large", {"UpdateExpression": "SET big = :b", "ExpressionAttributeValues": {":b": {"S": LARGE}}}),
    ("unknown key attribute", {"Key": {"nope": {"S": "row"}}, "UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "1"}}}),
]  # fmt: skip


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws.install()
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def outcome(dynamodb: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Run one UpdateItem on a fresh table: the answer, the item left, the stream records."""
    name = "fast-path"
    stream_arn = waits.create_table(
        dynamodb,
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "gsi", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-gsi",
                "KeySchema": [{"AttributeName": "gsi", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    dynamodb.put_item(TableName=name, Item=ROW)
    try:
        answer: Any = dynamodb.update_item(
            TableName=name, **{"Key": {"pk": {"S": "row"}}, **params}
        )
        answer.pop("ResponseMetadata")
    except ClientError as error:
        answer = {"error": error.response["Error"], "item": error.response.get("Item")}
    except Exception as error:  # a moto bug (a KeyError, say) is one the same both ways
        answer = {"exception": type(error).__name__}
    items = sorted(dynamodb.scan(TableName=name)["Items"], key=lambda i: i["pk"]["S"])
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    varying = ("ApproximateCreationDateTime", "SizeBytes")  # moto sizes the timestamp's text too
    records = [
        {key: value for key, value in r["dynamodb"].items() if key not in varying}
        | {"eventName": r["eventName"]}
        for r in streams.get_records(ShardIterator=iterator)["Records"]
    ]
    waits.delete_table(dynamodb, name)
    return json.loads(json.dumps({"answer": answer, "items": items, "records": records}))


@pytest.mark.parametrize("params", [case[1] for case in CASES], ids=[case[0] for case in CASES])
def test_quick_update_matches_motos(dynamodb: Any, params: dict[str, Any]) -> None:
    """Answer (or error), resulting items and stream records are the same both ways."""
    quick = outcome(dynamodb, params)
    fast = DynamoHandler.update_item
    DynamoHandler.update_item = fast.__wrapped__
    try:
        theirs = outcome(dynamodb, params)
    finally:
        DynamoHandler.update_item = fast
    assert quick == theirs


def test_simple_sets_are_recognised() -> None:
    """Top-level SETs from placeholders are simple; other shapes are not."""
    assert dynamodb_fast.simple_sets("SET #x = :x, y = :y") == (("#x", ":x"), ("y", ":y"))
    for other in (
        "SET a.b = :v",
        "SET a = :v REMOVE b",
        "SET a = b",
        "SET a = :v + :w",
        "ADD a :v",
    ):
        assert dynamodb_fast.simple_sets(other) is None, other


def test_the_quick_way_is_taken(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A simple SET on an existing row does not reach moto's own UpdateItem."""
    original = DynamoHandler.update_item.__wrapped__
    calls: list[str] = []

    def counting(self: DynamoHandler) -> Any:
        calls.append(self.body["UpdateExpression"])
        return original(self)

    monkeypatch.setattr(
        DynamoHandler, "update_item", dynamodb_fast._fast_update_item(counting), raising=True
    )
    outcome(dynamodb, CASES[1][1])
    outcome(dynamodb, dict(CASES[22][1]))  # a nested path: moto's way
    assert calls == ["SET m.a = :a"]
