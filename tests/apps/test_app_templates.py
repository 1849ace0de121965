"""arena, tictactoe and push deployed from their templates (SAM) onto a local cloud.

Each test stands the app's stack up, uses the app over WebSockets as its boto3 test does,
updates the stack, and deletes it with nothing left behind.
"""

from __future__ import annotations

import asyncio
import json
import time

from websockets.asyncio.client import connect

from infra.deploy import fire
from infra.deploy.aws import client
from infra.deploy.stacks import create_stack, delete_stack, deploy_template, update_stack
from infra.deploy.teardown import tagged_resources
from infra.local.cloud import LocalCloud
from tests.apps.helpers import receive_until
from tests.apps.stacks import leftovers, packaged, settle, stack_status
from tests.apps.test_arena import change, listing
from tests.apps.test_tictactoe import X_WINS, new_game, play


def arena_move_seen(url: str) -> dict:
    """ada moves; what bob sees of it through the table's stream."""

    async def scenario() -> dict:
        async with connect(url) as ada, connect(url) as bob:
            ada_id = (await listing(ada))["you"]["id"]
            await ada.send(json.dumps({"action": "move", "clientX": 0.25, "clientY": 0.75}))
            return await change(bob, "move", ada_id)

    return asyncio.run(scenario())


def test_arena_stack_streams_moves_and_updates_its_mapping(cloud: LocalCloud) -> None:
    """Moves travel through the stream mapping the template made; a new BatchSize updates it."""
    template = packaged("arena")
    url = create_stack("arena", template)["WebSocketURL"]
    seen = arena_move_seen(url)
    assert (seen["x"], seen["y"]) == (0.25, 0.75)

    events = template["Resources"]["TableTriggersFunction"]["Properties"]["Events"]
    events["TableChanges"]["Properties"]["BatchSize"] = 10
    update_stack("arena", template)
    [mapping] = client("lambda").list_event_source_mappings(FunctionName="arena-tableTriggers")[
        "EventSourceMappings"
    ]
    assert mapping["BatchSize"] == 10
    assert arena_move_seen(url)["x"] == 0.25

    settle(cloud)
    delete_stack("arena")
    assert leftovers("arena") == []


def test_tictactoe_stack_plays_and_its_games_expire(cloud: LocalCloud) -> None:
    """A game is played to a win; the table's TTL removes expired games until an update stops it."""
    template = packaged("tictactoe")
    outputs = create_stack("tictactoe", template)

    async def scenario() -> list:
        async with new_game(outputs["WebSocketURL"]) as (game_id, x, o):
            return await play(game_id, x, o, X_WINS)

    assert asyncio.run(scenario())[-1][0]["winner"] == "X"
    dynamodb, table = client("dynamodb"), outputs["TableName"]
    expired = {"GameId": {"S": "OLDGAM"}, "ttl": {"N": str(int(time.time()) - 60)}}
    dynamodb.put_item(TableName=table, Item=expired)
    deadline = time.time() + 10
    while "Item" in dynamodb.get_item(TableName=table, Key={"GameId": {"S": "OLDGAM"}}):
        assert time.time() < deadline, "the expired game was never swept"
        time.sleep(0.2)

    del template["Resources"]["GamesTable"]["Properties"]["TimeToLiveSpecification"]
    update_stack("tictactoe", template)
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"

    settle(cloud)
    delete_stack("tictactoe")
    assert leftovers("tictactoe") == []


def pushed(url: str, schedule: str) -> dict:
    """The frame a client gets when the schedule fires."""

    async def scenario() -> dict:
        async with connect(f"{url}?name=ada") as ada:
            await asyncio.to_thread(fire, schedule)
            return await receive_until(ada, lambda frame: frame["type"] == "push")

    return asyncio.run(scenario())


def test_push_stack_broadcasts_on_its_schedule_and_takes_new_text(cloud: LocalCloud) -> None:
    """The Scheduler schedule (SAM's ScheduleV2) runs the broadcast with a role of its own; a
    new PushText parameter changes what it says."""
    template = packaged("push")
    outputs = create_stack("push", template)
    name = outputs["ScheduleName"]
    schedule = client("scheduler").get_schedule(Name=name)
    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    assert schedule["Target"]["Arn"].endswith(":function:push-broadcast")
    role = schedule["Target"]["RoleArn"].rsplit("/", 1)[-1]
    trust = client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"]["Service"] == ["scheduler.amazonaws.com"]
    assert pushed(outputs["WebSocketURL"], name)["text"] == "Hello from a scheduled Lambda"

    update_stack("push", template, parameters={"PushText": "Updated by update_stack"})
    assert pushed(outputs["WebSocketURL"], name)["text"] == "Updated by update_stack"
    assert stack_status("push") == "UPDATE_COMPLETE"

    assert "function push-broadcast" in leftovers("push")  # the check sees what exists
    settle(cloud)
    delete_stack("push")
    assert leftovers("push") == []


def test_a_stack_deployed_with_the_apps_tag_leaves_nothing_tagged(cloud: LocalCloud) -> None:
    """deploy_template tags the stack workshop:app=push; CloudFormation tags what it makes."""
    deploy_template("push")
    found = tagged_resources("push")
    for kind in ("schedule", "function", "api", "role", "table", "log group"):
        assert any(item.startswith(f"{kind} ") for item in found), kind
    settle(cloud)
    delete_stack("push")
    assert tagged_resources("push") == []
