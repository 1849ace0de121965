"""`ws://HOST:PORT/_workshop/trace[?apiId=...]`: every hop a message makes, one JSON text frame
each, for the Trace widget. A subscriber that stalls loses hops; nobody else does."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from ..trace import TraceHub

TRACE_PATH = "/_workshop/trace"


def is_trace_request(head: bytes) -> bool:
    return head.split(b" ", 2)[1].startswith(TRACE_PATH.encode())


async def serve_trace(
    trace: TraceHub, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
) -> None:
    """Stream trace hops to one subscriber until it goes away."""
    protocol = ServerProtocol()
    protocol.receive_data(head)
    events = protocol.events_received()
    if not events or not isinstance(events[0], Request):
        return
    query = parse_qs(urlsplit(events[0].path).query)
    api_filter = query.get("apiId", [None])[0]
    protocol.send_response(protocol.accept(events[0]))
    queue = trace.subscribe()

    def flush() -> None:
        for chunk in protocol.data_to_send():
            writer.write(chunk)

    async def receive() -> None:  # answers pings and the close handshake
        while not protocol.close_expected():
            data = await reader.read(65536)
            if not data:
                protocol.receive_eof()
                return
            protocol.receive_data(data)
            protocol.events_received()
            flush()

    async def send() -> None:
        while protocol.state is State.OPEN:
            hop = await queue.get()
            if api_filter and hop.get("apiId") not in (None, api_filter):
                continue
            protocol.send_text(json.dumps(hop).encode())
            flush()
            await writer.drain()

    flush()
    tasks = {asyncio.ensure_future(receive()), asyncio.ensure_future(send())}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        trace.unsubscribe(queue)
