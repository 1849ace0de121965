"""The one accessor for moto's backends: an account and region, behind the lock moto needs.

moto keeps each service's state in process-wide dictionaries (`dynamodb_backends[account][region]`)
and is not thread-safe, so every touch goes through `Backends.open()`, which holds the lock.
Writes bump a per-service generation; caches of derived state (a stage's routes, a function's
configuration) compare generations instead of re-reading moto on every message. Every write,
including those no cache derives from (log events, stream progress), also bumps `revision`,
which the state saver watches.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account (moto.core.DEFAULT_ACCOUNT_ID)

# Everything moto's CloudFormation or a state restore can change at once.
ALL_SERVICES = "*"


class Services:
    """Each service's moto backend for one account and region. Use only inside `open()`."""

    def __init__(self, account_id: str, region: str, found: dict[str, Any]) -> None:
        self.account_id = account_id
        self.region = region
        self._found = found  # backends already looked up (moto's lookup is not free)

    def _backend(self, module: str, name: str) -> Any:
        backend = self._found.get(name)
        if backend is None:
            import importlib

            backends = getattr(importlib.import_module(f"moto.{module}.models"), name)
            backend = self._found[name] = backends[self.account_id][self.region]
        return backend

    @property
    def dynamodb(self) -> Any:
        return self._backend("dynamodb", "dynamodb_backends")

    @property
    def lambda_(self) -> Any:
        return self._backend("awslambda", "lambda_backends")

    @property
    def apigatewayv2(self) -> Any:
        return self._backend("apigatewayv2", "apigatewayv2_backends")

    @property
    def logs(self) -> Any:
        return self._backend("logs", "logs_backends")

    @property
    def events(self) -> Any:
        return self._backend("events", "events_backends")

    @property
    def scheduler(self) -> Any:
        return self._backend("scheduler", "scheduler_backends")

    @property
    def iam(self) -> Any:
        backend = self._found.get("iam_backends")
        if backend is None:
            from moto.iam.models import iam_backends

            backend = self._found["iam_backends"] = iam_backends[self.account_id]["global"]
        return backend


class Backends:
    """moto's backends for one account and region, the lock around them, and change counters."""

    def __init__(
        self,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region: str = "us-east-1",
        lock: threading.RLock | None = None,
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.lock = lock or threading.RLock()
        self._generations: dict[str, int] = {}
        self.revision = 0  # bumped by every write, under the lock: the state saver watches it
        self._listeners: list[Callable[[str], None]] = []
        self._thread: concurrent.futures.ThreadPoolExecutor | None = None
        self._found: dict[str, Any] = {}

    async def call(self, function: Callable[..., T], *args: Any, inline: bool = True) -> T:
        """`function(*args)` from the event loop, which it must never block on a busy lock.

        When the lock is free and the call is quick (`inline`), it runs right here: no thread
        hop, and most calls take well under a millisecond. Otherwise it waits its turn on the
        backends' own thread, and the loop goes on serving everyone else meanwhile.
        """
        if inline and self.lock.acquire(blocking=False):
            try:
                return function(*args)
            finally:
                self.lock.release()
        if self._thread is None:
            self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="moto")
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    def reset(self) -> None:
        """Empty every service, as a fresh process starts (moto's state is process-wide: a
        cloud started after another one in the same process would see what it left)."""
        from moto.moto_api._internal.models import moto_api_backend

        with self.lock:
            moto_api_backend.reset()
            self._found.clear()
            self.changed(ALL_SERVICES)

    def close(self) -> None:
        """Stop the backends' thread (what it was running finishes first)."""
        if self._thread is not None:
            self._thread.shutdown(wait=False, cancel_futures=True)
            self._thread = None

    @contextlib.contextmanager
    def open(self) -> Iterator[Services]:
        """Hold the lock and get at the services' backends."""
        with self.lock:
            yield Services(self.account_id, self.region, self._found)

    def generation(self, service: str) -> int:
        """A number that changes whenever `service`'s state may have changed."""
        return self._generations.get(service, 0) + self._generations.get(ALL_SERVICES, 0)

    def changed(self, service: str) -> None:
        """Say that `service` (or ALL_SERVICES) was written to; wakes the listeners."""
        self._generations[service] = self._generations.get(service, 0) + 1
        if service == ALL_SERVICES:
            self._found.clear()  # a restore or a reset may have replaced the backends
        self.revision += 1
        for listener in list(self._listeners):
            listener(service)

    def wrote(self) -> None:
        """Say that state no cache derives from was written (log events, stream progress).

        Only the state saver needs to know; call it with the lock held, as `changed`.
        """
        self.revision += 1

    def on_change(self, listener: Callable[[str], None]) -> None:
        """Call `listener(service)` after every write (from the writing thread; keep it quick)."""
        self._listeners.append(listener)


class Cached:
    """A value derived from one service's state, recomputed only after that service changes."""

    def __init__(self, backends: Backends, service: str) -> None:
        self.backends = backends
        self.service = service
        self._values: dict[Any, tuple[int, Any]] = {}

    def get(self, key: Any, compute: Callable[[Services], Any]) -> Any:
        """The value for `key`, computed under the lock when the service changed since."""
        generation = self.backends.generation(self.service)
        hit = self._values.get(key)
        if hit is not None and hit[0] == generation:
            return hit[1]
        with self.backends.open() as services:
            generation = self.backends.generation(self.service)
            value = compute(services)
        if len(self._values) > 4096:  # ids come and go: keep the cache bounded
            self._values.clear()
        self._values[key] = (generation, value)
        return value
