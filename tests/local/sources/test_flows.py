"""The seeds' event-driven flows, built with plain boto3 on a local cloud and watched over WebSockets.

One WebSocket API stores its connections in a table; each flow's Lambda posts typed frames
(`change`, `game`, `flaky`, `tick`, `flaky-tick`) to every stored connection, so a client waits
for the type it is about and ignores the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from websockets.asyncio.client import connect

from infra.deploy import fire_rule
from infra.local.cloud import LocalCloud
from tests import waits
from tests.apps.helpers import Frame, receive_until
from tests.conftest import create_function, running_cloud

CONNECTIONS = "seed-connections"
GAMES = "seed-games"
FLAKY = "seed-flaky"
FLAGS = "seed-flags"
TICK_RULE = "seed-every-minute"
FLAKY_RULE = "seed-flaky-minute"
SCHEDULE_TIMEOUT = 90.0  # rate(1 minute) fires one minute after the scheduler first saw the rule

# Shared by every handler below: post a frame to all stored connections, and fail on purpose once.
COMMON = f'''
import json
import os

import boto3
from botocore.exceptions import ClientError

connections = boto3.resource("dynamodb").Table("{CONNECTIONS}")
flags = boto3.resource("dynamodb").Table("{FLAGS}")


def post_to_all(frame):
    """Post to every stored connection; one still in its $connect, or gone, is skipped."""
    api = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["CONNECTIONS_URL"])
    for item in connections.scan()["Items"]:
        try:
            api.post_to_connection(
                ConnectionId=item["connectionId"], Data=json.dumps(frame).encode()
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "GoneException":
                raise


def fail_first_call(context):
    """Raise the first time this function runs (a flag item remembers it), never again."""
    try:
        flags.put_item(
            Item={{"name": context.function_name}},
            ConditionExpression="attribute_not_exists(#n)",
            ExpressionAttributeNames={{"#n": "name"}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return
    raise RuntimeError("failing the first call on purpose")
'''

ON_CONNECTION = (
    COMMON
    + """

def handler(event, context):
    request = event["requestContext"]
    if request["routeKey"] == "$connect":
        name = (event.get("queryStringParameters") or {}).get("name", "guest")
        connections.put_item(Item={"connectionId": request["connectionId"], "name": name})
    else:
        connections.delete_item(Key={"connectionId": request["connectionId"]})
    return {"statusCode": 200}
"""
)

# Seed 000: every change to the connections table goes to every connected client.
BROADCAST_CHANGES = (
    COMMON
    + """

def handler(event, context):
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage") or record["dynamodb"]["OldImage"]
        post_to_all({"type": "change", "event": record["eventName"], "name": image["name"]["S"]})
"""
)

# Seed 001: games expire through TTL; the stream tells the players.
WATCH_GAMES = (
    COMMON
    + """

def handler(event, context):
    for record in event["Records"]:
        post_to_all({
            "type": "game",
            "event": record["eventName"],
            "gameId": record["dynamodb"]["Keys"]["GameId"]["S"],
            "userIdentity": record.get("userIdentity"),
        })
"""
)

FLAKY_STREAM = (
    COMMON
    + """

def handler(event, context):
    fail_first_call(context)
    for record in event["Records"]:
        post_to_all({"type": "flaky", "key": record["dynamodb"]["Keys"]["pk"]["S"]})
"""
)

# Seed 004: the server speaks first, on a schedule.
TICK = (
    COMMON
    + """

def handler(event, context):
    post_to_all({"type": "tick", "time": event["time"], "rule": event["resources"][0]})
"""
)

FLAKY_TICK = (
    COMMON
    + """

def handler(event, context):
    fail_first_call(context)
    post_to_all({"type": "flaky-tick", "time": event["time"]})
"""
)


@dataclass(frozen=True)
class Site:
    """Where clients connect, and what the flows' functions need to reach them."""

    url: str
    environment: dict[str, Any]


def table(aws: Any, name: str, key: str, *, stream: bool = False) -> str:
    """Create an on-demand table keyed by a string ``key``; return its stream ARN (or "")."""
    options: dict[str, Any] = {}
    if stream:
        options["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    created = waits.create_table(
        aws("dynamodb"),
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **options,
    )
    return created["TableDescription"].get("LatestStreamArn", "")


def on_stream(aws: Any, site: Site, function: str, source: str, stream_arn: str) -> None:
    """A function that runs on every batch of the stream, from the changes made from now on."""
    create_function(aws, function, source, Environment=site.environment)
    waits.create_event_source_mapping(
        aws("lambda"),
        EventSourceArn=stream_arn,
        FunctionName=function,
        StartingPosition="LATEST",
        BatchSize=10,
    )


def on_schedule(aws: Any, site: Site, function: str, source: str, rule: str) -> None:
    """A function that EventBridge runs every minute."""
    function_arn = create_function(aws, function, source, Environment=site.environment)
    events = aws("events")
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "function", "Arn": function_arn}])
    aws("lambda").add_permission(
        FunctionName=function,
        StatementId=f"events-{rule}",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """A real local cloud for the flows (sources/conftest.py's `cloud` is a fake that records)."""
    with running_cloud(ttl_interval=0.5) as running:
        running.backends.reset()
        yield running


@pytest.fixture(scope="module")
def aws(cloud: LocalCloud) -> Any:
    """boto3 clients of that cloud (sources/conftest.py's `aws` is moto in this process)."""
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=cloud.region
    )
    return lambda service: session.client(service, endpoint_url=cloud.url)


@pytest.fixture(scope="module")
def site(cloud: LocalCloud, aws: Any) -> Site:
    """A WebSocket API whose $connect/$disconnect keep the connections table up to date."""
    connections_stream = table(aws, CONNECTIONS, "connectionId", stream=True)
    table(aws, FLAGS, "name")
    apis = aws("apigatewayv2")
    api_id = apis.create_api(
        Name="seed-flows", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    function_arn = create_function(aws, "seed-on-connection", ON_CONNECTION)
    integration = apis.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=(
            f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations"
        ),
    )
    for route_key in ("$connect", "$disconnect"):
        apis.create_route(
            ApiId=api_id,
            RouteKey=route_key,
            Target=f"integrations/{integration['IntegrationId']}",
        )
    aws("lambda").add_permission(
        FunctionName="seed-on-connection",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api_id}/*",
    )
    apis.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    endpoint = apis.get_api(ApiId=api_id)["ApiEndpoint"]
    connections_url = f"https://{api_id}.execute-api.{cloud.region}.amazonaws.com/dev"
    found = Site(f"{endpoint}/dev", {"Variables": {"CONNECTIONS_URL": connections_url}})
    on_stream(aws, found, "seed-broadcast-changes", BROADCAST_CHANGES, connections_stream)
    on_schedule(aws, found, "seed-tick", TICK, TICK_RULE)
    return found


def typed(kind: str, **fields: Any) -> Callable[[Frame], bool]:
    """Match frames of type ``kind`` whose ``fields`` have the given values."""
    return lambda frame: frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items())


def client(site: Site, name: str) -> connect:
    """A client of the site. Once connected it is stored: $connect wrote its row first."""
    return connect(f"{site.url}?name={name}")


def test_a_stream_lambda_posts_every_table_change_to_all_clients(site: Site) -> None:
    """A connections-table stream Lambda tells connected clients who joins and who leaves."""

    async def scenario() -> tuple[Frame, Frame]:
        async with client(site, "ada") as ada:
            async with client(site, "bob"):
                bob_joined = await receive_until(ada, typed("change", name="bob"))
            bob_left = await receive_until(ada, typed("change", event="REMOVE", name="bob"))
            return bob_joined, bob_left

    bob_joined, bob_left = asyncio.run(scenario())
    assert bob_joined == {"type": "change", "event": "INSERT", "name": "bob"}
    assert bob_left == {"type": "change", "event": "REMOVE", "name": "bob"}


def test_an_expired_game_is_removed_and_its_stream_record_delivered(site: Site, aws: Any) -> None:
    """TTL deletes an expired game; its REMOVE record, made by the DynamoDB service, reaches a Lambda."""
    games_stream = table(aws, GAMES, "GameId", stream=True)
    waits.update_time_to_live(
        aws("dynamodb"),
        TableName=GAMES,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
    )
    on_stream(aws, site, "seed-watch-games", WATCH_GAMES, games_stream)

    async def scenario() -> Frame:
        async with client(site, "player") as player:
            expired = str(int(time.time()) - 60)
            await asyncio.to_thread(
                aws("dynamodb").put_item,
                TableName=GAMES,
                Item={"GameId": {"S": "K7QX2M"}, "ttl": {"N": expired}},
            )
            return await receive_until(player, typed("game", event="REMOVE"))

    removed = asyncio.run(scenario())
    assert removed["gameId"] == "K7QX2M"
    assert removed["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert "Item" not in aws("dynamodb").get_item(TableName=GAMES, Key={"GameId": {"S": "K7QX2M"}})


def test_a_failing_stream_batch_is_retried_and_later_records_still_flow(
    site: Site, aws: Any
) -> None:
    """A stream Lambda that raises on its first batch gets it again, then the next records too."""
    on_stream(aws, site, "seed-flaky-stream", FLAKY_STREAM, table(aws, FLAKY, "pk", stream=True))

    async def scenario() -> list[str]:
        async with client(site, "watcher") as watcher:
            keys = []
            for key in ("first", "second"):
                item = {"pk": {"S": key}}
                await asyncio.to_thread(aws("dynamodb").put_item, TableName=FLAKY, Item=item)
                keys.append((await receive_until(watcher, typed("flaky")))["key"])
            return keys

    assert asyncio.run(scenario()) == ["first", "second"]


def test_firing_a_schedule_posts_to_a_connected_client(site: Site, cloud: LocalCloud) -> None:
    """Firing the rate(1 minute) rule now runs its Lambda, which posts a tick to the client."""

    async def scenario() -> Frame:
        async with client(site, "early") as early:
            await asyncio.to_thread(fire_rule, TICK_RULE)
            return await receive_until(early, typed("tick"))

    tick = asyncio.run(scenario())
    assert tick["rule"] == f"arn:aws:events:{cloud.region}:{cloud.account_id}:rule/{TICK_RULE}"
    assert tick["time"].endswith("Z")


def test_a_failing_scheduled_lambda_still_fires_next_time(
    site: Site, aws: Any, cloud: LocalCloud
) -> None:
    """A scheduled Lambda that raises once leaves the rule enabled, and the next fire gets through."""
    on_schedule(aws, site, "seed-flaky-tick", FLAKY_TICK, FLAKY_RULE)

    async def scenario() -> tuple[list[Any], Frame]:
        async with client(site, "patient") as patient:
            failed = await asyncio.to_thread(cloud.scheduler.fire_now, FLAKY_RULE)
            await asyncio.to_thread(cloud.scheduler.fire_now, FLAKY_RULE)
            return failed, await receive_until(patient, typed("flaky-tick"))

    failed, tick = asyncio.run(scenario())
    assert [result.function_error for result in failed] == ["Unhandled"]
    assert tick["type"] == "flaky-tick"
    assert aws("events").describe_rule(Name=FLAKY_RULE)["State"] == "ENABLED"


@pytest.mark.slow
def test_a_rate_schedule_posts_to_a_client_without_being_fired(site: Site) -> None:
    """Within a minute and a bit, the scheduler itself runs the rate(1 minute) rule's Lambda."""

    async def scenario() -> Frame:
        async with client(site, "waiting") as waiting:
            return await receive_until(waiting, typed("tick"), SCHEDULE_TIMEOUT)

    assert asyncio.run(scenario())["type"] == "tick"
