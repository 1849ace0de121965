"""The console's "Test" button, once lesson 02 has shown it: invoke a function, read its logs."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from infra.deploy.aws import client, error_code, pauses


@dataclass(frozen=True)
class Invocation:
    """What the console shows after "Test": the returned value, whether it failed, the log tail."""

    payload: Any
    error: str | None
    log_tail: str

    def __str__(self) -> str:
        outcome = f"failed ({self.error})" if self.error else "succeeded"
        return f"Execution {outcome}; returned {json.dumps(self.payload)}"


def invoke(function_name: str, event: dict[str, Any]) -> Invocation:
    """Invoke a function synchronously with ``event`` (lambda invoke, LogType=Tail)."""
    reply = client("lambda").invoke(
        FunctionName=function_name, Payload=json.dumps(event).encode(), LogType="Tail"
    )
    raw = reply["Payload"].read()
    tail = base64.b64decode(reply.get("LogResult", "")).decode(errors="replace")
    return Invocation(json.loads(raw) if raw else None, reply.get("FunctionError"), tail)


def recent_logs(
    function_name: str, since_ms: int | None = None, contains: str = "", wait: float = 0.0
) -> list[str]:
    """The function's log lines from /aws/lambda/<name> (logs filter_log_events), oldest first.

    ``since_ms`` is an epoch time in milliseconds (default: the last 10 minutes); ``contains`` keeps
    only lines with that text. ``wait`` seconds: keep asking until such a line shows up, because on
    AWS log events arrive seconds after the invocation (the local cloud writes them at once).
    """
    start = since_ms if since_ms is not None else now_ms() - 600_000
    deadline, looks = time.monotonic() + wait, pauses(2)
    while True:
        lines = [line for line in _log_lines(function_name, start) if contains in line]
        if lines or time.monotonic() >= deadline:
            return lines
        time.sleep(next(looks))


def _log_lines(function_name: str, start_ms: int) -> list[str]:
    """Every log line of the function since ``start_ms`` (none if it never logged)."""
    params = {"logGroupName": f"/aws/lambda/{function_name}", "startTime": start_ms}
    lines: list[str] = []
    try:
        for page in client("logs").get_paginator("filter_log_events").paginate(**params):
            lines += [event["message"].rstrip("\n") for event in page["events"]]
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
    return lines


def now_ms() -> int:
    """The current epoch time in milliseconds (CloudWatch Logs' clock)."""
    return int(time.time() * 1000)
