"""teardown: removes exactly the resources tagged with the app, line by line."""

from __future__ import annotations

import boto3
import pytest

from infra.deploy import create_connections_table, teardown
from infra.deploy.apps import deploy_app


@pytest.fixture
def push_deployed(moto_aws: boto3.Session) -> None:
    """The push app (table, API, role, functions, schedule) and an untagged bystander table."""
    deploy_app("push")
    moto_aws.client("dynamodb").create_table(
        TableName="notes",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_removes_every_tagged_resource(moto_aws: boto3.Session, push_deployed: None) -> None:
    """After teardown no function, API, role, schedule or table of the app is left."""
    teardown("push")
    assert moto_aws.client("lambda").list_functions()["Functions"] == []
    assert moto_aws.client("apigatewayv2").get_apis()["Items"] == []
    assert moto_aws.client("iam").list_roles(PathPrefix="/workshop/")["Roles"] == []
    assert moto_aws.client("scheduler").list_schedules()["Schedules"] == []


def test_untagged_table_survives(moto_aws: boto3.Session, push_deployed: None) -> None:
    """A table without the app tag is left alone."""
    teardown("push")
    assert moto_aws.client("dynamodb").list_tables()["TableNames"] == ["notes"]


def test_other_apps_survive(moto_aws: boto3.Session, push_deployed: None) -> None:
    """Another app's tagged table is left alone."""
    create_connections_table("chat")
    teardown("push")
    assert sorted(moto_aws.client("dynamodb").list_tables()["TableNames"]) == [
        "chat-connections",
        "notes",
    ]


def test_reports_each_removal(
    moto_aws: boto3.Session, push_deployed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each deleted resource gets one line, and the same descriptions are returned."""
    capsys.readouterr()
    removed = teardown("push")
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"✓ {item} (deleted)" for item in removed]
    assert "schedule push-schedule" in removed
    assert "table push-connections" in removed
    assert "role push-lambda-role" in removed
    assert {"function push-connect", "function push-disconnect", "function push-broadcast"} <= set(
        removed
    )


def test_second_teardown_finds_nothing(
    moto_aws: boto3.Session, push_deployed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tearing down twice is harmless and says there was nothing left."""
    teardown("push")
    capsys.readouterr()
    assert teardown("push") == []
    assert capsys.readouterr().out == "✓ nothing tagged workshop:app=push to remove\n"
