"""The CloudWatch logs every invocation writes, read back through boto3, the CLI and follow_logs
from a running local cloud (`logs.py`; its moto-only tests are in `test_logs.py`)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from infra.cli import main
from infra.local.cloud import LocalCloud
from infra.local.logs import follow_logs
from tests.conftest import create_function
from tests.local.edge.test_invoke import ECHO, invoke, messages

# Writes at import time, in logging and while handling: what Lambda frames.
CHATTY = """
import logging

print("loading the chatty module")
logging.getLogger().warning("init warning")
logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    print(f"handling {event['n']}")
    logger.info("info while handling %s", event["n"])
    return event["n"]
"""


@pytest.fixture(scope="module")
def functions(cloud: LocalCloud, aws: Any) -> Any:
    """The functions whose logs are read; returns a lambda client."""
    create_function(aws, "invoke-echo", ECHO)
    create_function(aws, "invoke-chatty", CHATTY)
    return aws("lambda")


def test_each_invocation_logs_start_end_report_and_its_output(aws: Any, functions: Any) -> None:
    """filter_log_events on /aws/lambda/{name} finds START, END, REPORT and the handler's lines."""
    response = invoke(functions, "invoke-echo", {"word": "logged"})
    request_id = response["ResponseMetadata"]["RequestId"]
    lines = messages(aws, "invoke-echo")
    assert f"START RequestId: {request_id} Version: $LATEST" in lines
    assert f"END RequestId: {request_id}" in lines
    assert any(line.startswith(f"REPORT RequestId: {request_id}\t") for line in lines)
    assert any(line.strip() == "echo got logged" for line in lines)
    assert any("[WARNING]" in line and "warning about logged" in line for line in lines)


def test_init_output_is_logged_once_before_the_first_start(aws: Any, functions: Any) -> None:
    """INIT_START and the import-time output come once, first; each invoke has one START/END/REPORT."""
    request_ids = [
        invoke(functions, "invoke-chatty", {"n": n})["ResponseMetadata"]["RequestId"]
        for n in range(3)
    ]
    lines = messages(aws, "invoke-chatty")
    assert lines[0].startswith("INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: ")
    assert lines[1:3] == ["loading the chatty module", lines[2]]
    assert lines[2].startswith("[WARNING]") and lines[2].endswith("\tinit warning")
    assert lines[3] == f"START RequestId: {request_ids[0]} Version: $LATEST"
    assert sum(line.startswith("INIT_START") for line in lines) == 1
    assert sum(line == "loading the chatty module" for line in lines) == 1
    for n, request_id in enumerate(request_ids):
        assert lines.count(f"START RequestId: {request_id} Version: $LATEST") == 1
        assert lines.count(f"END RequestId: {request_id}") == 1
        assert sum(line.startswith(f"REPORT RequestId: {request_id}\t") for line in lines) == 1
        start = lines.index(f"START RequestId: {request_id} Version: $LATEST")
        end = lines.index(f"END RequestId: {request_id}")
        inside = lines[start + 1 : end]
        assert f"handling {n}" in inside
        assert any(
            line.startswith("[INFO]") and f"info while handling {n}" in line for line in inside
        )
    first_report = next(line for line in lines if line.startswith("REPORT"))
    assert "Init Duration: " in first_report
    later_reports = [line for line in lines if line.startswith("REPORT")][1:]
    assert all("Init Duration" not in line for line in later_reports)


def test_the_log_stream_holds_the_invocation_in_order(aws: Any, functions: Any) -> None:
    """get_log_events on the invocation's stream returns START, the output, END and REPORT in order."""
    request_id = invoke(functions, "invoke-echo", {"word": "streamed"})["ResponseMetadata"][
        "RequestId"
    ]
    logs = aws("logs")
    group = "/aws/lambda/invoke-echo"
    [start] = logs.filter_log_events(
        logGroupName=group, filterPattern=f'"START RequestId: {request_id}"'
    )["events"]
    events = logs.get_log_events(
        logGroupName=group, logStreamName=start["logStreamName"], startFromHead=True
    )["events"]
    lines = [event["message"] for event in events]
    first = lines.index(f"START RequestId: {request_id} Version: $LATEST")
    ours = lines[first : lines.index(f"END RequestId: {request_id}") + 2]
    assert ours[1].strip() == "echo got streamed"
    assert ours[-1].startswith(f"REPORT RequestId: {request_id}")


def test_the_cli_prints_a_functions_logs(
    functions: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """`workshop logs FUNCTION` prints the function's log lines and returns."""
    invoke(functions, "invoke-echo", {"word": "for the cli"})
    capsys.readouterr()
    assert main(["logs", "invoke-echo"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert any(line.strip() == "echo got for the cli" for line in printed)
    assert any(line.startswith("REPORT RequestId: ") for line in printed)


def test_follow_logs_yields_new_lines_until_stopped(aws: Any, functions: Any) -> None:
    """follow_logs keeps yielding lines of later invocations, and ends once its stop event is set."""
    stop = threading.Event()
    seen: list[str] = []
    arrived = threading.Condition()
    since_ms = int(time.time() * 1000)  # taken here: the thread may start after the invoke ends

    def follow() -> None:
        for line in follow_logs(aws("logs"), "invoke-echo", since_ms, stop, 0.1):
            with arrived:
                seen.append(line)
                arrived.notify_all()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        invoke(functions, "invoke-echo", {"word": "followed"})
        with arrived:
            ok = arrived.wait_for(lambda: any("echo got followed" in line for line in seen), 10)
        assert ok, seen
    finally:
        stop.set()  # also on failure: a follower left polling outlives the module's cloud
        follower.join(5)
    assert not follower.is_alive()
