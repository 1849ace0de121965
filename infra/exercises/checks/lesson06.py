"""Lesson 06's exercises (`solutions/06-pointer-arena-exercises.ipynb`): the arena's stream and
its colours.

- `stream-batch`: `check_tune_stream`, the table's stream mapped to a function, then tuned in place;
- `arena-color`: `check_arena_color`, the `color` route's function, its change told by the stream.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError, ParamValidationError

from infra.deploy.apps import ARENA, deploy_plan

from .common import (
    KIT_LAMBDAS,
    TIMEOUT,
    Client,
    Frame,
    answer,
    deployed,
    fail_on_gateway_error,
    invoke,
    is_gateway_error,
    message_event,
    quietly,
)

# -- stream-batch: the stream mapping ----------------------------------------------------------


def check_tune_stream(
    tune_stream: Callable[[str, str, int, int], str], app: str, batch_size: int, window_seconds: int
) -> None:
    """`tune_stream` makes the mapping, then changes it in place; a burst arrives in one batch."""
    lambda_ = boto3.client("lambda")
    url = _arena_without_mapping(app)
    table, function = f"{app}-connections", f"{app}-tableTriggers"
    stream = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    uuid = answer(tune_stream, table, function, batch_size, window_seconds)
    _tuned(lambda_, uuid, stream, function, batch_size, window_seconds)
    wider = window_seconds + 1
    again = answer(tune_stream, table, function, 2 * batch_size, wider)
    mappings = lambda_.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    assert len(mappings) == 1, (
        f"Called again, tune_stream left {len(mappings)} mappings on the stream, so every change"
        " would be told several times: when list_event_source_mappings finds one, change it with"
        " update_event_source_mapping(UUID=..., BatchSize=..., MaximumBatchingWindowInSeconds=...)"
    )
    assert again == uuid, (
        f"Called again, tune_stream returned {again!r}; the mapping is still {uuid!r}: return"
        " the UUID of the mapping you changed"
    )
    _tuned(lambda_, uuid, stream, function, 2 * batch_size, wider)
    _burst_in_one_batch(url, wider)


def _tuned(
    lambda_: Any, uuid: Any, stream: str, function: str, batch_size: int, window_seconds: int
) -> None:
    """The mapping `uuid` reads `stream` into `function` from LATEST with these settings, on."""
    try:
        mapping = lambda_.get_event_source_mapping(UUID=uuid)
    except (ClientError, TypeError, ParamValidationError):
        raise AssertionError(
            f"tune_stream returned {uuid!r}, which is no mapping's UUID: return the mapping's"
            " ['UUID']"
        ) from None
    assert mapping["EventSourceArn"] == stream, (
        f"The mapping reads {mapping['EventSourceArn']!r}, not the table's stream: use"
        " describe_table(TableName=table_name)['Table']['LatestStreamArn']"
    )
    assert mapping["FunctionArn"].endswith(f":function:{function}"), (
        f"The mapping invokes {mapping['FunctionArn']!r}, not {function}"
    )
    assert mapping.get("StartingPosition") == "LATEST", (
        f"StartingPosition is {mapping.get('StartingPosition')!r}: start at LATEST"
    )
    assert mapping.get("BatchSize") == batch_size, (
        f"BatchSize is {mapping.get('BatchSize')}, expected {batch_size}: BatchSize=batch_size"
    )
    window = mapping.get("MaximumBatchingWindowInSeconds", 0)
    assert window == window_seconds, (
        f"MaximumBatchingWindowInSeconds is {window}, expected {window_seconds}:"
        " MaximumBatchingWindowInSeconds=window_seconds"
    )
    assert mapping.get("State") == "Enabled", (
        f"tune_stream returned while the mapping was {mapping.get('State')!r}: wait until"
        " get_event_source_mapping(UUID=...)['State'] is 'Enabled' (after a change too)"
    )


def _burst_in_one_batch(url: str, window_seconds: int) -> None:
    """Three quick moves of one pointer reach a watcher together: one frame, three changes."""
    with Client(url, "painter") as painter, Client(url, "watcher") as watcher:
        painter.send({"action": "list"})
        listing = painter.wait_for(lambda frame: frame.get("type") == "list")
        assert listing is not None, "The arena did not answer {'action': 'list'}"
        me = listing["you"]["id"]

        def mine(frame: Any, kind: str) -> list[Any]:
            changes = frame.get("changes", []) if isinstance(frame, dict) else []
            return [c for c in changes if c.get("id") == me and c.get("kind") == kind]

        timeout = window_seconds + TIMEOUT
        joined = watcher.wait_for(lambda frame: bool(mine(frame, "join")), timeout)
        assert joined is not None, "Nobody heard of a new pointer: the mapping invokes nothing"
        xs = [0.1 + secrets.randbelow(80) / 100 + step / 1000 for step in range(3)]
        for x in xs:
            painter.send({"action": "move", "clientX": x, "clientY": 0.5})
        last = watcher.wait_for(
            lambda frame: any(c.get("x") == xs[-1] for c in mine(frame, "move")), timeout
        )
        assert last is not None, "Three moves were written, but nobody heard of the last one"
        frames = [frame for frame in watcher.frames if mine(frame, "move")]
        assert len(frames) == 1, (
            f"Three moves sent at once reached the watcher in {len(frames)} frames: with a"
            f" batching window of {window_seconds} s they should wait for each other and come"
            " in one batch"
        )


def _arena_without_mapping(app: str) -> str:
    """A copy of the arena named `app` whose stream is mapped to nothing; returns its URL."""
    with quietly():
        url = deploy_plan(
            replace(ARENA, app=app, stream_mapped=False), folder=KIT_LAMBDAS / "arena"
        )
    lambda_ = boto3.client("lambda")
    for mapping in lambda_.list_event_source_mappings(FunctionName=f"{app}-tableTriggers")[
        "EventSourceMappings"
    ]:
        lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
    return url


# -- arena-color: the colour route -------------------------------------------------------------


REFUSED_COLORS = ("red", "#12345", "#ggghhh", 42)


def check_arena_color(
    folder: str | Path, color: str | None = None, refused: Sequence[Any] = REFUSED_COLORS
) -> None:
    """A valid colour reaches everyone (lower case) through the stream; an invalid one gets 400."""
    url = deployed("arena", folder)
    color = color or "#" + secrets.token_hex(3).upper()
    with Client(url) as painter, Client(url) as watcher:
        painter.send({"action": "list"})
        listing = painter.wait_for(lambda f: f.get("type") == "list")
        assert listing is not None, "The arena did not answer {'action': 'list'}"
        me = listing["you"]["id"]
        painter.send({"action": "color", "color": color})

        def shows(wanted: str) -> Callable[[Frame], bool]:
            def test(frame: Frame) -> bool:
                changes = frame.get("changes", []) if isinstance(frame, dict) else []
                return any(c.get("id") == me and c.get("color") == wanted for c in changes)

            return test

        seen = _first_of(watcher, shows(color.lower()), painter, is_gateway_error)
        fail_on_gateway_error(seen, "color", "on_color.py's on_color")
        if seen is None:
            as_sent = color != color.lower() and any(shows(color)(f) for f in watcher.frames)
            assert not as_sent, f"Store the colour in lower case ({color.lower()!r})"
            raise AssertionError(
                f"Nobody saw the pointer turn {color}: on_color should update the caller's row"
                " with the new colour (hint: common.update_connection(table, connection_id,"
                " {'color': color.lower()}); the stream then tells everyone)"
            )
    for bad in refused:
        event = message_event(url, "arena", {"action": "color", "color": bad})
        reply = invoke("arena-color", event)["Payload"]
        status = reply.get("statusCode") if isinstance(reply, dict) else None
        assert status == 400, (
            f"The colour {bad!r} should be refused with statusCode 400 (got {reply!r}) (hint:"
            " check it matches HEX_COLOR before writing, and return common.error(400, ...))"
        )


def _first_of(
    watcher: Client,
    wanted: Callable[[Frame], bool],
    sender: Client,
    refused: Callable[[Frame], bool],
) -> Frame | None:
    """The watcher's first wanted frame, or the sender's first refusal, whichever comes first."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for client, test in ((sender, refused), (watcher, wanted)):
            frame = client.wait_for(test, 0.1)
            if frame is not None:
                return frame
    return None
