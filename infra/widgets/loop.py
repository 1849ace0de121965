"""One background thread with its own asyncio event loop, shared by every widget in the kernel.

ipykernel 7 does not advance background asyncio tasks between cells, so all widget network I/O
runs here instead of on the kernel's loop. Nothing on this thread prints: problems go to logging.

Work is scheduled in a fresh `contextvars.Context`: ipykernel keeps the current request's parent
header in a context variable, and a copied context would pin every later widget update to the cell
that created the widget (clients such as nbclient then drop those updates). With no value set,
ipykernel falls back to the request running now, as it does for plain threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, TypeVar

log = logging.getLogger("infra.widgets")
# A handler anywhere on the chain keeps logging's "last resort" from writing to stderr,
# which nbval would attribute to whatever cell happens to be running.
log.addHandler(logging.NullHandler())

T = TypeVar("T")


class BackgroundLoop:
    """A daemon thread running an asyncio loop; get the shared one with `BackgroundLoop.shared()`."""

    _shared: ClassVar[BackgroundLoop | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str = "workshop-widgets") -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(_log_loop_exception)
        started = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(started,), name=name, daemon=True)
        self.thread.start()
        started.wait()

    @classmethod
    def shared(cls) -> BackgroundLoop:
        """The kernel-wide loop, started on first use."""
        with cls._shared_lock:
            if cls._shared is None or not cls._shared.thread.is_alive():
                cls._shared = cls()
            return cls._shared

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(started.set)
        self.loop.run_forever()

    def in_loop_thread(self) -> bool:
        """True when called from the loop's own thread (where blocking on a future would deadlock)."""
        return threading.current_thread() is self.thread

    def run(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule `coro` on the loop from any thread; the returned future holds its result."""
        # run_coroutine_threadsafe captures the calling context: make that an empty one.
        return contextvars.Context().run(asyncio.run_coroutine_threadsafe, coro, self.loop)

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run a plain callback on the loop thread, from any thread."""
        self.loop.call_soon_threadsafe(callback, *args, context=contextvars.Context())


def _log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Send asyncio's unhandled-error reports to our logger instead of stderr."""
    log.warning("background loop: %s", context.get("message"), exc_info=context.get("exception"))


def run(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Schedule `coro` on the shared background loop."""
    return BackgroundLoop.shared().run(coro)
