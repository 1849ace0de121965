"""DynamoDB Streams -> Lambda event source mappings, the way Lambda's stream pollers behave.

Mappings live in moto's Lambda backend (``CreateEventSourceMapping`` with a stream ARN); the
records live in moto's table ``stream_shard`` (one shard per table, in order). One task per
mapping, on the cloud's event loop, reads records from its position, invokes the function with
``{"Records": [...]}`` and advances only when the batch succeeded (or was dropped after
MaximumRetryAttempts). Records that pile up while a batch runs all go in the next batch (up to
BatchSize), so batches grow with the backlog. After each batch the position is kept on the
mapping itself (so it is saved with the state): a restored cloud's poller goes on from there,
whatever the StartingPosition, and only a batch in flight at a crash is delivered again.

Tasks sleep on ``stream_changes`` (bumped by every new record and mapping change), never poll.
Running on the loop, they never wait for a thread or queue behind a lock that a thread holds.

Supported: StartingPosition LATEST/TRIM_HORIZON, BatchSize, MaximumBatchingWindowInSeconds,
Enabled, deletion, MaximumRetryAttempts (-1 or absent = retry until it works, as AWS).
A mapping delivers only once it is Enabled (`aws/mapping_states.py`: Creating, Enabling, ... take
time), and with LATEST never a record written before then.
Not supported: FilterCriteria, BisectBatchOnFunctionError, MaximumRecordAgeInSeconds,
FunctionResponseTypes (ReportBatchItemFailures), DestinationConfig, ParallelizationFactor.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from infra.local.aws import dynamodb
from infra.local.aws.backends import Backends
from infra.local.aws.dynamodb import lambda_record, stream_changes
from infra.local.sources import InvokeAsync
from infra.local.vocabulary import AwsError

__all__ = ["StreamPoller", "lambda_record"]

log = logging.getLogger(__name__)

OK = "OK"
FAILED = "PROBLEM: Function call failed"


class _MappingWorker:
    """Delivers one mapping's records, in order, one batch at a time."""

    def __init__(self, poller: StreamPoller, uuid: str) -> None:
        self.poller = poller
        self.uuid = uuid
        self.cursor: int | None = None  # index into shard.items of the next record to deliver
        self.window_started: float | None = None
        self.retry_size = 0  # size of the failing batch being retried (0 = none)
        self.attempts = 0

    async def run(self) -> None:
        while True:
            seen = stream_changes.generation
            try:
                wait = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stream mapping %s: unexpected error", self.uuid)
                wait = self.poller.max_backoff
            if isinstance(wait, str):  # "gone": the mapping was deleted
                return
            if wait != 0:
                await stream_changes.changed(seen, wait)

    async def step(self) -> float | str | None:
        """Deliver at most one batch. Returns 0 to go on, a timeout, None (wait for a change)
        or "gone" (the mapping was deleted)."""
        backends = self.poller.backends
        mapping = await backends.call(dynamodb.mapping_state, backends, self.uuid)
        if mapping is None:
            return "gone"
        if not mapping.enabled or mapping.shard_length is None:
            return mapping.settles_in  # Creating, Enabling: look again once it is Enabled
        if self.cursor is None:
            self.cursor = self._start_index(mapping)
        if self.cursor < mapping.trimmed:  # expired before they were read: gone, as on AWS
            self.cursor, self.retry_size = mapping.trimmed, 0
        available = mapping.shard_length - self.cursor
        if available <= 0:
            self.window_started = None
            return None
        # Whatever piled up while the last batch ran goes in the next one (up to BatchSize).
        size = self.retry_size or min(available, mapping.batch_size)
        window = mapping.batching_window
        if not self.retry_size and size < mapping.batch_size and window > 0:
            now = time.monotonic()
            if self.window_started is None:
                self.window_started = now
            remaining = self.window_started + window - now
            if remaining > 0:
                return remaining
        problem = await backends.call(self.poller.stream_problem, mapping)
        if problem is not None:  # the role may not read the stream: Lambda says so and waits
            await backends.call(
                dynamodb.record_progress, backends, self.uuid, f"PROBLEM: {problem}", self.cursor
            )
            return self.poller.max_backoff
        records = await backends.call(
            dynamodb.stream_records, backends, mapping.event_source_arn, self.cursor, size
        )
        if len(records) < size:  # the stream changed under us: look again
            return 0
        succeeded = await self._invoke(mapping.function_arn, records)
        retry = False
        if succeeded:
            self._advance(size)
        else:
            self.attempts += 1
            max_retries = mapping.max_retry_attempts
            if max_retries is not None and 0 <= max_retries < self.attempts:
                log.warning(
                    "stream mapping %s: dropping %d records after %d retries",
                    self.uuid,
                    size,
                    max_retries,
                )
                self._advance(size)
            else:
                retry = True
        result = OK if succeeded else FAILED
        await backends.call(dynamodb.record_progress, backends, self.uuid, result, self.cursor)
        if not retry:
            return 0
        self.retry_size = size  # the same records again, never skipped
        backoff = min(self.poller.retry_backoff * 2 ** (self.attempts - 1), self.poller.max_backoff)
        await asyncio.sleep(backoff)
        return 0

    def _start_index(self, mapping: dynamodb.MappingState) -> int:
        if mapping.position is not None:  # a restored mapping goes on where it was
            return min(mapping.position, mapping.shard_length or 0)
        if mapping.starting_position == "LATEST":
            if mapping.latest_index is not None:
                return mapping.latest_index
            return mapping.shard_length or 0
        return mapping.trimmed  # TRIM_HORIZON: the oldest record kept (no AT_TIMESTAMP here)

    async def _invoke(self, function_arn: str, records: list[dict[str, Any]]) -> bool:
        try:
            result = await self.poller.invoke(function_arn, {"Records": records})
        except asyncio.CancelledError:
            raise
        except AwsError as refusal:  # Lambda said no (Pending, say): retried, as AWS retries
            log.warning("stream mapping %s: %s refused: %s", self.uuid, function_arn, refusal)
            return False
        except Exception:
            log.exception("stream mapping %s: invoking %s failed", self.uuid, function_arn)
            return False
        if result.function_error is not None:
            log.info("stream mapping %s: %s returned an error", self.uuid, function_arn)
            return False
        return True

    def _advance(self, size: int) -> None:
        assert self.cursor is not None
        self.cursor += size
        self.retry_size = 0
        self.attempts = 0
        self.window_started = None


class StreamPoller:
    """Runs one task per DynamoDB stream event source mapping, on the cloud's event loop.

    Given no `loop` (as in unit tests), it runs one of its own, in a daemon thread. With
    `readable` (the guard's `stream_readable(role ARN, stream ARN)`), a mapping whose function's
    role may not read the stream delivers nothing and says so, as Lambda does.
    """

    def __init__(
        self,
        backends: Backends,
        invoke: InvokeAsync,
        *,
        readable: Callable[[str, str], bool] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        retry_backoff: float = 0.5,
        max_backoff: float = 5.0,
    ) -> None:
        self.backends = backends
        self.invoke = invoke
        self.readable = readable
        self.loop = loop
        self.retry_backoff = retry_backoff
        self.max_backoff = max_backoff
        self._loop: asyncio.AbstractEventLoop | None = None
        self._own_thread: threading.Thread | None = None
        self._supervisor: concurrent.futures.Future[None] | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self) -> None:
        dynamodb.install()
        self._loop = self.loop
        if self._loop is None:
            ready = threading.Event()

            def serve() -> None:
                self._loop = asyncio.new_event_loop()
                ready.set()
                self._loop.run_forever()

            self._own_thread = threading.Thread(target=serve, name="stream-poller", daemon=True)
            self._own_thread.start()
            ready.wait()
        assert self._loop is not None
        self._supervisor = asyncio.run_coroutine_threadsafe(self._supervise(), self._loop)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop every task; an invocation in flight is cancelled, its batch delivered again later."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        async def cancel_all() -> None:
            tasks = list(self._tasks.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._supervisor is not None:
            self._supervisor.cancel()
        if loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(timeout)
        if self._own_thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            self._own_thread.join(timeout)

    async def _supervise(self) -> None:
        while True:
            seen = stream_changes.generation
            try:
                await self._sync_tasks()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stream poller: cannot read event source mappings")
            await stream_changes.changed(seen, None)

    def stream_problem(self, mapping: dynamodb.MappingState) -> str | None:
        """Why the mapping's function may not read its stream with its role, or None (called
        under the backends' lock)."""
        if self.readable is None or mapping.role is None:
            return None  # roles are not checked, or the function is gone
        if self.readable(mapping.role, mapping.event_source_arn):
            return None
        return dynamodb.cannot_access_stream(mapping.event_source_arn)

    async def _sync_tasks(self) -> None:
        backends = self.backends
        uuids = await backends.call(dynamodb.stream_mapping_ids, backends)
        for uuid in [u for u, task in self._tasks.items() if task.done()]:
            del self._tasks[uuid]
        for uuid in uuids:
            if uuid not in self._tasks:
                self._tasks[uuid] = asyncio.ensure_future(_MappingWorker(self, uuid).run())
