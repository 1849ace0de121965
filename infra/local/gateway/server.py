"""Serving WebSocket connections the way API Gateway does.

The edge hands over a TCP stream whose request head asks for a WebSocket upgrade. From there:
authorizer -> `$connect` -> handshake -> frames -> route selection -> integration -> replies,
with API Gateway's limits (128 KB messages, 32 KB frames, text only), idle and age timeouts,
error frames and `$disconnect`. The WebSocket protocol itself is websockets' sans-I/O
`ServerProtocol`; this module only does the I/O and the API Gateway semantics.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fnmatch
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol

from ..runtime import InvokeResult
from ..trace import TraceHub
from .config import ApiSnapshot, RouteSnapshot
from .connections import Connection, ConnectionRegistry
from .events import (
    ConnectionInfo,
    authorizer_context,
    authorizer_event,
    connect_event,
    disconnect_event,
    message_event,
    new_connection_id,
)
from .selection import select_route

log = logging.getLogger(__name__)

READ_CHUNK = 65536
CLOSE_TIMEOUT = 5.0
# The close code and $disconnect reason of a client whose outbound buffer overflowed (it stopped
# reading): 1008, policy violation, as API Gateway uses it for its other quotas.
OUTBOX_FULL = (1008, "Client not reading: outbound buffer full")


@dataclass
class GatewayLimits:
    """API Gateway's WebSocket quotas; the timeouts are configurable so tests can be quick.

    The rest shape how frames are scheduled. A connection's frames start in the order they
    came. A frame may run beside an earlier one of its connection (as on AWS) once that one has
    run for `overtake_after` seconds: a slow handler does not hold its connection up, while a
    burst of quick frames keeps its order even when a loaded laptop stalls one of them for tens
    of milliseconds (or a person's pointer would jump back). Once `busy_at` message
    integrations run in all, each connection gets one at a time: everyone keeps their turn and
    nobody's moves overtake each other. Frames wait in memory, so connections keep answering
    pings while the cloud catches up; only a connection with more than
    `max_queued_per_connection` frames waiting (minutes of a fast sender) is not read until it
    catches up, so TCP slows it down instead of the cloud dropping anything.

    What goes out to a client never waits for it to read: a @connections POST answers at once.
    A client that stops reading (a closed laptop lid) has at most `max_outbox_bytes` or
    `max_outbox_frames` waiting for it beyond what the OS's socket buffers hold; past that the
    gateway closes it (`OUTBOX_FULL`), its $disconnect runs, and later POSTs get 410. AWS does
    not document this limit: docs/local-cloud.md says what the kit chose.
    """

    max_message_bytes: int = 128 * 1024
    max_frame_bytes: int = 32 * 1024
    idle_timeout: float = 600.0
    max_connection_age: float = 7200.0
    overtake_after: float = 0.25
    busy_at: int = 4
    max_concurrent_per_connection: int = 10
    max_queued_per_connection: int = 10_000
    max_outbox_bytes: int = 1 << 20
    max_outbox_frames: int = 10_000


class IntegrationError(Exception):
    """The integration could not be called (no permission, unknown function, bad type)."""


class GatewayCloud(Protocol):
    """What the gateway needs from the local cloud."""

    account_id: str
    region: str

    async def stage_config(self, api_id: str, stage: str) -> ApiSnapshot | None: ...

    async def invoke_integration(
        self, snapshot: ApiSnapshot, stage: str, route_key: str, uri: str, event: dict[str, Any]
    ) -> InvokeResult: ...


def error_frame(message: str, connection_id: str, request_id: str) -> str:
    """API Gateway's error frame, spaced byte-for-byte as AWS sends it."""
    return (
        f'{{"message": "{message}", "connectionId":"{connection_id}", "requestId":"{request_id}"}}'
    )


def parse_stage_path(path: str) -> tuple[str, str, list[tuple[str, str]]] | None:
    """`/{apiId}/{stage}?a=b` -> (apiId, stage, query pairs)."""
    parts = urlsplit(path)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2:
        return None
    return segments[0], segments[1], parse_qsl(parts.query, keep_blank_values=True)


def identity_value(source: str, info: ConnectionInfo) -> str | None:
    """Evaluate one identity source such as `route.request.header.Auth`."""
    prefix_header, prefix_query = "route.request.header.", "route.request.querystring."
    if source.startswith(prefix_header):
        name = source[len(prefix_header) :].lower()
        return next((v for k, v in info.headers if k.lower() == name and v), None)
    if source.startswith(prefix_query):
        name = source[len(prefix_query) :]
        return next((v for k, v in info.query if k == name and v), None)
    return None


def policy_allows(policy: dict[str, Any], method_arn: str) -> bool:
    """True when an Allow statement covers the method ARN and no Deny does."""
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        resources = statement.get("Resource", [])
        if isinstance(resources, str):
            resources = [resources]
        if any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
            if statement.get("Effect") == "Deny":
                return False
            if statement.get("Effect") == "Allow":
                allowed = True
    return allowed


SERVER_CLOSE_REASONS = {
    1000: "Connection Closed Normally",  # DeleteConnection, as API Gateway logs it
    1001: "Going away",
    1003: "Unsupported data",
    1007: "Invalid frame payload data",
    OUTBOX_FULL[0]: OUTBOX_FULL[1],
    1009: "Message too big",
}


def disconnect_reason(code: int, by_client: bool) -> str:
    """The $disconnect event's disconnectReason for a close code."""
    if code == 1006:
        return "Connection closed abnormally"
    if by_client:
        return f"Client-side close frame status set to '{code}'"
    return SERVER_CLOSE_REASONS.get(code, "Connection closed by server")


class ClientSession:
    """One accepted WebSocket: its protocol state, its socket and its bookkeeping."""

    def __init__(
        self,
        protocol: ServerProtocol,
        writer: asyncio.StreamWriter,
        info: ConnectionInfo,
        limits: GatewayLimits | None = None,
    ) -> None:
        self.protocol = protocol
        self.writer = writer
        self.info = info
        self.limits = limits or GatewayLimits()
        self.unsent_frames = 0  # frames written since the outbound buffer was last empty
        self.overflowed = False
        # Frames waiting their turn, and message integrations running: $disconnect waits for
        # both, so a close never overtakes a message sent before it.
        self.waiting: collections.deque[tuple[str, int]] = collections.deque()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.last_started = 0.0  # when the newest running frame started (monotonic)
        self.retry: asyncio.TimerHandle | None = None
        self.caught_up = asyncio.Event()
        self.caught_up.set()
        self.settled = asyncio.Event()
        self.settled.set()

    def outbox_bytes(self) -> int:
        """Bytes written for this client that its socket has not taken yet."""
        transport = self.writer.transport
        return 0 if transport.is_closing() else transport.get_write_buffer_size()

    async def flush(self) -> None:
        """Hand what the protocol has to send to the socket, never waiting for the client:
        a client that stopped reading is closed once its outbound buffer is full."""
        if self.writer.transport.is_closing():
            return
        if self.outbox_bytes() == 0:
            self.unsent_frames = 0
        for chunk in self.protocol.data_to_send():
            if chunk:
                self.writer.write(chunk)
                self.unsent_frames += 1
        limits = self.limits
        if (
            self.outbox_bytes() > limits.max_outbox_bytes
            or self.unsent_frames > limits.max_outbox_frames
        ):
            self.overflow()

    def overflow(self) -> None:
        """Close a client that does not read: no close frame can reach it, so the socket goes."""
        self.overflowed = True
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(*OUTBOX_FULL)
            self.protocol.data_to_send()  # nothing more is written for it
        self.writer.transport.abort()  # the read loop sees the end and runs $disconnect

    async def send_text(self, text: str) -> None:
        if self.protocol.state is not State.OPEN or self.overflowed:
            raise ConnectionError("connection is closed")
        self.protocol.send_text(text.encode("utf-8"))
        await self.flush()
        if self.overflowed:
            raise ConnectionError("the client stopped reading: closed")

    async def close(self, code: int, reason: str) -> None:
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(code, reason)
            await self.flush()

    def end(self) -> None:
        """Close the socket: politely when all was sent, at once when the client is not reading
        (closing a transport with data still buffered would keep the socket until it drains)."""
        if self.outbox_bytes():
            self.writer.transport.abort()
        else:
            self.writer.close()


class Gateway:
    """API Gateway's WebSocket data plane for every WEBSOCKET API stage of the local cloud."""

    def __init__(
        self,
        cloud: GatewayCloud,
        registry: ConnectionRegistry,
        trace: TraceHub,
        limits: GatewayLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cloud = cloud
        self.registry = registry
        self.trace = trace
        self.limits = limits or GatewayLimits()
        self.clock = clock
        self.running = 0  # message integrations in flight, over every connection
        self.serving: set[asyncio.Task[Any]] = set()  # connections being served, $disconnect too
        self.closing = False  # the cloud is stopping: no new connections

    async def drain(self, timeout: float) -> None:
        """Wait (at most `timeout`) until every connection has been served to the end, its
        $disconnect included: the cloud stops its Lambda runtime only after that."""
        if self.serving:
            await asyncio.wait(set(self.serving), timeout=timeout)

    # ------------------------------------------------------------ connecting

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        """Serve one upgrade request to the end of its connection."""
        task = asyncio.current_task()
        if task is not None:
            self.serving.add(task)
            task.add_done_callback(self.serving.discard)
        protocol = ServerProtocol(
            max_size=(self.limits.max_message_bytes, self.limits.max_frame_bytes)
        )
        protocol.receive_data(head)
        events = protocol.events_received()
        if not events or not isinstance(events[0], Request):
            await self._send_response(writer, protocol, protocol.reject(400, "Bad Request\n"))
            return
        request: Request = events[0]
        if self.closing:
            await self._send_response(writer, protocol, self._reject(protocol, 503))
            return
        response = protocol.accept(request)
        if response.status_code != 101:
            await self._send_response(writer, protocol, response)
            return
        target = parse_stage_path(request.path)
        snapshot = await self.cloud.stage_config(target[0], target[1]) if target else None
        if target is None or snapshot is None:
            await self._send_response(writer, protocol, self._reject(protocol, 403, "Forbidden"))
            return
        api_id, stage, query = target
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        info = ConnectionInfo(
            connection_id=new_connection_id(),
            api_id=api_id,
            stage=stage,
            region=self.cloud.region,
            account_id=self.cloud.account_id,
            source_ip=str(peer[0]),
            user_agent=request.headers.get("User-Agent"),
            connected_at_ms=int(self.clock() * 1000),
            headers=list(request.headers.raw_items()),
            query=query,
            authorizer=None,
        )
        session = ClientSession(protocol, writer, info, self.limits)
        connection = Connection(info=info, send_text=session.send_text, close=session.close)
        self.registry.add(connection)
        try:
            status, subprotocol = await self._connect(snapshot, info)
        except Exception:  # never let a bug in one handshake take the edge down
            log.exception("$connect failed")
            status, subprotocol = 500, None
        if not 200 <= status < 300:
            self.registry.remove(info.connection_id)
            await self._send_response(writer, protocol, self._reject(protocol, status))
            self.trace.publish(
                "connect", apiId=api_id, stage=stage, connectionId=info.connection_id, status=status
            )
            return
        if subprotocol:
            response.headers["Sec-WebSocket-Protocol"] = subprotocol
        protocol.send_response(response)
        connection.connecting = False
        self.trace.publish(
            "connect", apiId=api_id, stage=stage, connectionId=info.connection_id, status=101
        )
        try:
            await session.flush()
            await self._serve(reader, session, connection)
        finally:
            self.registry.remove(info.connection_id)
            await self._disconnect(session)

    def _reject(self, protocol: ServerProtocol, status: int, text: str | None = None) -> Response:
        from http import HTTPStatus

        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        return protocol.reject(status, (text or phrase) + "\n")

    async def _send_response(
        self, writer: asyncio.StreamWriter, protocol: ServerProtocol, response: Response
    ) -> None:
        protocol.send_response(response)
        for chunk in protocol.data_to_send():
            if chunk:
                writer.write(chunk)
        try:
            await writer.drain()
        finally:
            writer.close()

    async def _connect(self, snapshot: ApiSnapshot, info: ConnectionInfo) -> tuple[int, str | None]:
        """Run the authorizer and the $connect route; returns (HTTP status, subprotocol)."""
        route = snapshot.routes.get("$connect")
        if route is None:
            return 200, None
        if route.authorization_type == "CUSTOM" and route.authorizer_id:
            status = await self._authorize(snapshot, route, info)
            if status != 200:
                return status, None
        uri = self._integration_uri(snapshot, route)
        if uri is None:
            return 200, None
        event = connect_event(info)
        result = await self._invoke(snapshot, info, "$connect", uri, event)
        if result is None:
            return 500, None  # a configuration error, e.g. no permission to invoke the function
        if not result.ok:
            return 502, None  # the function failed
        payload = _json_or_none(result.payload)
        if not isinstance(payload, dict):
            return 200, None
        status = payload.get("statusCode", 200)
        if not isinstance(status, int):
            return 502, None
        headers = {str(k).lower(): str(v) for k, v in (payload.get("headers") or {}).items()}
        return status, headers.get("sec-websocket-protocol")

    async def _authorize(
        self, snapshot: ApiSnapshot, route: RouteSnapshot, info: ConnectionInfo
    ) -> int:
        authorizer = snapshot.authorizers.get(route.authorizer_id or "")
        if authorizer is None:
            return 500
        for source in authorizer.get("identitySource") or []:
            if identity_value(source, info) is None:
                return 401  # API Gateway answers without calling the authorizer
        event = authorizer_event(info)
        self.trace.publish(
            "route",
            apiId=info.api_id,
            stage=info.stage,
            connectionId=info.connection_id,
            routeKey="$connect (authorizer)",
        )
        result = await self._invoke(snapshot, info, "$connect", authorizer["authorizerUri"], event)
        if result is None:
            return 500
        if not result.ok:
            error = _json_or_none(result.payload) or {}
            return 401 if error.get("errorMessage") == "Unauthorized" else 500
        answer = _json_or_none(result.payload)
        if not isinstance(answer, dict):
            return 500
        if not policy_allows(answer.get("policyDocument") or {}, event["methodArn"]):
            return 403
        info.authorizer = authorizer_context(
            str(answer.get("principalId")), answer.get("context"), round(result.duration_ms)
        )
        return 200

    # ------------------------------------------------------------ connected

    async def _serve(
        self, reader: asyncio.StreamReader, session: ClientSession, connection: Connection
    ) -> None:
        protocol = session.protocol
        connected_at = self.clock()
        last_active = connected_at
        fragments: list[bytes] = []
        while protocol.state is not State.CLOSED:
            if protocol.state is State.CLOSING:
                timeout = CLOSE_TIMEOUT  # waiting for the client's half of the close handshake
            else:
                deadline = min(
                    last_active + self.limits.idle_timeout,
                    connected_at + self.limits.max_connection_age,
                )
                timeout = max(0.0, deadline - self.clock())
            if not session.caught_up.is_set():  # too many frames waiting: let TCP push back
                await session.caught_up.wait()
            try:
                async with asyncio.timeout(timeout):  # no extra task per read, unlike wait_for
                    data = await reader.read(READ_CHUNK)
            except TimeoutError:
                if protocol.state is State.OPEN:  # idle too long, or too old
                    await session.close(1001, "Going away")
                    continue
                break
            if not data:
                protocol.receive_eof()
                break
            protocol.receive_data(data)
            for event in protocol.events_received():
                if isinstance(event, Frame):
                    last_active = self.clock()
                    connection.touch()
                    fragments = self._on_frame(session, event, fragments)
            await session.flush()
            if protocol.close_expected():
                break  # the close handshake is done: the server closes TCP
        session.end()

    def _on_frame(
        self, session: ClientSession, frame: Frame, fragments: list[bytes]
    ) -> list[bytes]:
        protocol = session.protocol
        if frame.opcode is Opcode.BINARY or (frame.opcode is Opcode.CONT and not fragments):
            protocol.fail(1003, "Binary frames are not supported")
            return []
        if frame.opcode is Opcode.TEXT:
            fragments = [frame.data]
        elif frame.opcode is Opcode.CONT:
            fragments.append(frame.data)
        else:
            return fragments
        if not frame.fin:
            return fragments
        try:
            body = b"".join(fragments).decode("utf-8")
        except UnicodeDecodeError:  # RFC 6455 8.1: fail the connection with 1007
            protocol.fail(1007, "Invalid UTF-8 in text frame")
            return []
        session.waiting.append((body, int(self.clock() * 1000)))
        session.settled.clear()
        self._dispatch(session)
        return []

    def _dispatch(self, session: ClientSession) -> None:
        """Start the connection's waiting frames that may run now (see GatewayLimits)."""
        limits = self.limits
        if session.retry is not None:
            session.retry.cancel()
            session.retry = None
        while session.waiting:
            running = len(session.in_flight)
            if running:
                if (
                    self.running >= limits.busy_at
                    or running >= limits.max_concurrent_per_connection
                ):
                    break  # a frame that finishes dispatches again
                wait = session.last_started + limits.overtake_after - time.monotonic()
                if wait > 0:
                    loop = asyncio.get_running_loop()
                    session.retry = loop.call_later(wait, self._dispatch, session)
                    break
            session.last_started = time.monotonic()
            body, received_ms = session.waiting.popleft()
            task = asyncio.ensure_future(self._on_message(session, body, received_ms))
            session.in_flight.add(task)
            self.running += 1
            task.add_done_callback(lambda done: self._finished(session, done))
        if len(session.waiting) > limits.max_queued_per_connection:
            session.caught_up.clear()
        elif len(session.waiting) <= limits.max_queued_per_connection // 2:
            session.caught_up.set()
        if not session.waiting and not session.in_flight:
            session.settled.set()

    def _finished(self, session: ClientSession, task: asyncio.Task[None]) -> None:
        session.in_flight.discard(task)
        self.running -= 1
        self._dispatch(session)

    async def _on_message(self, session: ClientSession, body: str, received_ms: int) -> None:
        info = session.info
        event_base = {"apiId": info.api_id, "stage": info.stage, "connectionId": info.connection_id}
        self.trace.publish("frame_in", **event_base, bytes=len(body.encode()), preview=body[:120])
        try:
            snapshot = await self.cloud.stage_config(info.api_id, info.stage)
            route_key = (
                select_route(snapshot.route_selection_expression, body, list(snapshot.routes))
                if snapshot
                else None
            )
            if snapshot is None or route_key is None:
                event = message_event(info, "$default", body, request_time_ms=received_ms)
                request_id = event["requestContext"]["requestId"]
                self.trace.publish("route", **event_base, routeKey=None, requestId=request_id)
                await self._reply(session, error_frame("Forbidden", info.connection_id, request_id))
                return
            event = message_event(info, route_key, body, request_time_ms=received_ms)
            request_id = event["requestContext"]["requestId"]
            self.trace.publish("route", **event_base, routeKey=route_key, requestId=request_id)
            route = snapshot.routes[route_key]
            uri = self._integration_uri(snapshot, route)
            if uri is None:
                return  # a MOCK integration with no template: nothing comes back
            result = await self._invoke(snapshot, info, route_key, uri, event, request_id)
            if result is None or not result.ok:
                await self._reply(
                    session, error_frame("Internal server error", info.connection_id, request_id)
                )
                return
            if (
                route.route_response_selection_expression == "$default"
                and "$default" in route.route_response_keys
            ):
                reply = _reply_body(result.payload)
                if reply is not None:
                    self.trace.publish(
                        "reply", **event_base, requestId=request_id, bytes=len(reply.encode())
                    )
                    await self._reply(session, reply)
        except Exception as error:  # a gateway bug must not kill the connection or the edge
            log.exception("message handling failed")
            self.trace.publish("error", **event_base, message=str(error))

    async def _reply(self, session: ClientSession, text: str) -> None:
        with contextlib.suppress(ConnectionError):
            await session.send_text(text)

    async def _disconnect(self, session: ClientSession) -> None:
        protocol, info = session.protocol, session.info
        by_client = protocol.close_rcvd is not None and bool(protocol.close_rcvd_then_sent)
        if by_client:
            code = protocol.close_rcvd.code  # type: ignore[union-attr]
        elif protocol.close_sent is not None:
            code = protocol.close_sent.code
        else:
            code = 1006
        reason = disconnect_reason(code, by_client)
        self.trace.publish(
            "disconnect",
            apiId=info.api_id,
            stage=info.stage,
            connectionId=info.connection_id,
            code=code,
        )
        session.caught_up.set()  # nothing more will be read: let the waiting frames run
        await session.settled.wait()  # a close never overtakes the messages sent before it
        snapshot = await self.cloud.stage_config(info.api_id, info.stage)
        route = snapshot.routes.get("$disconnect") if snapshot else None
        if snapshot is None or route is None:
            return
        uri = self._integration_uri(snapshot, route)
        if uri is not None:
            event = disconnect_event(info, code, reason)
            await self._invoke(snapshot, info, "$disconnect", uri, event)

    # ------------------------------------------------------------ integrations

    def _integration_uri(self, snapshot: ApiSnapshot, route: RouteSnapshot) -> str | None:
        integration = snapshot.integration_for(route)
        if integration is None or integration.get("integrationType") == "MOCK":
            return None
        return integration.get("integrationUri")

    async def _invoke(
        self,
        snapshot: ApiSnapshot,
        info: ConnectionInfo,
        route_key: str,
        uri: str,
        event: dict[str, Any],
        request_id: str | None = None,
    ) -> InvokeResult | None:
        base = {"apiId": info.api_id, "stage": info.stage, "connectionId": info.connection_id}
        function = uri.split("/functions/")[-1].split("/invocations")[0].split(":")[-1]
        try:
            result = await self.cloud.invoke_integration(
                snapshot, info.stage, route_key, uri, event
            )
        except IntegrationError as error:
            self.trace.publish("error", **base, requestId=request_id, message=str(error))
            return None
        except Exception as error:  # the cloud stopping, say: this connection's problem only
            log.warning("invoking %s for %s failed: %s", function, route_key, error)
            self.trace.publish("error", **base, requestId=request_id, message=str(error))
            return None
        error = None
        if not result.ok:
            error = (_json_or_none(result.payload) or {}).get("errorMessage", "error")
        self.trace.publish(
            "lambda",
            **base,
            requestId=request_id,
            function=function,
            durationMs=round(result.duration_ms, 1),
            error=error,
            source="gateway",
        )
        return result


def _json_or_none(payload: bytes) -> Any:
    try:
        return json.loads(payload or b"null")
    except ValueError:
        return None


def _reply_body(payload: bytes) -> str | None:
    """What a two-way route sends back: the proxy response's `body`, or the raw result."""
    result = _json_or_none(payload)
    if result is None:
        return None
    if isinstance(result, dict) and ("statusCode" in result or "body" in result):
        body = result.get("body")
        return None if body is None else str(body)
    return result if isinstance(result, str) else json.dumps(result)
