"""lambda:Invoke through boto3 against the local cloud (`edge/invoke.py`): RequestResponse, Event,
DryRun, errors and the log tail. The logs every invocation writes: `tests/local/test_logs_cloud.py`."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.local.cloud import LocalCloud
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


def test_a_runtime_the_kit_does_not_run_is_refused_at_create(aws: Any) -> None:
    """create_function with a Java runtime fails with InvalidParameterValueException."""
    with pytest.raises(ClientError) as refused:
        aws("lambda").create_function(
            FunctionName="java-fn",
            Runtime="java21",
            Role="arn:aws:iam::123456789012:role/workshop-test-role",
            Handler="example.Handler::handleRequest",
            Code={"ZipFile": make_zip({"Handler.java": "class Handler {}"})},
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert "java21" in error["Message"]
    assert "python" in error["Message"].lower()
