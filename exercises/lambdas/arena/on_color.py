"""color: {"action": "color", "color": "#00ff00"} changes the caller's pointer colour."""

import re
from typing import Any

import common

HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def on_color(event: dict, table: Any) -> dict:
    """Validate "#rrggbb" and store it (lower case); the table stream broadcasts the change."""
    # YOUR CODE HERE
    raise NotImplementedError()


def lambda_handler(event: dict, context: Any) -> dict:
    return on_color(event, common.table())
