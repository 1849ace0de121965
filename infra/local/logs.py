"""CloudWatch Logs for local Lambda invocations, written where AWS writes them.

Each invocation's lines go to log group ``/aws/lambda/{function}``, in a stream named like AWS's
``2026/11/22/[$LATEST]<32 hex>``: one stream per function, worker and day when the result says
which worker ran it (``worker_id``), else one per invocation. The runtime frames the lines as
Lambda does (INIT_START and the init output once per worker, then START / END / REPORT around
each invocation); this module only stores them.

`LogSink` buffers the lines of busy functions and writes them in batches; whatever reads the
logs (the Logs API at the edge) flushes it first, so a read never misses a finished invocation.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from .aws.backends import Backends
from .aws.logs import LogBatch, put_log_events
from .vocabulary import InvokeResult

FOLLOW_INTERVAL = 1.0  # seconds between polls in follow_logs, like `aws logs tail --follow`


def log_group_name(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def log_stream_name(function_name: str, worker_id: str | None, when: datetime) -> str:
    """AWS style: ``YYYY/MM/DD/[$LATEST]`` + 32 hex digits, one per worker and day."""
    if worker_id is None:
        return f"{when:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
    return _worker_stream(function_name, worker_id, f"{when:%Y/%m/%d}")


@functools.lru_cache(maxsize=1024)
def _worker_stream(function_name: str, worker_id: str, day: str) -> str:
    key = f"{function_name}/{worker_id}/{day.replace('/', '')}".encode()
    return f"{day}/[$LATEST]{hashlib.md5(key, usedforsecurity=False).hexdigest()}"


def invocation_lines(result: InvokeResult) -> list[str]:
    """The lines one invocation wrote, as the runtime framed them (INIT_START, START, END,
    REPORT): framing happens in the runtime only."""
    return list(result.logs)


def log_batch(function_name: str, result: InvokeResult, *, now_ms: int | None = None) -> LogBatch:
    """One invocation's log group, stream and events."""
    timestamp = now_ms if now_ms is not None else int(time.time() * 1000)
    when = _day_of(timestamp // 86_400_000)
    group = log_group_name(function_name)
    stream = log_stream_name(function_name, getattr(result, "worker_id", None), when)
    events: list[dict[str, object]] = [
        {"timestamp": timestamp, "message": line} for line in invocation_lines(result)
    ]
    return group, stream, events


@functools.lru_cache(maxsize=16)
def _day_of(day_number: int) -> datetime:
    return datetime.fromtimestamp(day_number * 86_400, UTC)


def write_invocation_logs(
    backends: Backends, function_name: str, result: InvokeResult, *, now_ms: int | None = None
) -> str:
    """Append one invocation's log lines to CloudWatch Logs now; return the stream name."""
    batch = log_batch(function_name, result, now_ms=now_ms)
    put_log_events(backends, [batch])
    return batch[1]


class LogSink:
    """Invocation logs on their way to CloudWatch Logs, written in batches."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self._pending: list[LogBatch] = []
        self._lock = threading.Lock()

    def add(self, function_name: str, result: InvokeResult) -> None:
        """Queue one invocation's lines (cheap: nothing touches moto here)."""
        batch = log_batch(function_name, result)
        with self._lock:
            self._pending.append(batch)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def flush(self) -> None:
        """Write what is queued, grouped by stream.

        The backends' lock is held from taking the queue to writing it, so whoever reads the
        logs after a flush (even one another thread started) sees every queued line.
        """
        with self.backends.lock:
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return
            merged: dict[tuple[str, str], list[dict[str, object]]] = {}
            for group, stream, events in pending:
                merged.setdefault((group, stream), []).extend(events)
            batches = [
                (group, stream, sorted(events, key=itemgetter("timestamp")))
                for (group, stream), events in merged.items()
            ]
            put_log_events(self.backends, batches)


def follow_logs(
    logs_client: Any,
    function_name: str,
    since_ms: int,
    stop_event: threading.Event,
    interval: float = FOLLOW_INTERVAL,
    *,
    follow: bool = True,
) -> Iterator[str]:
    """Yield a function's log messages from ``since_ms`` on, then new ones as they come,
    until ``stop_event`` is set (with ``follow=False``, only the ones there now). It polls
    FilterLogEvents over HTTP every second, as ``aws logs tail --follow`` does: CloudWatch
    Logs offers nothing to wait on."""
    group = log_group_name(function_name)
    start = since_ms
    seen_at_start: set[str] = set()  # event ids already yielded with timestamp == start
    while not stop_event.is_set():
        for event in _events_since(logs_client, group, start):
            if event["timestamp"] == start and event["eventId"] in seen_at_start:
                continue
            if event["timestamp"] > start:
                start, seen_at_start = event["timestamp"], set()
            seen_at_start.add(event["eventId"])
            yield event["message"]
        if not follow:
            return
        stop_event.wait(interval)


def _events_since(logs_client: Any, group: str, start: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    params: dict[str, Any] = {"logGroupName": group, "startTime": start}
    try:
        while True:
            page = logs_client.filter_log_events(**params)
            events += page.get("events", [])
            if not page.get("nextToken") or page["nextToken"] == params.get("nextToken"):
                break
            params["nextToken"] = page["nextToken"]
    except logs_client.exceptions.ResourceNotFoundException:
        return []  # the function has not logged anything yet
    return sorted(events, key=lambda e: (e["timestamp"], e.get("ingestionTime", 0)))
