"""The connection registry and the @connections management API.

Each open WebSocket is a `Connection`. The registry finds it by id for
`POST/GET/DELETE /{apiId}/{stage}/@connections/{connectionId}`, the API that Lambda code
calls through boto3's `apigatewaymanagementapi` client. Replies carry `x-amzn-ErrorType`, so
boto3 raises its modeled exceptions (GoneException, ForbiddenException, PayloadTooLargeException).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from ..vocabulary import (
    JSON_HEADERS,
    ForbiddenException,
    GoneException,
    HttpReply,
    MethodNotAllowed,
    MissingAuthenticationToken,
    PayloadTooLargeException,
)
from .events import ConnectionInfo

MAX_POST_BYTES = 128 * 1024


@dataclass
class Connection:
    """One client connection as the gateway tracks it."""

    info: ConnectionInfo
    send_text: Callable[[str], Awaitable[None]]
    close: Callable[[int, str], Awaitable[None]]
    connecting: bool = True  # posts during $connect get 410, as on AWS
    last_active_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    @property
    def connection_id(self) -> str:
        return self.info.connection_id

    def touch(self) -> None:
        self.last_active_ms = int(time.time() * 1000)


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ConnectionRegistry:
    """Open connections by id; the gateway adds and removes, @connections looks up."""

    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}
        # The event loop keeps only weak references to tasks: hold the closing ones until done.
        self._closing: set[asyncio.Task[None]] = set()

    def add(self, connection: Connection) -> None:
        self._connections[connection.connection_id] = connection

    def remove(self, connection_id: str) -> None:
        self._connections.pop(connection_id, None)

    def get(self, connection_id: str) -> Connection | None:
        return self._connections.get(connection_id)

    def all(self) -> list[Connection]:
        """Every open connection (a list of its own: closing one removes it here)."""
        return list(self._connections.values())

    def of_stage(self, api_id: str, stage: str) -> list[Connection]:
        return [
            c
            for c in self._connections.values()
            if c.info.api_id == api_id and c.info.stage == stage
        ]

    def __len__(self) -> int:
        return len(self._connections)

    # ------------------------------------------------------------ @connections API

    async def handle(
        self,
        method: str,
        api_id: str,
        stage: str,
        raw_connection_id: str,
        headers: dict[str, str],
        body: bytes,
    ) -> HttpReply:
        """Serve one @connections request (headers with lower-case names)."""
        if not headers.get("authorization", "").startswith("AWS4-HMAC-SHA256"):
            # API Gateway refuses unsigned management calls before looking at anything else.
            return MissingAuthenticationToken().reply()
        connection_id = unquote(raw_connection_id)
        connection = self._connections.get(connection_id)
        if connection is None:
            return GoneException().reply()
        if (connection.info.api_id, connection.info.stage) != (api_id, stage):
            return ForbiddenException("Forbidden").reply()
        if method == "POST":
            return await self.post_to_connection(connection, body)
        if method == "GET":
            return self.get_connection(connection)
        if method == "DELETE":
            return await self.delete_connection(connection)
        return MethodNotAllowed(f"Method {method} not allowed").reply()

    async def post_to_connection(self, connection: Connection, data: bytes) -> HttpReply:
        if len(data) > MAX_POST_BYTES:
            message = f"Message too long. Max message size is {MAX_POST_BYTES} bytes"
            return PayloadTooLargeException(message).reply()
        if connection.connecting:
            return GoneException().reply()
        try:
            await connection.send_text(data.decode("utf-8", errors="replace"))
        except (ConnectionError, RuntimeError):
            return GoneException().reply()
        connection.touch()
        return HttpReply(200, JSON_HEADERS, b"")

    def get_connection(self, connection: Connection) -> HttpReply:
        info = connection.info
        body: dict[str, Any] = {
            "connectedAt": _iso(info.connected_at_ms),
            "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent or ""},
            "lastActiveAt": _iso(connection.last_active_ms),
        }
        return HttpReply(200, JSON_HEADERS, json.dumps(body).encode())

    async def delete_connection(self, connection: Connection) -> HttpReply:
        if connection.connecting:
            return GoneException().reply()
        # Closing fires $disconnect from the gateway's connection task.
        task = asyncio.ensure_future(connection.close(1000, "Connection deleted"))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        return HttpReply(204, [], b"")
