"""Lambda's runtimes as AWS's deprecation table has them (`infra/local/aws/runtimes.py`): the
table's lookups on a given date, and CreateFunction, UpdateFunctionConfiguration and
UpdateFunctionCode through boto3 on a local cloud whose calendar a test sets: a runtime past
its block date, a deprecated one, an unknown one, and a Node.js one on machines with and
without Node."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.local.aws import runtimes
from infra.local.runtime import node
from tests import waits
from tests.conftest import lambda_role, make_zip
from tests.local.runtime.test_node import fake_node

# The days the tests pin the cloud's calendar to (AWS's table, read 2026-12-06).
BEFORE_THE_BLOCKS = date(2026, 12, 6)  # python3.9 and nodejs20.x deprecated, not blocked
BLOCK_CREATE = date(2027, 2, 1)  # nodejs16.x ... python3.9: no new functions
BLOCK_UPDATE = date(2027, 3, 3)  # and no updates of theirs
BLOCKED = (
    "The runtime parameter of {} is no longer supported for creating or updating AWS Lambda"
    " functions. We recommend you use a supported runtime while creating or updating functions."
)
KIT_RUNTIMES = (
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "provided.al2",
    "provided.al2023",
)
ECHO = "def handler(event, context):\n    return event\n"


def on(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    """Set the cloud's calendar to `day`."""
    monkeypatch.setattr(runtimes, "today", lambda: day)


def refusal(call: Any, **params: Any) -> dict[str, Any]:
    """The error a refused Lambda call answers with (its code, message and HTTP status)."""
    with pytest.raises(ClientError) as refused:
        call(**params)
    response = refused.value.response
    return {**response["Error"], "Status": response["ResponseMetadata"]["HTTPStatusCode"]}


def create(aws: Any, name: str, runtime: str, wait: bool = False) -> Any:
    """CreateFunction of a one-line Python echo with `runtime` (waiting until Active with `wait`)."""
    params = {
        "FunctionName": name,
        "Runtime": runtime,
        "Role": lambda_role(aws("iam")),
        "Handler": "app.handler",
        "Code": {"ZipFile": make_zip({"app.py": ECHO})},
    }
    if wait:
        return waits.create_function(aws("lambda"), **params)
    return aws("lambda").create_function(**params)


# -- the table --------------------------------------------------------------------------------


def test_the_table_knows_every_runtime_the_kit_names() -> None:
    """Python 3.9 to 3.14, Node.js 18 to 24 and both OS-only runtimes have a row."""
    assert [runtime for runtime in KIT_RUNTIMES if not runtimes.known(runtime)] == []


def test_the_table_names_its_source_and_when_it_was_read() -> None:
    """The data file says which AWS page it transcribes, and on what day."""
    table = runtimes.table()
    assert table.source == "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
    assert table.read == date(2026, 12, 6)


def test_a_runtime_aws_does_not_name_is_unknown() -> None:
    """python3.99 and a typo are not in the table."""
    assert not runtimes.known("python3.99") and not runtimes.known("nodejs20")


def test_nodejs20_is_deprecated_from_aws_date() -> None:
    """nodejs20.x: deprecated on 2026-04-30, not the day before."""
    assert not runtimes.deprecated("nodejs20.x", date(2026, 4, 29))
    assert runtimes.deprecated("nodejs20.x", date(2026, 4, 30))


def test_a_block_create_date_blocks_creating_before_updating() -> None:
    """python3.9 on its block-create date: new functions refused, updates still allowed."""
    assert not runtimes.blocks_create("python3.9", date(2027, 1, 31))
    assert runtimes.blocks_create("python3.9", BLOCK_CREATE)
    assert not runtimes.blocks_update("python3.9", BLOCK_CREATE)
    assert runtimes.blocks_update("python3.9", BLOCK_UPDATE)


def test_the_runtimes_one_can_create_leave_out_the_blocked() -> None:
    """The list AWS's enum error gives: python3.9 until its block-create date, not after."""
    assert "python3.9" in runtimes.creatable(BEFORE_THE_BLOCKS)
    assert "python3.9" not in runtimes.creatable(BLOCK_CREATE)
    assert "python3.7" not in runtimes.creatable(BEFORE_THE_BLOCKS)


def test_the_cloud_calendar_is_todays_date() -> None:
    """Without a pinned date, the table is read on today's date (UTC)."""
    assert abs((runtimes.today() - date.today()).days) <= 1


# -- CreateFunction -----------------------------------------------------------------------------


def test_a_blocked_runtime_is_refused_with_aws_message(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nodejs16.x on its block-create date: InvalidParameterValueException (400), AWS's words."""
    on(monkeypatch, BLOCK_CREATE)
    error = refusal(create, aws=aws, name="rt-blocked", runtime="nodejs16.x")
    assert error == {
        "Code": "InvalidParameterValueException",
        "Message": BLOCKED.format("nodejs16.x"),
        "Status": 400,
    }


def test_a_blocked_python_runtime_is_refused_though_python_runs_here(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python3.9 past its block-create date is refused, as on AWS, not run."""
    on(monkeypatch, BLOCK_CREATE)
    error = refusal(create, aws=aws, name="rt-blocked-python", runtime="python3.9")
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"] == BLOCKED.format("python3.9")


def test_a_deprecated_runtime_is_created_with_a_line_in_the_clouds_log(
    aws: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """python3.9, deprecated but not blocked: created (Lambda's API says nothing), and the
    cloud's log says when it was deprecated and when it will be blocked."""
    on(monkeypatch, BEFORE_THE_BLOCKS)
    with caplog.at_level(logging.WARNING, logger="infra.local.aws.lambda_"):
        created = create(aws, "rt-deprecated", "python3.9", wait=True)
    assert created["Runtime"] == "python3.9"
    assert (
        "Runtime python3.9 was deprecated on 2025-12-15: Lambda refuses new functions of it from"
        " 2027-02-01 and updates from 2027-03-03" in caplog.text
    )


def test_a_runtime_not_yet_deprecated_says_nothing(
    aws: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """python3.12 today: created, and the cloud's log has no deprecation line."""
    on(monkeypatch, BEFORE_THE_BLOCKS)
    with caplog.at_level(logging.WARNING, logger="infra.local.aws.lambda_"):
        create(aws, "rt-current", "python3.12", wait=True)
    assert "deprecated" not in caplog.text


def test_an_unknown_runtime_gets_aws_enum_error(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """python3.99: InvalidParameterValueException naming the runtimes one can create."""
    on(monkeypatch, BEFORE_THE_BLOCKS)
    error = refusal(create, aws=aws, name="rt-unknown", runtime="python3.99")
    assert error["Code"] == "InvalidParameterValueException" and error["Status"] == 400
    assert error["Message"].startswith(
        "Value python3.99 at 'runtime' failed to satisfy constraint: Member must satisfy enum"
        " value set: [nodejs24.x, nodejs22.x, nodejs20.x, python3.14, "
    )
    assert error["Message"].endswith(", python3.8, nodejs16.x] or be a valid ARN")


def test_a_function_without_a_runtime_gets_aws_answer(aws: Any) -> None:
    """A .zip function with no Runtime: AWS's InvalidParameterValueException, in its words."""
    error = refusal(
        aws("lambda").create_function,
        FunctionName="rt-none",
        Role=lambda_role(aws("iam")),
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": ECHO})},
    )
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"] == runtimes.MANDATORY


# -- UpdateFunctionConfiguration and UpdateFunctionCode ------------------------------------------


@pytest.fixture(scope="module")
def old_function(aws: Any) -> str:
    """A python3.9 function, made before its runtime is blocked."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        on(monkeypatch, BEFORE_THE_BLOCKS)
        create(aws, "rt-old", "python3.9", wait=True)
    return "rt-old"


def test_a_function_past_block_update_cannot_change_its_configuration(
    aws: Any, old_function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python3.9 on its block-update date: a new timeout is refused with AWS's message."""
    on(monkeypatch, BLOCK_UPDATE)
    error = refusal(
        aws("lambda").update_function_configuration, FunctionName=old_function, Timeout=9
    )
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"] == BLOCKED.format("python3.9")


def test_a_function_past_block_update_cannot_change_its_code(
    aws: Any, old_function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python3.9 on its block-update date: UpdateFunctionCode is refused with AWS's message."""
    on(monkeypatch, BLOCK_UPDATE)
    error = refusal(
        aws("lambda").update_function_code,
        FunctionName=old_function,
        ZipFile=make_zip({"app.py": ECHO + "# 2\n"}),
    )
    assert error["Message"] == BLOCKED.format("python3.9")


def test_a_function_past_block_create_can_still_change(
    aws: Any, old_function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python3.9 between its two block dates: its existing function's configuration changes."""
    on(monkeypatch, BLOCK_CREATE)
    updated = waits.update_function_configuration(
        aws("lambda"), FunctionName=old_function, Timeout=7
    )
    assert updated["Timeout"] == 7


def test_moving_to_a_blocked_runtime_is_refused(
    aws: Any, old_function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A function moved to python3.7 (blocked for new functions since 2024) is refused."""
    on(monkeypatch, BEFORE_THE_BLOCKS)
    error = refusal(
        aws("lambda").update_function_configuration,
        FunctionName=old_function,
        Runtime="python3.7",
    )
    assert error["Message"] == BLOCKED.format("python3.7")


def test_a_function_past_block_update_may_move_to_a_supported_runtime(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python3.9 on its block-update date: moving the function to python3.13 is accepted."""
    on(monkeypatch, BEFORE_THE_BLOCKS)
    create(aws, "rt-moving", "python3.9", wait=True)
    on(monkeypatch, BLOCK_UPDATE)
    updated = waits.update_function_configuration(
        aws("lambda"), FunctionName="rt-moving", Runtime="python3.13"
    )
    assert updated["Runtime"] == "python3.13"


def test_moving_to_a_deprecated_runtime_puts_a_line_in_the_clouds_log(
    aws: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A python3.12 function moved to python3.9 (deprecated, not blocked): done, and logged."""
    on(monkeypatch, BEFORE_THE_BLOCKS)
    create(aws, "rt-back", "python3.12", wait=True)
    with caplog.at_level(logging.WARNING, logger="infra.local.aws.lambda_"):
        updated = waits.update_function_configuration(
            aws("lambda"), FunctionName="rt-back", Runtime="python3.9"
        )
    assert updated["Runtime"] == "python3.9"
    assert "Runtime python3.9 was deprecated on 2025-12-15" in caplog.text


# -- Node.js on this machine --------------------------------------------------------------------


def test_nodejs_without_node_on_the_machine_is_refused_in_one_line(
    aws: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No Node on the PATH and none from the wheel: CreateFunction says what to install."""
    on(monkeypatch, BEFORE_THE_BLOCKS)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(node, "wheel_executable", lambda: None)
    error = refusal(create, aws=aws, name="rt-no-node", runtime="nodejs22.x")
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"] == node.missing_message("nodejs22.x")
    assert "\n" not in error["Message"] and "make workshop" in error["Message"]


def test_nodejs_with_only_an_old_node_is_refused_in_one_line(
    aws: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Node 18 on the PATH (Debian 12's) does not count: the same line says what to install."""
    on(monkeypatch, BEFORE_THE_BLOCKS)
    monkeypatch.setenv("PATH", str(fake_node(tmp_path / "bin", "v18.19.0").parent))
    monkeypatch.setattr(node, "wheel_executable", lambda: None)
    error = refusal(create, aws=aws, name="rt-old-node", runtime="nodejs24.x")
    assert error["Message"] == node.missing_message("nodejs24.x")


def test_nodejs_with_node_on_the_machine_is_created(
    aws: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Node 22 on the PATH: CreateFunction accepts a nodejs22.x function (it runs on that Node)."""
    on(monkeypatch, BEFORE_THE_BLOCKS)
    monkeypatch.setenv("PATH", str(fake_node(tmp_path / "bin", "v22.3.0").parent))
    created = create(aws, name="rt-node", runtime="nodejs22.x")
    assert created["Runtime"] == "nodejs22.x"
    assert runtimes.runnable("nodejs22.x") is None
