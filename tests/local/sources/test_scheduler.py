"""EventBridge Scheduler schedules -> Lambda, on an injected clock."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local.aws import scheduler as aws_scheduler
from infra.local.sources.schedules import Scheduler
from tests.local.sources.test_schedules import FakeClock, utc

if TYPE_CHECKING:
    from conftest import FakeCloud

SCHEDULER_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "scheduler.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def invoke_policy(resource: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": resource}
            ],
        }
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def scheduler(cloud: FakeCloud, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Scheduler:
    """The scheduler on the fake cloud, with IAM enforced and roles usable at once (moto's
    patches are process-wide: a cloud that ran before may have left other settings)."""
    from infra.local.aws import iam, states
    from infra.local.timing import INSTANT

    aws_scheduler.install()
    monkeypatch.setattr(iam, "enforcing", True)
    monkeypatch.setattr(states, "_timing", INSTANT)
    return Scheduler(cloud.backends, cloud.invoke, clock=clock, rng=random.Random(7))


def make_role(cloud: FakeCloud, name: str, function_arn: str, trust: str = SCHEDULER_TRUST) -> str:
    iam = boto3.client("iam")
    with cloud.backend_lock:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=name, PolicyName="invoke", PolicyDocument=invoke_policy(function_arn)
        )
    return arn


@pytest.fixture
def role_arn(cloud: FakeCloud, function_arn: str) -> str:
    """A role Scheduler may assume, allowed to invoke the function."""
    return make_role(cloud, "scheduler-invokes", function_arn)


def make_schedule(
    cloud: FakeCloud,
    function_arn: str,
    role_arn: str,
    expression: str = "rate(1 minute)",
    name: str = "tick",
    **options: Any,
) -> str:
    target = {"Arn": function_arn, "RoleArn": role_arn, **options.pop("target", {})}
    with cloud.backend_lock:
        return boto3.client("scheduler").create_schedule(
            Name=name,
            ScheduleExpression=expression,
            FlexibleTimeWindow=options.pop("FlexibleTimeWindow", {"Mode": "OFF"}),
            Target=target,
            **options,
        )["ScheduleArn"]


def test_rate_schedule_fires_one_period_after_creation_with_an_empty_event(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """rate(1 minute) first fires a minute after the schedule appeared; the event is {}."""
    make_schedule(cloud, function_arn, role_arn)
    assert scheduler.tick() == []
    clock.advance(59)
    assert scheduler.tick() == []
    clock.advance(1)
    scheduler.tick()
    assert cloud.calls == [(function_arn, {})]


def test_input_gets_the_context_attributes(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """A target's Input is the event, with <aws.scheduler.*> filled in."""
    text = json.dumps(
        {"at": "<aws.scheduler.scheduled-time>", "by": "<aws.scheduler.schedule-arn>"}
    )
    arn = make_schedule(cloud, function_arn, role_arn, target={"Input": text})
    scheduler.tick()
    clock.advance(60)
    scheduler.tick()
    assert cloud.events() == [{"at": "2026-11-22T01:31:00Z", "by": arn}]


@pytest.mark.parametrize(
    "expression",
    ["rate(0 minutes)", "rate(30 seconds)", "rate(1 week)", "every minute", "cron(0 9 * * *)"],
)
def test_expressions_scheduler_refuses_get_a_validation_exception(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, expression: str
):
    """A minute is the shortest rate; bad expressions get 400 ValidationException."""
    with pytest.raises(ClientError) as raised:
        make_schedule(cloud, function_arn, role_arn, expression)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    "options",
    [
        {"ScheduleExpressionTimezone": "Mars/Olympus_Mons"},
        {"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}},
        {"FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1441}},
        {"FlexibleTimeWindow": {"Mode": "SOMETIMES"}},
        {"State": "PAUSED"},
        {"ActionAfterCompletion": "FORGET"},
        {"target": {"Input": "not json"}},
    ],
)
def test_bad_options_get_a_validation_exception(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, options: dict
):
    """A bad time zone, window, state, completion action or Lambda Input: 400."""
    with pytest.raises(ClientError) as raised:
        make_schedule(cloud, function_arn, role_arn, **options)
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_a_role_arn_that_is_not_a_role_is_refused(
    cloud: FakeCloud, function_arn: str, scheduler: Scheduler
):
    """Target.RoleArn must be an IAM role's ARN."""
    with pytest.raises(ClientError) as raised:
        make_schedule(cloud, function_arn, "scheduler-invokes")
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_a_missing_schedule_group_is_not_found(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler
):
    """A schedule in a group that does not exist: ResourceNotFoundException."""
    with pytest.raises(ClientError) as raised:
        make_schedule(cloud, function_arn, role_arn, GroupName="nope")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_one_time_schedule_fires_once_at_its_time_then_is_deleted(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """at() fires once at its time; ActionAfterCompletion DELETE removes the schedule."""
    make_schedule(
        cloud,
        function_arn,
        role_arn,
        "at(2026-11-22T01:32:00)",
        ActionAfterCompletion="DELETE",
    )
    scheduler.tick()
    clock.advance(119)
    assert scheduler.tick() == []
    clock.advance(1)
    scheduler.tick()
    assert len(cloud.calls) == 1
    assert aws_scheduler.find_schedule(cloud.backends, "tick") is None


def test_one_time_schedule_without_delete_stays_and_never_fires_again(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """at() with ActionAfterCompletion NONE stays, and fires no more."""
    make_schedule(cloud, function_arn, role_arn, "at(2026-11-22T01:31:00)")
    scheduler.tick()
    for _ in range(5):
        clock.advance(60)
        scheduler.tick()
    assert len(cloud.calls) == 1
    assert aws_scheduler.find_schedule(cloud.backends, "tick") is not None


def test_cron_counts_in_the_schedule_time_zone(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """cron(0 9 * * ? *) in New York fires at 14:00 UTC in November (EST)."""
    text = json.dumps({"at": "<aws.scheduler.scheduled-time>"})
    make_schedule(
        cloud,
        function_arn,
        role_arn,
        "cron(0 9 * * ? *)",
        ScheduleExpressionTimezone="America/New_York",
        target={"Input": text},
    )
    scheduler.tick()
    clock.now = utc("2026-11-22T13:59:59").timestamp()
    assert scheduler.tick() == []
    clock.now = utc("2026-11-22T14:00:00").timestamp()
    scheduler.tick()
    assert cloud.events() == [{"at": "2026-11-22T14:00:00Z"}]


def test_at_counts_in_the_schedule_time_zone(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """at(2026-11-22T02:31:00) in Paris (UTC+1) is 01:31 UTC."""
    make_schedule(
        cloud,
        function_arn,
        role_arn,
        "at(2026-11-22T02:31:00)",
        ScheduleExpressionTimezone="Europe/Paris",
    )
    scheduler.tick()
    clock.advance(60)
    scheduler.tick()
    assert len(cloud.calls) == 1


def test_flexible_window_fires_at_a_random_moment_inside_it(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """FLEXIBLE with a 5-minute window: after the due time, within 5 minutes, once."""
    make_schedule(
        cloud,
        function_arn,
        role_arn,
        "rate(10 minutes)",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5},
    )
    scheduler.tick()
    clock.advance(600)
    waited = 0
    while not cloud.calls and waited <= 300:
        scheduler.tick()
        clock.advance(1)
        waited += 1
    assert 0 < waited <= 300  # seeded: not at the due time itself
    for _ in range(300):
        clock.advance(1)
        scheduler.tick()
    assert len(cloud.calls) == 1


def test_disabled_schedule_does_not_fire_until_enabled(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """State DISABLED: no fires; UpdateSchedule to ENABLED: fires again."""
    make_schedule(cloud, function_arn, role_arn, State="DISABLED")
    scheduler.tick()
    clock.advance(120)
    assert scheduler.tick() == []
    with cloud.backend_lock:
        boto3.client("scheduler").update_schedule(
            Name="tick",
            ScheduleExpression="rate(1 minute)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": function_arn, "RoleArn": role_arn},
            State="ENABLED",
        )
    clock.advance(60)
    scheduler.tick()
    assert len(cloud.calls) == 1


def test_create_schedule_refuses_a_role_scheduler_cannot_assume(
    cloud: FakeCloud, function_arn: str, scheduler: Scheduler
):
    """A role that trusts only Lambda: CreateSchedule answers AWS's ValidationException."""
    from tests.local.sources.conftest import LAMBDA_TRUST

    role = make_role(cloud, "lambda-only", function_arn, trust=LAMBDA_TRUST)
    with pytest.raises(ClientError) as raised:
        make_schedule(cloud, function_arn, role)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == aws_scheduler.CANNOT_ASSUME


def test_a_role_scheduler_can_no_longer_assume_invokes_nothing(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """The role's trust changed to Lambda only after: it fires, nothing is invoked, cause kept."""
    from tests.local.sources.conftest import LAMBDA_TRUST

    arn = make_schedule(cloud, function_arn, role_arn)
    with cloud.backend_lock:
        boto3.client("iam").update_assume_role_policy(
            RoleName="scheduler-invokes", PolicyDocument=LAMBDA_TRUST
        )
    scheduler.tick()
    clock.advance(60)
    scheduler.tick()
    assert cloud.calls == []
    assert "scheduler.amazonaws.com" in scheduler.refusals[arn]


def test_a_role_without_invoke_permission_invokes_nothing(
    cloud: FakeCloud, function_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """A role allowed to invoke another function only: nothing is invoked."""
    role = make_role(cloud, "other-function", function_arn + "-other")
    arn = make_schedule(cloud, function_arn, role)
    scheduler.tick()
    clock.advance(60)
    scheduler.tick()
    assert cloud.calls == []
    assert "lambda:InvokeFunction" in scheduler.refusals[arn]
    with pytest.raises(PermissionError):
        scheduler.fire_schedule_now("tick")


def test_fire_schedule_now_invokes_whatever_the_state(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler
):
    """fire_schedule_now runs a disabled schedule's target now; an unknown name: KeyError."""
    make_schedule(cloud, function_arn, role_arn, State="DISABLED", target={"Input": '{"n": 1}'})
    scheduler.fire_schedule_now("tick")
    assert cloud.events() == [{"n": 1}]
    with pytest.raises(KeyError):
        scheduler.fire_schedule_now("nope")


def test_rules_and_schedules_run_side_by_side(
    cloud: FakeCloud, function_arn: str, role_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """A rule and a schedule on rate(1 minute) each fire once a minute."""
    from tests.local.sources.test_schedules import make_rule

    make_rule(cloud, function_arn)
    make_schedule(cloud, function_arn, role_arn)
    scheduler.tick()
    clock.advance(60)
    scheduler.tick()
    kinds = sorted("source" in event for event in cloud.events())
    assert kinds == [False, True]  # the schedule's {} and the rule's Scheduled Event
