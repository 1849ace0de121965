"""The table's stream -> one {"type": "changes", "changes": [...]} frame per connection per batch.

A stream event has no requestContext, so the @connections endpoint comes from the
CONNECTIONS_URL environment variable ("https://{apiId}.execute-api.{region}.amazonaws.com/{stage}").
"""

import os
from typing import Any

import common
from boto3.dynamodb.types import TypeDeserializer

_deserializer = TypeDeserializer()


def image(attributes: dict) -> dict:
    """A stream image (DynamoDB JSON such as {"S": "..."}) as plain Python values."""
    return {key: _deserializer.deserialize(value) for key, value in attributes.items()}


def change_of(record: dict) -> dict:
    """One stream record as a change: join (INSERT), move (MODIFY) or leave (REMOVE)."""
    data = record["dynamodb"]
    if record["eventName"] == "REMOVE":
        return {"kind": "leave", "id": image(data["OldImage"])["id"]}
    kind = "join" if record["eventName"] == "INSERT" else "move"
    return {"kind": kind, **common.pointer(image(data["NewImage"]))}


def on_stream(event: dict, table: Any, api: Any) -> None:
    """Send the batch's changes to every connected pointer (including the one that moved)."""
    changes = [change_of(record) for record in event.get("Records", [])]
    if not changes:
        return
    frame = {"type": "changes", "changes": changes}
    for item in common.scan_all(table):
        common.send(api, table, item, frame)


def lambda_handler(event: dict, context: Any) -> None:
    api = common.management_api(os.environ["CONNECTIONS_URL"])
    on_stream(event, common.table(), api)
