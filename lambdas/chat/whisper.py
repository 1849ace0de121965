"""whisper: {"action": "whisper", "to": "bob", "data": "psst"} reaches only connections named bob."""

from typing import Any

import common


def on_whisper(event: dict, table: Any, api: Any) -> dict:
    """Send {"type": "whisper", ...} to every `to` connection, or an error frame to the sender."""
    ### BEGIN SOLUTION
    sender = common.connection_id(event)
    body = common.message_body(event)
    to = str(body.get("to", "")).strip()
    frame = {
        "type": "whisper",
        "from": common.name_of(table, sender),
        "text": common.message_text(body),
    }
    delivered = common.send_to_all(api, table, frame, common.connections_named(table, to))
    if not delivered:
        common.send(api, table, sender, {"type": "error", "text": f"no one called {to}"})
    return {"statusCode": 200}
    ### END SOLUTION


def lambda_handler(event: dict, context: Any) -> dict:
    api = common.management_api(common.connections_url(event))
    return on_whisper(event, common.table(), api)
