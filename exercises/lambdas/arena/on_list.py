"""list: {"action": "list"} -> who you are and where everyone else is (via the route response)."""

from typing import Any

import common


def on_list(event: dict, table: Any) -> dict:
    """Return {"type": "list", "you": {...}, "pointers": [...others]} as the response body."""
    caller = common.connection_id(event)
    you = None
    pointers = []
    for item in common.scan_all(table):
        if item["connectionId"] == caller:
            you = {key: item[key] for key in ("id", "name", "color")}
        else:
            pointers.append(common.pointer(item))
    return common.reply(200, {"type": "list", "you": you, "pointers": pointers})


def lambda_handler(event: dict, context: Any) -> dict:
    return on_list(event, common.table())
