"""The arena app (lambdas/arena) deployed onto a local cloud: moves travel through the table stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import ClientConnection, connect

from infra.deploy import deploy_app, teardown
from infra.local.cloud import LocalCloud
from tests.apps.helpers import Frame, receive_until


@pytest.fixture(scope="module")
def arena_url(cloud: LocalCloud) -> Iterator[str]:
    """The arena stage's WebSocket URL, deployed once for the module."""
    yield deploy_app("arena")
    teardown("arena")


async def listing(connection: ClientConnection) -> Frame:
    """The `list` route's reply: who this client is and where the others are."""
    await connection.send(json.dumps({"action": "list"}))
    return await receive_until(connection, lambda frame: frame["type"] == "list")


async def change(connection: ClientConnection, kind: str, pointer_id: str) -> Frame:
    """The first change of ``kind`` for ``pointer_id`` in the `changes` frames this client gets."""
    frame = await receive_until(
        connection,
        lambda frame: (
            frame["type"] == "changes"
            and any(c["kind"] == kind and c["id"] == pointer_id for c in frame["changes"])
        ),
    )
    return next(c for c in frame["changes"] if c["kind"] == kind and c["id"] == pointer_id)


def test_a_move_reaches_the_others_through_the_stream(arena_url: str) -> None:
    """A move by one client reaches every other client as a `changes` frame from the stream."""

    async def scenario() -> list[Frame]:
        async with (
            connect(arena_url) as ada,
            connect(arena_url) as bob,
            connect(arena_url) as cyd,
        ):
            ada_id = (await listing(ada))["you"]["id"]
            await ada.send(json.dumps({"action": "move", "clientX": 0.25, "clientY": 0.75}))
            return [await change(other, "move", ada_id) for other in (bob, cyd)]

    for seen in asyncio.run(scenario()):
        assert (seen["x"], seen["y"]) == (0.25, 0.75)


def test_list_returns_the_others(arena_url: str) -> None:
    """`list` answers with the caller's own identity and the other pointers, not the caller's."""

    async def scenario() -> tuple[Frame, Frame]:
        async with connect(arena_url) as ada, connect(arena_url) as bob:
            return await listing(ada), await listing(bob)

    ada, bob = asyncio.run(scenario())
    ada_id, bob_id = ada["you"]["id"], bob["you"]["id"]
    assert bob_id in [pointer["id"] for pointer in ada["pointers"]]
    assert ada_id not in [pointer["id"] for pointer in ada["pointers"]]
    assert set(ada["you"]) == {"id", "name", "color"}


def test_a_leave_is_reported_after_a_client_closes(arena_url: str) -> None:
    """When a client closes, the others get a `leave` change with its id."""

    async def scenario() -> tuple[str, Frame]:
        async with connect(arena_url) as bob:
            async with connect(arena_url) as ada:
                ada_id = (await listing(ada))["you"]["id"]
            return ada_id, await change(bob, "leave", ada_id)

    ada_id, left = asyncio.run(scenario())
    assert left == {"kind": "leave", "id": ada_id}
