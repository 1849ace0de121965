"""Lessons 01 and 08's checks (the tag; the role Scheduler assumes, and the schedule's), and the
lessons' minutes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from infra import lessons
from infra.challenges import CheckFailed, lesson01, lesson08
from infra.deploy.schedules import once_scheduler_may_assume
from infra.local.cloud import LocalCloud
from tests import waits

SOURCES = Path(__file__).resolve().parents[2] / "sources" / "notebooks"
TEACHING = re.compile(r"\*\*Teaching\*\* (\d+) min")
CHALLENGE = re.compile(r"^# ### Challenge `[^`]+` · (\d+) min$", re.M)
READING = 5  # minutes, at least, for the text and the kit's cells around the challenges


@pytest.mark.parametrize("path", sorted(SOURCES.glob("*.py")), ids=lambda path: path.stem)
def test_teaching_minutes_hold_the_challenges_and_the_reading(path: Path) -> None:
    """A lesson's Teaching minutes are at least its challenges' minutes plus the reading."""
    text = path.read_text(encoding="utf-8")
    teaching = TEACHING.search(text)
    assert teaching, f"{path.name} states no Teaching minutes"
    challenge_minutes = sum(int(minutes) for minutes in CHALLENGE.findall(text))
    assert int(teaching[1]) >= challenge_minutes + READING, (
        f"{path.name}: Teaching {teaching[1]} min, challenges {challenge_minutes} min"
    )


def test_lesson_01_says_challenge_minutes_are_teaching_time() -> None:
    """Lesson 01, where the challenges are introduced, says where their minutes count."""
    text = (SOURCES / "01-connections-table.py").read_text(encoding="utf-8")
    assert "minutes are part\n# of the lesson's **Teaching** time" in text


def test_an_untagged_table_fails_saying_tag_resource(cloud: LocalCloud) -> None:
    """A right table without workshop:app=chat fails, naming the tag and tag_resource."""
    dynamodb = boto3.client("dynamodb")
    waits.create_table(
        dynamodb,
        TableName="untagged-connections",
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        with pytest.raises(CheckFailed, match="no tag workshop:app=chat.*tag_resource"):
            lesson01.connections_table("untagged-connections")
    finally:
        waits.delete_table(dynamodb, "untagged-connections")


def test_a_table_made_under_a_near_name_fails_naming_it(
    cloud: LocalCloud, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """chat-connection (one letter short) is an attempt: ✗ names it; the kit makes nothing."""
    dynamodb = boto3.client("dynamodb")
    waits.create_table(
        dynamodb,
        TableName="chat-connection",
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        with pytest.raises(CheckFailed, match="no table chat-connections, but there is 'chat-conn"):
            lesson01.connections_table()
        assert "chat-connections" not in dynamodb.list_tables()["TableNames"]
        assert "◻" not in capsys.readouterr().out
    finally:
        waits.delete_table(dynamodb, "chat-connection")


@pytest.fixture(scope="module")
def push(cloud: LocalCloud) -> Iterator[str]:
    """The push app as lesson 08's catch-up leaves it (no schedule, no scheduler role); the
    function's ARN."""
    lessons.catch_up_app("push")
    yield boto3.client("lambda").get_function_configuration(FunctionName=lesson08.FUNCTION)[
        "FunctionArn"
    ]


def _forget_role(name: str = lesson08.ROLE) -> None:
    iam = boto3.client("iam")
    try:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        pass


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def test_a_wrong_principal_fails_and_the_kit_claims_nothing(
    push: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """scheduler.amazon.com (a typo) in the trust policy gets ✗ naming it, not ◻."""
    _forget_role()
    boto3.client("iam").create_role(
        RoleName=lesson08.ROLE,
        AssumeRolePolicyDocument=_trust("scheduler.amazon.com"),
        Tags=[{"Key": "workshop:app", "Value": "push"}],
    )
    try:
        with pytest.raises(CheckFailed, match="scheduler.amazon.com"):
            lesson08.scheduler_role()
        assert "◻" not in capsys.readouterr().out
    finally:
        _forget_role()


def test_a_stub_role_is_made_by_the_kit_then_passes(
    push: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the stub the kit makes the role, and the check then passes with it."""
    _forget_role()
    lesson08.scheduler_role()
    assert "◻ Not done yet" in capsys.readouterr().out
    lesson08.scheduler_role()
    assert capsys.readouterr().out.startswith("✓ push-scheduler-role: Scheduler may assume it")


def test_a_role_without_invoke_fails_saying_what_to_allow(push: str, lenient: None) -> None:
    """A policy that allows something else: ✗ naming lambda:InvokeFunction on the function."""
    _forget_role()
    iam = boto3.client("iam")
    iam.create_role(
        RoleName=lesson08.ROLE,
        AssumeRolePolicyDocument=_trust("scheduler.amazonaws.com"),
        Tags=[{"Key": "workshop:app", "Value": "push"}],
    )
    other = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": push}],
    }
    iam.put_role_policy(
        RoleName=lesson08.ROLE, PolicyName="wrong", PolicyDocument=json.dumps(other)
    )
    try:
        with pytest.raises(
            CheckFailed, match="do not allow lambda:InvokeFunction on push-broadcast"
        ):
            lesson08.scheduler_role()
    finally:
        _forget_role()


def test_a_schedule_run_with_another_role_fails_naming_it(push: str, lenient: None) -> None:
    """A schedule whose target's RoleArn is another role: ✗ saying to give it role_arn."""
    lesson08.scheduler_role()  # the kit's role, if the stub left it to the kit
    iam = boto3.client("iam")
    _forget_role("push-other-role")
    other = iam.create_role(
        RoleName="push-other-role", AssumeRolePolicyDocument=_trust("scheduler.amazonaws.com")
    )["Role"]["Arn"]
    scheduler = boto3.client("scheduler")
    settings = {
        "Name": lesson08.SCHEDULE,
        "ScheduleExpression": lesson08.EXPRESSION,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": push, "RoleArn": other},
    }
    once_scheduler_may_assume(lambda: scheduler.create_schedule(**settings))
    try:
        with pytest.raises(CheckFailed, match="not push-scheduler-role"):
            lesson08.schedule()
    finally:
        scheduler.delete_schedule(Name=lesson08.SCHEDULE)
        _forget_role("push-other-role")
