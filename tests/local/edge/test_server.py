"""The edge's one port (`edge/server.py`): each connection goes to what speaks its protocol, on a
bare edge; and bad input never crashes the local cloud: after each abuse it still serves boto3
and WebSockets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import websockets

from infra.local.cloud import LocalCloud
from infra.local.edge import server
from infra.local.vocabulary import HttpReply, HttpRequest
from tests.local.gateway.helpers import ECHO, RECORD, Deployed, GatewayLab, recv_text, run

from .helpers import Handed, echo, read_reply, read_to_end, running_edge

HANDSHAKE_WITHOUT_KEY = (
    b"GET /{api}/dev HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@pytest.fixture(scope="module")
def api(lab: GatewayLab) -> Deployed:
    return lab.deploy({"echo": ECHO, "$disconnect": RECORD}, two_way=("echo",))


@pytest.fixture
def still_serving(cloud: LocalCloud, aws: Any, api: Deployed) -> Iterator[None]:
    """After the test, boto3 and a WebSocket round trip both still work."""
    yield
    assert aws("apigatewayv2").get_api(ApiId=api.api_id)["ApiId"] == api.api_id

    async def round_trip() -> str:
        async with websockets.connect(api.url) as ws:
            await ws.send('{"action": "echo"}')
            return await recv_text(ws)

    assert '"route": "echo"' in run(round_trip())


def raw_exchange(cloud: LocalCloud, data: bytes, *, shutdown: bool = True) -> bytes:
    """Send raw bytes on a fresh TCP connection; everything the cloud answers until it closes."""
    with socket.create_connection(("127.0.0.1", cloud.port), timeout=10) as sock:
        sock.sendall(data)
        if shutdown:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


@pytest.mark.usefixtures("still_serving")
def test_garbage_bytes(cloud: LocalCloud) -> None:
    """Random bytes that end like a request head get a 400 or a closed socket."""
    answer = raw_exchange(cloud, b"\x00\xff\xfe garbage \x01\x02\r\n\r\n")
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")


@pytest.mark.usefixtures("still_serving")
def test_garbage_without_end_of_head(cloud: LocalCloud) -> None:
    """Bytes that never finish a request head are dropped when the client goes away."""
    assert raw_exchange(cloud, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") == b""


@pytest.mark.usefixtures("still_serving")
def test_oversized_head(cloud: LocalCloud) -> None:
    """A request head over 64 KB closes the connection."""
    head = b"GET / HTTP/1.1\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n"
    assert not raw_exchange(cloud, head).startswith(b"HTTP/1.1 2")


@pytest.mark.usefixtures("still_serving")
def test_bad_http_framing(cloud: LocalCloud) -> None:
    """An HTTP request with an invalid Content-Length gets 400."""
    answer = raw_exchange(cloud, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")


@pytest.mark.usefixtures("still_serving")
def test_malformed_upgrade_request(cloud: LocalCloud, api: Deployed) -> None:
    """An upgrade request without Sec-WebSocket-Key gets 400."""
    answer = raw_exchange(cloud, HANDSHAKE_WITHOUT_KEY.replace(b"{api}", api.api_id.encode()))
    assert answer.startswith(b"HTTP/1.1 400")


@pytest.mark.usefixtures("still_serving")
def test_upgrade_to_unknown_api_is_forbidden(cloud: LocalCloud, api: Deployed) -> None:
    """Upgrades to an unknown API, an unknown stage or a bare path get 403."""
    base = cloud.url.replace("http", "ws", 1)

    async def status(url: str) -> int:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url)
        return refused.value.response.status_code

    async def scenario() -> list[int]:
        return [
            await status(f"{base}/nosuchapi/dev"),
            await status(f"{api.endpoint}/nosuchstage"),
            await status(f"{base}/"),
        ]

    assert run(scenario()) == [403, 403, 403]


@pytest.mark.usefixtures("still_serving")
def test_half_open_request_does_not_block_others(cloud: LocalCloud) -> None:
    """A client that sends half a request head and stalls does not hold up anyone else."""
    with socket.create_connection(("127.0.0.1", cloud.port), timeout=10) as stalled:
        stalled.sendall(b"GET /_workshop/health HTTP/1.1\r\nHost: x\r\n")
        # still_serving runs its round trips after this; do one now, while the socket is open.
        assert raw_exchange(cloud, b"GET /_workshop/health HTTP/1.1\r\nHost: x\r\n\r\n").startswith(
            b"HTTP/1.1 200"
        )


@pytest.mark.usefixtures("still_serving")
def test_websocket_dropped_without_close_fires_disconnect(lab: GatewayLab, api: Deployed) -> None:
    """A WebSocket whose TCP connection vanishes without a close frame gets $disconnect 1006."""

    async def scenario() -> dict[str, Any]:
        async with lab.observer() as observer:
            ws = await websockets.connect(api.url)
            await ws.send('{"action": "echo"}')
            await recv_text(ws)
            ws.transport.abort()
            return await observer.event("$disconnect")

    event = run(scenario())
    assert event["requestContext"]["disconnectStatusCode"] == 1006


@pytest.mark.usefixtures("still_serving")
def test_many_abandoned_handshakes(cloud: LocalCloud, api: Deployed) -> None:
    """Clients that open a WebSocket and vanish mid-handshake leave the cloud serving."""

    async def abandon() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", cloud.port)
        writer.write(f"GET /{api.api_id}/dev HTTP/1.1\r\nUpgrade: websocket\r\n".encode())
        await writer.drain()
        writer.close()

    async def scenario() -> None:
        await asyncio.gather(*(abandon() for _ in range(20)))

    run(scenario())


# ---------------------------------------------------------------- a bare edge, no cloud

UPGRADE = (
    "GET {path} HTTP/1.1\r\nHost: h\r\nUpgrade: {upgrade}\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def handed_over(data: bytes) -> Handed:
    """Send `data` to a bare edge; which handler got which request head."""
    handed = Handed()

    async def scenario() -> None:
        async with running_edge(handed=handed) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(data)
            await read_to_end(reader)  # the edge closes once the handler returns
            writer.close()

    asyncio.run(scenario())
    return handed


def test_an_upgrade_is_told_by_its_upgrade_header() -> None:
    """`Upgrade: websocket`, in any case, is a WebSocket upgrade; another protocol is not."""
    assert server.is_websocket_upgrade(UPGRADE.format(path="/", upgrade="WebSocket").encode())
    assert not server.is_websocket_upgrade(UPGRADE.format(path="/", upgrade="h2c").encode())
    assert not server.is_websocket_upgrade(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")


def test_a_websocket_upgrade_goes_to_the_gateway_with_its_head() -> None:
    """An upgrade to an API's path is handed over whole to the WebSocket handler."""
    head = UPGRADE.format(path="/api123/dev", upgrade="websocket").encode()
    handed = handed_over(head)
    assert handed.websocket == [head]
    assert handed.trace == []


def test_an_upgrade_to_the_trace_path_goes_to_the_trace_feed() -> None:
    """An upgrade to /_workshop/trace (with a query or not) goes to the trace handler."""
    head = UPGRADE.format(path="/_workshop/trace?apiId=a1", upgrade="websocket").encode()
    handed = handed_over(head)
    assert handed.trace == [head]
    assert handed.websocket == []


def test_a_head_over_64_kb_gets_431() -> None:
    """A request head longer than the edge reads gets 431 and the connection is closed."""

    async def scenario() -> bytes:
        async with running_edge() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * (server.HEAD_LIMIT + 1))
            answer = await read_to_end(reader)
            writer.close()
            return answer

    assert asyncio.run(scenario()).startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")


def test_a_head_never_finished_is_dropped_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client that stops mid-head is closed, unanswered, once HEAD_TIMEOUT has passed."""
    monkeypatch.setattr(server, "HEAD_TIMEOUT", 0.2)

    async def scenario() -> bytes:
        async with running_edge() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: h\r\n")  # and never the empty line
            answer = await read_to_end(reader)
            writer.close()
            return answer

    assert asyncio.run(scenario()) == b""


def test_a_handler_that_fails_drops_only_its_own_connection() -> None:
    """A handler raising closes that connection; the next client is served as usual."""

    async def fragile(request: HttpRequest) -> HttpReply:
        if request.path == "/boom":
            raise RuntimeError("a bug in a handler")
        return await echo(request)

    async def scenario() -> tuple[bytes, int]:
        async with running_edge(fragile) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /boom HTTP/1.1\r\n\r\n")
            dropped = await read_to_end(reader)
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /fine HTTP/1.1\r\n\r\n")
            reply = await read_reply(reader)
            writer.close()
            return dropped, reply.status

    assert asyncio.run(scenario()) == (b"", 200)


def test_the_edge_serves_its_port_only_once_serve_hands_it_the_handlers() -> None:
    """listen() binds the port but refuses connections; serve() starts answering on it."""

    async def scenario() -> tuple[bool, int]:
        edge, handed = server.Edge(), Handed()
        port = await edge.listen("127.0.0.1", 0)
        try:
            try:
                _, early = await asyncio.open_connection("127.0.0.1", port)
                early.close()
                refused = False
            except ConnectionRefusedError:
                refused = True
            await edge.serve(echo, handed.on_websocket, handed.on_trace)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /wired HTTP/1.1\r\n\r\n")
            reply = await read_reply(reader)
            writer.close()
            return refused, reply.status
        finally:
            edge.close()

    assert asyncio.run(scenario()) == (True, 200)
