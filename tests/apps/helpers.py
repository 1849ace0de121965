"""WebSocket helpers for the end-to-end app tests: read JSON frames, and wait on the trace feed.

Waiting is done on events, not on the clock: a frame arriving, or the local cloud's trace feed
(`ws://HOST:PORT/_workshop/trace`) reporting that a Lambda invocation finished. Only "nothing
more arrives" needs a short quiet period, since absence has no event to wait for.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from infra.local.cloud import LocalCloud

TIMEOUT = 10.0  # seconds a frame may take before the test fails
QUIET = 0.5  # seconds of silence that count as "nothing more was sent"

Frame = dict[str, Any]


async def receive(connection: ClientConnection, timeout: float = TIMEOUT) -> Frame:
    """The next frame, parsed as JSON."""
    return json.loads(await asyncio.wait_for(connection.recv(), timeout))


async def receive_until(
    connection: ClientConnection, wanted: Callable[[Frame], bool], timeout: float = TIMEOUT
) -> Frame:
    """Skip frames until one is ``wanted``; fail after ``timeout`` seconds in all."""

    async def first() -> Frame:
        while not wanted(frame := await receive(connection, timeout)):
            pass
        return frame

    return await asyncio.wait_for(first(), timeout)


async def extra_frames(connection: ClientConnection, quiet: float = QUIET) -> list[Frame]:
    """Whatever else arrives before ``quiet`` seconds pass without a frame."""
    frames = []
    try:
        while True:
            frames.append(await receive(connection, quiet))
    except TimeoutError:
        return frames


class TraceFeed:
    """The local cloud's trace feed, to wait until a Lambda behind a route has finished.

    The feed replays its recent hops first; matching on a unique message text and on that
    message's connection id keeps the replay from being mistaken for the awaited hop.
    """

    def __init__(self, cloud: LocalCloud) -> None:
        self.url = cloud.url.replace("http://", "ws://") + "/_workshop/trace"
        self.hops: list[Frame] = []
        self._connection: ClientConnection | None = None

    async def __aenter__(self) -> TraceFeed:
        self._connection = await connect(self.url)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def hop(self, wanted: Callable[[Frame], bool], timeout: float = TIMEOUT) -> Frame:
        """The first hop (seen before, or arriving within ``timeout``) that is ``wanted``."""
        assert self._connection is not None, "use TraceFeed as `async with`"
        for seen in self.hops:
            if wanted(seen):
                return seen
        connection = self._connection

        async def arrival() -> Frame:
            while True:
                self.hops.append(hop := await receive(connection, timeout))
                if wanted(hop):
                    return hop

        return await asyncio.wait_for(arrival(), timeout)

    async def handled(self, function: str, text: str, timeout: float = TIMEOUT) -> Frame:
        """Wait until ``function`` has run for the client frame that contains ``text``."""
        frame_in = await self.hop(
            lambda hop: hop["hop"] == "frame_in" and text in hop.get("preview", ""), timeout
        )
        return await self.hop(
            lambda hop: (
                hop["hop"] == "lambda"
                and hop.get("function") == function
                and hop.get("connectionId") == frame_in["connectionId"]
            ),
            timeout,
        )
