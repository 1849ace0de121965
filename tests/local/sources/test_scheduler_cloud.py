"""Scheduler in a running local cloud: boto3 at the edge, a real function, IAM, saved state."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local.cloud import LocalCloud
from tests.conftest import create_function, running_cloud
from tests.local.sources.test_scheduler import SCHEDULER_TRUST, invoke_policy
from tests.local.sources.test_schedules import FakeClock

ECHO = "def handler(event, context):\n    return {'got': event}\n"


def clients(cloud: LocalCloud) -> Any:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=cloud.region
    )
    return lambda service: session.client(service, endpoint_url=cloud.url)


@pytest.fixture(scope="module")
def local() -> Iterator[LocalCloud]:
    with running_cloud() as running:
        running.backends.reset()
        yield running


def deploy_echo(aws: Any, name: str = "echo") -> tuple[str, str]:
    """A function and a role that lets Scheduler invoke it: (function ARN, role ARN)."""
    function_arn = create_function(aws, name, ECHO)
    aws("lambda").get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1}
    )
    iam = aws("iam")
    role_arn = iam.create_role(
        RoleName=f"{name}-schedule", AssumeRolePolicyDocument=SCHEDULER_TRUST
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=f"{name}-schedule",
        PolicyName="invoke",
        PolicyDocument=invoke_policy(function_arn),
    )
    return function_arn, role_arn


def create_schedule_once_role_spread(scheduler: Any, **settings: Any) -> str:
    """create_schedule, again while Scheduler cannot assume the (new) role yet."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return str(scheduler.create_schedule(**settings)["ScheduleArn"])
        except scheduler.exceptions.ValidationException as error:
            if "assume" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_role_made_a_moment_ago_is_refused_then_accepted() -> None:
    """IAM is eventually consistent (at the default timing, as learners run): CreateSchedule
    right after CreateRole gets AWS's ValidationException; tried again later, it succeeds."""
    with running_cloud(timing="default") as cloud:
        cloud.backends.reset()
        aws = clients(cloud)
        function_arn = "arn:aws:lambda:us-east-1:123456789012:function:anything"
        role_arn = aws("iam").create_role(
            RoleName="fresh-schedule", AssumeRolePolicyDocument=SCHEDULER_TRUST
        )["Role"]["Arn"]
        settings = {
            "Name": "fresh",
            "ScheduleExpression": "rate(5 minutes)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": function_arn, "RoleArn": role_arn},
        }
        scheduler = aws("scheduler")
        with pytest.raises(scheduler.exceptions.ValidationException, match="to assume the role"):
            scheduler.create_schedule(**settings)
        assert create_schedule_once_role_spread(scheduler, **settings).endswith("/default/fresh")


def test_a_schedule_made_with_boto3_fires_its_function(local: LocalCloud) -> None:
    """create_schedule at the edge; a minute later on the scheduler's clock, the code ran."""
    aws = clients(local)
    function_arn, role_arn = deploy_echo(aws)
    local.scheduler.stop()  # this test ticks it on a clock of its own
    clock = FakeClock(local.scheduler.clock())
    local.scheduler.clock = clock
    create_schedule_once_role_spread(
        aws("scheduler"),
        Name="every-minute",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": function_arn, "RoleArn": role_arn, "Input": '{"hello": "schedule"}'},
    )
    assert local.scheduler.tick() == []
    clock.advance(60)
    [result] = local.scheduler.tick()
    assert result.function_error is None
    assert json.loads(result.payload) == {"got": {"hello": "schedule"}}


def test_bad_input_at_the_edge_gets_scheduler_errors(local: LocalCloud) -> None:
    """rate(0 minutes) through the edge: 400 ValidationException; boto3 raises its class."""
    scheduler = clients(local)("scheduler")
    with pytest.raises(scheduler.exceptions.ValidationException):
        scheduler.create_schedule(
            Name="too-fast",
            ScheduleExpression="rate(0 minutes)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": "arn:aws:lambda:us-east-1:123456789012:function:echo",
                "RoleArn": "arn:aws:iam::123456789012:role/echo-schedule",
            },
        )


def test_schedules_are_saved_with_the_state(tmp_path: Path) -> None:
    """A schedule survives a restart on the same --state folder."""
    folder = str(tmp_path / "state")
    with running_cloud(state_dir=folder, save_interval=0.1) as cloud:
        aws = clients(cloud)
        role_arn = aws("iam").create_role(
            RoleName="kept-schedule", AssumeRolePolicyDocument=SCHEDULER_TRUST
        )["Role"]["Arn"]
        target = {
            "Arn": "arn:aws:lambda:us-east-1:123456789012:function:echo",
            "RoleArn": role_arn,
            "Input": "{}",
        }
        create_schedule_once_role_spread(
            aws("scheduler"),
            Name="kept",
            ScheduleExpression="cron(0 9 * * ? *)",
            ScheduleExpressionTimezone="Europe/Paris",
            FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
            Target=target,
        )
    cloud.backends.reset()  # moto's state is process-wide: keep only what was saved
    with running_cloud(state_dir=folder) as restarted:
        kept = clients(restarted)("scheduler").get_schedule(Name="kept")
    assert kept["ScheduleExpression"] == "cron(0 9 * * ? *)"
    assert kept["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert kept["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert kept["Target"]["Arn"] == target["Arn"]


def test_an_unknown_schedule_is_not_found(local: LocalCloud) -> None:
    """get_schedule of a name nobody created: ResourceNotFoundException."""
    with pytest.raises(ClientError) as raised:
        clients(local)("scheduler").get_schedule(Name="nobody")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
