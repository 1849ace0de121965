"""whisper: {"action": "whisper", "to": "bob", "data": "psst"} reaches only connections named bob."""

from typing import Any

import common


def on_whisper(event: dict, table: Any, api: Any) -> dict:
    """Send {"type": "whisper", ...} to every `to` connection, or an error frame to the sender."""
    # YOUR CODE HERE
    raise NotImplementedError()


def lambda_handler(event: dict, context: Any) -> dict:
    api = common.management_api(common.connections_url(event))
    return on_whisper(event, common.table(), api)
