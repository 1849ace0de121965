"""$connect and $disconnect for the push API, both in one module.

Handlers: "connections.on_connect" and "connections.on_disconnect". The table has the same shape
as chat's (connectionId, name), so TABLE_NAME may also point at the chat table to push to chatters.
"""

from typing import Any

import common


def store_connection(event: dict, table: Any) -> dict:
    """Remember the connection and its ?name= nickname."""
    context = event["requestContext"]
    table.put_item(Item={"connectionId": context["connectionId"], "name": common.nickname(event)})
    return {"statusCode": 200}


def forget_connection(event: dict, table: Any) -> dict:
    """Delete the connection's row."""
    table.delete_item(Key={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200}


def on_connect(event: dict, context: Any) -> dict:
    return store_connection(event, common.table())


def on_disconnect(event: dict, context: Any) -> dict:
    return forget_connection(event, common.table())
