"""Time to Live takes time, as on AWS: ENABLING/DISABLING, a change at most once an hour, and
an expired item read until it is deleted. Each careless call gets AWS's state or error; the
careful one (look again until it settles, filter expired items) succeeds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local.aws import dynamodb, states
from infra.local.sources.ttl import TtlSweeper
from infra.local.timing import DEFAULT, INSTANT, SHORT, Timing

if TYPE_CHECKING:
    from conftest import FakeCloud

TOO_SOON = "Time to live has been modified multiple times within a fixed interval"


@pytest.fixture
def timing(cloud: FakeCloud) -> Iterator[Timing]:
    """moto's states at the tests' shortened timing (a test may switch to another)."""
    dynamodb.install()
    states.use(SHORT)
    yield SHORT
    states.use(INSTANT)


def ddb(cloud: FakeCloud, operation: str, **params: Any) -> Any:
    with cloud.backend_lock:
        return getattr(boto3.client("dynamodb"), operation)(**params)


def make_table(cloud: FakeCloud, name: str = "sessions") -> None:
    """A table, ACTIVE (waited for, as the careful code does)."""
    ddb(
        cloud,
        "create_table",
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("dynamodb").get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
    )


def set_ttl(cloud: FakeCloud, enabled: bool, name: str = "sessions") -> None:
    ddb(
        cloud,
        "update_time_to_live",
        TableName=name,
        TimeToLiveSpecification={"Enabled": enabled, "AttributeName": "expires"},
    )


def ttl_status(cloud: FakeCloud, name: str = "sessions") -> str:
    return str(
        ddb(cloud, "describe_time_to_live", TableName=name)["TimeToLiveDescription"][
            "TimeToLiveStatus"
        ]
    )


def settled(cloud: FakeCloud, name: str = "sessions") -> str:
    """Look again until TTL is ENABLED or DISABLED (no boto3 waiter exists for it)."""
    for _ in range(200):
        status = ttl_status(cloud, name)
        if status in ("ENABLED", "DISABLED"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"TTL still {status}")


def refused(cloud: FakeCloud, enabled: bool) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        set_ttl(cloud, enabled)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def test_enabling_ttl_is_enabling_then_enabled(cloud: FakeCloud, timing: Timing) -> None:
    """At the defaults: DescribeTimeToLive says ENABLING; looking again finds ENABLED."""
    states.use(DEFAULT)
    make_table(cloud)
    set_ttl(cloud, True)
    assert ttl_status(cloud) == "ENABLING"
    assert settled(cloud) == "ENABLED"


def test_disabling_ttl_is_disabling_then_disabled(cloud: FakeCloud, timing: Timing) -> None:
    """At the defaults (but a short cooldown): DISABLING, then DISABLED."""
    states.use(replace(DEFAULT, ttl_cooldown=0.0))
    make_table(cloud)
    set_ttl(cloud, True)
    settled(cloud)
    set_ttl(cloud, False)
    assert ttl_status(cloud) == "DISABLING"
    assert settled(cloud) == "DISABLED"


def test_a_change_while_one_is_in_progress_is_refused(cloud: FakeCloud, timing: Timing) -> None:
    """A second UpdateTimeToLive while ENABLING: AWS's ValidationException; TTL is unchanged."""
    states.use(replace(SHORT, ttl_cooldown=0.0))
    make_table(cloud)
    set_ttl(cloud, True)
    assert refused(cloud, False) == ("ValidationException", TOO_SOON)
    assert settled(cloud) == "ENABLED"
    set_ttl(cloud, False)  # once settled (and past the cooldown) a change is taken
    assert settled(cloud) == "DISABLED"


def test_a_change_within_the_hour_is_refused(cloud: FakeCloud, timing: Timing) -> None:
    """After a change has settled, another within `ttl_cooldown` (AWS: an hour) is refused."""
    states.use(replace(SHORT, ttl_cooldown=1.0))
    make_table(cloud)
    set_ttl(cloud, True)
    assert settled(cloud) == "ENABLED"
    assert refused(cloud, False) == ("ValidationException", TOO_SOON)
    time.sleep(1.0)
    set_ttl(cloud, False)
    assert settled(cloud) == "DISABLED"


def test_the_hour_holds_in_the_shortened_timing(timing: Timing) -> None:
    """The one-hour rule is AWS's own limit: the tests' timing keeps it, `instant` drops it."""
    assert SHORT.ttl_cooldown == DEFAULT.ttl_cooldown == 3600.0
    assert INSTANT.ttl_cooldown == 0.0


def test_a_table_still_enabling_is_not_swept(cloud: FakeCloud, timing: Timing) -> None:
    """Expired items stay while TTL is ENABLING; the first sweep after ENABLED takes them."""
    make_table(cloud)
    sweeper = TtlSweeper(cloud.backends, clock=time.time)
    set_ttl(cloud, True)
    expired = {"pk": {"S": "old"}, "expires": {"N": str(int(time.time()) - 60)}}
    ddb(cloud, "put_item", TableName="sessions", Item=expired)
    assert sweeper.sweep_now() == 0
    settled(cloud)
    assert sweeper.sweep_now() == 1


def test_an_expired_item_is_read_until_it_is_deleted(cloud: FakeCloud, timing: Timing) -> None:
    """Within `ttl_delete_delay` of its expiry an item is still read (filter it, as AWS advises);
    after it, the sweep deletes it."""
    make_table(cloud)
    set_ttl(cloud, True)
    settled(cloud)
    now = 1_800_000_000.0
    sweeper = TtlSweeper(cloud.backends, clock=lambda: now, delete_delay=SHORT.ttl_delete_delay)
    item = {"pk": {"S": "gone-soon"}, "expires": {"N": str(int(now) - 1)}}
    ddb(cloud, "put_item", TableName="sessions", Item=item)
    assert sweeper.sweep_now() == 0
    read = ddb(cloud, "get_item", TableName="sessions", Key={"pk": {"S": "gone-soon"}})
    assert read["Item"] == item
    live = ddb(
        cloud,
        "scan",
        TableName="sessions",
        FilterExpression="expires > :now",
        ExpressionAttributeValues={":now": {"N": str(int(now))}},
    )
    assert live["Items"] == []  # the careful read filters it out
    now += SHORT.ttl_delete_delay
    assert sweeper.sweep_now() == 1
    assert "Item" not in ddb(
        cloud, "get_item", TableName="sessions", Key={"pk": {"S": "gone-soon"}}
    )
