"""The trace feed: every hop a message makes through the local cloud, for the Trace widget.

Hops are small dicts (`{"hop": "frame_in" | "route" | "lambda" | "post" | ..., "at": ms, ...}`)
published from any thread and streamed to subscribers over `ws://HOST:PORT/_workshop/trace`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from typing import Any

RECENT = 50
QUEUE_LIMIT = 1000


class TraceHub:
    """Fan out hops to subscriber queues on the edge's event loop; never blocks the publisher."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self.recent: collections.deque[dict[str, Any]] = collections.deque(maxlen=RECENT)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, hop: str, **fields: Any) -> None:
        """Record one hop; safe to call from any thread."""
        record = {"hop": hop, "at": int(time.time() * 1000), **fields}
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(record)
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed while stopping
                loop.call_soon_threadsafe(self._deliver, record)

    def _deliver(self, record: dict[str, Any]) -> None:
        self.recent.append(record)
        for queue in list(self._subscribers):
            if queue.qsize() < QUEUE_LIMIT:  # a stalled subscriber loses hops, nobody else does
                queue.put_nowait(record)

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for record in self.recent:
            queue.put_nowait(record)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)
