"""DynamoDB's tables take time, as on AWS: each careless call gets AWS's state or error, and the
careful one (boto3's waiter) succeeds.

The module's cloud runs at the `short` timing; the tests marked "at the defaults" switch the
states' clock (`infra.local.aws.states`, which moto's patches read) to the default timing, as
`workshop up` runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.local.aws import states
from infra.local.cloud import LocalCloud
from infra.local.state.lifecycle import CloudState
from infra.local.timing import DEFAULT, SHORT
from tests.conftest import running_cloud
from tests.local.aws.settling import clock_held

WAITER = {"Delay": 0.1, "MaxAttempts": 200}
KEY = {"k": {"S": "one"}}
NOT_ACTIVE = "Requested resource not found"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """A cloud of this module's own, at the tests' shortened timing."""
    with running_cloud(timing="short") as running:
        running.backends.reset()
        yield running


@pytest.fixture
def at_defaults() -> Iterator[None]:
    """The states of what the test makes last as long as `workshop up` makes them last."""
    states.use(DEFAULT)
    try:
        yield
    finally:
        states.use(SHORT)


@pytest.fixture
def dynamodb(aws: Any) -> Any:
    return aws("dynamodb")


def create(dynamodb: Any, name: str, **extra: Any) -> dict[str, Any]:
    """CreateTable of a table keyed by `k`; its TableDescription."""
    attributes = [{"AttributeName": "k", "AttributeType": "S"}]
    attributes += extra.pop("attributes", [])
    answer = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    return dict(answer["TableDescription"])


def active(dynamodb: Any, name: str) -> None:
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAITER)


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    """The error code and message a call that must fail gets."""
    with pytest.raises(ClientError) as raised:
        call(**params)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def status(dynamodb: Any, name: str) -> str:
    return str(dynamodb.describe_table(TableName=name)["Table"]["TableStatus"])


def test_a_new_table_is_creating_and_refuses_data_until_active(
    dynamodb: Any, at_defaults: None
) -> None:
    """At the defaults: CREATING, PutItem gets ResourceNotFoundException; after the waiter it works."""
    assert create(dynamodb, "creating")["TableStatus"] == "CREATING"
    assert status(dynamodb, "creating") == "CREATING"
    assert error_of(dynamodb.put_item, TableName="creating", Item=KEY) == (
        "ResourceNotFoundException",
        NOT_ACTIVE,
    )
    active(dynamodb, "creating")
    dynamodb.put_item(TableName="creating", Item=KEY)
    assert dynamodb.get_item(TableName="creating", Key=KEY)["Item"] == KEY
    assert status(dynamodb, "creating") == "ACTIVE"


def test_every_data_call_on_a_creating_table_is_not_found(dynamodb: Any) -> None:
    """Reads, writes, batches and transactions on a CREATING table: ResourceNotFoundException."""
    calls = {
        "GetItem": lambda: dynamodb.get_item(TableName="all-calls", Key=KEY),
        "PutItem": lambda: dynamodb.put_item(TableName="all-calls", Item=KEY),
        "UpdateItem": lambda: dynamodb.update_item(
            TableName="all-calls",
            Key=KEY,
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"N": "1"}},
        ),
        "DeleteItem": lambda: dynamodb.delete_item(TableName="all-calls", Key=KEY),
        "Query": lambda: dynamodb.query(
            TableName="all-calls",
            KeyConditionExpression="k = :k",
            ExpressionAttributeValues={":k": {"S": "one"}},
        ),
        "Scan": lambda: dynamodb.scan(TableName="all-calls"),
        "BatchWriteItem": lambda: dynamodb.batch_write_item(
            RequestItems={"all-calls": [{"PutRequest": {"Item": KEY}}]}
        ),
        "BatchGetItem": lambda: dynamodb.batch_get_item(
            RequestItems={"all-calls": {"Keys": [KEY]}}
        ),
        "TransactWriteItems": lambda: dynamodb.transact_write_items(
            TransactItems=[{"Put": {"TableName": "all-calls", "Item": KEY}}]
        ),
        "TransactGetItems": lambda: dynamodb.transact_get_items(
            TransactItems=[{"Get": {"TableName": "all-calls", "Key": KEY}}]
        ),
        "ExecuteStatement": lambda: dynamodb.execute_statement(
            Statement='SELECT * FROM "all-calls"'
        ),
    }
    with clock_held():  # eleven calls outlast a short CREATING on a busy machine
        create(dynamodb, "all-calls")
        for operation, call in calls.items():
            with pytest.raises(ClientError) as raised:
                call()
            assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException", operation
    active(dynamodb, "all-calls")
    for call in calls.values():
        call()


def test_deleting_a_creating_table_is_refused_as_in_use(dynamodb: Any) -> None:
    """DeleteTable on a CREATING table: AWS's ResourceInUseException; once ACTIVE it deletes."""
    create(dynamodb, "early-delete")
    assert error_of(dynamodb.delete_table, TableName="early-delete") == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Table is being created: early-delete",
    )
    active(dynamodb, "early-delete")
    assert dynamodb.delete_table(TableName="early-delete")["TableDescription"]["TableStatus"] == (
        "DELETING"
    )


def test_switching_a_stream_on_is_updating_until_active(dynamodb: Any, at_defaults: None) -> None:
    """At the defaults: UpdateTable is UPDATING, a second change is in use; the waiter sees ACTIVE."""
    create(dynamodb, "updating")
    active(dynamodb, "updating")
    answer = dynamodb.update_table(
        TableName="updating",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    assert answer["TableDescription"]["TableStatus"] == "UPDATING"
    assert status(dynamodb, "updating") == "UPDATING"
    dynamodb.put_item(TableName="updating", Item=KEY)  # an UPDATING table serves its data
    assert error_of(dynamodb.update_table, TableName="updating", BillingMode="PAY_PER_REQUEST") == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Table is being updated: updating",
    )
    active(dynamodb, "updating")
    described = dynamodb.describe_table(TableName="updating")["Table"]
    assert described["TableStatus"] == "ACTIVE" and described["LatestStreamArn"]


def test_an_index_added_is_creating_while_its_table_updates(dynamodb: Any) -> None:
    """A new global secondary index is CREATING while the table is UPDATING, then ACTIVE."""
    create(dynamodb, "indexed")
    active(dynamodb, "indexed")
    with clock_held():
        dynamodb.update_table(
            TableName="indexed",
            AttributeDefinitions=[{"AttributeName": "room", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[
                {
                    "Create": {
                        "IndexName": "by-room",
                        "KeySchema": [{"AttributeName": "room", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                }
            ],
        )
        [index] = dynamodb.describe_table(TableName="indexed")["Table"]["GlobalSecondaryIndexes"]
        assert index["IndexStatus"] == "CREATING"
    active(dynamodb, "indexed")
    [index] = dynamodb.describe_table(TableName="indexed")["Table"]["GlobalSecondaryIndexes"]
    assert index["IndexStatus"] == "ACTIVE"


def test_a_deleted_table_is_deleting_then_gone(dynamodb: Any, at_defaults: None) -> None:
    """At the defaults: DELETING, its data is not found, its name is in use; then the waiter."""
    create(dynamodb, "deleting")
    active(dynamodb, "deleting")
    assert dynamodb.delete_table(TableName="deleting")["TableDescription"]["TableStatus"] == (
        "DELETING"
    )
    assert status(dynamodb, "deleting") == "DELETING"
    assert error_of(dynamodb.get_item, TableName="deleting", Key=KEY)[0] == (
        "ResourceNotFoundException"
    )
    assert error_of(create, dynamodb=dynamodb, name="deleting") == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Table is being deleted: deleting",
    )
    dynamodb.get_waiter("table_not_exists").wait(TableName="deleting", WaiterConfig=WAITER)
    assert "deleting" not in dynamodb.list_tables()["TableNames"]
    assert create(dynamodb, "deleting")["TableStatus"] == "CREATING"


def test_a_restored_table_is_active(cloud: LocalCloud, dynamodb: Any, tmp_path: Path) -> None:
    """A table saved while CREATING is ACTIVE once restored: its data calls work at once."""
    create(dynamodb, "restored")
    state = CloudState(cloud.backends, tmp_path, interval=3600).open()
    assert state.save_now()
    state.close()
    cloud.backends.reset()
    CloudState(cloud.backends, tmp_path, interval=3600).open().close()
    assert status(dynamodb, "restored") == "ACTIVE"
    dynamodb.put_item(TableName="restored", Item=KEY)


def test_an_instant_cloud_settles_at_once(dynamodb: Any) -> None:
    """`--timing instant`: a new table is ACTIVE in CreateTable's own answer, as the kit was."""
    from infra.local.timing import INSTANT

    states.use(INSTANT)
    try:
        assert create(dynamodb, "instant")["TableStatus"] == "ACTIVE"
        dynamodb.put_item(TableName="instant", Item=KEY)
    finally:
        states.use(SHORT)


def test_a_cloud_gives_the_clock_back_when_it_stops(cloud: LocalCloud) -> None:
    """A second cloud in the process (a test's own) sets moto's states' clock while it runs and
    gives the first cloud's back when it stops."""
    assert states.current() is SHORT
    with running_cloud(timing="default") as inner:
        assert inner.settings.timing is DEFAULT and states.current() is DEFAULT
    assert states.current() is SHORT
