"""The trace feed (`edge/trace_feed.py`): `ws://HOST:PORT/_workshop/trace[?apiId=...]` streams the
TraceHub's hops, one JSON text frame each, from a bare edge."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from infra.local.edge.trace_feed import TRACE_PATH, is_trace_request, serve_trace
from infra.local.trace import TraceHub

from .helpers import TIMEOUT, running_edge


@asynccontextmanager
async def feed(hub: TraceHub, query: str = "") -> AsyncIterator[ClientConnection]:
    """A subscriber of `hub`'s hops, through an edge on this loop."""
    hub.bind(asyncio.get_running_loop())

    async def trace(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        await serve_trace(hub, reader, writer, head)

    async with (
        running_edge(trace=trace) as port,
        connect(f"ws://127.0.0.1:{port}{TRACE_PATH}{query}", close_timeout=2) as ws,
    ):
        yield ws


async def hops(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(TIMEOUT):
        return [json.loads(await ws.recv()) for _ in range(count)]


def test_only_the_trace_path_is_the_trace_feed() -> None:
    """/_workshop/trace, with a query or not, is the feed; an API's path is not."""
    assert is_trace_request(b"GET /_workshop/trace HTTP/1.1\r\n\r\n")
    assert is_trace_request(b"GET /_workshop/trace?apiId=a1 HTTP/1.1\r\n\r\n")
    assert not is_trace_request(b"GET /a1/dev HTTP/1.1\r\n\r\n")


def test_a_subscriber_gets_the_recent_hops_then_each_new_one() -> None:
    """Hops published before it came arrive first, then later ones as they are published."""
    hub = TraceHub()

    async def scenario() -> list[dict[str, Any]]:
        hub.bind(asyncio.get_running_loop())
        hub.publish("frame_in", apiId="a1", n=1)
        async with feed(hub) as ws:
            first = await hops(ws, 1)
            hub.publish("route", apiId="a1", n=2)
            return first + await hops(ws, 1)

    received = asyncio.run(scenario())
    assert [(hop["hop"], hop["n"]) for hop in received] == [("frame_in", 1), ("route", 2)]
    assert all(isinstance(hop["at"], int) for hop in received)


def test_an_api_filter_leaves_out_other_apis_hops() -> None:
    """With ?apiId=a1 the hops of other APIs are skipped; a1's and those of no API come."""
    hub = TraceHub()

    async def scenario() -> list[dict[str, Any]]:
        async with feed(hub, "?apiId=a1") as ws:
            hub.publish("route", apiId="other", n=1)
            hub.publish("route", apiId="a1", n=2)
            hub.publish("lambda", n=3)
            return await hops(ws, 2)

    assert [hop["n"] for hop in asyncio.run(scenario())] == [2, 3]


def test_the_feed_answers_pings_and_the_closing_handshake() -> None:
    """A ping gets its pong, and a close by the subscriber is answered with a clean close."""
    hub = TraceHub()

    async def scenario() -> int | None:
        async with feed(hub) as ws:
            async with asyncio.timeout(TIMEOUT):
                await (await ws.ping())
            await ws.close()
            return ws.close_code  # 1006 had the feed not answered the close

    assert asyncio.run(scenario()) == 1000
