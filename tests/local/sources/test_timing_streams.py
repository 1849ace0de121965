"""Event source mappings take time, as on AWS: Creating, Updating, Enabling, Disabling, Deleting.
Each careless call gets AWS's state or error; the careful one (look again until the mapping has
settled) succeeds. A mapping delivers only once Enabled, and with LATEST never what came before."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local.aws import dynamodb, states
from infra.local.sources.streams import StreamPoller
from infra.local.timing import DEFAULT, INSTANT, SHORT, Timing

if TYPE_CHECKING:
    from conftest import FakeCloud

SETTLED = ("Enabled", "Disabled")


@pytest.fixture
def timing(cloud: FakeCloud, function_arn: str) -> Iterator[Timing]:
    """moto's states at the tests' shortened timing (a test may switch to the defaults), once
    the mappings' function is made (its role is not these tests' subject)."""
    dynamodb.install()
    states.use(SHORT)
    yield SHORT
    states.use(INSTANT)


@pytest.fixture
def poller(cloud: FakeCloud, function_arn: str, timing: Timing) -> Iterator[StreamPoller]:
    poller = StreamPoller(cloud.backends, cloud.invoke_async, retry_backoff=0.01, max_backoff=0.05)
    poller.start()
    yield poller
    poller.stop()


def call(cloud: FakeCloud, service: str, operation: str, **params: Any) -> Any:
    """A call holding the backend lock, as the edge makes it."""
    with cloud.backend_lock:
        return getattr(boto3.client(service), operation)(**params)


def stream_of_new_table(cloud: FakeCloud) -> str:
    """A table with a stream, ACTIVE (waited for); its stream's ARN."""
    call(
        cloud,
        "dynamodb",
        "create_table",
        TableName="moves",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    boto3.client("dynamodb").get_waiter("table_exists").wait(
        TableName="moves", WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
    )
    table = call(cloud, "dynamodb", "describe_table", TableName="moves")["Table"]
    return str(table["LatestStreamArn"])


def put(cloud: FakeCloud, pk: str) -> None:
    call(cloud, "dynamodb", "put_item", TableName="moves", Item={"pk": {"S": pk}})


def create_mapping(cloud: FakeCloud, stream_arn: str, **options: Any) -> dict[str, Any]:
    options.setdefault("StartingPosition", "LATEST")
    return dict(
        call(
            cloud,
            "lambda",
            "create_event_source_mapping",
            EventSourceArn=stream_arn,
            FunctionName="on-change",
            **options,
        )
    )


def mapping_state(cloud: FakeCloud, uuid: str) -> str:
    return str(call(cloud, "lambda", "get_event_source_mapping", UUID=uuid)["State"])


def settled(cloud: FakeCloud, uuid: str) -> str:
    """Look again until the mapping is Enabled or Disabled (boto3 has no waiter for it)."""
    for _ in range(300):
        state = mapping_state(cloud, uuid)
        if state in SETTLED:
            return state
        time.sleep(0.05)
    raise AssertionError(f"the mapping is still {state}")


def error_of(cloud: FakeCloud, operation: str, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(cloud, "lambda", operation, **params)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def delivered(cloud: FakeCloud) -> list[str]:
    return [
        record["dynamodb"]["Keys"]["pk"]["S"]
        for event in cloud.events()
        for record in event["Records"]
    ]


def test_a_new_mapping_is_creating_then_enabled(cloud: FakeCloud, poller: StreamPoller) -> None:
    """At the defaults: Creating, and an update or a delete meanwhile is in use; then Enabled."""
    states.use(DEFAULT)
    stream = stream_of_new_table(cloud)
    uuid = create_mapping(cloud, stream)["UUID"]
    assert mapping_state(cloud, uuid) == "Creating"
    assert error_of(cloud, "update_event_source_mapping", UUID=uuid, BatchSize=5) == (
        "ResourceInUseException",
        "Cannot update the event source mapping because it is in use.",
    )
    assert error_of(cloud, "delete_event_source_mapping", UUID=uuid) == (
        "ResourceInUseException",
        "Cannot delete the event source mapping because it is in use.",
    )
    assert settled(cloud, uuid) == "Enabled"
    call(cloud, "lambda", "update_event_source_mapping", UUID=uuid, BatchSize=5)


def test_latest_skips_records_written_before_the_mapping_is_enabled(
    cloud: FakeCloud, poller: StreamPoller
) -> None:
    """With LATEST, a record written while the mapping is Creating is never delivered; one
    written once it is Enabled is."""
    stream = stream_of_new_table(cloud)
    uuid = create_mapping(cloud, stream)["UUID"]
    put(cloud, "while-creating")
    settled(cloud, uuid)
    put(cloud, "once-enabled")
    cloud.wait_for_calls(1)
    time.sleep(0.2)  # nothing more comes
    assert delivered(cloud) == ["once-enabled"]


def test_trim_horizon_delivers_only_once_enabled(cloud: FakeCloud, poller: StreamPoller) -> None:
    """With TRIM_HORIZON, what was written while Creating comes, but only once Enabled."""
    stream = stream_of_new_table(cloud)
    states.use(DEFAULT)  # long enough that a loaded machine still sees it Creating
    uuid = create_mapping(cloud, stream, StartingPosition="TRIM_HORIZON")["UUID"]
    put(cloud, "early")
    time.sleep(0.2)  # the poller had its chance
    assert mapping_state(cloud, uuid) == "Creating" and cloud.events() == []
    settled(cloud, uuid)
    cloud.wait_for_calls(1)
    assert delivered(cloud) == ["early"]


def test_an_update_is_updating_then_enabled(cloud: FakeCloud, poller: StreamPoller) -> None:
    """At the defaults: a BatchSize change is Updating (records still flow), then Enabled."""
    stream = stream_of_new_table(cloud)
    uuid = create_mapping(cloud, stream)["UUID"]
    settled(cloud, uuid)
    states.use(DEFAULT)
    answer = call(cloud, "lambda", "update_event_source_mapping", UUID=uuid, BatchSize=7)
    assert answer["State"] == "Updating"
    put(cloud, "during-update")
    cloud.wait_for_calls(1)
    assert settled(cloud, uuid) == "Enabled"
    assert call(cloud, "lambda", "get_event_source_mapping", UUID=uuid)["BatchSize"] == 7


def test_disabling_then_enabling(cloud: FakeCloud, poller: StreamPoller) -> None:
    """At the defaults: Disabling then Disabled (nothing delivered), Enabling then Enabled."""
    stream = stream_of_new_table(cloud)
    uuid = create_mapping(cloud, stream)["UUID"]
    settled(cloud, uuid)
    states.use(DEFAULT)
    call(cloud, "lambda", "update_event_source_mapping", UUID=uuid, Enabled=False)
    assert mapping_state(cloud, uuid) == "Disabling"
    assert settled(cloud, uuid) == "Disabled"
    put(cloud, "while-disabled")
    time.sleep(0.2)
    assert cloud.events() == []
    call(cloud, "lambda", "update_event_source_mapping", UUID=uuid, Enabled=True)
    assert mapping_state(cloud, uuid) == "Enabling"
    assert settled(cloud, uuid) == "Enabled"
    cloud.wait_for_calls(1)  # a disabled mapping goes on where it stopped, as Lambda's does


def test_a_deleted_mapping_is_deleting_then_gone(cloud: FakeCloud, poller: StreamPoller) -> None:
    """At the defaults: Deleting (Get and List still show it, nothing is delivered), then
    ResourceNotFoundException."""
    stream = stream_of_new_table(cloud)
    uuid = create_mapping(cloud, stream)["UUID"]
    settled(cloud, uuid)
    states.use(DEFAULT)
    assert call(cloud, "lambda", "delete_event_source_mapping", UUID=uuid)["State"] == "Deleting"
    assert mapping_state(cloud, uuid) == "Deleting"
    listed = call(cloud, "lambda", "list_event_source_mappings", FunctionName="on-change")
    assert [m["State"] for m in listed["EventSourceMappings"]] == ["Deleting"]
    put(cloud, "after-delete")
    for _ in range(300):
        try:
            mapping_state(cloud, uuid)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFoundException"
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the mapping is still Deleting")
    assert cloud.events() == []


def test_a_restored_mapping_has_settled(
    cloud: FakeCloud, timing: Timing, function_arn: str, tmp_path: Any
) -> None:
    """A mapping saved while Creating is Enabled once restored (its deadline was on the saved
    process's clock), and can be changed at once."""
    from infra.local.state.lifecycle import CloudState

    stream = stream_of_new_table(cloud)
    states.use(DEFAULT)
    uuid = create_mapping(cloud, stream)["UUID"]
    assert mapping_state(cloud, uuid) == "Creating"
    state = CloudState(cloud.backends, tmp_path, interval=3600).open()
    assert state.save_now()
    state.close()
    cloud.backends.reset()
    CloudState(cloud.backends, tmp_path, interval=3600).open().close()
    assert mapping_state(cloud, uuid) == "Enabled"
    call(cloud, "lambda", "update_event_source_mapping", UUID=uuid, BatchSize=3)
