"""A state folder saved before the kit's classes moved still loads: `data/saved-2026-12-06`
(saved by commit 4a21e36, see its README), restored by today's cloud, serves what it held."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.cloud import LocalCloud
from tests.conftest import running_cloud

SAVED = Path(__file__).parent / "data" / "saved-2026-12-06"
HELP_EVENT = {"requestContext": {"connectionId": "fixture", "routeKey": "$default"}, "body": "?"}


def copy_of_saved(folder: Path) -> Path:
    """The saved folder copied into `folder` (a cloud takes, tidies and saves its folder)."""
    return Path(shutil.copytree(SAVED, folder / "state"))


@pytest.fixture(scope="module")
def restored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """A cloud started on a copy of the saved folder."""
    folder = copy_of_saved(tmp_path_factory.mktemp("saved"))
    with running_cloud(state_dir=str(folder)) as cloud:
        yield cloud
        cloud.backends.reset()  # what the folder held does not stay in this process's moto


def test_everything_the_snapshot_counted_comes_back(restored: LocalCloud) -> None:
    """The restore counts what the saving cloud counted: 3 tables, 14 functions, 3 APIs."""
    assert restored.state is not None and restored.state.restored is not None
    counts = restored.state.restored.counts
    assert {k: n for k, n in counts.items() if n} == {
        "tables": 3,
        "functions": 14,
        "apis": 3,
        "log groups": 10,
    }


def test_the_tables_are_listed(restored: LocalCloud) -> None:
    """The chat's table (boto3-deployed) and the stacks' tables are there."""
    names = restored.client("dynamodb").list_tables()["TableNames"]
    assert "chat-connections" in names
    assert {name.split("-")[0] for name in names} == {"chat", "arena", "push"}


def test_the_chat_stage_serves_its_deployment(restored: LocalCloud) -> None:
    """The stage `dev` of the chat's API serves the API snapshot its deployment froze."""
    apis = restored.client("apigatewayv2").get_apis()["Items"]
    chat = next(api["ApiId"] for api in apis if api["Name"] == "chat-api")
    snapshot = restored.stages.lookup(chat, "dev")
    assert type(snapshot).__name__ == "ApiSnapshot"
    assert set(snapshot.routes) == {"$connect", "$disconnect", "sendMessage", "whisper", "$default"}


def test_the_stacks_are_listed_complete(restored: LocalCloud) -> None:
    """The three stacks are listed, each CREATE_COMPLETE."""
    stacks = restored.client("cloudformation").list_stacks()["StackSummaries"]
    assert {s["StackName"]: s["StackStatus"] for s in stacks} == {
        "arena": "CREATE_COMPLETE",
        "push": "CREATE_COMPLETE",
        "extras": "CREATE_COMPLETE",
    }


@pytest.mark.parametrize(
    ("stack", "types"),
    [
        ("arena", {"AWS::ApiGatewayV2::Stage", "AWS::Lambda::EventSourceMapping"}),
        ("push", {"AWS::ApiGatewayV2::Deployment", "AWS::Scheduler::Schedule"}),
        ("extras", {"AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::CDK::Metadata"}),
    ],
)
def test_a_stack_lists_its_resources(restored: LocalCloud, stack: str, types: set[str]) -> None:
    """A stack's resources (the engine's record of them) are listed, each CREATE_COMPLETE."""
    cloudformation = restored.client("cloudformation")
    listed = cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    assert types <= {resource["ResourceType"] for resource in listed}
    assert {resource["ResourceStatus"] for resource in listed} == {"CREATE_COMPLETE"}


def test_the_stacks_schedule_is_back(restored: LocalCloud) -> None:
    """The push stack's schedule targets its function again."""
    schedule = restored.client("scheduler").get_schedule(Name="push-schedule")
    assert schedule["Target"]["Arn"].endswith(":function:push-broadcast")


def test_the_stacks_stream_mapping_is_back(restored: LocalCloud) -> None:
    """The arena stack's stream mapping is there, Enabled."""
    mappings = restored.client("lambda").list_event_source_mappings(
        FunctionName="arena-tableTriggers"
    )["EventSourceMappings"]
    assert [mapping["State"] for mapping in mappings] == ["Enabled"]


def test_a_saved_function_invokes(restored: LocalCloud) -> None:
    """The chat's $default function runs from its saved code and answers with its help."""
    reply = restored.client("lambda").invoke(
        FunctionName="chat-default", Payload=json.dumps(HELP_EVENT).encode()
    )
    assert "FunctionError" not in reply
    body = json.loads(json.loads(reply["Payload"].read())["body"])
    assert body["type"] == "help"


def test_the_saved_log_events_are_back(restored: LocalCloud) -> None:
    """The two invocations made before the save left their log events (from the journal)."""
    events = restored.client("logs").filter_log_events(logGroupName="/aws/lambda/chat-default")
    starts = [event for event in events["events"] if event["message"].startswith("START ")]
    assert len(starts) >= 2
