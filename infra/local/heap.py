"""Keeping the collector's pauses short in a process that is only a local cloud.

The cloud holds moto's whole state (tables, functions, every log event) in Python objects, and
it grows all session. CPython's full collections walk every such object: measured under a
room's load, they paused the cloud for 100-240 ms at a time, and every frame, post and AWS call
waited that long. So a process that serves nothing else (`workshop cloud`, `workshop up`) keeps
its heap settled:

- every `interval` seconds, a collection of what is not frozen, then `gc.freeze()`: what
  survived moves where no automatic collection looks again, so each later one walks only what
  was made since;
- every `thaw_every` rounds, `gc.unfreeze()` first, so a full collection also reclaims cycles
  that became garbage after they were frozen (one long pause now and then, instead of many).

Reference counting frees almost everything the cloud drops, frozen or not; only unreachable
cycles wait for the next thaw.
"""

from __future__ import annotations

import gc
import threading


class HeapKeeper:
    """A daemon thread that collects and freezes the heap now and then (see the module)."""

    def __init__(self, interval: float = 30.0, thaw_every: int = 20) -> None:
        self.interval = interval
        self.thaw_every = thaw_every
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heap-keeper", daemon=True)

    def start(self) -> HeapKeeper:
        self.settle()  # the start's imports and moto's warm-up are long-lived
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def settle(self) -> None:
        """One round: collect what is not frozen (all of it on a thawing round), then freeze."""
        self.rounds += 1
        if self.rounds % self.thaw_every == 0:
            gc.unfreeze()
        gc.collect()
        gc.freeze()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.settle()
