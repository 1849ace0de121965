"""Faults at the WebSocket edge: a client gone mid-broadcast, sockets that hang on without
speaking, and garbage after a handshake. Each hurts only the connection that misbehaves.
Figures: docs/local-cloud.md, "Faults and limits".
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.request
from typing import Any

import pytest
import websockets

from infra.local.cloud import LocalCloud
from tests import waits
from tests.local.gateway.helpers import Deployed, GatewayLab, recv_text, run

ROOM_TABLE = "faults-edge-room"
# $connect stores the connection under its name. "broadcast" posts the text to everyone else
# in name order, and answers the sender with who got it and who was gone (and pruned). When
# the text says "wait for NAME", it first waits until NAME's connection is gone: the test
# drops that client while the broadcast is under way. There is no $disconnect route, so a
# gone client's row stays until a broadcast prunes it.
ROOM = f'''
import json
import time

import boto3

TABLE = boto3.resource("dynamodb").Table("{ROOM_TABLE}")


def handler(event, context):
    ctx = event["requestContext"]
    me = ctx["connectionId"]
    if ctx["routeKey"] == "$connect":
        name = (event.get("queryStringParameters") or {{}}).get("name", "guest")
        TABLE.put_item(Item={{"id": me, "name": name}})
        return {{"statusCode": 200}}
    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"https://{{ctx['domainName']}}/{{ctx['stage']}}",
    )
    text = json.loads(event["body"])["text"]
    rows = sorted(TABLE.scan()["Items"], key=lambda row: row["name"])
    delivered, gone = [], []
    for row in rows:
        if row["id"] == me:
            continue
        if text == "wait for " + row["name"]:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    api.get_connection(ConnectionId=row["id"])
                except api.exceptions.GoneException:
                    break
                time.sleep(0.02)
        try:
            api.post_to_connection(ConnectionId=row["id"], Data=text.encode())
            delivered.append(row["name"])
        except api.exceptions.GoneException:
            TABLE.delete_item(Key={{"id": row["id"]}})
            gone.append(row["name"])
    return {{"statusCode": 200, "body": json.dumps({{"delivered": delivered, "gone": gone}})}}
'''
ECHO = """
def handler(event, context):
    return {"statusCode": 200, "body": event["body"]}
"""


@pytest.fixture(scope="module")
def room(lab: GatewayLab, aws: Any) -> Deployed:
    """The room API: $connect, a two-way broadcast, and a two-way echo."""
    waits.create_table(
        aws("dynamodb"),
        TableName=ROOM_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return lab.deploy(
        {"$connect": ROOM, "broadcast": ROOM, "echo": ECHO}, two_way=("broadcast", "echo")
    )


def say(text: str) -> str:
    return json.dumps({"action": "broadcast", "text": text})


def test_a_client_gone_mid_broadcast_is_pruned_and_the_others_are_served(
    room: Deployed, aws: Any
) -> None:
    """A client dropped while a broadcast runs gets 410 and is pruned; before and after it, all
    are served."""

    async def scenario() -> dict[str, list[str]]:
        url = room.url
        async with (
            websockets.connect(f"{url}?name=ada") as ada,
            websockets.connect(f"{url}?name=bea") as bea,
            websockets.connect(f"{url}?name=gil") as gil,
            websockets.connect(f"{url}?name=zoe") as zoe,
        ):
            await ada.send(say("wait for gil"))
            assert await recv_text(bea) == "wait for gil"  # the broadcast is under way
            gil.transport.abort()  # gone: no close frame, the TCP connection just drops
            assert await recv_text(zoe) == "wait for gil"
            report = json.loads(await recv_text(ada))
            await ada.send(say("once more"))
            assert [await recv_text(bea), await recv_text(zoe)] == ["once more"] * 2
            assert json.loads(await recv_text(ada)) == {"delivered": ["bea", "zoe"], "gone": []}
            return report

    assert run(scenario()) == {"delivered": ["bea", "zoe"], "gone": ["gil"]}
    rows = aws("dynamodb").scan(TableName=ROOM_TABLE)["Items"]
    assert "gil" not in [row["name"]["S"] for row in rows]


def test_garbage_after_the_handshake_closes_that_connection_with_1002(room: Deployed) -> None:
    """Random bytes where a frame belongs: close 1002 for that connection, the others go on."""

    async def scenario() -> list[int | None]:
        codes = []
        async with websockets.connect(room.url) as bystander:
            for seed in range(5):
                async with websockets.connect(room.url) as rude:
                    rude.transport.write(random.Random(seed).randbytes(64))
                    await asyncio.wait_for(rude.wait_closed(), 10)
                    codes.append(rude.close_code)
                await bystander.send(json.dumps({"action": "echo", "n": seed}))
                assert json.loads(await recv_text(bystander)) == {"action": "echo", "n": seed}
        return codes

    assert run(scenario()) == [1002] * 5


HALF_OPEN = 500
SLOW_HEADERS = 200


Socket = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def hang_on(host: str, port: int, sent: bytes) -> Socket:
    """A TCP connection that has sent `sent` (maybe nothing) and then says nothing more."""
    reader, writer = await asyncio.open_connection(host, port)
    if sent:
        writer.write(sent)
        await writer.drain()
    return reader, writer


async def trickle(sockets: list[Socket], stop: asyncio.Event) -> None:
    """Slowloris: one more header byte from each client every half second."""
    while not stop.is_set():
        for _, writer in sockets:
            writer.write(b"x")
        await asyncio.sleep(0.5)


def test_sockets_that_hang_on_slow_nobody_else_down(cloud: LocalCloud, room: Deployed) -> None:
    """With 500 half-open sockets and 200 slow-header clients hanging on, a chat round trip,
    a new connection and an HTTP call are all still answered; the hangers-on stay connected."""
    host, port = "127.0.0.1", cloud.port

    async def round_trip(url: str) -> float:
        async with (
            websockets.connect(f"{url}?name=amy") as amy,
            websockets.connect(f"{url}?name=ben") as ben,
        ):
            started = time.monotonic()
            await amy.send(say("still fast?"))
            assert await recv_text(ben) == "still fast?"
            return time.monotonic() - started

    async def scenario() -> tuple[float, float, int]:
        before = await round_trip(room.url)
        half_open, slow = [], []
        for _ in range(0, HALF_OPEN, 50):  # the listen backlog is 100: connect in batches
            heads = [b"" if i % 2 else b"GET /x HTTP/1.1\r\nHost: a\r\n" for i in range(50)]
            half_open += await asyncio.gather(*(hang_on(host, port, head) for head in heads))
        for _ in range(0, SLOW_HEADERS, 50):
            head = b"GET /x HTTP/1.1\r\nHost: a\r\nX-Slow: "
            slow += await asyncio.gather(*(hang_on(host, port, head) for _slow in range(50)))
        stop = asyncio.Event()
        trickling = asyncio.ensure_future(trickle(slow, stop))
        try:
            await asyncio.sleep(1)  # let the slow ones trickle a little
            during = await round_trip(room.url)
            health = await asyncio.to_thread(http_get, f"{cloud.url}/_workshop/health")
            assert json.loads(health) == {"status": "ok"}
            still_open = sum(not reader.at_eof() for reader, _ in half_open + slow)
        finally:
            stop.set()
            await trickling
            for _, writer in half_open + slow:
                writer.close()
        return before, during, still_open

    before, during, still_open = run(scenario())
    assert still_open == HALF_OPEN + SLOW_HEADERS
    print(f"chat round trip {before * 1000:.0f} ms idle, {during * 1000:.0f} ms hung on")


def http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())
