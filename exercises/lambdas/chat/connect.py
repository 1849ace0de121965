"""$connect: remember the new connection and its nickname (`?name=alice`, default "guest")."""

from typing import Any

import common


def on_connect(event: dict, table: Any) -> dict:
    """Store {connectionId, name}; a 200 lets API Gateway accept the connection."""
    table.put_item(
        Item={"connectionId": common.connection_id(event), "name": common.nickname(event)}
    )
    return {"statusCode": 200}


def lambda_handler(event: dict, context: Any) -> dict:
    return on_connect(event, common.table())
