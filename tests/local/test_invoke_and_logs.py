"""lambda:Invoke through boto3 against the local cloud, and the CloudWatch logs every invocation writes."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.cli import main
from infra.local.cloud import LocalCloud
from infra.local.logs import follow_logs
from tests import waits
from tests.apps.helpers import TraceFeed
from tests.conftest import create_function, make_zip

MARKS_TABLE = "invoke-marks"

ECHO = """
import logging

logger = logging.getLogger()


def handler(event, context):
    print(f"echo got {event['word']}")
    logger.warning("warning about %s", event["word"])
    return {"echo": event["word"], "function": context.function_name}
"""

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

CRASH = """
def handler(event, context):
    raise ValueError("boom")
"""

# Leaves a mark in a table, so a test can tell that (and when) the code ran.
WRITER = f"""
import boto3

table = boto3.resource("dynamodb").Table("{MARKS_TABLE}")


def handler(event, context):
    table.put_item(Item={{"id": event["id"]}})
    return {{"wrote": event["id"]}}
"""


@pytest.fixture(scope="module")
def functions(cloud: LocalCloud, aws: Any) -> Any:
    """The test functions and the marks table; returns a lambda client."""
    waits.create_table(
        aws("dynamodb"),
        TableName=MARKS_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for name, source in [
        ("invoke-echo", ECHO),
        ("invoke-chatty", CHATTY),
        ("invoke-crash", CRASH),
        ("event-writer", WRITER),
        ("dry-writer", WRITER),
    ]:
        create_function(aws, name, source)
    return aws("lambda")


def invoke(lambda_: Any, name: str, event: dict[str, Any], **options: Any) -> dict[str, Any]:
    """Invoke and read the payload (None when there is none)."""
    response = lambda_.invoke(FunctionName=name, Payload=json.dumps(event), **options)
    body = response["Payload"].read()
    return {**response, "Payload": json.loads(body) if body else None}


def marks(aws: Any) -> set[str]:
    return {item["id"]["S"] for item in aws("dynamodb").scan(TableName=MARKS_TABLE)["Items"]}


def messages(aws: Any, function: str) -> list[str]:
    """Every message in the function's log group, oldest first."""
    logs = aws("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
    return [event["message"] for event in events]


def test_request_response_returns_the_handlers_result(functions: Any) -> None:
    """A RequestResponse invoke answers 200 with what the handler returned."""
    response = invoke(functions, "invoke-echo", {"word": "hello"})
    assert response["StatusCode"] == 200
    assert response["Payload"] == {"echo": "hello", "function": "invoke-echo"}
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response


def test_an_event_invoke_answers_202_and_runs_the_code(
    cloud: LocalCloud, aws: Any, functions: Any
) -> None:
    """An Event invoke answers 202 with no payload, and the function then runs (writes its mark)."""

    async def scenario() -> dict[str, Any]:
        # The trace feed reports the finished invocation: an event to wait on, not a poll.
        async with TraceFeed(cloud) as trace:
            response = await asyncio.to_thread(
                invoke, functions, "event-writer", {"id": "by-event"}, InvocationType="Event"
            )
            await trace.hop(
                lambda hop: hop["hop"] == "lambda" and hop["function"] == "event-writer"
            )
            return response

    response = asyncio.run(scenario())
    assert response["StatusCode"] == 202
    assert response["Payload"] is None
    assert "by-event" in marks(aws)


def test_a_dry_run_answers_204_without_running_the_code(aws: Any, functions: Any) -> None:
    """A DryRun invoke answers 204 and the function's code does not run."""
    response = invoke(functions, "dry-writer", {"id": "dry"}, InvocationType="DryRun")
    invoke(functions, "dry-writer", {"id": "after-dry"})  # runs; a queued dry run would too
    assert response["StatusCode"] == 204
    assert "after-dry" in marks(aws)
    assert "dry" not in marks(aws)
    assert sum("START RequestId" in line for line in messages(aws, "dry-writer")) == 1


def test_an_exception_gives_an_unhandled_function_error(functions: Any) -> None:
    """A handler that raises answers 200 with FunctionError Unhandled and AWS's error payload."""
    response = invoke(functions, "invoke-crash", {})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = response["Payload"]
    assert error["errorMessage"] == "boom"
    assert error["errorType"] == "ValueError"
    assert isinstance(error["stackTrace"], list)
    assert any("raise ValueError" in frame for frame in error["stackTrace"])


def test_an_unknown_function_is_not_found(functions: Any) -> None:
    """Invoking a function that does not exist raises ResourceNotFoundException."""
    with pytest.raises(functions.exceptions.ResourceNotFoundException):
        functions.invoke(FunctionName="no-such-function", Payload=b"{}")


def test_log_type_tail_returns_the_logs_in_base64(functions: Any) -> None:
    """LogType Tail returns the invocation's log lines, base64-encoded, in LogResult."""
    response = invoke(functions, "invoke-echo", {"word": "tailed"}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "echo got tailed" in tail
    assert "warning about tailed" in tail
    assert "REPORT RequestId: " in tail


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


def test_a_non_python_runtime_is_refused_at_create(aws: Any) -> None:
    """create_function with a Node.js runtime fails with InvalidParameterValueException."""
    with pytest.raises(ClientError) as refused:
        aws("lambda").create_function(
            FunctionName="node-fn",
            Runtime="nodejs20.x",
            Role="arn:aws:iam::123456789012:role/workshop-test-role",
            Handler="index.handler",
            Code={"ZipFile": make_zip({"index.js": "exports.handler = async () => 1;"})},
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert "nodejs20.x" in error["Message"]
    assert "python" in error["Message"].lower()
