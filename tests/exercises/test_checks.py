"""The checks' building blocks, and what a check's first line says for common mistakes.

These run against an in-process moto account (no local cloud): the table check needs no Lambda.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.client import BaseClient
from moto import mock_aws

from infra.exercises import checks
from infra.exercises.checks.common import answer
from infra.exercises.runner import PROJECT_ROOT


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


def make_table(
    name: str,
    key: str = "GameId",
    index: str = "by-player",
    index_key: str = "playerId",
    *,
    billing: str = "PAY_PER_REQUEST",
) -> str:
    dynamodb = boto3.client("dynamodb")
    throughput = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    provisioned = {"ProvisionedThroughput": throughput} if billing == "PROVISIONED" else {}
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": key, "AttributeType": "S"},
            {"AttributeName": index_key, "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": index_key, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                **provisioned,
            }
        ],
        BillingMode=billing,
        **provisioned,
    )
    return dynamodb.describe_table(TableName=name)["Table"]["TableArn"]


def waited(name: str, key: str, index: str = "by-player", index_key: str = "playerId") -> str:
    arn = make_table(name, key, index, index_key)
    waiter = boto3.client("dynamodb").get_waiter("table_exists")
    waiter.wait(TableName=name, WaiterConfig={"Delay": 1})  # boto3 polls every 20 s
    return arn


def test_recorded_calls_see_calls_and_waiters_then_let_go(moto_aws: None) -> None:
    """Every client's calls and waiters are recorded inside the block, and only there."""
    original = BaseClient._make_api_call
    with checks.recorded_calls() as calls:
        waited("games", "GameId")
    assert [c.params["TableName"] for c in calls.of("dynamodb", "CreateTable")] == ["games"]
    assert calls.of("dynamodb", "CreateTable")[0].response["TableDescription"]["TableName"]
    assert calls.waited("TableExists") and not calls.waited("FunctionActiveV2")
    assert BaseClient._make_api_call is original


def test_an_exception_in_the_answer_is_a_failed_check_naming_the_call() -> None:
    """A learner's ClientError is their answer failing, not a broken notebook."""

    def create_table(name: str, key: str) -> str:
        raise ValueError("boom\nmore")

    with pytest.raises(AssertionError, match=r"^create_table\('a', 'b'\) raised ValueError: boom$"):
        answer(create_table, "a", "b")


def test_a_stub_stays_not_implemented() -> None:
    """The grader reports a stub as "not done yet", so answer() lets it through."""

    def stub() -> None:
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        answer(stub)


def test_the_table_check_passes_a_right_answer(moto_aws: None) -> None:
    """A table keyed by GameId with the index by-host on Host, waited for, passes."""
    checks.check_create_table(waited, "games", "GameId", "by-host", "Host")


@pytest.mark.parametrize(
    ("create_table", "first_line"),
    [
        (lambda name, key, index, index_key: make_table(name, key, index, index_key), "create_table returned without waiting"),
        (lambda name, key, index, index_key: waited("games", "GameId"), "create_table('scores', ...) created 'games'"),
        (lambda name, key, index, index_key: waited(name, "id", index, index_key), "The table's key schema is"),
        (lambda name, key, index, index_key: waited(name, key, "other", index_key), "The table has no global secondary index 'by-player'"),
        (lambda name, key, index, index_key: waited(name, key, index, "level"), "'playerId' should be a string key"),
        (lambda name, key, index, index_key: waited(name, key, index, index_key) and None, "create_table returned None, expected the table's ARN"),
    ],
    ids=["no waiter", "hard-coded names", "wrong key", "no index", "wrong index key", "no ARN"],
)  # fmt: skip
def test_the_table_check_says_what_is_wrong(
    moto_aws: None, create_table: object, first_line: str
) -> None:
    """Each mistake gets a first line that names it."""
    with pytest.raises(AssertionError) as failed:
        checks.check_create_table(create_table, "scores", "ScoreId", "by-player", "playerId")  # type: ignore[arg-type]
    assert str(failed.value).startswith(first_line)


def test_the_table_check_wants_on_demand_billing(moto_aws: None) -> None:
    """A provisioned table fails, saying how to make it on demand."""

    def provisioned(name: str, key: str, index: str, index_key: str) -> str:
        arn = make_table(name, key, index, index_key, billing="PROVISIONED")
        waiter = boto3.client("dynamodb").get_waiter("table_exists")
        waiter.wait(TableName=name, WaiterConfig={"Delay": 1})
        return arn

    with pytest.raises(AssertionError, match="^The table's billing mode is 'PROVISIONED'"):
        checks.check_create_table(provisioned, "scores", "ScoreId", "by-player", "playerId")


def test_a_learners_folder_missing_a_handler_module_fails_its_check_naming_the_file(
    tmp_path: Path,
) -> None:
    """A chat folder whose default.py was deleted fails the check, saying which file; no deploy."""
    folder = tmp_path / "chat"
    shutil.copytree(PROJECT_ROOT / "lambdas" / "chat", folder)
    (folder / "default.py").unlink()
    with pytest.raises(AssertionError) as failed:
        checks.check_chat_who(folder)
    assert f"{folder} has no default.py, which the $default route's handler" in str(failed.value)


@pytest.mark.parametrize(
    ("expression", "hour"),
    [("cron(0 10 * * ? *)", 10), ("cron(0 7 ? * * *)", 7), ("cron(00 23 * * ? *)", 23),
     ("cron(30 10 * * ? *)", None), ("cron(0 10 * * ?)", None), ("cron(0 10 ? * MON *)", None),
     ("rate(1 day)", None), (None, None)],
)  # fmt: skip
def test_the_reminder_check_reads_a_daily_cron_either_way(
    expression: str | None, hour: int | None
) -> None:
    """Once a day at minute 0, with either day field `?`, is daily; anything else is not."""
    from infra.exercises.checks.lesson08 import _daily_hour

    assert _daily_hour(expression) == hour


NAMED_ANSWER = 'rows = scan_connections(table, FilterExpression=Attr("name").eq(name))'


def chat_folder_with(tmp_path: Path, named_body: str) -> Path:
    """A copy of lambdas/chat whose connections_named reads `rows` as `named_body` does."""
    folder = tmp_path / "chat"
    shutil.copytree(PROJECT_ROOT / "lambdas" / "chat", folder)
    common = folder / "common.py"
    common.write_text(common.read_text().replace(NAMED_ANSWER, named_body))
    return folder


def test_the_named_check_passes_the_answer_on_pages_of_one_row(
    moto_aws: None, tmp_path: Path
) -> None:
    """The kit's connections_named follows every page, even pages of one row."""
    checks.check_chat_named(chat_folder_with(tmp_path, NAMED_ANSWER), matches=3, page_size=1)


def test_the_named_check_refuses_names_that_only_look_alike(moto_aws: None, tmp_path: Path) -> None:
    """A filter with `contains` also finds bobby: the check says to match the name exactly."""
    loose = 'rows = scan_connections(table, FilterExpression=Attr("name").contains(name))'
    with pytest.raises(AssertionError, match="whose name equals `name` exactly"):
        checks.check_chat_named(chat_folder_with(tmp_path, loose))


def test_the_named_checks_hidden_variant_reads_every_page(moto_aws: None, tmp_path: Path) -> None:
    """Reading the first page only passes the visible check and fails the hidden one."""
    first_page = 'rows = table.scan(FilterExpression=Attr("name").eq(name))["Items"]'
    folder = chat_folder_with(tmp_path, first_page)
    checks.check_chat_named(folder)
    with pytest.raises(AssertionError, match="read every page"):
        checks.check_chat_named(folder, matches=3, page_size=1)


def test_a_call_that_skips_a_wait_gets_aws_s_words_and_what_to_do() -> None:
    """A learner's function refused for a role too new, or an update in progress, gets a hint."""
    from botocore.exceptions import ClientError

    def young_role() -> None:
        error = {
            "Code": "InvalidParameterValueException",
            "Message": "The role defined for the function cannot be assumed by Lambda.",
        }
        raise ClientError({"Error": error}, "CreateFunction")

    with pytest.raises(AssertionError, match="retry create_function"):
        answer(young_role)
