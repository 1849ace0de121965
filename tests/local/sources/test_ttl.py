"""DynamoDB TTL sweeping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from infra.local.aws.dynamodb import stream_changes
from infra.local.sources.ttl import TtlSweeper

if TYPE_CHECKING:
    from conftest import FakeCloud

NOW = 1_800_000_000.0


def ddb(cloud: FakeCloud, operation: str, **params: Any) -> Any:
    with cloud.backend_lock:
        return getattr(boto3.client("dynamodb"), operation)(**params)


def make_table(cloud: FakeCloud, ttl_enabled: bool = True) -> None:
    ddb(
        cloud,
        "create_table",
        TableName="games",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    ddb(
        cloud,
        "update_time_to_live",
        TableName="games",
        TimeToLiveSpecification={"Enabled": ttl_enabled, "AttributeName": "ttl"},
    )


def put(cloud: FakeCloud, pk: str, ttl: dict[str, str] | None) -> None:
    item: dict[str, Any] = {"pk": {"S": pk}}
    if ttl is not None:
        item["ttl"] = ttl
    ddb(cloud, "put_item", TableName="games", Item=item)


def keys(cloud: FakeCloud) -> set[str]:
    return {item["pk"]["S"] for item in ddb(cloud, "scan", TableName="games")["Items"]}


def stream_records(cloud: FakeCloud) -> list[dict[str, Any]]:
    streams = boto3.client("dynamodbstreams")
    with cloud.backend_lock:
        arn = streams.list_streams(TableName="games")["Streams"][0]["StreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        return streams.get_records(ShardIterator=iterator)["Records"]


def test_sweep_deletes_only_expired_items(cloud: FakeCloud):
    """Past expiry goes; future expiry, no TTL attribute and non-numbers stay."""
    sweeper = TtlSweeper(cloud.backends, clock=lambda: NOW)
    make_table(cloud)
    put(cloud, "expired", {"N": str(int(NOW) - 10)})
    put(cloud, "future", {"N": str(int(NOW) + 10)})
    put(cloud, "forever", None)
    put(cloud, "text", {"S": str(int(NOW) - 10)})
    assert sweeper.sweep_now() == 1
    assert keys(cloud) == {"future", "forever", "text"}


def test_sweep_skips_items_expired_more_than_five_years_ago(cloud: FakeCloud):
    """As AWS, an expiry older than five years is treated as not a TTL and kept."""
    sweeper = TtlSweeper(cloud.backends, clock=lambda: NOW)
    make_table(cloud)
    put(cloud, "ancient", {"N": str(int(NOW) - 6 * 365 * 24 * 3600)})
    assert sweeper.sweep_now() == 0
    assert keys(cloud) == {"ancient"}


def test_sweep_ignores_tables_with_ttl_disabled(cloud: FakeCloud):
    """Without TTL enabled, expired-looking items stay."""
    sweeper = TtlSweeper(cloud.backends, clock=lambda: NOW)
    make_table(cloud, ttl_enabled=False)
    put(cloud, "expired", {"N": str(int(NOW) - 10)})
    assert sweeper.sweep_now() == 0


def test_ttl_removal_is_a_remove_record_by_the_dynamodb_service(cloud: FakeCloud):
    """GetRecords shows a REMOVE with userIdentity Service/dynamodb.amazonaws.com."""
    sweeper = TtlSweeper(cloud.backends, clock=lambda: NOW)
    make_table(cloud)
    put(cloud, "expired", {"N": str(int(NOW) - 10)})
    sweeper.sweep_now()
    remove = stream_records(cloud)[-1]
    assert remove["eventName"] == "REMOVE"
    assert remove["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert remove["dynamodb"]["OldImage"]["pk"] == {"S": "expired"}


def test_user_delete_has_no_user_identity(cloud: FakeCloud):
    """A DeleteItem by the application is a REMOVE without userIdentity."""
    TtlSweeper(cloud.backends, clock=lambda: NOW).sweep_now()  # installs the stream hooks
    make_table(cloud)
    put(cloud, "a", None)
    ddb(cloud, "delete_item", TableName="games", Key={"pk": {"S": "a"}})
    remove = stream_records(cloud)[-1]
    assert remove["eventName"] == "REMOVE"
    assert "userIdentity" not in remove


def test_background_sweeper_deletes_on_its_interval(cloud: FakeCloud):
    """The started sweeper deletes expired items without being asked."""
    make_table(cloud)
    put(cloud, "expired", {"N": str(int(NOW) - 10)})
    sweeper = TtlSweeper(cloud.backends, interval=0.05, clock=lambda: NOW)
    seen = stream_changes.generation
    sweeper.start()
    try:
        stream_changes.wait_for_change(seen, timeout=3)  # the REMOVE record
    finally:
        sweeper.stop()
    assert keys(cloud) == set()
