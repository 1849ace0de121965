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
