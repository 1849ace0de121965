"""The @connections management API, called the way Lambda code calls it: through boto3."""

from __future__ import annotations

import asyncio
import http.client
import json
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import websockets
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from websockets.exceptions import ConnectionClosed

from tests.local.gateway.helpers import (
    RECORD,
    TIMEOUT,
    WHOAMI,
    Deployed,
    GatewayLab,
    management_client,
    recv_text,
    run,
    whoami,
)

# A $connect handler that tries to post to its own connection and records what happened.
POST_TO_SELF = """
import boto3


def handler(event, context):
    ctx = event["requestContext"]
    api = boto3.client(
        "apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}"
    )
    try:
        api.post_to_connection(ConnectionId=ctx["connectionId"], Data=b"too early")
        outcome = "delivered"
    except Exception as error:
        outcome = type(error).__name__
    record(event, postOutcome=outcome)
    return {"statusCode": 200}
"""


@pytest.fixture(scope="module")
def api(lab: GatewayLab) -> Deployed:
    return lab.deploy({"whoami": WHOAMI, "$disconnect": RECORD}, two_way=("whoami",))


def raw_request(
    deployed: Deployed, method: str, connection_path: str, body: bytes, *, sign: bool
) -> tuple[int, bytes]:
    """One HTTP request to `{stage}/@connections/{connection_path}`, SigV4-signed or not."""
    url = f"{deployed.management_url}/@connections/{connection_path}"
    headers: dict[str, str] = {}
    if sign:
        request = AWSRequest(method=method, url=url, data=body)
        SigV4Auth(Credentials("testing", "testing"), "execute-api", "us-east-1").add_auth(request)
        headers = dict(request.headers.items())
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=TIMEOUT)
    try:
        connection.request(method, parts.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_post_sends_a_text_frame(api: Deployed) -> None:
    """post_to_connection delivers its Data to the client as a text frame."""

    async def scenario() -> str:
        async with websockets.connect(api.url) as ws:
            connection_id = await whoami(ws)
            await asyncio.to_thread(
                management_client(api).post_to_connection,
                ConnectionId=connection_id,
                Data=b'{"hello": "world"}',
            )
            return await recv_text(ws)

    assert run(scenario()) == '{"hello": "world"}'


def test_get_connection_describes_the_client(api: Deployed) -> None:
    """get_connection returns ConnectedAt, Identity (SourceIp, UserAgent) and LastActiveAt."""

    async def scenario() -> dict[str, Any]:
        async with websockets.connect(api.url) as ws:
            connection_id = await whoami(ws)
            client = management_client(api)
            answer: dict[str, Any] = await asyncio.to_thread(
                client.get_connection, ConnectionId=connection_id
            )
            return answer

    answer = run(scenario())
    assert answer["Identity"]["SourceIp"] == "127.0.0.1"
    assert answer["Identity"]["UserAgent"].startswith("Python/")
    assert answer["LastActiveAt"] >= answer["ConnectedAt"]


def test_last_active_advances_after_a_client_message(api: Deployed) -> None:
    """LastActiveAt moves forward when the client sends a message."""

    async def scenario() -> tuple[Any, Any]:
        async with websockets.connect(api.url) as ws:
            connection_id = await whoami(ws)
            client = management_client(api)
            before = await asyncio.to_thread(client.get_connection, ConnectionId=connection_id)
            await whoami(ws)
            after = await asyncio.to_thread(client.get_connection, ConnectionId=connection_id)
            return before["LastActiveAt"], after["LastActiveAt"]

    before, after = run(scenario())
    assert after > before


def test_delete_closes_the_socket_and_fires_disconnect(lab: GatewayLab, api: Deployed) -> None:
    """delete_connection closes the socket; $disconnect runs with 1000 "Connection Closed Normally"."""

    async def scenario() -> dict[str, Any]:
        async with lab.observer() as observer, websockets.connect(api.url) as ws:
            connection_id = await whoami(ws)
            await asyncio.to_thread(
                management_client(api).delete_connection, ConnectionId=connection_id
            )
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            return await observer.event("$disconnect", connection_id)

    context = run(scenario())["requestContext"]
    assert context["disconnectStatusCode"] == 1000
    assert context["disconnectReason"] == "Connection Closed Normally"


def test_unknown_connection_is_gone(api: Deployed) -> None:
    """Posting to an id that never existed raises GoneException."""
    client = management_client(api)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"hi")


def test_closed_connection_is_gone(api: Deployed) -> None:
    """Posting to a connection after it closed raises GoneException."""

    async def scenario() -> str:
        async with websockets.connect(api.url) as ws:
            return await whoami(ws)

    connection_id = run(scenario())
    client = management_client(api)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=connection_id, Data=b"hi")


def test_get_of_closed_connection_is_gone(api: Deployed) -> None:
    """get_connection of a closed connection raises GoneException."""

    async def scenario() -> str:
        async with websockets.connect(api.url) as ws:
            return await whoami(ws)

    connection_id = run(scenario())
    client = management_client(api)
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId=connection_id)


def test_post_during_connect_is_gone(lab: GatewayLab) -> None:
    """A $connect handler posting to its own connection gets GoneException."""
    deployed = lab.deploy({"$connect": POST_TO_SELF})

    async def scenario() -> dict[str, Any]:
        async with lab.observer() as observer, websockets.connect(deployed.url):
            return await observer.event("$connect")

    assert run(scenario())["postOutcome"] == "GoneException"


def test_wrong_stage_is_forbidden(api: Deployed) -> None:
    """Managing a connection through another stage raises ForbiddenException."""

    async def scenario() -> None:
        async with websockets.connect(api.url) as ws:
            connection_id = await whoami(ws)
            client = management_client(api, stage="prod")
            with pytest.raises(client.exceptions.ForbiddenException):
                await asyncio.to_thread(
                    client.post_to_connection, ConnectionId=connection_id, Data=b"hi"
                )

    run(scenario())


def test_post_over_128_kb_is_too_large(api: Deployed) -> None:
    """Posting more than 128 KB raises PayloadTooLargeException."""

    async def scenario() -> None:
        async with websockets.connect(api.url) as ws:
            connection_id = await whoami(ws)
            client = management_client(api)
            with pytest.raises(client.exceptions.PayloadTooLargeException):
                await asyncio.to_thread(
                    client.post_to_connection,
                    ConnectionId=connection_id,
                    Data=b"x" * (128 * 1024 + 1),
                )

    run(scenario())


def test_connection_id_in_path_is_url_decoded(api: Deployed) -> None:
    """A signed raw POST to .../@connections/{id with %3D} reaches that connection."""

    async def scenario() -> tuple[int, str]:
        async with websockets.connect(api.url) as ws:
            connection_id = await whoami(ws)
            assert connection_id.endswith("=")
            status, _ = await asyncio.to_thread(
                raw_request, api, "POST", quote(connection_id, safe=""), b"raw", sign=True
            )
            return status, await recv_text(ws)

    assert run(scenario()) == (200, "raw")


def test_unsigned_request_is_forbidden(api: Deployed) -> None:
    """A POST without a SigV4 Authorization header is refused with 403."""

    async def scenario() -> tuple[int, bytes]:
        async with websockets.connect(api.url) as ws:
            connection_id = await whoami(ws)
            result: tuple[int, bytes] = await asyncio.to_thread(
                raw_request, api, "POST", quote(connection_id, safe=""), b"raw", sign=False
            )
            return result

    status, body = run(scenario())
    assert status == 403
    assert "message" in json.loads(body)
