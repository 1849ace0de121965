"""The deploy steps wait as AWS requires, against a local cloud at the default timing (as learners
run it): a table CREATING, a role not yet assumable, a function Pending, an update InProgress."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError

from infra.deploy import (
    create_connections_table,
    create_lambda_role,
    create_or_update_function,
    lambda_policy,
    map_stream,
    package_lambda,
    teardown,
)
from infra.deploy.aws import WAITER_CONFIG, backoff, once_role_assumable, wait_for
from infra.deploy.tables import delete_table
from infra.local.cloud import LocalCloud
from tests.conftest import running_cloud

APP = "waits"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """A cloud at the default timing, as `workshop cloud` runs for learners."""
    with running_cloud(timing="default") as running:
        running.backends.reset()
        yield running


class _Waiter:
    """A boto3 waiter stand-in: "not yet" for the first `pending` looks, then `last`."""

    def __init__(self, pending: int, last: WaiterError | None = None) -> None:
        self.pending, self.last = pending, last
        self.looks: list[dict[str, float]] = []

    def wait(self, WaiterConfig: dict[str, float], **params: object) -> None:  # noqa: N803
        self.looks.append(WaiterConfig)
        if len(self.looks) <= self.pending:
            raise WaiterError(name="table_exists", reason="Max attempts exceeded", last_response={})
        if self.last is not None:
            raise self.last


class _Client:
    def __init__(self, waiter: _Waiter) -> None:
        self.waiter = waiter

    def get_waiter(self, name: str) -> _Waiter:
        return self.waiter


def test_waiters_look_soon_then_every_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3's table_exists asks every 20 s by default: the kit's waiters look again after 0.25 s
    and 1 s, then every second: 0, 0.25, 1, 2, 3... s."""
    pauses: list[float] = []
    monkeypatch.setattr("infra.deploy.aws.time.sleep", pauses.append)
    waiter = _Waiter(pending=2)
    wait_for(_Client(waiter), "table_exists", TableName="t")
    assert pauses == [0.25, 0.75]
    assert waiter.looks == [
        {"Delay": 0.25, "MaxAttempts": 1},
        {"Delay": 0.75, "MaxAttempts": 1},
        WAITER_CONFIG,  # boto3's own loop from here: every second
    ]
    assert WAITER_CONFIG["Delay"] == 1


def test_a_waiter_s_failure_state_is_not_waited_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure state (a function Failed, a stack rolled back) ends the wait at the first look."""
    monkeypatch.setattr("infra.deploy.aws.time.sleep", lambda seconds: None)
    failed = WaiterError(
        name="function_active_v2",
        reason="Waiter encountered a terminal failure state: For expression ... Failed",
        last_response={},
    )
    waiter = _Waiter(pending=0, last=failed)
    with pytest.raises(WaiterError, match="terminal failure"):
        wait_for(_Client(waiter), "function_active_v2", FunctionName="f")
    assert len(waiter.looks) == 1


def test_a_new_table_is_active_when_the_step_returns(cloud: LocalCloud) -> None:
    """create_connections_table waits out CREATING: a row goes in at once afterwards."""
    create_connections_table(APP, "waits-new")
    dynamodb = boto3.client("dynamodb")
    assert dynamodb.describe_table(TableName="waits-new")["Table"]["TableStatus"] == "ACTIVE"
    dynamodb.put_item(TableName="waits-new", Item={"connectionId": {"S": "at-once"}})


def test_a_table_still_creating_is_deleted_once_active(cloud: LocalCloud) -> None:
    """DeleteTable on a CREATING table is refused on AWS: delete_table waits, then deletes."""
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="waits-young",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert delete_table("waits-young")
    assert "waits-young" not in dynamodb.list_tables()["TableNames"]
    assert not delete_table("waits-young")


def test_a_function_made_with_a_brand_new_role_is_created_and_active(cloud: LocalCloud) -> None:
    """A role seconds old: CreateFunction is retried until Lambda may assume it; then Active."""
    table_arn = create_connections_table(APP)
    role_arn = create_lambda_role(APP, lambda_policy(table_arn), name="waits-new-role")
    started = time.monotonic()
    create_or_update_function(
        APP, "waits-connect", "connect.lambda_handler", role_arn, package_lambda("chat")
    )
    configuration = boto3.client("lambda").get_function_configuration(FunctionName="waits-connect")
    assert configuration["State"] == "Active"
    assert configuration["LastUpdateStatus"] == "Successful"
    assert time.monotonic() - started < 30


def test_code_and_configuration_updated_back_to_back(cloud: LocalCloud) -> None:
    """New code and new settings at once: each update waits for the one before (no conflict)."""
    table_arn = create_connections_table(APP)
    role_arn = create_lambda_role(APP, lambda_policy(table_arn), name="waits-new-role")
    code = package_lambda("chat")
    create_or_update_function(APP, "waits-twice", "connect.lambda_handler", role_arn, code)
    create_or_update_function(
        APP,
        "waits-twice",
        "connect.lambda_handler",
        role_arn,
        package_lambda("arena"),
        environment={"TABLE_NAME": "waits-connections"},
    )
    configuration = boto3.client("lambda").get_function_configuration(FunctionName="waits-twice")
    assert configuration["Environment"]["Variables"] == {"TABLE_NAME": "waits-connections"}
    assert configuration["LastUpdateStatus"] == "Successful"


def _refusal(message: str) -> ClientError:
    error = {"Code": "InvalidParameterValueException", "Message": message}
    return ClientError({"Error": error}, "CreateFunction")


def test_once_role_assumable_retries_the_role_s_propagation_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lambda's "cannot be assumed" is tried again; any other InvalidParameterValueException not."""
    pauses: list[float] = []
    monkeypatch.setattr("infra.deploy.aws.time.sleep", pauses.append)
    answers = [_refusal("The role defined for the function cannot be assumed by Lambda.")]

    def young_role() -> str:
        if answers:
            raise answers.pop()
        return "created"

    assert once_role_assumable(young_role) == "created"
    assert pauses == [0.25]  # the first retry comes soon: a local role is ready in seconds
    assert list(itertools.islice(backoff(), 9)) == [0.25, 0.75, 1, 1, 2, 4, 8, 8, 8]
    calls = []

    def bad_zip() -> None:
        calls.append(1)
        raise _refusal("Could not unzip uploaded file.")

    with pytest.raises(ClientError, match="Could not unzip"):
        once_role_assumable(bad_zip)
    assert len(calls) == 1


def test_a_stream_mapping_is_enabled_and_teardown_removes_everything(cloud: LocalCloud) -> None:
    """The stream switched on (UPDATING), the mapping Enabled; teardown then leaves nothing."""
    table_arn = create_connections_table(APP, "waits-streamed")
    role_arn = create_lambda_role(
        APP, lambda_policy(table_arn, stream=True), name="waits-stream-role"
    )
    create_or_update_function(
        APP, "waits-triggers", "table_triggers.lambda_handler", role_arn, package_lambda("arena")
    )
    uuid = map_stream("waits-streamed", "waits-triggers")
    assert boto3.client("lambda").get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
    removed = teardown(APP)
    assert "function waits-triggers" in removed and "table waits-streamed" in removed
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
