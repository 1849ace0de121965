"""The checks of lessons 08 and 10's challenges: a stub catches up (lenient) or fails (strict),
and a wrong answer gets one line saying what to change."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import boto3
import pytest

from infra import lessons
from infra.challenges import CheckFailed, lesson08, lesson10, permissions, strict
from infra.deploy.stacks import (
    artifacts_bucket,
    delete_stack,
    load_template,
    package_template,
    template_path,
    update_stack,
)
from infra.local.cloud import LocalCloud


@pytest.fixture
def lenient() -> Iterator[None]:
    strict(False)
    yield
    strict(False)


@pytest.fixture(scope="module")
def push(cloud: LocalCloud) -> Iterator[str]:
    """The push app as lesson 08's catch-up leaves it: no rule yet (nor after the module: moto's
    accounts outlive a cloud, and other modules expect no rule)."""
    yield lessons.catch_up_app("push")
    forget_rule()


def forget_rule() -> None:
    events = boto3.client("events")
    if events.list_rules(NamePrefix=lesson08.RULE)["Rules"]:
        events.remove_targets(Rule=lesson08.RULE, Ids=["function"])
        events.delete_rule(Name=lesson08.RULE)
    for statement in permissions.statements(lesson08.FUNCTION):
        boto3.client("lambda").remove_permission(
            FunctionName=lesson08.FUNCTION, StatementId=statement["Sid"]
        )


def test_the_rule_stub_catches_up_then_both_checks_pass(
    push: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Untouched, the rule's check makes the rule and its target, the permission's the statement."""
    forget_rule()
    lesson08.schedule_rule()
    lesson08.events_may_invoke()
    assert [line[0] for line in capsys.readouterr().out.splitlines()] == ["◻", "◻"]
    lesson08.schedule_rule()
    lesson08.events_may_invoke()
    assert [line[0] for line in capsys.readouterr().out.splitlines()] == ["✓", "✓"]


def test_a_strict_check_fails_a_stub_after_catching_up(push: str) -> None:
    """In a solved lesson, not done is a failure; the kit's step is still done for later cells."""
    forget_rule()
    strict(True)
    try:
        with pytest.raises(CheckFailed, match="not done: there is no rule push-schedule"):
            lesson08.schedule_rule()
    finally:
        strict(False)
    assert boto3.client("events").describe_rule(Name=lesson08.RULE)["State"] == "ENABLED"


def test_a_rule_on_another_schedule_is_told_the_expression(push: str, lenient: None) -> None:
    """A rule that runs hourly fails with the expression to put instead."""
    forget_rule()
    lesson08.put_schedule()
    boto3.client("events").put_rule(Name=lesson08.RULE, ScheduleExpression="rate(1 hour)")
    with pytest.raises(CheckFailed, match=r"runs on 'rate\(1 hour\)', not 'rate\(1 minute\)'"):
        lesson08.schedule_rule()


def test_a_permission_for_any_rule_is_told_to_name_this_one(push: str, lenient: None) -> None:
    """EventBridge allowed without a SourceArn fails: any rule could invoke the function."""
    forget_rule()
    lesson08.put_schedule()
    boto3.client("lambda").add_permission(
        FunctionName=lesson08.FUNCTION,
        StatementId="any-rule",
        Action="lambda:InvokeFunction",
        Principal=lesson08.EVENTS,
    )
    with pytest.raises(CheckFailed, match="not for this rule: remove that statement"):
        lesson08.events_may_invoke()


@pytest.fixture(scope="module")
def packaged(cloud: LocalCloud) -> dict:
    path = template_path("chat")
    return package_template(load_template(path), path.parent, artifacts_bucket())


def test_the_stack_checks_follow_lesson_10(packaged: dict, lenient: None) -> None:
    """Created from the whole template fails; the first version passes; updated with whisper,
    the redeploy stub catches up with a new deployment, which then passes."""
    stack = "challenge10"
    first = copy.deepcopy(packaged)
    for logical_id in [key for key in first["Resources"] if key.startswith("Whisper")]:
        del first["Resources"][logical_id]
    first["Resources"]["Deployment"]["DependsOn"].remove("WhisperRoute")
    cloudformation = boto3.client("cloudformation")
    try:
        cloudformation.create_stack(
            StackName=stack,
            TemplateBody=json.dumps(packaged),
            Parameters=[{"ParameterKey": "StageName", "ParameterValue": "dev"}],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            Tags=[{"Key": "workshop:app", "Value": stack}],
        )
        cloudformation.get_waiter("stack_create_complete").wait(
            StackName=stack, WaiterConfig={"Delay": 1}
        )
        with pytest.raises(CheckFailed, match="the first version is the template without whisper"):
            lesson10.stack_created(stack, first)
        delete_stack(stack)
        lesson10.stack_created(stack, first)  # not done: the kit creates it
        lesson10.stack_created(stack, first)
        update_stack(stack, packaged, parameters={"StageName": "dev"}, tags={"workshop:app": stack})
        lesson10.stage_serves_whisper(stack, packaged)  # not done: the kit redeploys
        lesson10.stage_serves_whisper(stack, packaged)
    finally:
        delete_stack(stack)
