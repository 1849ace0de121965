"""Accept TCP connections on the cloud's one port and hand each to what speaks its protocol.

The request head decides: a WebSocket upgrade goes to the gateway (or to the trace feed at
`/_workshop/trace`), anything else to HTTP/1.1. A client that never finishes its head, sends
garbage or vanishes is dropped without disturbing anyone else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from .http import Handler, serve_http
from .trace_feed import is_trace_request

log = logging.getLogger(__name__)

HEAD_LIMIT = 64 * 1024
HEAD_TIMEOUT = 30.0

StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes], Awaitable[None]]


def is_websocket_upgrade(head: bytes) -> bool:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"upgrade" and b"websocket" in value.lower():
            return True
    return False


class Edge:
    """The listening socket and the first few bytes of every connection.

    `listen()` binds the port; `serve()` starts accepting, with what answers each kind of
    connection. The local cloud listens first (its port goes in the Lambda workers' environment)
    and serves once the pieces that answer, made after the workers' runtime, are wired.
    """

    def __init__(self) -> None:
        self.server: asyncio.AbstractServer | None = None
        self.http: Handler  # HTTP/1.1 requests
        self.websocket: StreamHandler  # WebSocket upgrades: the gateway
        self.trace: StreamHandler  # WebSocket upgrades to the trace feed

    async def listen(self, host: str, port: int) -> int:
        """Bind the port, accepting no one yet; returns it (useful with port 0)."""
        self.server = await asyncio.start_server(
            self.on_client, host, port, limit=HEAD_LIMIT, start_serving=False
        )
        return int(self.server.sockets[0].getsockname()[1])

    async def serve(self, http: Handler, websocket: StreamHandler, trace: StreamHandler) -> None:
        """Start accepting connections (after `listen()`), handing each to what answers it."""
        if self.server is None:
            raise RuntimeError("the edge serves on the port it listens on: listen() first")
        self.http, self.websocket, self.trace = http, websocket, trace
        await self.server.start_serving()

    async def start(
        self, host: str, port: int, http: Handler, websocket: StreamHandler, trace: StreamHandler
    ) -> int:
        """`listen()`, then `serve()`; returns the port."""
        port = await self.listen(host, port)
        await self.serve(http, websocket, trace)
        return port

    def close(self) -> None:
        if self.server is not None:
            self.server.close()

    async def on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        except asyncio.LimitOverrunError:
            writer.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            writer.close()
            return
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            writer.close()  # a client that never finishes its request head is dropped
            return
        except asyncio.CancelledError:  # the cloud is stopping
            writer.close()
            return
        try:
            if not is_websocket_upgrade(head):
                await serve_http(reader, writer, head, self.http)
            elif is_trace_request(head):
                await self.trace(reader, writer, head)
            else:
                await self.websocket(reader, writer, head)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the cloud is stopping
        except Exception:  # one bad client never takes the edge down
            log.exception("edge connection failed")
        finally:
            writer.close()
