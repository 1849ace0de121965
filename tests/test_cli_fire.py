"""`workshop fire NAME`: runs a Scheduler schedule's target or a scheduled rule's targets now."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.cli import main
from infra.deploy.schedules import (
    invoke_policy,
    once_scheduler_may_assume,
    scheduler_trust_policy,
)
from infra.local.cloud import LocalCloud
from tests.conftest import create_function

ECHO = "def handler(event, context):\n    return {'got': event}\n"


@pytest.fixture(scope="module")
def echo(cloud: LocalCloud, aws: Any) -> str:
    """A function that answers with the event it got; returns its ARN."""
    arn = create_function(aws, "echo", ECHO)
    aws("lambda").get_waiter("function_active_v2").wait(
        FunctionName="echo", WaiterConfig={"Delay": 1}
    )
    return arn


def test_fire_runs_a_schedule_target_with_its_input(
    aws: Any, echo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A schedule's name: its Lambda target runs now with the schedule's Input."""
    iam = aws("iam")
    role = iam.create_role(
        RoleName="echo-scheduler", AssumeRolePolicyDocument=json.dumps(scheduler_trust_policy())
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="echo-scheduler",
        PolicyName="invoke",
        PolicyDocument=json.dumps(invoke_policy(echo)),
    )
    once_scheduler_may_assume(
        lambda: aws("scheduler").create_schedule(
            Name="nightly",
            ScheduleExpression="cron(0 3 * * ? *)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": echo, "RoleArn": role, "Input": '{"from": "schedule"}'},
        )
    )
    assert main(["fire", "nightly"]) == 0
    printed = capsys.readouterr().out
    assert "✓ schedule nightly (fired) 1 target(s)" in printed
    assert "'got': {'from': 'schedule'}" in printed


def test_fire_runs_a_rule_targets_with_the_scheduled_event(
    aws: Any, echo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rule's name: its Lambda targets run now with EventBridge's Scheduled Event."""
    events = aws("events")
    events.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="hourly", Targets=[{"Id": "echo", "Arn": echo}])
    assert main(["fire", "hourly"]) == 0
    printed = capsys.readouterr().out
    assert "✓ rule hourly (fired) 1 target(s)" in printed
    assert "'detail-type': 'Scheduled Event'" in printed


def test_fire_of_an_unknown_name_says_so_in_one_line(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name that is neither: one line naming it, exit status 2."""
    capsys.readouterr()
    assert main(["fire", "no-such-thing"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert lines[0].startswith("workshop fire: there is no schedule or rule called 'no-such-thing'")
