"""API Gateway's WebSocket limits: 128 KB messages, 32 KB frames, text frames only."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from infra.local.cloud import LocalCloud
from tests.local.gateway.helpers import Deployed, GatewayLab, recv_text, run

KB = 1024

LENGTH = """
def handler(event, context):
    return {"statusCode": 200, "body": str(len(event["body"]))}
"""


@pytest.fixture(scope="module")
def api(cloud: LocalCloud, aws: Any) -> Deployed:
    return GatewayLab(aws, cloud).deploy({"$default": LENGTH}, two_way=("$default",))


def close_code_after_sending(url: str, message: Any) -> int | None:
    """Send one message (a str, bytes or an iterable of fragments); the server's close code."""

    async def scenario() -> int | None:
        async with websockets.connect(url, max_size=None) as ws:
            try:
                await ws.send(message)
                await recv_text(ws)
            except ConnectionClosed:
                pass
            await ws.wait_closed()
            return ws.close_code

    result: int | None = run(scenario())
    return result


def test_message_over_128_kb_closes_with_1009(api: Deployed) -> None:
    """A message of five 30 KB fragments (150 KB) closes the connection with 1009."""
    fragments = iter(["x" * (30 * KB)] * 5)
    assert close_code_after_sending(api.url, fragments) == 1009


def test_frame_over_32_kb_closes_with_1009(api: Deployed) -> None:
    """A single 40 KB frame closes the connection with 1009."""
    assert close_code_after_sending(api.url, "x" * (40 * KB)) == 1009


def test_fragmented_message_under_128_kb_passes(api: Deployed) -> None:
    """A 100 KB message in four 25 KB fragments reaches the integration whole."""

    async def scenario() -> str:
        async with websockets.connect(api.url) as ws:
            await ws.send(iter(["y" * (25 * KB)] * 4))
            return await recv_text(ws)

    assert run(scenario()) == str(100 * KB)


def test_invalid_utf8_in_a_text_frame_closes_with_1007(api: Deployed) -> None:
    """A text frame that is not UTF-8 closes the connection with 1007, as RFC 6455 says."""

    async def scenario() -> int | None:
        async with websockets.connect(api.url) as ws:
            await ws.send(b"caf\xe9 \xff", text=True)
            with contextlib.suppress(ConnectionClosed):
                await recv_text(ws)
            await ws.wait_closed()
            return ws.close_code

    assert run(scenario()) == 1007


def test_binary_frame_closes_with_1003(api: Deployed) -> None:
    """A binary frame closes the connection with 1003 (unsupported data)."""
    assert close_code_after_sending(api.url, b"\x00\x01") == 1003
