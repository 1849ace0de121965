"""create_connections_table: idempotent, tagged, streams and TTL on demand."""

from __future__ import annotations

import boto3
import pytest

from infra.deploy import create_connections_table, enable_stream


def test_creates_a_tagged_on_demand_table(moto_aws: boto3.Session) -> None:
    """The table is keyed by connectionId, on demand, and tagged with the app."""
    arn = create_connections_table("chat")
    dynamodb = moto_aws.client("dynamodb")
    table = dynamodb.describe_table(TableName="chat-connections")["Table"]
    assert table["TableArn"] == arn
    assert table["KeySchema"] == [{"AttributeName": "connectionId", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "workshop:app", "Value": "chat"}
    ]


def test_reports_created_then_exists(
    moto_aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """Running twice reuses the table and says so in one line each time."""
    first = create_connections_table("chat")
    second = create_connections_table("chat")
    assert first == second
    assert capsys.readouterr().out.splitlines() == [
        "✓ table chat-connections (created)",
        "✓ table chat-connections (exists)",
    ]
    assert moto_aws.client("dynamodb").list_tables()["TableNames"] == ["chat-connections"]


def test_stream_is_enabled_on_rerun(
    moto_aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """Asking for a stream on an existing table turns it on and reports an update."""
    create_connections_table("arena")
    create_connections_table("arena", stream=True)
    table = moto_aws.client("dynamodb").describe_table(TableName="arena-connections")["Table"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert capsys.readouterr().out.splitlines()[-1] == "✓ table arena-connections (updated)"


def test_enable_stream_is_idempotent(moto_aws: boto3.Session) -> None:
    """enable_stream reports True only the first time."""
    create_connections_table("arena")
    assert enable_stream("arena-connections") is True
    assert enable_stream("arena-connections") is False


def test_custom_key_and_ttl(moto_aws: boto3.Session) -> None:
    """A games table keyed by GameId expires items through the ttl attribute."""
    create_connections_table("tictactoe", "tictactoe-games", key="GameId", ttl_attribute="ttl")
    dynamodb = moto_aws.client("dynamodb")
    key = dynamodb.describe_table(TableName="tictactoe-games")["Table"]["KeySchema"]
    assert key == [{"AttributeName": "GameId", "KeyType": "HASH"}]
    ttl = dynamodb.describe_time_to_live(TableName="tictactoe-games")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
