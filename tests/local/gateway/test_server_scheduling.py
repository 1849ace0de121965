"""When a connection's frames run: in order, side by side when one is slow, and never after
the close that followed them."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets

from infra.local.cloud import LocalCloud
from tests import waits
from tests.local.gateway.helpers import WHOAMI, Deployed, GatewayLab, recv_text, run, whoami

CHAT_TABLE = "scheduling-chat"

# Written the way AWS's boto3 chat example writes it: the message handler reads the sender's
# row (`["Item"]` raises KeyError once $disconnect deleted it) and then posts.
AWS_STYLE = f'''
import json

import boto3

TABLE = boto3.resource("dynamodb").Table("{CHAT_TABLE}")


def handler(event, context):
    context_ = event["requestContext"]
    route, me = context_["routeKey"], context_["connectionId"]
    if route == "$connect":
        name = (event.get("queryStringParameters") or {{}}).get("name", "guest")
        TABLE.put_item(Item={{"connection_id": me, "user_name": name}})
    elif route == "$disconnect":
        TABLE.delete_item(Key={{"connection_id": me}})
    else:
        user_name = TABLE.get_item(Key={{"connection_id": me}})["Item"]["user_name"]
        body = json.loads(event["body"])
        api = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=f"https://{{context_['domainName']}}/{{context_['stage']}}",
        )
        api.post_to_connection(
            ConnectionId=body["to"], Data=f"{{user_name}}: {{body['msg']}}".encode()
        )
    return {{"statusCode": 200}}
'''

# Replies with the frame; a "slow" frame first sleeps 2 s: time for the overtake window and a
# second worker's cold start on a loaded machine, within Lambda's default 3 s timeout.
SLEEPY_ECHO = """
import time


def handler(event, context):
    if "slow" in event["body"]:
        time.sleep(2.0)
    return {"statusCode": 200, "body": event["body"]}
"""


@pytest.fixture(scope="module")
def chat(lab: GatewayLab, aws: Any) -> Deployed:
    dynamodb = aws("dynamodb")
    if CHAT_TABLE not in dynamodb.list_tables()["TableNames"]:
        waits.create_table(
            dynamodb,
            TableName=CHAT_TABLE,
            KeySchema=[{"AttributeName": "connection_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "connection_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return lab.deploy(
        {
            "$connect": AWS_STYLE,
            "$disconnect": AWS_STYLE,
            "sendmessage": AWS_STYLE,
            "whoami": WHOAMI,
        },
        two_way=("whoami",),
    )


@pytest.fixture(scope="module")
def echo(lab: GatewayLab, cloud: LocalCloud) -> Deployed:
    # A wider window than the default 250 ms: the burst test then tests the order, not how long
    # a loaded CI machine can stall a quick frame. The slow frame sleeps well past it.
    cloud.gateway.limits.overtake_after = 0.5
    return lab.deploy({"$default": SLEEPY_ECHO}, two_way=("$default",))


def test_a_message_sent_just_before_a_close_is_delivered(chat: Deployed) -> None:
    """50 senders that send and close at once: all 50 messages arrive ($disconnect waits)."""

    async def scenario() -> list[str]:
        async with websockets.connect(f"{chat.url}?name=receiver") as receiver:
            me = await whoami(receiver)
            for n in range(50):
                sender = await websockets.connect(f"{chat.url}?name=s{n}")
                await sender.send(json.dumps({"action": "sendmessage", "to": me, "msg": n}))
                await sender.close()
            return [await recv_text(receiver) for _ in range(50)]

    received = run(scenario())
    assert sorted(received) == sorted(f"s{n}: {n}" for n in range(50))


def test_frames_of_one_connection_run_side_by_side_when_one_is_slow(echo: Deployed) -> None:
    """A frame behind a slow one is answered first: frames run concurrently, as on AWS."""

    async def scenario() -> list[str]:
        async with websockets.connect(echo.url) as ws:
            await ws.send("slow")
            await ws.send("quick")
            return [await recv_text(ws), await recv_text(ws)]

    assert run(scenario()) == ["quick", "slow"]


def test_a_burst_of_quick_frames_keeps_its_order(echo: Deployed) -> None:
    """Forty frames sent at once are answered in the order they were sent."""

    async def scenario() -> list[str]:
        async with websockets.connect(echo.url) as ws:
            await ws.send("warm")  # a cold start is not part of the burst
            assert await recv_text(ws) == "warm"
            for n in range(40):  # no reply awaited in between: they arrive as one burst
                await ws.send(f"frame {n}")
            return [await recv_text(ws) for _ in range(40)]

    assert run(scenario()) == [f"frame {n}" for n in range(40)]
