"""The exact texts Lambda produces around an invoke: START / END / REPORT lines and platform errors."""

from __future__ import annotations

import hashlib
import math
import re
import signal
import time
from datetime import UTC, datetime
from typing import Any


def iso_timestamp(epoch: float | None = None) -> str:
    """`2026-05-09T07:35:25.123Z`, the timestamp format of Lambda's platform messages."""
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def runtime_version_name(runtime: str) -> str:
    """The runtime as INIT_START names it: `python:3.12`, `nodejs:22`, `provided:al2023`."""
    numbered = re.fullmatch(r"([a-z]+)(\d[\d.]*?)(?:\.x)?", runtime)
    if numbered:  # python3.12, nodejs22.x, java21, ruby3.3
        return f"{numbered[1]}:{numbered[2]}"
    family, dot, system = runtime.partition(".")
    return f"{family}:{system}" if dot else runtime  # provided.al2023 (plain `provided` stays)


def init_start_line(runtime: str, region: str) -> str:
    """The line Lambda writes once per execution environment, before the init output:
    `INIT_START Runtime Version: nodejs:22.v48<TAB>Runtime Version ARN: arn:aws:lambda:...`
    (the kit's runtimes are all version 1; the ARN's digest is the runtime's own)."""
    digest = hashlib.sha256(f"workshop-local-{runtime}".encode()).hexdigest()
    return (
        f"INIT_START Runtime Version: {runtime_version_name(runtime)}.v1\t"
        f"Runtime Version ARN: arn:aws:lambda:{region}::runtime:{digest}"
    )


def start_line(request_id: str, version: str = "$LATEST") -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(
    request_id: str,
    duration_ms: float,
    memory_mb: int,
    max_memory_mb: int,
    init_duration_ms: float | None,
) -> str:
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(duration_ms)} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {max_memory_mb} MB",
    ]
    if init_duration_ms is not None:
        fields.append(f"Init Duration: {init_duration_ms:.2f} ms")
    return "\t".join(fields)


def timeout_message(request_id: str, timeout: float) -> str:
    """`<time> <requestId> Task timed out after 3.00 seconds`: both the payload and a log line."""
    return f"{iso_timestamp()} {request_id} Task timed out after {timeout:.2f} seconds"


def timeout_error(request_id: str, timeout: float) -> dict[str, Any]:
    return {"errorMessage": timeout_message(request_id, timeout)}


def exit_reason(returncode: int) -> str:
    """How Lambda words a runtime process's end: `exit status 1`, `signal: segmentation fault`."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode > 0:
        return f"Runtime exited with error: exit status {returncode}"
    try:
        name = signal.strsignal(-returncode) or f"signal {-returncode}"
    except ValueError:
        name = f"signal {-returncode}"
    # glibc says "Segmentation fault", macOS "Segmentation fault: 11"; Lambda says "segmentation fault".
    return f"Runtime exited with error: signal: {name.split(':')[0].lower()}"


def exit_error(request_id: str, returncode: int) -> dict[str, Any]:
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: {exit_reason(returncode)}",
    }
