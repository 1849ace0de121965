"""$default: any frame no other route matched gets a reply: `who` the names online, else help.

The reply travels through the route response (the route needs a `$default` route response).
"""

import json
from typing import Any

import common

HELP = {
    "type": "help",
    "text": 'Send {"action": "sendMessage", "data": "..."} to talk to everyone, '
    'or {"action": "whisper", "to": "bob", "data": "..."} to talk to bob only, '
    'or {"action": "who"} to see who is here.',
}


def on_default(event: dict) -> dict:
    """Return the `who` frame for {"action": "who"}, the help frame for anything else."""
    if common.message_body(event).get("action") == "who":
        return {"statusCode": 200, "body": json.dumps(who_is_online(common.table()))}
    return {"statusCode": 200, "body": json.dumps(HELP)}


def who_is_online(table: Any) -> dict:
    """{"type": "who", "names": [...]}: every connected nickname once, in alphabetical order."""
    # YOUR CODE HERE
    raise NotImplementedError()


def lambda_handler(event: dict, context: Any) -> dict:
    return on_default(event)
