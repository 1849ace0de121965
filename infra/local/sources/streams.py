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

import copy
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from moto.awslambda.models import EventSourceMapping, lambda_backends

from infra.local.sources import CloudFacade
from infra.local.sources.stream_hooks import install_stream_notifier, shard_for, stream_changes

log = logging.getLogger(__name__)

OK = "OK"
FAILED = "PROBLEM: Function call failed"


def lambda_record(stream_record: dict[str, Any], event_source_arn: str) -> dict[str, Any]:
    """One moto stream record in the shape Lambda delivers it (epoch-seconds timestamp)."""
    dynamodb = copy.deepcopy(stream_record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        if created.tzinfo is None:  # moto stores naive UTC
            created = created.replace(tzinfo=UTC)
        # AWS rounds down to the second and sends a JSON number such as 1763775300.0.
        dynamodb["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    record = {
        "eventID": stream_record["eventID"],
        "eventName": stream_record["eventName"],
        "eventVersion": stream_record["eventVersion"],
        "eventSource": stream_record["eventSource"],
        "awsRegion": stream_record["awsRegion"],
        "dynamodb": dynamodb,
        "eventSourceARN": event_source_arn,
    }
    identity = stream_record.get("userIdentity")
    if identity:  # a TTL deletion; Lambda events spell the keys in camelCase
        record["userIdentity"] = {"type": identity["Type"], "principalId": identity["PrincipalId"]}
    return record


def _is_dynamodb_stream(mapping: EventSourceMapping) -> bool:
    return ":dynamodb:" in mapping.event_source_arn and "/stream/" in mapping.event_source_arn


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
        cloud = self.poller.cloud
        with cloud.backend_lock:
            backend = lambda_backends[cloud.account_id][cloud.region]
            mapping = backend._event_source_mappings.get(self.uuid)
            if mapping is None:
                return "gone"
            shard = shard_for(mapping.event_source_arn, cloud.account_id, cloud.region)
            if not mapping.enabled or shard is None:
                return None
            if self.cursor is None:
                self.cursor = self._start_index(mapping, len(shard.items))
            available = len(shard.items) - self.cursor
            if available <= 0:
                self.window_started = None
                return None
            size = self.retry_size or min(available, mapping.batch_size)
            window = mapping.max_batch_window or 0
            if not self.retry_size and size < mapping.batch_size and window > 0:
                now = time.monotonic()
                if self.window_started is None:
                    self.window_started = now
                remaining = self.window_started + window - now
                if remaining > 0:
                    return remaining
            source_arn = mapping.event_source_arn
            records = [
                lambda_record(r.to_json(), source_arn)
                for r in shard.items[self.cursor : self.cursor + size]
            ]
            function_arn = mapping.function_arn
            max_retries = mapping.max_retry_attempts

        succeeded = self._invoke(function_arn, records)
        self._set_result(OK if succeeded else FAILED)
        if succeeded:
            self._advance(size)
            return 0
        self.attempts += 1
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

    def _start_index(self, mapping: EventSourceMapping, shard_length: int) -> int:
        if mapping.starting_position == "LATEST":
            return getattr(mapping, "workshop_latest_index", shard_length)
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
        cloud = self.poller.cloud
        with cloud.backend_lock:
            backend = lambda_backends[cloud.account_id][cloud.region]
            mapping = backend._event_source_mappings.get(self.uuid)
            if mapping is not None:
                mapping.workshop_last_processing_result = result


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
        install_stream_notifier()
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
        with self.cloud.backend_lock:
            backend = lambda_backends[self.cloud.account_id][self.cloud.region]
            uuids = [u for u, m in backend._event_source_mappings.items() if _is_dynamodb_stream(m)]
        with self._workers_lock:
            for uuid in list(self._workers):
                if not self._workers[uuid].thread.is_alive():
                    del self._workers[uuid]
            for uuid in uuids:
                if uuid not in self._workers and not self.stopping.is_set():
                    worker = _MappingWorker(self, uuid)
                    self._workers[uuid] = worker
                    worker.thread.start()
