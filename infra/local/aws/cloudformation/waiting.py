"""Waiting inside a background stack operation: the leaf the engine and the resources share.

A stack operation runs in a thread of its own (`engine.StackJobs`) and lets go of moto's lock
while a resource settles. A resource module (`scheduler.py`) waits through here, so it need not
import the engine, which imports it (through `templates.py`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol


class Waiter(Protocol):
    def wait_until(self, done: Callable[[], bool], what: str) -> None: ...


_job = threading.local()  # `current`: the Waiter whose operation this thread runs


def running(waiter: Waiter | None) -> None:
    """Say which operation this thread runs now (None: none)."""
    _job.current = waiter


def wait_until(done: Callable[[], bool], what: str) -> None:
    """In a background stack operation, wait (without moto's lock) until `done()`; elsewhere
    nothing takes time, so nothing is waited for."""
    current: Waiter | None = getattr(_job, "current", None)
    if current is not None:
        current.wait_until(done, what)
