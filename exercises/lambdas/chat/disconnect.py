"""$disconnect: forget the connection (the client is already gone; nothing can be sent to it)."""

from typing import Any

import common


def on_disconnect(event: dict, table: Any) -> dict:
    """Delete the connection's row."""
    table.delete_item(Key={"connectionId": common.connection_id(event)})
    return {"statusCode": 200}


def lambda_handler(event: dict, context: Any) -> dict:
    return on_disconnect(event, common.table())
