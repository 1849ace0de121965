"""Shared helpers for the chat functions: the table, the @connections client, sending frames.

In the deployment zip this folder is the root, so handlers import this file as `common`.
"""

import functools
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

DEFAULT_NAME = "guest"
MAX_NAME_LENGTH = 20


@functools.cache
def table() -> Any:
    """The connections table, created once per warm worker (TABLE_NAME comes from the environment)."""
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


def message_text(body: dict) -> str:
    """The `data` field as text (non-string JSON is sent as its JSON spelling)."""
    data = body.get("data", "")
    return data if isinstance(data, str) else json.dumps(data)


def nickname(event: dict) -> str:
    """The `?name=` query parameter of the connect URL: trimmed, at most 20 characters."""
    ### BEGIN SOLUTION
    query = event.get("queryStringParameters") or {}
    name = (query.get("name") or "").strip()[:MAX_NAME_LENGTH].strip()
    return name or DEFAULT_NAME
    ### END SOLUTION


def name_of(table: Any, connection: str) -> str:
    """The nickname stored for a connection (the default one if the row is gone)."""
    item = table.get_item(Key={"connectionId": connection}).get("Item") or {}
    return item.get("name") or DEFAULT_NAME


def scan_connections(table: Any, **scan_options: Any) -> Iterator[dict]:
    """Every stored connection row, following DynamoDB's pagination."""
    options = {"ProjectionExpression": "connectionId, #n", **scan_options}
    options.setdefault("ExpressionAttributeNames", {})["#n"] = "name"
    while True:
        page = table.scan(**options)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        options["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def connections_named(table: Any, name: str) -> list[str]:
    """The ids of the connections whose nickname is `name`, from every page of the scan."""
    ### BEGIN SOLUTION
    rows = scan_connections(table, FilterExpression=Attr("name").eq(name))
    return [row["connectionId"] for row in rows]
    ### END SOLUTION


def is_gone(error: ClientError) -> bool:
    """True when @connections says the client has disconnected (HTTP 410)."""
    return error.response.get("Error", {}).get("Code") == "GoneException"


def send(api: Any, table: Any, connection: str, frame: dict) -> bool:
    """Post one JSON frame; prune the row and return False if the connection is gone."""
    try:
        api.post_to_connection(ConnectionId=connection, Data=json.dumps(frame).encode())
    except ClientError as error:
        if not is_gone(error):
            raise
        print(f"Found stale connection, deleting {connection}")
        table.delete_item(Key={"connectionId": connection})
        return False
    return True


def send_to_all(api: Any, table: Any, frame: dict, connections: list[str]) -> int:
    """Post the frame to each connection in turn; return how many received it."""
    return sum(send(api, table, connection, frame) for connection in connections)
