"""Log events and stream records are kept as AWS keeps them, then dropped from memory."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from infra.local.aws import dynamodb as aws_dynamodb
from infra.local.sources.retention import Retention
from tests import waits
from tests.local.sources.conftest import FakeCloud

DAY_MS = 86_400_000


def put_events(logs: Any, group: str, ages_ms: list[int], now_ms: int, size: int = 10) -> None:
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    events = [{"timestamp": now_ms - age, "message": "m" * size} for age in sorted(ages_ms)[::-1]]
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)


def messages(logs: Any, group: str) -> int:
    return len(logs.get_log_events(logGroupName=group, logStreamName="s")["events"])


def test_a_groups_retention_policy_drops_older_events(cloud: FakeCloud) -> None:
    """A group with retentionInDays 1 loses events over a day old and keeps the rest."""
    logs = boto3.client("logs")
    now = time.time()
    now_ms = int(now * 1000)
    put_events(logs, "/aws/lambda/kept-a-day", [1000, DAY_MS // 2, 2 * DAY_MS], now_ms)
    logs.put_retention_policy(logGroupName="/aws/lambda/kept-a-day", retentionInDays=1)
    assert Retention(cloud.backends, clock=lambda: now).expire_now()[0] == 1
    assert messages(logs, "/aws/lambda/kept-a-day") == 2


def test_a_group_without_a_policy_keeps_the_local_default(cloud: FakeCloud) -> None:
    """Never-expire groups keep LOG_KEEP_SECONDS here, and at most their newest bytes."""
    logs = boto3.client("logs")
    now = time.time()
    now_ms = int(now * 1000)
    put_events(logs, "/aws/lambda/default", [1000, 2000, 3 * DAY_MS], now_ms, size=100)
    retention = Retention(cloud.backends, clock=lambda: now, log_group_bytes=150)
    assert retention.expire_now()[0] == 2  # the 3-day-old one, and one over 150 bytes
    assert messages(logs, "/aws/lambda/default") == 1


def test_stream_records_older_than_24_hours_go_and_indexes_hold(
    cloud: FakeCloud,
) -> None:
    """Records past 24 h are dropped; sequence numbers and the kit's indexes do not move, so
    new records still come at the index a reader expects."""
    dynamodb = boto3.client("dynamodb")
    waits.create_table(
        dynamodb,
        TableName="old-stream",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    aws_dynamodb.install()
    for key in ("a", "b", "c"):
        dynamodb.put_item(TableName="old-stream", Item={"k": {"S": key}})
    with cloud.backends.open() as services:
        shard = services.dynamodb.tables["old-stream"].stream_shard
        for record in shard.items[:2]:  # two records from two days ago
            old = datetime.now(UTC) - timedelta(days=2)
            record.record["dynamodb"]["ApproximateCreationDateTime"] = old
        sequence_of_c = shard.items[2].record["dynamodb"]["SequenceNumber"]
    arn = dynamodb.describe_table(TableName="old-stream")["Table"]["LatestStreamArn"]
    assert Retention(cloud.backends).expire_now()[1] == 2
    dynamodb.put_item(TableName="old-stream", Item={"k": {"S": "d"}})
    records = aws_dynamodb.stream_records(cloud.backends, arn, 2, 10)  # index 2 is still "c"
    assert [r["dynamodb"]["Keys"]["k"]["S"] for r in records] == ["c", "d"]
    assert records[0]["dynamodb"]["SequenceNumber"] == sequence_of_c
    assert aws_dynamodb.stream_records(cloud.backends, arn, 0, 10)[0]["dynamodb"]["Keys"] == {
        "k": {"S": "c"}
    }  # an index before the trim reads from the oldest record kept


def test_a_shard_keeps_at_most_its_newest_records(cloud: FakeCloud) -> None:
    """Past `stream_records_kept`, the oldest records go however young they are; the newest stay
    at the indexes a reader expects."""
    dynamodb = boto3.client("dynamodb")
    waits.create_table(
        dynamodb,
        TableName="busy-stream",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    aws_dynamodb.install()
    for key in "abcde":
        dynamodb.put_item(TableName="busy-stream", Item={"k": {"S": key}})
    arn = dynamodb.describe_table(TableName="busy-stream")["Table"]["LatestStreamArn"]
    assert Retention(cloud.backends, stream_records_kept=2).expire_now()[1] == 3
    records = aws_dynamodb.stream_records(cloud.backends, arn, 3, 10)
    assert [r["dynamodb"]["Keys"]["k"]["S"] for r in records] == ["d", "e"]
