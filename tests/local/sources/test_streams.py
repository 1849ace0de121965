"""DynamoDB Streams -> Lambda event source mappings."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from infra.local.aws.dynamodb import install as install_stream_notifier
from infra.local.sources.streams import StreamPoller

if TYPE_CHECKING:
    from conftest import FakeCloud

FIXTURE = Path(__file__).parents[2] / "events" / "dynamodb_stream.json"


def make_table(cloud: FakeCloud, view_type: str = "NEW_AND_OLD_IMAGES", name: str = "chat") -> str:
    """Create a table with a stream and return the stream ARN."""
    install_stream_notifier()
    with cloud.backend_lock:
        table = boto3.client("dynamodb").create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},
        )
    return table["TableDescription"]["LatestStreamArn"]


def ddb(cloud: FakeCloud, operation: str, **params: Any) -> Any:
    """Call DynamoDB holding the backend lock, as the edge does."""
    with cloud.backend_lock:
        return getattr(boto3.client("dynamodb"), operation)(**params)


def put(cloud: FakeCloud, pk: str, **attributes: str) -> None:
    item = {"pk": {"S": pk}} | {k: {"S": v} for k, v in attributes.items()}
    ddb(cloud, "put_item", TableName="chat", Item=item)


def map_stream(cloud: FakeCloud, stream_arn: str, **options: Any) -> str:
    options.setdefault("StartingPosition", "TRIM_HORIZON")
    with cloud.backend_lock:
        mapping = boto3.client("lambda").create_event_source_mapping(
            EventSourceArn=stream_arn, FunctionName="on-change", **options
        )
    return mapping["UUID"]


def records_of(cloud: FakeCloud) -> list[dict[str, Any]]:
    return [record for event in cloud.events() for record in event["Records"]]


@pytest.fixture
def poller(cloud: FakeCloud, function_arn: str) -> Iterator[StreamPoller]:
    poller = StreamPoller(cloud.backends, cloud.invoke_async, retry_backoff=0.01, max_backoff=0.05)
    poller.start()
    yield poller
    poller.stop()


def test_record_has_the_shape_of_a_captured_aws_event(cloud: FakeCloud, poller: StreamPoller):
    """Every key of a captured AWS record is present with the same type."""
    stream_arn = make_table(cloud)
    map_stream(cloud, stream_arn)
    put(cloud, "a", room="lobby")
    cloud.wait_for_calls(1)
    record = records_of(cloud)[0]
    expected = json.loads(FIXTURE.read_text())["Records"][0]
    assert record.keys() == expected.keys()
    assert record["dynamodb"].keys() == expected["dynamodb"].keys()
    for key, value in expected["dynamodb"].items():
        assert type(record["dynamodb"][key]) is type(value), key
    assert record["eventVersion"] == "1.1"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == stream_arn
    assert record["awsRegion"] == "us-east-1"
    assert record["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "room": {"S": "lobby"}}
    json.dumps(cloud.events()[0])  # the event is plain JSON


def test_insert_modify_remove_arrive_in_order(cloud: FakeCloud, poller: StreamPoller):
    """A put, an overwrite and a delete give INSERT, MODIFY, REMOVE with rising sequence numbers."""
    stream_arn = make_table(cloud)
    put(cloud, "a", room="lobby")
    put(cloud, "a", room="games")
    ddb(cloud, "delete_item", TableName="chat", Key={"pk": {"S": "a"}})
    map_stream(cloud, stream_arn)
    cloud.wait_for_calls(1)
    records = records_of(cloud)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert records[1]["dynamodb"]["OldImage"]["room"] == {"S": "lobby"}
    assert records[1]["dynamodb"]["NewImage"]["room"] == {"S": "games"}
    assert "NewImage" not in records[2]["dynamodb"]


@pytest.mark.parametrize(
    ("view_type", "images"),
    [
        ("KEYS_ONLY", set()),
        ("NEW_IMAGE", {"NewImage"}),
        ("OLD_IMAGE", {"OldImage"}),
        ("NEW_AND_OLD_IMAGES", {"NewImage", "OldImage"}),
    ],
)
def test_view_type_decides_images(
    cloud: FakeCloud, poller: StreamPoller, view_type: str, images: set[str]
):
    """A MODIFY record carries exactly the images its StreamViewType asks for."""
    stream_arn = make_table(cloud, view_type)
    put(cloud, "a", room="lobby")
    put(cloud, "a", room="games")
    map_stream(cloud, stream_arn)
    cloud.wait_for_calls(1)
    modify = records_of(cloud)[1]["dynamodb"]
    assert {"NewImage", "OldImage"} & modify.keys() == images
    assert modify["Keys"] == {"pk": {"S": "a"}}
    assert modify["StreamViewType"] == view_type


def test_latest_skips_records_written_before_the_mapping(cloud: FakeCloud, poller: StreamPoller):
    """StartingPosition LATEST delivers only records written after the mapping was created."""
    stream_arn = make_table(cloud)
    put(cloud, "old")
    map_stream(cloud, stream_arn, StartingPosition="LATEST")
    put(cloud, "new")
    cloud.wait_for_calls(1)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records_of(cloud)] == ["new"]


def test_trim_horizon_delivers_records_written_before_the_mapping(
    cloud: FakeCloud, poller: StreamPoller
):
    """StartingPosition TRIM_HORIZON starts with the oldest record."""
    stream_arn = make_table(cloud)
    put(cloud, "old")
    map_stream(cloud, stream_arn, StartingPosition="TRIM_HORIZON")
    cloud.wait_for_calls(1)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records_of(cloud)] == ["old"]


def test_batch_size_splits_records(cloud: FakeCloud, poller: StreamPoller):
    """Five records with BatchSize 2 arrive as batches of 2, 2 and 1, in order."""
    stream_arn = make_table(cloud)
    for pk in "abcde":
        put(cloud, pk)
    map_stream(cloud, stream_arn, BatchSize=2)
    cloud.wait_for_calls(3)
    assert [len(event["Records"]) for event in cloud.events()] == [2, 2, 1]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records_of(cloud)] == list("abcde")


def test_batching_window_gathers_records(cloud: FakeCloud, poller: StreamPoller):
    """With a batching window, records written one by one inside it arrive as one batch."""
    stream_arn = make_table(cloud)
    map_stream(cloud, stream_arn, BatchSize=10, MaximumBatchingWindowInSeconds=1)
    for pk in "abc":
        put(cloud, pk)
    cloud.wait_for_calls(1)
    assert [len(event["Records"]) for event in cloud.events()] == [3]


def test_full_batch_does_not_wait_for_the_window(cloud: FakeCloud, poller: StreamPoller):
    """A batch that reaches BatchSize is sent without waiting for the window to end."""
    stream_arn = make_table(cloud)
    map_stream(cloud, stream_arn, BatchSize=2, MaximumBatchingWindowInSeconds=300)
    put(cloud, "a")
    put(cloud, "b")
    cloud.wait_for_calls(1)
    assert len(cloud.events()[0]["Records"]) == 2


def test_disabled_mapping_holds_records_until_enabled(cloud: FakeCloud, poller: StreamPoller):
    """A disabled mapping invokes nothing; enabling it delivers what was written meanwhile."""
    stream_arn = make_table(cloud)
    uuid = map_stream(cloud, stream_arn, Enabled=False)
    put(cloud, "a")
    with cloud.backend_lock:
        state = boto3.client("lambda").get_event_source_mapping(UUID=uuid)["State"]
    assert state == "Disabled"
    assert cloud.events() == []
    with cloud.backend_lock:
        boto3.client("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)
    cloud.wait_for_calls(1)
    assert records_of(cloud)[0]["dynamodb"]["Keys"]["pk"]["S"] == "a"


def test_deleted_mapping_stops_delivering(cloud: FakeCloud, poller: StreamPoller):
    """After DeleteEventSourceMapping new records invoke nothing."""
    stream_arn = make_table(cloud)
    uuid = map_stream(cloud, stream_arn)
    put(cloud, "a")
    cloud.wait_for_calls(1)
    with cloud.backend_lock:
        boto3.client("lambda").delete_event_source_mapping(UUID=uuid)
    map_stream(cloud, stream_arn, StartingPosition="LATEST")  # a second mapping, to know when
    put(cloud, "b")
    calls = cloud.wait_for_calls(2)
    assert len(calls) == 2
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records_of(cloud)] == ["a", "b"]


def test_failed_batch_is_retried_until_it_succeeds(cloud: FakeCloud, poller: StreamPoller):
    """A handler error makes the same batch come back; later records wait their turn."""
    stream_arn = make_table(cloud)
    cloud.fail_next = 2
    put(cloud, "a")
    map_stream(cloud, stream_arn)
    cloud.wait_for_calls(3)
    put(cloud, "b")
    cloud.wait_for_calls(4)
    events = cloud.events()
    assert [[r["dynamodb"]["Keys"]["pk"]["S"] for r in e["Records"]] for e in events] == [
        ["a"],
        ["a"],
        ["a"],
        ["b"],
    ]
    assert events[0]["Records"][0]["eventID"] == events[2]["Records"][0]["eventID"]


def processing_result(cloud: FakeCloud, uuid: str) -> str:
    with cloud.backend_lock:
        mapping = boto3.client("lambda").get_event_source_mapping(UUID=uuid)
    return mapping["LastProcessingResult"]


def test_last_processing_result_starts_with_no_records(cloud: FakeCloud, poller: StreamPoller):
    """A new mapping reports "No records processed", as AWS does."""
    uuid = map_stream(cloud, make_table(cloud))
    assert processing_result(cloud, uuid) == "No records processed"


def test_last_processing_result_reports_a_failure(cloud: FakeCloud, poller: StreamPoller):
    """After a failed invocation LastProcessingResult reads "PROBLEM: Function call failed"."""
    stream_arn = make_table(cloud)
    cloud.fail_next = 100
    uuid = map_stream(cloud, stream_arn)
    put(cloud, "a")
    cloud.wait_for_calls(2)  # a retry happens only after the result was recorded
    assert processing_result(cloud, uuid) == "PROBLEM: Function call failed"


def test_a_role_the_check_refuses_gets_no_records_and_a_problem(
    cloud: FakeCloud, function_arn: str
):
    """With `readable` saying the role may not read the stream, nothing is invoked and the
    mapping reports Lambda's PROBLEM, naming the stream."""
    roles: list[str] = []

    def readable(role: str, stream: str) -> bool:
        roles.append(role)
        return False

    poller = StreamPoller(cloud.backends, cloud.invoke_async, readable=readable, max_backoff=0.05)
    poller.start()
    try:
        stream_arn = make_table(cloud)
        uuid = map_stream(cloud, stream_arn)
        put(cloud, "a")
        deadline = time.monotonic() + 3
        while (
            not processing_result(cloud, uuid).startswith("PROBLEM") and time.monotonic() < deadline
        ):
            time.sleep(0.02)
        assert processing_result(cloud, uuid).startswith(
            f"PROBLEM: Cannot access stream {stream_arn}."
        )
        assert cloud.calls == [] and roles[0].endswith(":role/stream-reader")
    finally:
        poller.stop()


def test_last_processing_result_reports_ok(cloud: FakeCloud, poller: StreamPoller):
    """After a successful invocation LastProcessingResult reads "OK"."""
    stream_arn = make_table(cloud)
    uuid = map_stream(cloud, stream_arn)
    put(cloud, "a")
    cloud.wait_for_calls(1)
    put(cloud, "b")
    cloud.wait_for_calls(2)  # the next batch goes only after the first result was recorded
    assert processing_result(cloud, uuid) == "OK"


def test_maximum_retry_attempts_drops_the_batch(cloud: FakeCloud, poller: StreamPoller):
    """With MaximumRetryAttempts=1 a failing batch is tried twice, then skipped."""
    stream_arn = make_table(cloud)
    cloud.fail_next = 100
    map_stream(cloud, stream_arn, MaximumRetryAttempts=1, BatchSize=1)
    put(cloud, "a")
    put(cloud, "b")
    cloud.wait_for_calls(4)
    keys = [e["Records"][0]["dynamodb"]["Keys"]["pk"]["S"] for e in cloud.events()[:4]]
    assert keys == ["a", "a", "b", "b"]


def test_stop_returns_while_idle(cloud: FakeCloud, function_arn: str):
    """stop() ends the poller and its mapping workers."""
    poller = StreamPoller(cloud.backends, cloud.invoke_async)
    poller.start()
    map_stream(cloud, make_table(cloud))
    poller.stop()
    assert not any(t.name.startswith("stream-") for t in threading.enumerate())


def test_ttl_deletion_reaches_lambda_with_user_identity(cloud: FakeCloud, poller: StreamPoller):
    """A TTL deletion arrives as REMOVE with userIdentity as in Lambda's event shape."""
    from infra.local.sources.ttl import TtlSweeper

    stream_arn = make_table(cloud)
    with cloud.backend_lock:
        boto3.client("dynamodb").update_time_to_live(
            TableName="chat", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
        )
    ddb(
        cloud,
        "put_item",
        TableName="chat",
        Item={"pk": {"S": "a"}, "ttl": {"N": str(int(time.time()) - 60)}},
    )
    map_stream(cloud, stream_arn, StartingPosition="LATEST")
    TtlSweeper(cloud.backends).sweep_now()
    cloud.wait_for_calls(1)
    record = records_of(cloud)[0]
    expected = json.loads(FIXTURE.read_text())["Records"][2]
    assert record["eventName"] == "REMOVE"
    assert record["userIdentity"] == expected["userIdentity"]


def test_a_new_poller_goes_on_where_the_last_one_was(cloud: FakeCloud, function_arn: str):
    """After a restart (a new poller), a LATEST mapping neither repeats nor skips records."""
    stream_arn = make_table(cloud)
    map_stream(cloud, stream_arn, StartingPosition="LATEST")
    first = StreamPoller(cloud.backends, cloud.invoke_async, retry_backoff=0.01, max_backoff=0.05)
    first.start()
    put(cloud, "before")
    cloud.wait_for_calls(1)
    first.stop()
    put(cloud, "while-down")
    second = StreamPoller(cloud.backends, cloud.invoke_async, retry_backoff=0.01, max_backoff=0.05)
    second.start()
    try:
        put(cloud, "after")
        deadline = time.monotonic() + 3
        while len(records_of(cloud)) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        second.stop()
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in records_of(cloud)]
    assert keys == ["before", "while-down", "after"]
