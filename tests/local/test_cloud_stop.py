"""Stopping the local cloud closes its WebSockets as API Gateway does: 1001, then $disconnect;
a stopped or refused cloud gives moto's clock back."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import boto3
import pytest
import websockets

from infra.local.aws import states
from infra.local.cloud import LocalCloud
from tests import waits
from tests.conftest import running_cloud
from tests.local.gateway.helpers import GatewayLab

TABLE = "stop-connections"
ROWS = f'''
import boto3

TABLE = boto3.resource("dynamodb").Table("{TABLE}")


def handler(event, context):
    ctx = event["requestContext"]
    if ctx["routeKey"] == "$connect":
        TABLE.put_item(Item={{"id": ctx["connectionId"]}})
    else:
        TABLE.delete_item(Key={{"id": ctx["connectionId"]}})
    return {{"statusCode": 200}}
'''


def test_stopping_the_cloud_runs_disconnect_for_every_open_connection() -> None:
    """Three clients open at stop: each is closed with 1001 and its $disconnect has run."""
    with running_cloud() as cloud:
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )

        def aws(service: str, **kwargs: Any) -> Any:
            return session.client(service, endpoint_url=cloud.url, **kwargs)

        dynamodb = aws("dynamodb")
        waits.create_table(
            dynamodb,
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        url = GatewayLab(aws, cloud).deploy({"$connect": ROWS, "$disconnect": ROWS}).url

        async def scenario() -> list[int | None]:
            clients = [await websockets.connect(url) for _ in range(3)]
            assert len(dynamodb.scan(TableName=TABLE)["Items"]) == 3
            await asyncio.to_thread(cloud.stop)
            return [client.close_code for client in clients]

        assert asyncio.run(scenario()) == [1001] * 3
        with cloud.backends.open() as services:
            assert len(services.dynamodb.get_table(TABLE).items) == 0


def test_a_cloud_refused_at_start_gives_moto_s_clock_back(tmp_path: Path) -> None:
    """A start refused for a port in use leaves moto without a cloud settling at once again."""
    before = states.current()
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        cloud = LocalCloud(port=port, state_dir=str(tmp_path / "state"), timing="short")
        with pytest.raises(OSError):
            cloud.start()
    assert states.current() is before
