"""A bare edge on 127.0.0.1 for the edge's own tests: real sockets, and handlers the test gives
in place of the router, the gateway and the trace feed."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from infra.local.edge.http import Handler
from infra.local.edge.server import Edge
from infra.local.vocabulary import HttpReply, HttpRequest

TIMEOUT = 5.0
StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes], Awaitable[None]]


async def echo(request: HttpRequest) -> HttpReply:
    """Answers 200 with what arrived, as JSON."""
    seen = {
        "method": request.method,
        "target": request.target,
        "path": request.path,
        "query": request.query,
        "headers": request.headers,
        "body": request.body.decode("latin-1"),
        "peer": request.peer,
    }
    return HttpReply(200, [("Content-Type", "application/json")], json.dumps(seen).encode())


@dataclass
class Handed:
    """The request heads the edge handed to the WebSocket and trace handlers."""

    websocket: list[bytes] = field(default_factory=list)
    trace: list[bytes] = field(default_factory=list)

    async def on_websocket(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        self.websocket.append(head)

    async def on_trace(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        self.trace.append(head)


@contextlib.asynccontextmanager
async def running_edge(
    http: Handler = echo,
    handed: Handed | None = None,
    trace: StreamHandler | None = None,
) -> AsyncIterator[int]:
    """An edge listening on 127.0.0.1; yields its port."""
    handed = handed or Handed()
    edge = Edge()
    port = await edge.start("127.0.0.1", 0, http, handed.on_websocket, trace or handed.on_trace)
    try:
        yield port
    finally:
        edge.close()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


async def read_reply(reader: asyncio.StreamReader) -> Reply:
    """One HTTP/1.1 reply: its status line, headers, and a body of its Content-Length."""
    async with asyncio.timeout(TIMEOUT):
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
    return Reply(int(status_line.split()[1]), headers, body)


async def read_to_end(reader: asyncio.StreamReader) -> bytes:
    """Everything until the other side closes."""
    async with asyncio.timeout(TIMEOUT):
        return await reader.read()
