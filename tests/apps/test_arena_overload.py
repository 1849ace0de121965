"""An arena sent more moves than the cloud can carry: it slows down, and nothing is lost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from infra.deploy import deploy_app, teardown
from infra.local.cloud import LocalCloud
from tests.apps.test_arena import listing

PEOPLE = 8
MOVES = 150  # each, sent back to back: 1,200 moves in well under a second
DEADLINE = 120.0  # seconds for every move to reach everyone (a loaded CI machine is slow)


@pytest.fixture(scope="module")
def arena_url(cloud: LocalCloud) -> Iterator[str]:
    yield deploy_app("arena")
    teardown("arena")


async def person(ws: ClientConnection, me: str, others: set[str]) -> dict[str, list[int]]:
    """Send MOVES moves as fast as the socket takes them; collect everyone else's, in order."""
    seen: dict[str, list[int]] = {other: [] for other in others}

    async def listen() -> None:
        while any(len(moves) < MOVES for moves in seen.values()):
            frame = json.loads(await ws.recv())
            for change in frame.get("changes", ()):
                if change["kind"] == "move" and change["id"] in seen:
                    seen[change["id"]].append(round(change["x"] * 1000))

    listener = asyncio.ensure_future(listen())
    for n in range(1, MOVES + 1):  # x carries the move's number
        await ws.send(json.dumps({"action": "move", "clientX": n / 1000, "clientY": 0.5}))
    await asyncio.wait_for(listener, DEADLINE)
    return seen


def test_every_move_reaches_everyone_in_order_and_nothing_times_out(
    arena_url: str, aws: Any
) -> None:
    """1,200 moves at once: each person sees each other's 150 moves, in order, no timeouts."""

    async def scenario() -> list[dict[str, list[int]]]:
        sockets = [await connect(arena_url) for _ in range(PEOPLE)]
        ids = [(await listing(ws))["you"]["id"] for ws in sockets]
        try:
            return await asyncio.gather(
                *(person(ws, me, set(ids) - {me}) for ws, me in zip(sockets, ids, strict=True))
            )
        finally:
            for ws in sockets:
                await ws.close()

    for seen in asyncio.run(scenario()):
        for moves in seen.values():
            assert moves == list(range(1, MOVES + 1))
    logs = aws("logs")
    for function in ("arena-move", "arena-tableTriggers"):
        timed_out = logs.filter_log_events(
            logGroupName=f"/aws/lambda/{function}", filterPattern='"Task timed out"'
        )["events"]
        assert timed_out == []
