"""The shared background loop."""

from __future__ import annotations

import contextvars
import logging
import threading

from infra.widgets.loop import BackgroundLoop, run

request = contextvars.ContextVar("request", default="none")


def test_shared_loop_is_one_thread() -> None:
    """Every caller gets the same loop, running on its own daemon thread."""
    first, second = BackgroundLoop.shared(), BackgroundLoop.shared()
    assert first is second
    assert first.thread.daemon
    assert first.thread is not threading.current_thread()


def test_run_returns_the_coroutine_result() -> None:
    """run() schedules a coroutine on the loop thread and its future holds the result."""

    async def where() -> str:
        return threading.current_thread().name

    assert run(where()).result(5) == BackgroundLoop.shared().thread.name


def test_work_does_not_inherit_the_callers_context() -> None:
    """Background work starts from an empty context, so ipykernel's parent header is not pinned."""

    async def seen() -> str:
        return request.get()

    token = request.set("cell 2")
    try:
        assert run(seen()).result(5) == "none"
    finally:
        request.reset(token)


def test_logging_never_falls_back_to_stderr() -> None:
    """The widgets' logger has a handler, so logging's last resort never writes to stderr."""
    assert logging.getLogger("infra.widgets").handlers
