"""The texts Lambda writes around an invoke."""

from __future__ import annotations

import re

from infra.local.runtime import formats


def test_report_line_of_a_cold_start() -> None:
    """REPORT carries tab-separated fields, with Init Duration on a cold start."""
    line = formats.report_line("r1", 1.234, 128, 40, 100.0)
    assert line == (
        "REPORT RequestId: r1\tDuration: 1.23 ms\tBilled Duration: 2 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 100.00 ms"
    )


def test_report_line_of_a_warm_invoke() -> None:
    """A warm invoke's REPORT has no Init Duration."""
    assert formats.report_line("r1", 3.0, 256, 50, None).endswith("Max Memory Used: 50 MB")


def test_timeout_message() -> None:
    """The timeout text is `<ISO time> <requestId> Task timed out after N.NN seconds`."""
    message = formats.timeout_message("r1", 3)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z r1 Task timed out after 3\.00 seconds", message
    )


def test_exit_reasons_are_worded_like_lambda() -> None:
    """Exit codes and signals read like Lambda's Runtime.ExitError messages."""
    assert formats.exit_reason(1) == "Runtime exited with error: exit status 1"
    assert formats.exit_reason(-11) == "Runtime exited with error: signal: segmentation fault"
    assert formats.exit_reason(-9) == "Runtime exited with error: signal: killed"
    assert formats.exit_reason(0) == "Runtime exited without providing a reason"


def test_exit_error_payload() -> None:
    """The payload names the request and has type Runtime.ExitError."""
    assert formats.exit_error("r1", 2) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": "RequestId: r1 Error: Runtime exited with error: exit status 2",
    }


def test_init_start_names_each_runtime_as_lambda_does() -> None:
    """INIT_START names a runtime `family:version` (python:3.12, nodejs:22, provided:al2023)."""
    names = {
        runtime: formats.init_start_line(runtime, "eu-west-1").split("\t")[0]
        for runtime in ("python3.12", "nodejs22.x", "nodejs24.x", "provided.al2023", "provided.al2")
    }
    assert names == {
        "python3.12": "INIT_START Runtime Version: python:3.12.v1",
        "nodejs22.x": "INIT_START Runtime Version: nodejs:22.v1",
        "nodejs24.x": "INIT_START Runtime Version: nodejs:24.v1",
        "provided.al2023": "INIT_START Runtime Version: provided:al2023.v1",
        "provided.al2": "INIT_START Runtime Version: provided:al2.v1",
    }


def test_init_start_names_the_runtime_versions_arn() -> None:
    """After a tab, the Runtime Version ARN: the region's, a 64-hex digest per runtime."""
    line = formats.init_start_line("nodejs22.x", "eu-west-1")
    arn = line.split("\t")[1]
    assert re.fullmatch(r"Runtime Version ARN: arn:aws:lambda:eu-west-1::runtime:[0-9a-f]{64}", arn)
    assert arn != formats.init_start_line("nodejs24.x", "eu-west-1").split("\t")[1]
