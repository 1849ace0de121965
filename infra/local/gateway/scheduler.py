"""When a connection's frames run: the gateway's frame scheduler, with no I/O.

The rules (`GatewayLimits` says why): a connection's frames start in the order they came; one
may start beside an earlier one of its connection once that one has run `overtake_after`
seconds, and at most `max_concurrent_per_connection` of a connection run at once; once
`busy_at` message integrations run over all connections, a connection with one running waits
for it to finish. A connection with more than `max_queued_per_connection` frames waiting is not
read (`paused`) until half of them have started.

Sans-I/O, as websockets keeps its protocol: the front-end says what happened (`received`,
`finished`) and asks what to do (`next_frame` until it answers None, then `retry_in`, `paused`
and `settled`). Time comes from the clock it is given; nothing here waits, sleeps or touches
a socket.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable

from .limits import GatewayLimits


class ConnectionFrames:
    """One connection's frames: those waiting their turn, and how many run."""

    __slots__ = ("last_started", "paused", "retry_in", "running", "waiting")

    def __init__(self) -> None:
        self.waiting: collections.deque[tuple[str, int]] = collections.deque()  # (text, ms)
        self.running = 0  # message integrations of this connection in flight
        self.last_started = 0.0  # when the newest running frame started (the scheduler's clock)
        self.retry_in = 0.0  # seconds until the first waiting frame may start (0: no wait)
        self.paused = False  # too many frames waiting: the connection is not read meanwhile

    @property
    def settled(self) -> bool:
        """Nothing waits and nothing runs: a close may now go after the frames sent before it."""
        return not self.waiting and not self.running


class FrameScheduler:
    """Decides, for every connection of the gateway, which waiting frame starts and when."""

    def __init__(self, limits: GatewayLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits  # read at each decision: a test may change them on the fly
        self.clock = clock
        self.running = 0  # message integrations in flight, over every connection

    def received(self, frames: ConnectionFrames, text: str, received_ms: int) -> None:
        """A whole text message arrived: it waits its turn."""
        frames.waiting.append((text, received_ms))

    def next_frame(self, frames: ConnectionFrames) -> tuple[str, int] | None:
        """The waiting (text, received ms) to start now, counted as running from here on.

        None when none may start now; then `frames.retry_in` says when to ask again (0: when a
        frame finishes) and `frames.paused` whether to stop reading the connection.
        """
        limits = self.limits
        wait = 0.0
        if frames.waiting:
            running = frames.running
            if not running:
                return self._start(frames)
            if self.running < limits.busy_at and running < limits.max_concurrent_per_connection:
                wait = frames.last_started + limits.overtake_after - self.clock()
                if wait <= 0:
                    return self._start(frames)
            # else: busy, or this connection at its most; a frame that finishes asks again
        frames.retry_in = wait
        queued = len(frames.waiting)
        if queued > limits.max_queued_per_connection:
            frames.paused = True
        elif queued <= limits.max_queued_per_connection // 2:
            frames.paused = False
        return None

    def finished(self, frames: ConnectionFrames) -> None:
        """A frame of this connection finished running."""
        frames.running -= 1
        self.running -= 1

    def _start(self, frames: ConnectionFrames) -> tuple[str, int]:
        frames.last_started = self.clock()
        frames.running += 1
        self.running += 1
        return frames.waiting.popleft()
