"""color: {"action": "color", "color": "#00ff00"} changes the caller's pointer colour."""

import re
from typing import Any

import common

HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def on_color(event: dict, table: Any) -> dict:
    """Validate "#rrggbb" and store it (lower case); the table stream broadcasts the change."""
    ### BEGIN SOLUTION
    color = common.message_body(event).get("color")
    if not (isinstance(color, str) and HEX_COLOR.fullmatch(color)):
        return common.error(400, 'color must look like "#rrggbb"')
    if not common.update_connection(table, common.connection_id(event), {"color": color.lower()}):
        return common.error(404, "unknown connection")
    return {"statusCode": 200}
    ### END SOLUTION


def lambda_handler(event: dict, context: Any) -> dict:
    return on_color(event, common.table())
