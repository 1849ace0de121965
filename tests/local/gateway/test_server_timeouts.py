"""The idle timeout and the maximum connection age close connections and fire $disconnect.

A dedicated cloud with short timeouts (0.5 s idle, 1.5 s age). Each test waits for the gateway's
$disconnect invocation on the trace feed (which no timeout applies to), then reads what the
$disconnect handler stored in DynamoDB.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from infra.local.cloud import LocalCloud
from tests import waits
from tests.conftest import running_cloud
from tests.local.gateway.helpers import TIMEOUT, Deployed, GatewayLab, run

TABLE = "disconnects"

STORE_DISCONNECT = f"""
import boto3

table = boto3.resource("dynamodb").Table("{TABLE}")


def handler(event, context):
    ctx = event["requestContext"]
    table.put_item(Item={{
        "connectionId": ctx["connectionId"],
        "code": ctx["disconnectStatusCode"],
        "reason": ctx["disconnectReason"],
    }})
    return {{"statusCode": 200}}
"""


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """A local cloud whose connections idle out after 0.5 s and age out after 1.5 s."""
    with running_cloud(idle_timeout=0.5, max_connection_age=1.5) as running:
        yield running


@pytest.fixture(scope="module")
def api(cloud: LocalCloud, aws: Any) -> Deployed:
    waits.create_table(
        aws("dynamodb"),
        TableName=TABLE,
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return GatewayLab(aws, cloud).deploy({"$disconnect": STORE_DISCONNECT})


def closed_by_timeout(
    cloud: LocalCloud, api: Deployed, ping_interval: float | None
) -> tuple[int | None, float]:
    """Connect and wait until the server closes: (close code, seconds the connection lived).

    Returns once $disconnect has run, after checking that it got the same close code.
    """
    trace_url = cloud.url.replace("http", "ws", 1) + f"/_workshop/trace?apiId={api.api_id}"

    async def scenario() -> tuple[int | None, float, str]:
        async with websockets.connect(trace_url) as trace:
            opened = time.monotonic()
            # Pings are frames: with a ping interval the client is never idle.
            async with websockets.connect(api.url, ping_interval=ping_interval) as ws:
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                code, lifetime = ws.close_code, time.monotonic() - opened
            while True:
                hop = json.loads(await asyncio.wait_for(trace.recv(), TIMEOUT))
                if hop["hop"] == "lambda" and hop.get("source") == "gateway":
                    return code, lifetime, hop["connectionId"]

    code, lifetime, connection_id = run(scenario())
    table = boto3.resource("dynamodb").Table(TABLE)
    stored = table.get_item(Key={"connectionId": connection_id})["Item"]
    assert stored["code"] == code
    return code, lifetime


def test_idle_timeout_closes_with_1001_and_fires_disconnect(
    cloud: LocalCloud, api: Deployed
) -> None:
    """A connection that sends nothing for the idle timeout is closed with 1001."""
    code, lifetime = closed_by_timeout(cloud, api, ping_interval=None)
    assert code == 1001
    assert lifetime < 1.5  # closed for idling, before the maximum age


def test_max_age_closes_with_1001_and_fires_disconnect(cloud: LocalCloud, api: Deployed) -> None:
    """A connection kept busy is still closed with 1001 at the maximum connection age."""
    code, lifetime = closed_by_timeout(cloud, api, ping_interval=0.1)
    assert code == 1001
    assert lifetime >= 1.4  # pings kept it from idling out; age closed it
