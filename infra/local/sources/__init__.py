"""Event sources of the local cloud: DynamoDB Streams pollers, the TTL sweeper, retention, and
EventBridge rules and schedules.

The stream pollers run as tasks on the cloud's event loop; the TTL sweeper, retention and the
scheduler in daemon threads. Each is handed what it uses: moto's state through
`infra.local.aws` (the cloud's `Backends`), and the invoker's way of running a function, on the
loop (`InvokeAsync`: `Invoker.invoke`) or from a thread (`Invoke`: `Invoker.invoke_blocking`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from infra.local.vocabulary import InvokeResult

# Run a function (by name or ARN) with an event, and what it returned.
Invoke = Callable[[str, Any], InvokeResult]  # from a thread: blocks until the function returns
InvokeAsync = Callable[[str, Any], Awaitable[InvokeResult]]  # awaited on the cloud's loop


class Source(Protocol):
    """An event source: the local cloud starts it once it serves, and stops it with itself."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 2.0) -> None: ...
