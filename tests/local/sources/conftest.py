"""Fixtures for event-source tests: moto in-process plus a fake cloud that records invocations
(a source gets its backends and its `invoke` or `invoke_async`; roles are not checked here)."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.aws import Backends
from infra.local.aws import dynamodb as aws_dynamodb

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
READ_STREAMS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
    }
)


@dataclass
class FakeResult:
    request_id: str
    payload: bytes = b"null"
    function_error: str | None = None
    logs: list[str] = field(default_factory=list)
    duration_ms: float = 1.0
    init_duration_ms: float | None = None


class FakeCloud:
    """Records every invocation; ``outcomes`` decides which ones fail ("Unhandled")."""

    def __init__(self) -> None:
        self.backend_lock = threading.RLock()
        self.backends = Backends(ACCOUNT_ID, REGION, self.backend_lock)
        self.account_id = ACCOUNT_ID
        self.region = REGION
        self.calls: list[tuple[str, Any]] = []
        self.fail_next = 0  # how many of the next invocations fail
        self.on_invoke: Callable[[str, Any], None] | None = None
        self.loop = None  # the stream poller runs a loop of its own
        self._changed = threading.Condition()

    def invoke(self, function_name_or_arn: str, event: Any) -> FakeResult:
        if self.on_invoke is not None:
            self.on_invoke(function_name_or_arn, event)
        with self._changed:
            self.calls.append((function_name_or_arn, event))
            failing = self.fail_next > 0
            self.fail_next -= 1 if failing else 0
            self._changed.notify_all()
        error = "Unhandled" if failing else None
        return FakeResult(request_id=f"req-{len(self.calls)}", function_error=error)

    async def invoke_async(self, function_name_or_arn: str, event: Any) -> FakeResult:
        return self.invoke(function_name_or_arn, event)

    def wait_for_calls(self, count: int, timeout: float = 3.0) -> list[tuple[str, Any]]:
        """Block until at least ``count`` invocations happened; fail the test otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.calls) >= count, timeout):
                raise AssertionError(f"expected {count} invocations, got {len(self.calls)}")
            return list(self.calls)

    def events(self) -> list[Any]:
        with self._changed:
            return [event for _, event in self.calls]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    aws_dynamodb.install()  # so tests can read streams with boto3's dynamodbstreams client
    with mock_aws():
        yield


@pytest.fixture
def cloud(aws: None) -> FakeCloud:
    return FakeCloud()


def _zip_of(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


@pytest.fixture
def function_arn(aws: None) -> str:
    """A Lambda function in moto (its code never runs: the fake cloud answers instead)."""
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="stream-reader", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"][
        "Arn"
    ]
    iam.put_role_policy(RoleName="stream-reader", PolicyName="read", PolicyDocument=READ_STREAMS)
    return boto3.client("lambda").create_function(
        FunctionName="on-change",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _zip_of("def handler(event, context):\n    return None\n")},
    )["FunctionArn"]
