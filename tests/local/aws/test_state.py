"""moto's state saved and restored: every service the kit uses, with the same ids.

Each test builds state through boto3, saves it, wipes moto (as a new process starts empty),
restores it, and compares what the AWS APIs answer before and after.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.core.base_backend import BackendDict

from infra.local.aws import states
from infra.local.aws.state import BLOB_MIN
from infra.local.cloud import LocalCloud
from infra.local.state.errors import StateError
from infra.local.state.lifecycle import CloudState
from infra.local.state.store import JOURNAL
from infra.local.timing import DEFAULT
from tests import waits
from tests.conftest import create_function, lambda_role

ECHO = "def handler(event, context):\n    print('echo', event)\n    return event\n"
TABLE = "state-items"
LOG_STREAM = {"logGroupName": "/state/group", "logStreamName": "one"}


def wipe(cloud: LocalCloud) -> None:
    """Forget every backend, as a new process would start."""
    with cloud.backends.lock:
        BackendDict.reset()


def opened(cloud: LocalCloud, folder: Path) -> CloudState:
    """The folder, saved only when a test says so (save_now, close): never behind its back."""
    return CloudState(cloud.backends, folder, interval=3600).open()


def saved_and_restored(cloud: LocalCloud, folder: Path) -> CloudState:
    """Save into `folder`, wipe moto, restore from `folder` (the restored state is returned)."""
    state = opened(cloud, folder)
    assert state.save_now()
    state.close()
    wipe(cloud)
    restored = opened(cloud, folder)
    restored.close()
    return restored


def clean(response: dict[str, Any]) -> dict[str, Any]:
    response.pop("ResponseMetadata", None)
    return response


@pytest.fixture(scope="module")
def world(aws: Callable[..., Any], cloud: LocalCloud) -> dict[str, str]:
    """A table with items, TTL and a stream; a role, a function, a WebSocket API with a
    deployment and stages; a mapping, a scheduled rule and a log group with events."""
    ddb, lam, apis = aws("dynamodb"), aws("lambda"), aws("apigatewayv2")
    table = waits.create_table(
        ddb,
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    waits.update_time_to_live(
        ddb, TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    for index in range(3):
        ddb.put_item(
            TableName=TABLE,
            Item={
                "pk": {"S": f"item-{index}"},
                "n": {"N": str(index)},
                "tags": {"SS": ["a", "b"]},
                "nested": {"M": {"list": {"L": [{"N": "1"}, {"B": b"\x00\x01"}]}}},
                "expires": {"N": str(int(time.time()) + 3600)},
            },
        )
    iam = aws("iam")
    role = lambda_role(iam, "state-role")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}],
    }
    iam.put_role_policy(
        RoleName="state-role", PolicyName="inline", PolicyDocument=json.dumps(policy)
    )
    function_arn = create_function(
        aws,
        "state-echo",
        ECHO,
        Environment={"Variables": {"GREETING": "hello"}},
        Timeout=7,
        MemorySize=256,
        Tags={"app": "state"},
    )
    lam.add_permission(
        FunctionName="state-echo",
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    mapping = waits.create_event_source_mapping(
        lam,
        EventSourceArn=table["LatestStreamArn"],
        FunctionName="state-echo",
        StartingPosition="LATEST",
        BatchSize=5,
    )
    api = apis.create_api(
        Name="state-api", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    integration = apis.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    route = apis.create_route(
        ApiId=api["ApiId"],
        RouteKey="$default",
        Target=f"integrations/{integration['IntegrationId']}",
        RouteResponseSelectionExpression="$default",
    )
    apis.create_route_response(
        ApiId=api["ApiId"], RouteId=route["RouteId"], RouteResponseKey="$default"
    )
    deployment = apis.create_deployment(ApiId=api["ApiId"], Description="first")
    apis.create_stage(ApiId=api["ApiId"], StageName="dev", DeploymentId=deployment["DeploymentId"])
    apis.create_stage(ApiId=api["ApiId"], StageName="live", AutoDeploy=True)
    events = aws("events")
    events.put_rule(Name="state-tick", ScheduleExpression="rate(5 minutes)")
    events.put_targets(
        Rule="state-tick", Targets=[{"Id": "1", "Arn": function_arn, "Input": '{"tick": 1}'}]
    )
    logs = aws("logs")
    logs.create_log_group(logGroupName="/state/group")
    logs.create_log_stream(logGroupName="/state/group", logStreamName="one")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/state/group",
        logStreamName="one",
        logEvents=[{"timestamp": now + i, "message": f"line {i}"} for i in range(5)],
    )
    return {
        "api_id": api["ApiId"],
        "route_id": route["RouteId"],
        "deployment_id": deployment["DeploymentId"],
        "stream_arn": table["LatestStreamArn"],
        "function_arn": function_arn,
        "role": role,
        "mapping": mapping["UUID"],
    }


def everything(aws: Callable[..., Any], world: dict[str, str]) -> dict[str, Any]:
    """What the AWS APIs say about the world, as comparable data."""
    ddb, lam, apis, iam = aws("dynamodb"), aws("lambda"), aws("apigatewayv2"), aws("iam")
    streams, events, logs = aws("dynamodbstreams"), aws("events"), aws("logs")
    api_id = world["api_id"]
    shard = streams.describe_stream(StreamArn=world["stream_arn"])["StreamDescription"]
    iterator = streams.get_shard_iterator(
        StreamArn=world["stream_arn"],
        ShardId=shard["Shards"][0]["ShardId"],
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]
    return {
        "table": clean(ddb.describe_table(TableName=TABLE)),
        "items": ddb.scan(TableName=TABLE)["Items"],
        "ttl": clean(ddb.describe_time_to_live(TableName=TABLE)),
        "stream": [
            (r["eventName"], r["dynamodb"]["SequenceNumber"], r["dynamodb"]["Keys"])
            for r in streams.get_records(ShardIterator=iterator)["Records"]
        ],
        "role": clean(iam.get_role(RoleName="state-role")),
        "role_policy": clean(iam.get_role_policy(RoleName="state-role", PolicyName="inline")),
        "function": clean(lam.get_function(FunctionName="state-echo")),
        "function_policy": json.loads(lam.get_policy(FunctionName="state-echo")["Policy"]),
        "mappings": lam.list_event_source_mappings()["EventSourceMappings"],
        "api": clean(apis.get_api(ApiId=api_id)),
        "routes": apis.get_routes(ApiId=api_id)["Items"],
        "integrations": apis.get_integrations(ApiId=api_id)["Items"],
        "route_responses": apis.get_route_responses(ApiId=api_id, RouteId=world["route_id"])[
            "Items"
        ],
        "deployments": apis.get_deployments(ApiId=api_id)["Items"],
        "stages": apis.get_stages(ApiId=api_id)["Items"],
        "rule": clean(events.describe_rule(Name="state-tick")),
        "targets": events.list_targets_by_rule(Rule="state-tick")["Targets"],
        "log_groups": logs.describe_log_groups(logGroupNamePrefix="/state")["logGroups"],
        "log_events": [
            (event["timestamp"], event["message"])
            for event in logs.get_log_events(**LOG_STREAM)["events"]
        ],
    }


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "state"


def test_every_service_comes_back_as_it_was(
    aws: Callable[..., Any], cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """Tables, items, TTL, streams, roles, functions, APIs, mappings, rules, logs: all equal."""
    before = everything(aws, world)
    saved_and_restored(cloud, folder)
    assert everything(aws, world) == before


def test_wiping_moto_really_forgets(
    aws: Callable[..., Any], cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """The round trip is not trivially true: after a wipe the table is gone until restored."""
    state = opened(cloud, folder)
    state.save_now()
    state.close()
    wipe(cloud)
    assert TABLE not in aws("dynamodb").list_tables()["TableNames"]
    opened(cloud, folder).close()
    assert TABLE in aws("dynamodb").list_tables()["TableNames"]


def test_restored_ids_keep_the_stage_url_and_the_arns(
    aws: Callable[..., Any], cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """API and deployment ids, the function ARN, the stream ARN and the mapping UUID stay."""
    saved_and_restored(cloud, folder)
    apis, lam = aws("apigatewayv2"), aws("lambda")
    stage = apis.get_stage(ApiId=world["api_id"], StageName="dev")
    assert stage["DeploymentId"] == world["deployment_id"]
    mapping = lam.get_event_source_mapping(UUID=world["mapping"])
    assert mapping["EventSourceArn"] == world["stream_arn"]
    assert mapping["FunctionArn"] == world["function_arn"]
    assert cloud.stages.lookup(world["api_id"], "dev") is not None


def test_a_restored_function_runs(
    aws: Callable[..., Any], cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """The code and configuration come back: invoking gives the same answer."""
    payload = json.dumps({"hello": "state"}).encode()
    before = aws("lambda").invoke(FunctionName="state-echo", Payload=payload)["Payload"].read()
    saved_and_restored(cloud, folder)
    after = aws("lambda").invoke(FunctionName="state-echo", Payload=payload)["Payload"].read()
    assert after == before == payload


def test_later_saves_append_only_new_records(
    aws: Callable[..., Any], cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """Stream records and log events already saved are not pickled again."""
    state = opened(cloud, folder)
    try:
        state.save_now()
        aws("dynamodb").put_item(TableName=TABLE, Item={"pk": {"S": "one-more"}})
        capture = state.snapshots.capture()
        new = [record for records in capture.appends.values() for record in records]
        # The stream's mapping may invoke state-echo meanwhile: its new log events come too.
        keys = [r.record["dynamodb"]["Keys"] for r in new if hasattr(r, "record")]
        assert keys == [{"pk": {"S": "one-more"}}]
    finally:
        state.close()


def test_function_code_is_a_blob_written_once(
    aws: Callable[..., Any], cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """Code goes to blobs (outside the snapshot), and an unchanged function writes none again."""
    big = ECHO + "".join(f"# line {n} of a long module\n" for n in range(BLOB_MIN // 10))
    create_function(aws, "state-big", big)
    code_sha = aws("lambda").get_function(FunctionName="state-big")["Configuration"]["CodeSha256"]
    state = opened(cloud, folder)
    try:
        state.save_now()
        again = state.snapshots.capture()
        assert base64.b64decode(code_sha).hex() in again.blob_refs
        assert again.blobs == {}  # all of them written by the first save
    finally:
        state.close()
        aws("lambda").delete_function(FunctionName="state-big")


def test_log_event_ids_go_on_after_a_restore(
    aws: Callable[..., Any], cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """New log events after a restore get ids the restored events do not have."""
    saved_and_restored(cloud, folder)
    logs = aws("logs")
    logs.put_log_events(
        logGroupName="/state/group",
        logStreamName="one",
        logEvents=[{"timestamp": int(time.time() * 1000) + 10, "message": "after"}],
    )
    ids = [e["eventId"] for e in logs.filter_log_events(logGroupName="/state/group")["events"]]
    assert len(ids) == len(set(ids))


def test_a_damaged_journal_is_refused_and_changes_nothing(
    aws: Callable[..., Any], cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """An unreadable state raises StateError naming --fresh; moto keeps what it had."""
    state = opened(cloud, folder)
    state.save_now()
    state.close()
    journal = folder / JOURNAL
    journal.write_bytes(journal.read_bytes()[:-1] + b"?")
    with pytest.raises(StateError, match="--fresh"):
        opened(cloud, folder)
    assert TABLE in aws("dynamodb").list_tables()["TableNames"]


def test_a_snapshot_of_another_moto_is_refused(
    aws: Callable[..., Any], cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """A snapshot written by another moto version is not unpickled: it says to start fresh."""
    state = opened(cloud, folder)
    capture = state.snapshots.capture()
    state.store.commit(
        {"format": 1, "moto": "4.0.0", "saved_at": "then"},
        capture.graph,
        capture.journal_frame(),
        capture.blobs,
        capture.blob_refs,
    )
    state.close()
    with pytest.raises(StateError, match="moto 4.0.0.*--fresh"):
        opened(cloud, folder)


def test_a_backend_of_another_service_is_referenced_not_copied(
    cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """An object pointing at, say, STS's backend points at the live one after a restore."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.sts.models import sts_backends

    def table() -> Any:
        return dynamodb_backends[cloud.account_id][cloud.region].tables[TABLE]

    with cloud.backends.lock:
        table().workshop_probe = sts_backends[cloud.account_id]["global"]
    try:
        saved_and_restored(cloud, folder)
        with cloud.backends.lock:
            assert table().workshop_probe is sts_backends[cloud.account_id]["global"]
    finally:
        with cloud.backends.lock:
            del table().workshop_probe


def test_what_a_failed_save_did_not_write_goes_in_the_next_one(
    aws: Callable[..., Any], cloud: LocalCloud, world: dict[str, str], folder: Path
) -> None:
    """A capture never committed (a full disk) leaves its records and blobs for the next."""
    state = opened(cloud, folder)
    try:
        state.save_now()
        aws("dynamodb").put_item(TableName=TABLE, Item={"pk": {"S": "not saved yet"}})
        create_function(aws, "state-unsaved", ECHO + "#" * BLOB_MIN + "\n")
        failed = state.snapshots.capture()  # and then the disk was full: never committed
        retried = state.snapshots.capture()
        assert retried.blobs.keys() == failed.blobs.keys() != set()
        assert [len(r) for r in retried.appends.values()] == [
            len(r) for r in failed.appends.values()
        ]
    finally:
        state.close()
        aws("lambda").delete_function(FunctionName="state-unsaved")


def test_a_stack_saved_mid_operation_comes_back_failed(
    aws: Callable[..., Any], cloud: LocalCloud, folder: Path
) -> None:
    """A stack saved while CREATE_IN_PROGRESS comes back CREATE_FAILED, saying what to do,
    and deletes (the thread that ran its operation did not come back)."""
    table = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    }
    cloudformation = aws("cloudformation")
    states.use(DEFAULT)  # the table is CREATING long enough to save in the middle
    try:
        cloudformation.create_stack(
            StackName="halfway", TemplateBody=json.dumps({"Resources": {"Table": table}})
        )
        stack = cloudformation.describe_stacks(StackName="halfway")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_IN_PROGRESS"
        saved_and_restored(cloud, folder)
    finally:
        states.use(cloud.settings.timing)
    stack = cloudformation.describe_stacks(StackName="halfway")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_FAILED"
    assert "delete the stack and deploy it again" in stack["StackStatusReason"]
    # The saved process's operation is still running in this test's process, on the objects
    # the wipe forgot (a restarted cloud has no such thread): let it end first.
    time.sleep(DEFAULT.table_create)
    cloudformation.delete_stack(StackName="halfway")
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName="halfway", WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
