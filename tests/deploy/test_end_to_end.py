"""The chat app deployed by the deploy steps to the local cloud, then used over WebSockets."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect

from infra.deploy import teardown
from infra.deploy.apps import CHAT, deploy_app, deploy_plan
from infra.deploy.aws import client
from infra.local.cloud import LocalCloud

TIMEOUT = 10


@pytest.fixture(scope="module")
def chat_url(cloud: LocalCloud) -> Iterator[str]:
    """The chat app's stage URL on the local cloud (boto3 reaches it through AWS_ENDPOINT_URL)."""
    yield deploy_app("chat")
    teardown("chat")


async def receive(connection: ClientConnection) -> dict:
    return json.loads(await asyncio.wait_for(connection.recv(), TIMEOUT))


def test_stage_url_is_the_local_websocket_endpoint(cloud: LocalCloud, chat_url: str) -> None:
    """The returned URL is the API's ws:// endpoint plus the stage."""
    assert chat_url.startswith(cloud.url.replace("http://", "ws://"))
    assert chat_url.endswith("/dev")


def test_send_message_reaches_the_others(chat_url: str) -> None:
    """A sendMessage from alice is delivered to bob through the deployed functions."""

    async def scenario() -> dict:
        async with (
            connect(f"{chat_url}?name=alice") as alice,
            connect(f"{chat_url}?name=bob") as bob,
        ):
            await alice.send(json.dumps({"action": "sendMessage", "data": "hello"}))
            return await receive(bob)

    assert asyncio.run(scenario()) == {"type": "message", "from": "alice", "text": "hello"}


def test_default_route_replies_through_the_route_response(chat_url: str) -> None:
    """An unknown action gets the $default function's body back on the same connection."""

    async def scenario() -> dict:
        async with connect(chat_url) as alice:
            await alice.send(json.dumps({"action": "dance"}))
            return await receive(alice)

    assert asyncio.run(scenario())["type"] == "help"


def test_redeploying_an_edited_folder_serves_the_new_code(chat_url: str, tmp_path: Path) -> None:
    """Deploying a learner's edited copy of the app updates what the stage runs."""
    edited = tmp_path / "chat"
    shutil.copytree(Path(__file__).parents[2] / "lambdas" / "chat", edited)
    default = edited / "default.py"
    default.write_text(default.read_text().replace('"type": "help"', '"type": "edited"'))

    async def reply() -> dict:
        async with connect(chat_url) as alice:
            await alice.send(json.dumps({"action": "dance"}))
            return await receive(alice)

    try:
        deploy_app("chat", folder=edited)
        assert asyncio.run(reply())["type"] == "edited"
    finally:
        deploy_app("chat")


def test_teardown_removes_the_deployed_app(cloud: LocalCloud) -> None:
    """Tearing an app down on the local cloud leaves none of its resources."""
    plan = dataclasses.replace(CHAT, app="gone")
    deploy_plan(plan, folder=Path(__file__).parents[2] / "lambdas" / "chat")
    teardown("gone")
    names = [api["Name"] for api in client("apigatewayv2").get_apis()["Items"]]
    assert "gone-api" not in names
    functions = client("lambda").list_functions()["Functions"]
    assert not [f for f in functions if f["FunctionName"].startswith("gone-")]
    assert "gone-connections" not in client("dynamodb").list_tables()["TableNames"]
