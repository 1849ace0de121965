"""$default: any frame no other route matched gets a short help text back.

The reply travels through the route response (the route needs a `$default` route response).
"""

import json
from typing import Any

HELP = {
    "type": "help",
    "text": 'Send {"action": "sendMessage", "data": "..."} to talk to everyone, '
    'or {"action": "whisper", "to": "bob", "data": "..."} to talk to bob only.',
}


def on_default(event: dict) -> dict:
    """Return the help frame as the route response body."""
    # YOUR CODE HERE
    raise NotImplementedError()


def lambda_handler(event: dict, context: Any) -> dict:
    return on_default(event)
