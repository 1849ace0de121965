"""Lesson 04's exercises (`solutions/04-send-message-exercises.ipynb`): whispers in the chat's
code.

- `chat-named`: `check_chat_named`, `connections_named` in `lambdas/chat/common.py`, on every page;
- `chat-whisper`: `check_chat_whisper`, the `whisper` route's function.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from infra.deploy import create_connections_table

from .common import (
    QUIET,
    answer,
    chat_client,
    deployed,
    fail_on_gateway_error,
    is_gateway_error,
    load_module,
    quietly,
    unique,
)

# -- chat-named: the connections of a name -----------------------------------------------------


def check_chat_named(folder: str | Path, matches: int = 2, page_size: int | None = None) -> None:
    """connections_named(table, name) finds exactly the connections named `name`, on every page.

    `page_size` makes the table answer its scans in pages that small (as 1 MB pages do).
    """
    common = load_chat_common(folder)
    with quietly():
        create_connections_table("chat")  # the chat's table, as lesson 01 made it
    table = boto3.resource("dynamodb").Table("chat-connections")
    name = unique("bob")
    rows = {f"named{secrets.token_hex(4)}": name for _ in range(matches)}
    near = {  # names that only look alike
        f"near{secrets.token_hex(4)}": near_name
        for near_name in (name + "by", name.upper(), "x" + name)
    }
    for connection, nickname in {**rows, **near}.items():
        table.put_item(Item={"connectionId": connection, "name": nickname})
    try:
        paged = PagedTable(table, page_size) if page_size else table
        got = answer(common.connections_named, paged, name)
    finally:
        for connection in {**rows, **near}:
            table.delete_item(Key={"connectionId": connection})
    assert isinstance(got, list), (
        f"connections_named returned {got!r}: return a list of connection ids"
    )
    assert sorted(got) == sorted(rows), (
        f"connections_named(table, {name!r}) gave {sorted(got)}, expected {sorted(rows)}: keep"
        " the rows whose name equals `name` exactly (hint: FilterExpression=Attr('name').eq(name),"
        " and read every page: common.scan_connections does)"
    )


def load_chat_common(folder: str | Path) -> ModuleType:
    """The learner's lambdas/chat/common.py, imported afresh."""
    path = Path(folder) / "common.py"
    assert path.exists(), f"{folder} has no common.py: the chat's helpers live there"
    return load_module(path)


class PagedTable:
    """A table whose scans answer `page_size` rows at a time (as a big table answers 1 MB)."""

    def __init__(self, table: Any, page_size: int) -> None:
        self.table = table
        self.page_size = page_size

    def scan(self, **options: Any) -> Any:
        return self.table.scan(**{**options, "Limit": self.page_size})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)


# -- chat-whisper: the whisper route -----------------------------------------------------------


WHISPER_CODE = "on_whisper (or common.py's connections_named, which it calls: chat-named)"


def check_chat_whisper(folder: str | Path, listeners: int = 1) -> None:
    """A whisper reaches only the connections named `to` (all `listeners` of them); an unknown
    name gets an error frame back."""
    url = deployed("chat", folder)
    alice_name, bob_name, carol_name = unique("alice"), unique("bob"), unique("carol")
    with contextlib.ExitStack() as stack:
        alice = stack.enter_context(chat_client(url, alice_name))
        bobs = [stack.enter_context(chat_client(url, bob_name)) for _ in range(listeners)]
        carol = stack.enter_context(chat_client(url, carol_name))
        text = unique("psst")
        alice.send({"action": "whisper", "to": bob_name, "data": text})
        frames = [bob.wait_for(lambda f: f.get("text") == text) for bob in bobs]
        if None in frames:
            refusal = alice.wait_for(is_gateway_error, QUIET)
            fail_on_gateway_error(refusal, "whisper", WHISPER_CODE)
        heard = sum(frame is not None for frame in frames)
        assert heard == listeners, (
            f"{listeners - heard} of the {listeners} connections named {bob_name!r} never"
            " received alice's whisper: post the frame to every connection whose name is `to`"
            " (hint: common.connections_named(table, to) gives their ids)"
        )
        expected = {"type": "whisper", "from": alice_name, "text": text}
        assert frames[0] == expected, f"bob received {frames[0]!r}, expected {expected!r}"
        overheard = carol.wait_for(lambda f: f.get("text") == text, QUIET)
        assert overheard is None, (
            "carol overheard a whisper meant for bob: send only to the connections named `to`"
        )
        nobody = unique("nobody")
        alice.send({"action": "whisper", "to": nobody, "data": "hello?"})
        error = alice.wait_for(lambda f: f.get("type") == "error")
    fail_on_gateway_error(error, "whisper", WHISPER_CODE)
    assert error == {"type": "error", "text": f"no one called {nobody}"}, (
        f"A whisper to a name nobody has should send {{'type': 'error', 'text': 'no one called"
        f" {nobody}'}} back to the sender (got {error!r}) (hint: send_to_all returns how many"
        " received it)"
    )
