"""The chat app deployed from lambdas/chat/template.yaml (SAM) onto a local cloud, over WebSockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect

from infra.cli import main
from infra.deploy.aws import client
from infra.deploy.stacks import create_stack, delete_stack, deploy_template, update_stack
from infra.local.cloud import LocalCloud
from tests.apps.helpers import TraceFeed, extra_frames, receive
from tests.apps.stacks import leftovers, packaged, renamed, settle, stack_status, without

WHISPER = (
    "WhisperFunction",
    "WhisperLogs",
    "WhisperIntegration",
    "WhisperRoute",
    "WhisperPermission",
)


@pytest.fixture(scope="module")
def chat_url(cloud: LocalCloud) -> Iterator[str]:
    """`workshop deploy chat --template`: the stack `chat`, deployed once for the module."""
    yield deploy_template("chat")["WebSocketURL"]
    delete_stack("chat")


def say(text: str) -> str:
    return json.dumps({"action": "sendMessage", "data": text})


def whisper(to: str, text: str) -> str:
    return json.dumps({"action": "whisper", "to": to, "data": text})


def test_the_stack_outputs_the_stage_url(cloud: LocalCloud, chat_url: str) -> None:
    """WebSocketURL is the API's endpoint plus the stage, as `deploy_stage` prints it."""
    [api] = [a for a in client("apigatewayv2").get_apis()["Items"] if a["Name"] == "chat-api"]
    assert chat_url == f"{api['ApiEndpoint']}/dev"
    assert chat_url.startswith(f"ws://127.0.0.1:{cloud.port}/")


def test_the_cli_deploys_the_template_and_prints_the_url_last(
    chat_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`workshop deploy chat --template` on the existing stack updates it and prints its URL last."""
    assert main(["deploy", "chat", "--template"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2:] == ["✓ stack chat (unchanged)", chat_url]


def test_messages_whispers_and_help_work_as_with_boto3(cloud: LocalCloud, chat_url: str) -> None:
    """A message reaches the other client, a whisper only its target, and $default answers help."""

    async def scenario() -> tuple[dict, dict, dict, list]:
        async with (
            TraceFeed(cloud) as trace,
            connect(f"{chat_url}?name=ada") as ada,
            connect(f"{chat_url}?name=bob") as bob,
            connect(f"{chat_url}?name=cyd") as cyd,
        ):
            await ada.send(say("hi all"))
            message = await receive(bob)
            await receive(cyd)
            await ada.send(whisper("bob", "psst"))
            whispered = await receive(bob)
            await trace.handled("chat-whisper", "psst")
            await cyd.send(json.dumps({"action": "dance"}))
            return message, whispered, await receive(cyd), await extra_frames(cyd)

    message, whispered, helped, extra = asyncio.run(scenario())
    assert message == {"type": "message", "from": "ada", "text": "hi all"}
    assert whispered == {"type": "whisper", "from": "ada", "text": "psst"}
    assert helped["type"] == "help"
    assert extra == []


def whisper_reply(cloud: LocalCloud, url: str, text: str) -> dict:
    """What ada gets back when she whispers to nobody: an error frame (served) or help ($default).

    Returns once her $disconnect has run too, so that nothing is still writing logs.
    """

    async def scenario() -> dict:
        async with TraceFeed(cloud) as trace:
            async with connect(f"{url}?name=ada") as ada:
                await ada.send(whisper("zed", text))
                reply = await receive(ada)
            frame_in = await trace.hop(
                lambda h: h["hop"] == "frame_in" and text in h.get("preview", "")
            )
            await trace.hop(
                lambda h: (
                    h["hop"] == "lambda"
                    and h.get("function") == "room-disconnect"
                    and h.get("connectionId") == frame_in["connectionId"]
                )
            )
            return reply

    return asyncio.run(scenario())


def test_a_route_added_without_a_new_deployment_is_not_served(cloud: LocalCloud) -> None:
    """update_stack creates the whisper route, but the stage serves it only from a new deployment."""
    full = packaged("chat")
    outputs = create_stack("room", without(full, *WHISPER))
    url = outputs["WebSocketURL"]
    assert whisper_reply(cloud, url, "before the update")["type"] == "help"

    update_stack("room", full)  # whisper added; the Deployment resource is unchanged
    api_id = url.rsplit("/", 2)[-2]
    routes = {r["RouteKey"] for r in client("apigatewayv2").get_routes(ApiId=api_id)["Items"]}
    assert "whisper" in routes
    assert whisper_reply(cloud, url, "before the update")["type"] == "help"

    update_stack("room", renamed(full, "Deployment", "DeploymentWithWhisper"))
    assert whisper_reply(cloud, url, "deployed") == {"type": "error", "text": "no one called zed"}
    deployments = client("apigatewayv2").get_deployments(ApiId=api_id)["Items"]
    assert len(deployments) == 1  # the old deployment went in the cleanup phase
    assert stack_status("room") == "UPDATE_COMPLETE"

    settle(cloud)
    delete_stack("room")
    assert leftovers("room") == []
