"""$connect: give the newcomer a random public id, a name (theirs or a funny one) and a colour."""

import random
import secrets
import time
from typing import Any

import common

ADJECTIVES = [
    "Brave", "Calm", "Clever", "Daring", "Eager", "Gentle", "Happy", "Jolly",
    "Kind", "Lucky", "Mighty", "Nimble", "Proud", "Quick", "Quiet", "Swift",
]  # fmt: skip
ANIMALS = [
    "Badger", "Beaver", "Falcon", "Ferret", "Fox", "Hedgehog", "Heron", "Koala",
    "Lynx", "Moose", "Otter", "Owl", "Panda", "Puffin", "Seal", "Wombat",
]  # fmt: skip
# Dark enough to read on white, distinct enough to tell apart.
PALETTE = [
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#008080",
    "#9a6324", "#800000", "#808000", "#000075", "#f032e6", "#469990",
]  # fmt: skip


MAX_NAME_LENGTH = 20


def random_pointer(name: str | None = None) -> dict:
    """The public face of a new pointer: id, name and colour (no position until it moves)."""
    return {
        "id": secrets.token_hex(4),
        "name": name or f"{random.choice(ADJECTIVES)} {random.choice(ANIMALS)}",
        "color": random.choice(PALETTE),
    }


def chosen_name(event: dict) -> str | None:
    """The `?name=` of the connect URL (trimmed, at most 20 characters), if any."""
    query = event.get("queryStringParameters") or {}
    return (query.get("name") or "").strip()[:MAX_NAME_LENGTH].strip() or None


def on_connect(event: dict, table: Any) -> dict:
    """Store the connection with its public pointer identity."""
    connected_at = int(event["requestContext"].get("connectedAt", time.time() * 1000))
    table.put_item(
        Item={
            "connectionId": common.connection_id(event),
            "connectedAt": connected_at,
            **random_pointer(chosen_name(event)),
        }
    )
    return {"statusCode": 200}


def lambda_handler(event: dict, context: Any) -> dict:
    return on_connect(event, common.table())
