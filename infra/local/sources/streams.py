"""DynamoDB Streams -> Lambda event source mappings, the way Lambda's stream pollers behave.

Mappings live in moto's Lambda backend (``CreateEventSourceMapping`` with a stream ARN); the
records live in moto's table ``stream_shard`` (one shard per table, in order). One worker thread
per mapping reads records from its position, invokes the function with ``{"Records": [...]}`` and
advances only when the batch succeeded (or was dropped after MaximumRetryAttempts).

Threads sleep on ``stream_changes`` (bumped by every new record and mapping change), never poll.

Supported: StartingPosition LATEST/TRIM_HORIZON, BatchSize, MaximumBatchingWindowInSeconds,
Enabled, deletion, MaximumRetryAttempts (-1 or absent = retry until it works, as AWS).
Not supported: FilterCriteria, BisectBatchOnFunctionError, MaximumRecordAgeInSeconds,
FunctionResponseTypes (ReportBatchItemFailures), DestinationConfig, ParallelizationFactor.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from infra.local.aws import dynamodb
from infra.local.aws.dynamodb import lambda_record, stream_changes
from infra.local.sources import CloudFacade

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
        self.thread = threading.Thread(target=self.run, name=f"stream-{uuid[:8]}", daemon=True)

    def run(self) -> None:
        stopping = self.poller.stopping
        while not stopping.is_set():
            seen = stream_changes.generation
            try:
                wait = self.step()
            except Exception:
                log.exception("stream mapping %s: unexpected error", self.uuid)
                wait = self.poller.max_backoff
            if wait == "gone":
                return
            if wait != 0:
                stream_changes.wait_for_change(seen, wait)  # type: ignore[arg-type]

    def step(self) -> float | str | None:
        """Deliver at most one batch. Returns 0 to go on, a timeout, None (wait for a change)
        or "gone" (the mapping was deleted)."""
        backends = self.poller.cloud.backends
        mapping = dynamodb.mapping_state(backends, self.uuid)
        if mapping is None:
            return "gone"
        if not mapping.enabled or mapping.shard_length is None:
            return None
        if self.cursor is None:
            self.cursor = self._start_index(mapping)
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
        records = dynamodb.stream_records(backends, mapping.event_source_arn, self.cursor, size)
        if len(records) < size:  # the stream changed under us: look again
            return 0
        succeeded = self._invoke(mapping.function_arn, records)
        self._set_result(OK if succeeded else FAILED)
        if succeeded:
            self._advance(size)
            return 0
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
            return 0
        self.retry_size = size
        backoff = min(self.poller.retry_backoff * 2 ** (self.attempts - 1), self.poller.max_backoff)
        self.poller.stopping.wait(backoff)
        return 0

    def _start_index(self, mapping: dynamodb.MappingState) -> int:
        if mapping.starting_position == "LATEST":
            if mapping.latest_index is not None:
                return mapping.latest_index
            return mapping.shard_length or 0
        return 0  # TRIM_HORIZON (AT_TIMESTAMP is not offered for DynamoDB streams)

    def _invoke(self, function_arn: str, records: list[dict[str, Any]]) -> bool:
        try:
            result = self.poller.cloud.invoke(function_arn, {"Records": records})
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

    def _set_result(self, result: str) -> None:
        dynamodb.set_last_processing_result(self.poller.cloud.backends, self.uuid, result)


class StreamPoller:
    """Runs one worker thread per DynamoDB stream event source mapping."""

    def __init__(
        self, cloud: CloudFacade, *, retry_backoff: float = 0.5, max_backoff: float = 5.0
    ) -> None:
        self.cloud = cloud
        self.retry_backoff = retry_backoff
        self.max_backoff = max_backoff
        self.stopping = threading.Event()
        self._workers: dict[str, _MappingWorker] = {}
        self._workers_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        dynamodb.install()
        self.stopping.clear()
        self._thread = threading.Thread(target=self._supervise, name="stream-poller", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop all threads; a worker busy in an invocation is left to finish on its own."""
        self.stopping.set()
        stream_changes.bump()
        deadline = time.monotonic() + timeout
        with self._workers_lock:
            threads = [self._thread] + [w.thread for w in self._workers.values()]
        for thread in threads:
            if thread is not None and thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))

    def _supervise(self) -> None:
        while not self.stopping.is_set():
            seen = stream_changes.generation
            try:
                self._sync_workers()
            except Exception:
                log.exception("stream poller: cannot read event source mappings")
            stream_changes.wait_for_change(seen, None)

    def _sync_workers(self) -> None:
        uuids = dynamodb.stream_mapping_ids(self.cloud.backends)
        with self._workers_lock:
            for uuid in list(self._workers):
                if not self._workers[uuid].thread.is_alive():
                    del self._workers[uuid]
            for uuid in uuids:
                if uuid not in self._workers and not self.stopping.is_set():
                    worker = _MappingWorker(self, uuid)
                    self._workers[uuid] = worker
                    worker.thread.start()
