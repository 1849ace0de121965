"""The checks of lessons 08 and 10's challenges: a stub catches up (lenient) or fails (strict),
and a wrong answer gets one line saying what to change."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import boto3
import pytest

from infra import lessons
from infra.challenges import CheckFailed, lesson08, lesson10, strict
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
    """The push app as lesson 08's catch-up leaves it: no schedule yet (nor after the module:
    moto's accounts outlive a cloud, and other modules expect none)."""
    yield lessons.catch_up_app("push")
    forget_schedule()


def forget_schedule() -> None:
    """No schedule, and no scheduler role: lesson 08 before its challenges."""
    scheduler, iam = boto3.client("scheduler"), boto3.client("iam")
    if scheduler.list_schedules(NamePrefix=lesson08.SCHEDULE)["Schedules"]:
        scheduler.delete_schedule(Name=lesson08.SCHEDULE)
    try:
        for name in iam.list_role_policies(RoleName=lesson08.ROLE)["PolicyNames"]:
            iam.delete_role_policy(RoleName=lesson08.ROLE, PolicyName=name)
        iam.delete_role(RoleName=lesson08.ROLE)
    except iam.exceptions.NoSuchEntityException:
        pass


def test_the_stubs_catch_up_then_both_checks_pass(
    push: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Untouched, the role's check makes the role, the schedule's the schedule; then both pass."""
    forget_schedule()
    lesson08.scheduler_role()
    lesson08.schedule()
    assert [line[0] for line in capsys.readouterr().out.splitlines() if line[:1] in "◻✓✗"] == [
        "◻",
        "◻",
    ]
    lesson08.scheduler_role()
    lesson08.schedule()
    assert [line[0] for line in capsys.readouterr().out.splitlines()] == ["✓", "✓"]


def test_a_strict_check_fails_a_stub_after_catching_up(push: str) -> None:
    """In a solved lesson, not done is a failure; the kit's step is still done for later cells."""
    forget_schedule()
    strict(True)
    try:
        with pytest.raises(CheckFailed, match="not done: there is no schedule push-schedule"):
            lesson08.schedule()
    finally:
        strict(False)
    assert boto3.client("scheduler").get_schedule(Name=lesson08.SCHEDULE)["State"] == "ENABLED"


def test_a_schedule_on_another_expression_is_told_the_expression(push: str, lenient: None) -> None:
    """A schedule that runs hourly fails with the expression to use instead."""
    forget_schedule()
    lesson08.schedule()
    described = boto3.client("scheduler").get_schedule(Name=lesson08.SCHEDULE)
    boto3.client("scheduler").update_schedule(
        Name=lesson08.SCHEDULE,
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=described["Target"],
    )
    with pytest.raises(CheckFailed, match=r"runs on 'rate\(1 hour\)', not 'rate\(1 minute\)'"):
        lesson08.schedule()


def test_a_role_trusted_by_lambda_is_told_to_trust_scheduler(push: str, lenient: None) -> None:
    """A scheduler role whose trust policy names Lambda fails: Scheduler could not assume it."""
    forget_schedule()
    lesson08.scheduler_role()
    iam = boto3.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.update_assume_role_policy(RoleName=lesson08.ROLE, PolicyDocument=json.dumps(trust))
    with pytest.raises(CheckFailed, match="Principal {'Service': 'scheduler.amazonaws.com'}"):
        lesson08.scheduler_role()


def test_a_role_allowed_everything_is_told_least_privilege(push: str, lenient: None) -> None:
    """A scheduler role whose policy allows lambda:* on '*' fails, naming the policy."""
    forget_schedule()
    lesson08.scheduler_role()
    broad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}],
    }
    boto3.client("iam").put_role_policy(
        RoleName=lesson08.ROLE, PolicyName="everything", PolicyDocument=json.dumps(broad)
    )
    with pytest.raises(CheckFailed, match="'everything' names '\\*'"):
        lesson08.scheduler_role()


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
