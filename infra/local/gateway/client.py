"""One connected client, as the gateway holds it: the WebSocket protocol, the socket it writes
to, and the bookkeeping of its frames.

What goes out never waits for the client to read: a client whose outbound buffer overflows
(`GatewayLimits.max_outbox_bytes`, `max_outbox_frames`) is closed with `OUTBOX_FULL`.
"""

from __future__ import annotations

import asyncio

from websockets.protocol import State
from websockets.server import ServerProtocol

from .events import ConnectionInfo
from .limits import OUTBOX_FULL, GatewayLimits
from .scheduler import ConnectionFrames


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
        # Frames waiting their turn, and message integrations running (the scheduler's), their
        # tasks and its retry timer: $disconnect waits for them (`settled`), so a close never
        # overtakes a message sent before it.
        self.frames = ConnectionFrames()
        self.in_flight: set[asyncio.Task[None]] = set()
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
