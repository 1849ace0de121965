"""A room's cloud lets no one in from other machines; `--no-iam` turns the checks off."""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import websockets
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from infra.local.cloud import LocalCloud
from tests import waits
from tests.conftest import make_zip, running_cloud
from tests.local.gateway.helpers import ECHO, WHOAMI, GatewayLab, recv_text, run, whoami

ROOM_KEY = ("AKIAROOMKEYEXAMPLE01", "room-secret-example")
ELSEWHERE = "127.0.0.2"  # another loopback address, set up to count as another machine


@pytest.fixture(scope="module")
def room() -> Iterator[LocalCloud]:
    with running_cloud(room_key=ROOM_KEY, trusted_peers=("127.0.0.1",)) as cloud:
        yield cloud


def clients(cloud: LocalCloud) -> Any:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return lambda service: session.client(service, endpoint_url=cloud.url)


def from_elsewhere(
    cloud: LocalCloud, method: str, path: str, key: tuple[str, str] | None
) -> tuple[int, str, str]:
    """A raw API Gateway call from 127.0.0.2, signed with `key` (or unsigned): status, type, body."""
    url = f"http://127.0.0.1:{cloud.port}{path}"
    request = AWSRequest(method=method, url=url, data=b"")
    if key is not None:
        SigV4Auth(Credentials(*key), "apigateway", "us-east-1").add_auth(request)
    prepared = request.prepare()
    connection = http.client.HTTPConnection("127.0.0.1", cloud.port, source_address=(ELSEWHERE, 0))
    try:
        connection.request(method, path, body=prepared.body, headers=dict(prepared.headers))
        response = connection.getresponse()
        return (
            response.status,
            response.getheader("x-amzn-ErrorType") or "",
            response.read().decode(),
        )
    finally:
        connection.close()


def test_other_machines_need_the_room_key_and_the_room_still_chats(room: LocalCloud) -> None:
    """Unsigned, unknown-key or wrong-secret DeleteApi from elsewhere is refused; chat goes on."""
    aws = clients(room)
    deployed = GatewayLab(aws, room).deploy({"$default": ECHO}, two_way=("$default",))
    path = f"/v2/apis/{deployed.api_id}"
    unsigned = from_elsewhere(room, "DELETE", path, None)
    unknown = from_elsewhere(room, "DELETE", path, ("testing", "testing"))  # fine locally only
    wrong = from_elsewhere(room, "DELETE", path, (ROOM_KEY[0], "not-the-secret"))
    assert (unsigned[0], unsigned[1]) == (403, "MissingAuthenticationTokenException")
    assert (unknown[0], unknown[1]) == (403, "UnrecognizedClientException")
    assert (wrong[0], wrong[1]) == (403, "InvalidSignatureException")
    assert aws("apigatewayv2").get_api(ApiId=deployed.api_id)["ApiId"] == deployed.api_id
    listed = from_elsewhere(room, "GET", "/v2/apis", ROOM_KEY)
    assert listed[0] == 200 and deployed.api_id in listed[2]

    async def chat_from_elsewhere() -> str:
        async with websockets.connect(deployed.url, local_addr=(ELSEWHERE, 0)) as ws:
            await ws.send('{"action": "hello"}')
            return await recv_text(ws)

    assert json.loads(run(chat_from_elsewhere()))["body"] == '{"action": "hello"}'


TRY_PUT = """
import boto3


def handler(event, context):
    boto3.resource("dynamodb").Table("no-iam-table").put_item(Item={"pk": "x"})
    return "stored"
"""


def test_no_iam_turns_the_checks_off() -> None:
    """With iam=False a role without any policy may write, and a post needs no valid key."""
    with running_cloud(iam=False) as cloud:
        aws = clients(cloud)
        waits.create_table(
            aws("dynamodb"),
            TableName="no-iam-table",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        untrusting = {"Version": "2012-10-17", "Statement": []}
        role = aws("iam").create_role(
            RoleName="no-iam-role", AssumeRolePolicyDocument=json.dumps(untrusting)
        )
        waits.create_function(
            aws("lambda"),
            FunctionName="no-iam-put",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="app.handler",
            Code={"ZipFile": make_zip({"app.py": TRY_PUT})},
        )
        response = aws("lambda").invoke(FunctionName="no-iam-put")
        assert json.loads(response["Payload"].read()) == "stored"
        deployed = GatewayLab(aws, cloud).deploy({"whoami": WHOAMI}, two_way=("whoami",))
        management = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=deployed.management_url,
            region_name="us-east-1",
            aws_access_key_id="AKIAANYKEYATALL",
            aws_secret_access_key="whatever",
        )

        async def scenario() -> str:
            async with websockets.connect(deployed.url) as ws:
                me = await whoami(ws)
                await asyncio.to_thread(management.post_to_connection, ConnectionId=me, Data=b"hi")
                return await recv_text(ws)

        assert run(scenario()) == "hi"
