"""Shared helpers for the arena functions: the table, @connections, pointer rows and frames.

In the deployment zip this folder is the root, so handlers import this file as `common`.
"""

import functools
import json
import os
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import ClientError


@functools.cache
def table() -> Any:
    """The pointers table, created once per warm worker (TABLE_NAME comes from the environment)."""
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def connections_url(event: dict) -> str:
    """The @connections endpoint of the API and stage that invoked us."""
    context = event["requestContext"]
    return f"https://{context['domainName']}/{context['stage']}"


@functools.cache
def management_api(endpoint_url: str) -> Any:
    """An API Gateway Management API client for one endpoint, reused while the worker stays warm."""
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint_url)


def connection_id(event: dict) -> str:
    """The id API Gateway gave to the caller's connection."""
    return event["requestContext"]["connectionId"]


def message_body(event: dict) -> dict:
    """The JSON frame the client sent ({} if it is not a JSON object)."""
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def reply(status_code: int, frame: dict | None = None) -> dict:
    """A Lambda proxy response; `frame` becomes the body a route response sends back."""
    response: dict[str, Any] = {"statusCode": status_code}
    if frame is not None:
        response["body"] = json.dumps(frame)
    return response


def error(status_code: int, message: str) -> dict:
    """A rejected request: the error frame goes back in the body."""
    return reply(status_code, {"type": "error", "message": message})


def coordinate(value: Any) -> float | None:
    """A stored Decimal position as a JSON number (None until the pointer has moved)."""
    return None if value is None else float(value)


def pointer(item: dict) -> dict:
    """The public view of a row: never the connectionId, only the short public `id`."""
    return {
        "id": item["id"],
        "name": item["name"],
        "color": item["color"],
        "x": coordinate(item.get("x")),
        "y": coordinate(item.get("y")),
    }


def scan_all(table: Any) -> Iterator[dict]:
    """Every row of the table, following DynamoDB's pagination."""
    options: dict[str, Any] = {}
    while True:
        page = table.scan(**options)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        options["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def is_gone(error: ClientError) -> bool:
    """True when @connections says the client has disconnected (HTTP 410)."""
    return error.response.get("Error", {}).get("Code") == "GoneException"


# API Gateway's integration timeout: no $connect takes longer than this.
CONNECT_GRACE_MS = 30_000


def send(api: Any, table: Any, item: dict, frame: dict, now_ms: int | None = None) -> bool:
    """Post one JSON frame to a row's connection; False if the connection is gone.

    A gone connection's row is pruned, unless it is younger than CONNECT_GRACE_MS: a client
    whose $connect is still running also answers 410 (its own join is in this very batch), and
    deleting its row would throw out a pointer that is just arriving.
    """
    connection = item["connectionId"]
    try:
        api.post_to_connection(ConnectionId=connection, Data=json.dumps(frame).encode())
    except ClientError as error:
        if not is_gone(error):
            raise
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        if int(item.get("connectedAt", 0)) < now_ms - CONNECT_GRACE_MS:
            print(f"Found stale connection, deleting {connection}")
            table.delete_item(Key={"connectionId": connection})
        return False
    return True


def update_connection(table: Any, connection: str, values: dict[str, Any]) -> bool:
    """SET some attributes on an existing row; False if the connection has no row (any more).

    The condition stops a late frame from re-creating the row of a pointer that already left.
    """
    names = {f"#{key}": key for key in values}
    try:
        table.update_item(
            Key={"connectionId": connection},
            UpdateExpression="SET " + ", ".join(f"#{key} = :{key}" for key in values),
            ConditionExpression="attribute_exists(connectionId)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":{key}": value for key, value in values.items()},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


def as_decimal(number: float) -> Decimal:
    """DynamoDB's boto3 layer takes Decimal, not float; str() keeps the value the client sent."""
    return Decimal(str(number))
