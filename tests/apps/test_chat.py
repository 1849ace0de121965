"""The chat app (lambdas/chat) deployed by infra.deploy onto a local cloud, used over WebSockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect

from infra.deploy import deploy_app, teardown
from infra.deploy.aws import client
from infra.local.cloud import LocalCloud
from tests.apps.helpers import TraceFeed, extra_frames, receive

TABLE = "chat-connections"
STALE_ID = "Zm9yZ290dGVuMQ="  # the shape of an API Gateway connection id; no socket has it


@pytest.fixture(scope="module")
def chat_url(cloud: LocalCloud) -> Iterator[str]:
    """The chat stage's WebSocket URL, deployed once for the module."""
    yield deploy_app("chat")
    teardown("chat")


def say(text: str) -> str:
    return json.dumps({"action": "sendMessage", "data": text})


def test_every_message_reaches_exactly_the_other_two(cloud: LocalCloud, chat_url: str) -> None:
    """Each of three clients' messages reaches the other two, and nobody gets anything more."""
    names = ["ada", "bob", "cyd"]

    async def scenario() -> dict[str, list[dict]]:
        async with (
            TraceFeed(cloud) as trace,
            connect(f"{chat_url}?name=ada") as ada,
            connect(f"{chat_url}?name=bob") as bob,
            connect(f"{chat_url}?name=cyd") as cyd,
        ):
            clients = dict(zip(names, (ada, bob, cyd), strict=True))
            for name, connection in clients.items():
                await connection.send(say(f"hi from {name}"))
            for name in names:
                await trace.handled("chat-sendMessage", f"hi from {name}")
            return {name: await extra_frames(connection) for name, connection in clients.items()}

    received = asyncio.run(scenario())
    for name in names:
        expected = [
            {"type": "message", "from": other, "text": f"hi from {other}"}
            for other in names
            if other != name
        ]
        assert sorted(received[name], key=lambda frame: frame["from"]) == expected


def test_a_stale_row_is_pruned_by_the_next_broadcast(cloud: LocalCloud, chat_url: str) -> None:
    """A row whose connection no longer exists is deleted when a broadcast hits GoneException."""
    table = client("dynamodb")
    table.put_item(TableName=TABLE, Item={"connectionId": {"S": STALE_ID}, "name": {"S": "ghost"}})

    async def scenario() -> dict:
        async with (
            TraceFeed(cloud) as trace,
            connect(f"{chat_url}?name=ada") as ada,
            connect(f"{chat_url}?name=bob") as bob,
        ):
            await ada.send(say("anyone there?"))
            await trace.handled("chat-sendMessage", "anyone there?")
            return await receive(bob)

    assert asyncio.run(scenario())["text"] == "anyone there?"
    assert "Item" not in table.get_item(TableName=TABLE, Key={"connectionId": {"S": STALE_ID}})


def test_an_unknown_action_gets_help(chat_url: str) -> None:
    """A frame without a known action is answered by the $default route with the help text."""

    async def scenario() -> dict:
        async with connect(chat_url) as ada:
            await ada.send(json.dumps({"action": "dance"}))
            return await receive(ada)

    reply = asyncio.run(scenario())
    assert reply["type"] == "help"
    assert "sendMessage" in reply["text"]


def test_a_whisper_reaches_only_the_named_participant(cloud: LocalCloud, chat_url: str) -> None:
    """A whisper to bob reaches bob, and neither the sender nor a third client."""

    async def scenario() -> tuple[dict, list[dict], list[dict]]:
        async with (
            TraceFeed(cloud) as trace,
            connect(f"{chat_url}?name=ada") as ada,
            connect(f"{chat_url}?name=bob") as bob,
            connect(f"{chat_url}?name=cyd") as cyd,
        ):
            await ada.send(json.dumps({"action": "whisper", "to": "bob", "data": "psst"}))
            whispered = await receive(bob)
            await trace.handled("chat-whisper", "psst")
            return whispered, await extra_frames(ada), await extra_frames(cyd)

    whispered, to_ada, to_cyd = asyncio.run(scenario())
    assert whispered == {"type": "whisper", "from": "ada", "text": "psst"}
    assert to_ada == []
    assert to_cyd == []


def test_a_whisper_to_nobody_tells_the_sender(chat_url: str) -> None:
    """Whispering to a name nobody has sends an error frame back to the sender."""

    async def scenario() -> dict:
        async with connect(f"{chat_url}?name=ada") as ada:
            await ada.send(json.dumps({"action": "whisper", "to": "zed", "data": "hello?"}))
            return await receive(ada)

    assert asyncio.run(scenario()) == {"type": "error", "text": "no one called zed"}
