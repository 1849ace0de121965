"""Server push: a scheduled Lambda sends {"type": "push", "text", "at"} to every connection.

No client message triggers this function, so there is no requestContext to build the
@connections endpoint from: it comes from the CONNECTIONS_URL environment variable
("https://{apiId}.execute-api.{region}.amazonaws.com/{stage}"), set by the deploy step.
"""

import os
from datetime import UTC, datetime
from typing import Any

import common

DEFAULT_TEXT = "Hello from a scheduled Lambda"


def now_iso() -> str:
    """The current UTC time, ISO 8601 like EventBridge's `time` ("2024-02-09T12:00:00Z")."""
    # YOUR CODE HERE
    raise NotImplementedError()


def push_frame(text: str, at: str | None = None) -> dict:
    """The frame clients receive."""
    return {"type": "push", "text": text, "at": at or now_iso()}


def send_to_one(client: Any, connection_id: str, text: str) -> bool:
    """Push `text` to one connection; False if it is gone (e.g. for a notebook to call)."""
    return common.post(client, connection_id, push_frame(text))


def push_to_all(table: Any, api: Any, text: str, at: str | None = None) -> dict:
    """Post the push frame to every stored connection; delete the rows of gone ones."""
    # YOUR CODE HERE
    raise NotImplementedError()


def text_of(event: dict) -> str:
    """The text to push: the event's own `text` (a rule's constant Input, or a manual test
    invoke), else PUSH_TEXT from the environment, else a greeting."""
    text = event.get("text")
    return text if isinstance(text, str) and text else os.environ.get("PUSH_TEXT", DEFAULT_TEXT)


def lambda_handler(event: dict, context: Any) -> dict:
    """Entry point for the EventBridge schedule (source aws.events, "Scheduled Event")."""
    api = common.management_api(os.environ["CONNECTIONS_URL"])
    at = event.get("time") if event.get("source") == "aws.events" else None
    return push_to_all(common.table(), api, text_of(event), at)
