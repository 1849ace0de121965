"""Shared helpers for the push functions: the connections table, @connections, sending frames.

In the deployment zip this folder is the root, so handlers import this file as `common`.
"""

import functools
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.exceptions import ClientError

DEFAULT_NAME = "guest"
MAX_NAME_LENGTH = 20


@functools.cache
def table() -> Any:
    """The connections table, created once per warm worker (TABLE_NAME comes from the environment)."""
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


@functools.cache
def management_api(endpoint_url: str) -> Any:
    """An API Gateway Management API client for one endpoint, reused while the worker stays warm."""
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint_url)


def nickname(event: dict) -> str:
    """The `?name=` query parameter of the connect URL: trimmed, at most 20 characters."""
    query = event.get("queryStringParameters") or {}
    name = (query.get("name") or "").strip()[:MAX_NAME_LENGTH].strip()
    return name or DEFAULT_NAME


def connection_ids(table: Any) -> Iterator[str]:
    """Every stored connection id, following DynamoDB's pagination."""
    options: dict[str, Any] = {"ProjectionExpression": "connectionId"}
    while True:
        page = table.scan(**options)
        yield from (item["connectionId"] for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return
        options["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def is_gone(error: ClientError) -> bool:
    """True when @connections says the client has disconnected (HTTP 410)."""
    return error.response.get("Error", {}).get("Code") == "GoneException"


def post(api: Any, connection: str, frame: dict) -> bool:
    """Post one JSON frame; False if the connection is gone. Other errors propagate."""
    try:
        api.post_to_connection(ConnectionId=connection, Data=json.dumps(frame).encode())
    except ClientError as error:
        if not is_gone(error):
            raise
        return False
    return True
