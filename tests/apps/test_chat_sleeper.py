"""A client that stops reading (a closed laptop lid) never stalls the chat for anyone else."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from websockets.asyncio.client import ClientConnection, connect

from infra.deploy import deploy_app, teardown
from infra.deploy.aws import client
from infra.local.cloud import LocalCloud
from infra.local.gateway.server import OUTBOX_FULL
from tests.apps.helpers import TraceFeed

AWAKE = ["ada", "bob", "cyd", "dan", "eve", "fay"]
SENDERS = AWAKE[:3]
MESSAGES_EACH = (
    70  # 210 messages of 30 KB: 6.3 MB for the sleeper, past the socket buffers and its outbox
)
TEXT_BYTES = 30 * 1024


@pytest.fixture(scope="module")
def chat_url(cloud: LocalCloud) -> Iterator[str]:
    yield deploy_app("chat")
    teardown("chat")


def sleeper(url: str) -> socket.socket:
    """A client that completes the handshake with a 4 KB receive buffer, then never reads."""
    parts = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {parts.path}?name=zzz HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)  # byte by byte: not one byte of a frame is read
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def names_in_table() -> list[str]:
    items = client("dynamodb").scan(TableName="chat-connections")["Items"]
    return sorted(item.get("name", {}).get("S", "") for item in items)


async def collect(connection: ClientConnection, wanted: int, into: list[str]) -> None:
    while len(into) < wanted:
        frame = json.loads(await connection.recv())
        if frame.get("type") == "message":
            into.append(frame["text"][:20])


def test_a_sleeping_client_never_stalls_the_broadcast(cloud: LocalCloud, chat_url: str) -> None:
    """With one client asleep, every awake person gets every message, no function times out,
    and the sleeper is closed (1008) and pruned once its outbound buffer is full."""
    started = time.time()
    lid_closed = sleeper(chat_url)

    async def room() -> dict[str, list[str]]:
        received: dict[str, list[str]] = {name: [] for name in AWAKE}
        async with TraceFeed(cloud) as trace:
            clients = [await connect(f"{chat_url}?name={name}", max_size=None) for name in AWAKE]
            try:
                expected = {n: MESSAGES_EACH * (len(SENDERS) - (n in SENDERS)) for n in AWAKE}
                readers = [
                    asyncio.create_task(collect(c, expected[n], received[n]))
                    for n, c in zip(AWAKE, clients, strict=True)
                ]
                for number in range(MESSAGES_EACH):
                    for name, connection in zip(SENDERS, clients[: len(SENDERS)], strict=True):
                        text = f"{name}-{number:03d} ".ljust(TEXT_BYTES, ".")
                        await connection.send(json.dumps({"action": "sendMessage", "data": text}))
                    await asyncio.sleep(0.05)
                await asyncio.wait_for(asyncio.gather(*readers), timeout=60)
                await trace.hop(
                    lambda hop: (
                        hop.get("hop") == "disconnect" and hop.get("code") == OUTBOX_FULL[0]
                    ),
                    timeout=20,
                )
            finally:
                for connection in clients:
                    await connection.close()
        return received

    try:
        received = asyncio.run(room())
    finally:
        lid_closed.close()
    for name in AWAKE:
        others = [s for s in SENDERS if s != name]
        wanted = sorted(
            f"{s}-{n:03d} "[:20].ljust(20, ".") for s in others for n in range(MESSAGES_EACH)
        )
        assert sorted(received[name]) == wanted, name
    logs = client("logs").filter_log_events(
        logGroupName="/aws/lambda/chat-sendMessage", startTime=int(started * 1000)
    )
    assert not [e for e in logs["events"] if "Task timed out" in e["message"]]
    deadline = time.time() + 10
    while "zzz" in names_in_table() and time.time() < deadline:
        time.sleep(0.2)
    assert "zzz" not in names_in_table()  # its $disconnect ran and removed its row
