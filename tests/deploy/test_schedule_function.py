"""schedule_function: an EventBridge Scheduler schedule whose role may invoke the one function."""

from __future__ import annotations

import json

import boto3
import pytest

from infra.deploy import schedule_function, teardown
from infra.deploy.schedules import scheduler_trust_policy
from infra.deploy.teardown import tagged_resources


def test_schedule_targets_the_function_with_its_own_role(
    moto_aws: boto3.Session, chat_function: str
) -> None:
    """The schedule runs on the expression; its role trusts Scheduler and may invoke only it."""
    arn = schedule_function("chat", "chat-schedule", "rate(1 minute)", chat_function)
    schedule = moto_aws.client("scheduler").get_schedule(Name="chat-schedule")
    assert (schedule["Arn"], schedule["ScheduleExpression"], schedule["State"]) == (
        arn,
        "rate(1 minute)",
        "ENABLED",
    )
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert target["Arn"].endswith(":function:chat-connect")
    iam = moto_aws.client("iam")
    role = iam.get_role(RoleName=target["RoleArn"].rsplit("/", 1)[-1])["Role"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    policy = iam.get_role_policy(RoleName=role["RoleName"], PolicyName="invoke-function")
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"][0] == target["Arn"]


def test_rerun_updates_the_schedule_in_place(
    moto_aws: boto3.Session, chat_function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new expression updates the one schedule; its role is reused."""
    schedule_function("chat", "chat-schedule", "rate(1 minute)", chat_function)
    schedule_function("chat", "chat-schedule", "rate(5 minutes)", chat_function)
    scheduler = moto_aws.client("scheduler")
    assert [s["Name"] for s in scheduler.list_schedules()["Schedules"]] == ["chat-schedule"]
    assert scheduler.get_schedule(Name="chat-schedule")["ScheduleExpression"] == "rate(5 minutes)"
    printed = capsys.readouterr().out.splitlines()
    assert printed[-2] == "✓ role chat-scheduler-role (exists)"
    assert printed[-1].startswith("✓ schedule chat-schedule (updated)")


def test_teardown_removes_the_schedule_and_its_role(
    moto_aws: boto3.Session, chat_function: str
) -> None:
    """teardown finds the schedule by its target (schedules carry no tags) and deletes it."""
    schedule_function("chat", "chat-schedule", "rate(1 minute)", chat_function)
    assert "schedule chat-schedule" in tagged_resources("chat")
    removed = teardown("chat")
    assert "schedule chat-schedule" in removed and "role chat-scheduler-role" in removed
    assert moto_aws.client("scheduler").list_schedules()["Schedules"] == []
    assert tagged_resources("chat") == []


def test_a_schedule_of_another_function_is_left_alone(
    moto_aws: boto3.Session, chat_function: str
) -> None:
    """A schedule whose target is not the app's survives its teardown."""
    role = moto_aws.client("iam").create_role(
        RoleName="other", AssumeRolePolicyDocument=json.dumps(scheduler_trust_policy())
    )["Role"]["Arn"]
    scheduler = moto_aws.client("scheduler")
    scheduler.create_schedule(
        Name="someone-elses",
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:lambda:us-east-1:123456789012:function:other",
            "RoleArn": role,
            "Input": json.dumps({}),
        },
    )
    teardown("chat")
    assert [s["Name"] for s in scheduler.list_schedules()["Schedules"]] == ["someone-elses"]
