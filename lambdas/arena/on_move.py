"""move: {"action": "move", "clientX": 0.1, "clientY": 0.9} stores the pointer position (0..1)."""

import math
from typing import Any, TypeGuard

import common


def is_fraction(value: Any) -> TypeGuard[float]:
    """A JSON number between 0 and 1 inclusive (booleans are not numbers here)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= 1
    )


def on_move(event: dict, table: Any) -> dict:
    """Validate and store x, y; the table stream broadcasts the move."""
    body = common.message_body(event)
    x, y = body.get("clientX"), body.get("clientY")
    if not (is_fraction(x) and is_fraction(y)):
        return common.error(400, "clientX and clientY must be numbers from 0 to 1")
    position = {"x": common.as_decimal(x), "y": common.as_decimal(y)}
    if not common.update_connection(table, common.connection_id(event), position):
        return common.error(404, "unknown connection")
    return {"statusCode": 200}


def lambda_handler(event: dict, context: Any) -> dict:
    return on_move(event, common.table())
