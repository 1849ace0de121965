"""sendMessage: relay {"action": "sendMessage", "data": "hello"} to every other connection."""

from typing import Any

import common


def on_send_message(event: dict, table: Any, api: Any) -> dict:
    """Broadcast {"type": "message", "from", "text"} to all connections except the sender."""
    sender = common.connection_id(event)
    frame = {
        "type": "message",
        "from": common.name_of(table, sender),
        "text": common.message_text(common.message_body(event)),
    }
    others = [
        row["connectionId"]
        for row in common.scan_connections(table)
        if row["connectionId"] != sender
    ]
    common.send_to_all(api, table, frame, others)
    return {"statusCode": 200}


def lambda_handler(event: dict, context: Any) -> dict:
    api = common.management_api(common.connections_url(event))
    return on_send_message(event, common.table(), api)
