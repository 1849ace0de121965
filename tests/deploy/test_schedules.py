"""schedule_rule: a tagged EventBridge rule targeting the function, allowed to invoke it."""

from __future__ import annotations

import json

import boto3
import pytest

from infra.deploy import schedule_rule


def test_rule_targets_the_function_on_schedule(moto_aws: boto3.Session, chat_function: str) -> None:
    """The rule runs on the schedule, targets the function and carries the app tag."""
    arn = schedule_rule("chat", "chat-schedule", "rate(1 minute)", chat_function)
    events = moto_aws.client("events")
    rule = events.describe_rule(Name="chat-schedule")
    assert (rule["Arn"], rule["ScheduleExpression"], rule["State"]) == (
        arn,
        "rate(1 minute)",
        "ENABLED",
    )
    (target,) = events.list_targets_by_rule(Rule="chat-schedule")["Targets"]
    assert target["Arn"].endswith(":function:chat-connect")
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "workshop:app", "Value": "chat"}
    ]


def test_events_may_invoke_for_this_rule_only(moto_aws: boto3.Session, chat_function: str) -> None:
    """The function's policy lets events.amazonaws.com invoke it from this rule's ARN."""
    arn = schedule_rule("chat", "chat-schedule", "rate(1 minute)", chat_function)
    policy = json.loads(moto_aws.client("lambda").get_policy(FunctionName=chat_function)["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == arn


def test_rerun_updates_the_schedule_in_place(
    moto_aws: boto3.Session, chat_function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new schedule updates the one rule, target and permission."""
    schedule_rule("chat", "chat-schedule", "rate(1 minute)", chat_function)
    schedule_rule("chat", "chat-schedule", "rate(5 minutes)", chat_function)
    events = moto_aws.client("events")
    assert [r["Name"] for r in events.list_rules()["Rules"]] == ["chat-schedule"]
    assert events.describe_rule(Name="chat-schedule")["ScheduleExpression"] == "rate(5 minutes)"
    assert len(events.list_targets_by_rule(Rule="chat-schedule")["Targets"]) == 1
    policy = json.loads(moto_aws.client("lambda").get_policy(FunctionName=chat_function)["Policy"])
    assert len(policy["Statement"]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("✓ rule chat-schedule (updated)")
