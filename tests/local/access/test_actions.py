"""The IAM action and resource each request asks for, as AWS documents them."""

from __future__ import annotations

import json
from typing import Any

from infra.local.access.actions import Permission, is_always_allowed, requested
from infra.local.access.sigv4 import Authorization
from infra.local.vocabulary import HttpRequest

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/"


def auth(service: str) -> Authorization:
    return Authorization("ASIAEXAMPLE", "20261201", "us-east-1", service, ("host",), "sig")


def json_call(target: str, body: dict[str, Any], service: str) -> list[Permission]:
    request = HttpRequest("POST", "/", {"x-amz-target": target}, json.dumps(body).encode())
    return requested(request, auth(service), ACCOUNT)


def test_item_calls_ask_for_their_table() -> None:
    """PutItem on a table asks dynamodb:PutItem on the table's ARN."""
    found = json_call("DynamoDB_20120810.PutItem", {"TableName": "chat", "Item": {}}, "dynamodb")
    assert found == [Permission("dynamodb:PutItem", TABLE + "chat")]


def test_a_query_on_an_index_asks_for_the_index() -> None:
    """Query with IndexName asks for table/NAME/index/INDEX."""
    body = {"TableName": "games", "IndexName": "by-player"}
    assert json_call("DynamoDB_20120810.Query", body, "dynamodb") == [
        Permission("dynamodb:Query", TABLE + "games/index/by-player")
    ]


def test_batches_ask_once_per_table() -> None:
    """BatchWriteItem touching two tables asks for each."""
    body = {"RequestItems": {"a": [], "b": []}}
    assert json_call("DynamoDB_20120810.BatchWriteItem", body, "dynamodb") == [
        Permission("dynamodb:BatchWriteItem", TABLE + "a"),
        Permission("dynamodb:BatchWriteItem", TABLE + "b"),
    ]


def test_transactions_ask_for_each_item_action() -> None:
    """TransactWriteItems asks PutItem/UpdateItem/... on each item's table."""
    body = {"TransactItems": [{"Put": {"TableName": "a"}}, {"Delete": {"TableName": "b"}}]}
    assert json_call("DynamoDB_20120810.TransactWriteItems", body, "dynamodb") == [
        Permission("dynamodb:PutItem", TABLE + "a"),
        Permission("dynamodb:DeleteItem", TABLE + "b"),
    ]


def test_stream_reads_ask_for_the_stream() -> None:
    """GetRecords asks for the stream its iterator reads."""
    stream = TABLE + "chat/stream/2026-12-01T00:00:00.000"
    body = {"ShardIterator": f"{stream}|1|c2VjcmV0"}
    assert json_call("DynamoDBStreams_20120810.GetRecords", body, "dynamodb") == [
        Permission("dynamodb:GetRecords", stream)
    ]


def test_log_writes_ask_for_the_log_stream() -> None:
    """PutLogEvents asks for log-group:NAME:log-stream:STREAM."""
    body = {"logGroupName": "/aws/lambda/f", "logStreamName": "s"}
    assert json_call("Logs_20140328.PutLogEvents", body, "logs") == [
        Permission(
            "logs:PutLogEvents",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:s",
        )
    ]


def test_put_events_asks_for_the_bus() -> None:
    """PutEvents without a bus name asks for the default event bus."""
    assert json_call("AWSEvents.PutEvents", {"Entries": [{}]}, "events") == [
        Permission("events:PutEvents", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default")
    ]


def test_lambda_invoke_asks_invoke_function_on_the_function() -> None:
    """POST .../functions/NAME/invocations is lambda:InvokeFunction on the function's ARN."""
    request = HttpRequest("POST", "/2015-03-31/functions/chat-connect/invocations", {}, b"{}")
    assert requested(request, auth("lambda"), ACCOUNT) == [
        Permission(
            "lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:chat-connect"
        )
    ]


def test_get_caller_identity_is_always_allowed() -> None:
    """sts:GetCallerIdentity needs no permission."""
    request = HttpRequest(
        "POST",
        "/",
        {"content-type": "application/x-www-form-urlencoded"},
        b"Action=GetCallerIdentity&Version=2011-06-15",
    )
    assert is_always_allowed(requested(request, auth("sts"), ACCOUNT))


def test_api_gateway_management_asks_for_the_verb_on_the_path() -> None:
    """API Gateway's IAM actions are HTTP verbs on resource paths."""
    request = HttpRequest("DELETE", "/v2/apis/abc123", {}, b"")
    assert requested(request, auth("apigateway"), ACCOUNT) == [
        Permission("apigateway:DELETE", "arn:aws:apigateway:us-east-1::/v2/apis/abc123")
    ]
