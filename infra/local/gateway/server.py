"""Serving WebSocket connections the way API Gateway does: the I/O front-end.

The edge hands over a TCP stream whose request head asks for a WebSocket upgrade. From there:
authorizer -> `$connect` -> handshake -> frames -> route selection -> integration -> replies,
with API Gateway's limits (128 KB messages, 32 KB frames, text only), idle and age timeouts,
error frames and `$disconnect`. As websockets keeps its protocol (`ServerProtocol`) sans-I/O,
the decisions live apart from the I/O: `handshake.py` opens and closes a connection (stage,
authorizer, $connect, the disconnect reason), `scheduler.py` decides when each frame runs,
`selection.py` picks its route and `replies.py` what goes back. This module reads the sockets
(`client.py` writes them), keeps the time-outs and calls the integrations it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.typing import BytesLike

from ..integration import function_name_in, integration_uri
from ..invoker import IntegrationError
from ..trace import TraceHub
from ..vocabulary import ApiSnapshot, InvokeResult
from . import handshake
from .client import ClientSession
from .connections import Connection, ConnectionRegistry
from .events import ConnectionInfo, disconnect_event, message_event
from .limits import OUTBOX_FULL, GatewayLimits
from .replies import error_frame, route_reply
from .scheduler import FrameScheduler
from .selection import select_route

__all__ = ["CLOSE_TIMEOUT", "OUTBOX_FULL", "Gateway", "GatewayLimits"]

log = logging.getLogger(__name__)

READ_CHUNK = 65536
CLOSE_TIMEOUT = 5.0

# What the gateway is given: a stage's configuration now (None: no such stage), and the invoker's
# `integration` (snapshot, stage, route key, URI, event, the request id its trace hop carries).
StageConfig = Callable[[str, str], Awaitable[ApiSnapshot | None]]
Integrate = Callable[
    [ApiSnapshot, str, str, str, dict[str, Any], str | None], Awaitable[InvokeResult]
]


class Gateway:
    """API Gateway's WebSocket data plane for every WEBSOCKET API stage of the local cloud."""

    def __init__(
        self,
        stage_config: StageConfig,
        integrate: Integrate,
        registry: ConnectionRegistry,
        trace: TraceHub,
        limits: GatewayLimits | None = None,
        *,
        region: str,
        account_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.stage_config = stage_config
        self.integrate = integrate
        self.registry = registry
        self.trace = trace
        self.limits = limits or GatewayLimits()
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.scheduler = FrameScheduler(self.limits)
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
            await _send_response(writer, protocol, protocol.reject(400, "Bad Request\n"))
            return
        request: Request = events[0]
        if self.closing:
            await _send_response(writer, protocol, handshake.reject(protocol, 503))
            return
        response = protocol.accept(request)
        if response.status_code != 101:
            await _send_response(writer, protocol, response)
            return
        target = handshake.parse_stage_path(request.path)
        snapshot = await self.stage_config(target[0], target[1]) if target else None
        if target is None or snapshot is None:
            await _send_response(writer, protocol, handshake.reject(protocol, 403, "Forbidden"))
            return
        api_id, stage, query = target
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        info = handshake.connection_info(
            request, api_id, stage, query, str(peer[0]), self.region, self.account_id, self.clock()
        )
        session = ClientSession(protocol, writer, info, self.limits)
        connection = Connection(info=info, send_text=session.send_text, close=session.close)
        self.registry.add(connection)
        try:
            invoke = partial(self._invoke, snapshot, info)
            status, subprotocol = await handshake.connect(
                snapshot, info, invoke, self.trace.publish
            )
        except Exception:  # never let a bug in one handshake take the edge down
            log.exception("$connect failed")
            status, subprotocol = 500, None
        if not 200 <= status < 300:
            self.registry.remove(info.connection_id)
            await _send_response(writer, protocol, handshake.reject(protocol, status))
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

    # ------------------------------------------------------------ connected

    async def _serve(
        self, reader: asyncio.StreamReader, session: ClientSession, connection: Connection
    ) -> None:
        protocol = session.protocol
        connected_at = self.clock()
        last_active = connected_at
        fragments: list[BytesLike] = []
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
        self, session: ClientSession, frame: Frame, fragments: list[BytesLike]
    ) -> list[BytesLike]:
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
        self.scheduler.received(session.frames, body, int(self.clock() * 1000))
        session.settled.clear()
        self._dispatch(session)
        return []

    def _dispatch(self, session: ClientSession) -> None:
        """Start the connection's frames the scheduler lets run now; ask again when it says."""
        frames, scheduler = session.frames, self.scheduler
        if session.retry is not None:
            session.retry.cancel()
            session.retry = None
        while (frame := scheduler.next_frame(frames)) is not None:
            task = asyncio.ensure_future(self._on_message(session, frame[0], frame[1]))
            session.in_flight.add(task)
            task.add_done_callback(lambda done: self._finished(session, done))
        if frames.retry_in:
            loop = asyncio.get_running_loop()
            session.retry = loop.call_later(frames.retry_in, self._dispatch, session)
        if frames.paused:
            session.caught_up.clear()
        else:
            session.caught_up.set()
        if frames.settled:
            session.settled.set()

    def _finished(self, session: ClientSession, task: asyncio.Task[None]) -> None:
        session.in_flight.discard(task)
        self.scheduler.finished(session.frames)
        self._dispatch(session)

    async def _on_message(self, session: ClientSession, body: str, received_ms: int) -> None:
        info = session.info
        event_base = {"apiId": info.api_id, "stage": info.stage, "connectionId": info.connection_id}
        self.trace.publish("frame_in", **event_base, bytes=len(body.encode()), preview=body[:120])
        try:
            snapshot = await self.stage_config(info.api_id, info.stage)
            route_key = (
                select_route(snapshot.route_selection_expression, body, list(snapshot.routes))
                if snapshot
                else None
            )
            # No route: the event is built all the same, for the request id of the error frame.
            event = message_event(info, route_key or "$default", body, request_time_ms=received_ms)
            request_id = event["requestContext"]["requestId"]
            self.trace.publish("route", **event_base, routeKey=route_key, requestId=request_id)
            if snapshot is None or route_key is None:
                await self._reply(session, error_frame("Forbidden", info.connection_id, request_id))
                return
            route = snapshot.routes[route_key]
            uri = integration_uri(snapshot, route)
            if uri is None:
                return  # a MOCK integration with no template: nothing comes back
            result = await self._invoke(snapshot, info, route_key, uri, event, request_id)
            if result is None or not result.ok:
                await self._reply(
                    session, error_frame("Internal server error", info.connection_id, request_id)
                )
                return
            reply = route_reply(route, result.payload)
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
        info = session.info
        code, by_client = handshake.close_code(session.protocol)
        where = {"apiId": info.api_id, "stage": info.stage, "connectionId": info.connection_id}
        self.trace.publish("disconnect", **where, code=code)
        session.caught_up.set()  # nothing more will be read: let the waiting frames run
        await session.settled.wait()  # a close never overtakes the messages sent before it
        snapshot = await self.stage_config(info.api_id, info.stage)
        route = snapshot.routes.get("$disconnect") if snapshot else None
        if snapshot is None or route is None:
            return
        uri = integration_uri(snapshot, route)
        if uri is not None:
            event = disconnect_event(info, code, handshake.disconnect_reason(code, by_client))
            await self._invoke(snapshot, info, "$disconnect", uri, event)

    async def _invoke(
        self,
        snapshot: ApiSnapshot,
        info: ConnectionInfo,
        route_key: str,
        uri: str,
        event: dict[str, Any],
        request_id: str | None = None,
    ) -> InvokeResult | None:
        """The integration's result (the invoker traces its Lambda hop); None when it could not
        be called, which is traced here."""
        try:
            return await self.integrate(snapshot, info.stage, route_key, uri, event, request_id)
        except Exception as error:
            if not isinstance(error, IntegrationError):  # the cloud stopping, say
                log.warning(
                    "invoking %s for %s failed: %s", function_name_in(uri), route_key, error
                )
            self.trace.publish(
                "error",
                apiId=info.api_id,
                stage=info.stage,
                connectionId=info.connection_id,
                requestId=request_id,
                message=str(error),
            )
            return None


async def _send_response(
    writer: asyncio.StreamWriter, protocol: ServerProtocol, response: Response
) -> None:
    """Write an HTTP response (a refusal) and close the socket."""
    protocol.send_response(response)
    for chunk in protocol.data_to_send():
        if chunk:
            writer.write(chunk)
    try:
        await writer.drain()
    finally:
        writer.close()
