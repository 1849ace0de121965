"""Lessons 01 and 08's checks (the tag; EventBridge's permission), and the lessons' minutes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from infra import lessons
from infra.challenges import CheckFailed, lesson01, lesson08, permissions
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
    """The push app as lesson 08 leaves it after push-rule: the rule and its target; its ARN."""
    lessons.catch_up_app("push")
    yield lesson08.put_schedule()


def _clear_permissions() -> None:
    lambda_ = boto3.client("lambda")
    for statement in permissions.statements(lesson08.FUNCTION):
        lambda_.remove_permission(FunctionName=lesson08.FUNCTION, StatementId=statement["Sid"])


def test_a_wrong_principal_fails_and_the_kit_claims_nothing(
    push: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """events.amazon.com (a typo) gets ✗ naming it, not ◻ "the kit did it"."""
    _clear_permissions()
    boto3.client("lambda").add_permission(
        FunctionName=lesson08.FUNCTION,
        StatementId=lesson08.STATEMENT,
        Action="lambda:InvokeFunction",
        Principal="events.amazon.com",
        SourceArn=push,
    )
    try:
        with pytest.raises(CheckFailed, match="lets 'events.amazon.com' invoke it"):
            lesson08.events_may_invoke()
        assert "◻" not in capsys.readouterr().out
    finally:
        _clear_permissions()


def test_a_stub_permission_is_made_by_the_kit_then_passes(
    push: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the stub the kit adds the statement, and the check then passes with it."""
    _clear_permissions()
    lesson08.events_may_invoke()
    assert capsys.readouterr().out.startswith("◻ Not done yet")
    lesson08.events_may_invoke()
    assert capsys.readouterr().out.startswith("✓ events.amazonaws.com may invoke push-broadcast")


def test_a_second_statement_for_events_fails_saying_remove_it(push: str, lenient: None) -> None:
    """Two statements for EventBridge (another StatementId on a re-run): one is enough."""
    _clear_permissions()
    lesson08.events_may_invoke()  # the kit's statement
    boto3.client("lambda").add_permission(
        FunctionName=lesson08.FUNCTION,
        StatementId="events-again",
        Action="lambda:InvokeFunction",
        Principal=lesson08.EVENTS,
        SourceArn=push,
    )
    try:
        with pytest.raises(CheckFailed, match="2 statements for events.amazonaws.com"):
            lesson08.events_may_invoke()
    finally:
        _clear_permissions()
