"""CloudWatch Logs written for Lambda invocations."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from infra.local.aws import Backends
from infra.local.logs import follow_logs, write_invocation_logs

NOW_MS = int(time.time()) * 1000  # moto keeps only events from the last 14 days


REQUEST_ID = "3f1b2c4d-0000-4000-8000-000000000001"


def framed(*lines: str) -> list[str]:
    """Lines as the runtime hands them over: framed by START, END and REPORT."""
    return [
        f"START RequestId: {REQUEST_ID} Version: $LATEST",
        *lines,
        f"END RequestId: {REQUEST_ID}",
        f"REPORT RequestId: {REQUEST_ID}\tDuration: 12.30 ms\tBilled Duration: 13 ms",
    ]


@dataclass
class Result:
    request_id: str = REQUEST_ID
    payload: bytes = b"null"
    function_error: str | None = None
    logs: list[str] = field(default_factory=lambda: framed("hello", "world"))
    duration_ms: float = 12.3
    init_duration_ms: float | None = None


@dataclass
class WorkerResult(Result):
    worker_id: str = "worker-1"


def Cloud() -> Backends:  # noqa: N802 - stands where a cloud object stood
    """moto's backends for the test account, as the local cloud holds them."""
    return Backends("123456789012", "us-east-1")


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("logs", region_name="us-east-1")


def messages(logs: object) -> list[str]:
    events = logs.filter_log_events(logGroupName="/aws/lambda/chat")["events"]  # type: ignore[attr-defined]
    return [event["message"] for event in events]


def test_lines_are_found_with_filter_log_events(logs: object):
    """The function's lines land in /aws/lambda/{name}, between START and END/REPORT."""
    write_invocation_logs(Cloud(), "chat", Result(), now_ms=NOW_MS)
    found = messages(logs)
    request_id = Result().request_id
    assert found[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert found[1:3] == ["hello", "world"]
    assert found[3] == f"END RequestId: {request_id}"
    assert found[4].startswith(f"REPORT RequestId: {request_id}\tDuration: 12.30 ms")


def test_stream_name_looks_like_aws(logs: object):
    """The stream is named YYYY/MM/DD/[$LATEST]<32 hex> and get_log_events reads it."""
    stream = write_invocation_logs(Cloud(), "chat", Result(), now_ms=NOW_MS)
    prefix, suffix = stream.split("[$LATEST]")
    assert prefix == datetime.fromtimestamp(NOW_MS / 1000, UTC).strftime("%Y/%m/%d/")
    assert len(suffix) == 32 and int(suffix, 16) >= 0
    events = logs.get_log_events(logGroupName="/aws/lambda/chat", logStreamName=stream)["events"]  # type: ignore[attr-defined]
    assert [e["timestamp"] for e in events] == [NOW_MS] * 5


def test_one_stream_per_worker(logs: object):
    """Results from the same worker share a stream; without worker_id each gets its own."""
    cloud = Cloud()
    first = write_invocation_logs(cloud, "chat", WorkerResult(), now_ms=NOW_MS)
    second = write_invocation_logs(cloud, "chat", WorkerResult(), now_ms=NOW_MS + 1)
    other = write_invocation_logs(cloud, "chat", WorkerResult(worker_id="w2"), now_ms=NOW_MS)
    assert first == second != other
    assert write_invocation_logs(cloud, "chat", Result()) != write_invocation_logs(
        cloud, "chat", Result()
    )


def test_runtime_written_start_line_is_not_repeated(logs: object):
    """When the runtime already wrote START/END/REPORT they are kept as they are."""
    lines = ["START RequestId: r Version: $LATEST", "hi", "END RequestId: r"]
    write_invocation_logs(Cloud(), "chat", Result(logs=lines), now_ms=NOW_MS)
    assert messages(logs) == lines


def test_follow_logs_yields_old_then_new_lines_once(logs: object):
    """follow_logs yields existing lines, then later ones, each exactly once."""
    cloud = Cloud()
    write_invocation_logs(cloud, "chat", Result(logs=framed("one")), now_ms=NOW_MS)
    stop = threading.Event()
    follower = follow_logs(logs, "chat", NOW_MS - 1000, stop, interval=0.05)
    first = [next(follower) for _ in range(4)]
    assert first[1] == "one"
    write_invocation_logs(cloud, "chat", Result(logs=framed("two")), now_ms=NOW_MS + 5)
    second = [next(follower) for _ in range(4)]
    assert second[1] == "two"
    stop.set()
    assert list(follower) == []


def test_follow_logs_waits_for_a_missing_group(logs: object):
    """Following a function that never logged yields nothing and ends on stop."""
    stop = threading.Event()
    stop.set()
    assert list(follow_logs(logs, "never", 0, stop)) == []
