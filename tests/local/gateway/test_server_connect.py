"""Connecting through the gateway: $connect, subprotocols, REQUEST authorizers, event shapes."""

from __future__ import annotations

from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.local.gateway.helpers import RECORD, Deployed, GatewayLab, assert_request_context, run
from tests.shapes import assert_same_shape, load_event

# The query string decides what $connect answers, so one API serves every connect test.
CONNECT = """
def handler(event, context):
    record(event)
    query = event.get("queryStringParameters") or {}
    if "raise" in query:
        raise RuntimeError("a bug in $connect")
    response = {"statusCode": int(query.get("status", "200"))}
    if "protocol" in query:
        response["headers"] = {"Sec-WebSocket-Protocol": query["protocol"]}
    return response
"""

AUTHORIZE = """
def handler(event, context):
    record(event)
    token = event["queryStringParameters"]["token"]
    if token == "raise":
        raise Exception("Unauthorized")
    return {
        "principalId": "alice",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Action": "execute-api:Invoke",
                "Effect": "Allow" if token == "allow" else "Deny",
                "Resource": event["methodArn"],
            }],
        },
        "context": {"level": 3, "team": "blue"},
    }
"""


@pytest.fixture(scope="module")
def api(lab: GatewayLab) -> Deployed:
    return lab.deploy({"$connect": CONNECT, "$disconnect": RECORD, "$default": RECORD})


@pytest.fixture(scope="module")
def guarded(lab: GatewayLab) -> Deployed:
    return lab.deploy(
        {"$connect": RECORD, "$disconnect": RECORD, "$default": RECORD}, authorizer=AUTHORIZE
    )


def refusal_status(url: str) -> int:
    """The HTTP status of a refused handshake."""

    async def scenario() -> int:
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(url)
        return refused.value.response.status_code

    return int(run(scenario()))


def test_connects_without_a_connect_route(lab: GatewayLab) -> None:
    """An API without a $connect route accepts every connection."""
    deployed = lab.deploy({"$default": RECORD})

    async def scenario() -> None:
        async with websockets.connect(deployed.url) as ws:
            await ws.ping()

    run(scenario())


def test_connect_returning_2xx_completes_the_handshake(api: Deployed) -> None:
    """A $connect handler returning any 2xx status lets the client in."""

    async def scenario() -> None:
        async with websockets.connect(f"{api.url}?status=204") as ws:
            await ws.ping()

    run(scenario())


def test_connect_returning_non_2xx_rejects_with_that_status(api: Deployed) -> None:
    """A $connect handler returning 403 refuses the handshake with HTTP 403."""
    assert refusal_status(f"{api.url}?status=403") == 403


def test_connect_handler_raising_gives_502(api: Deployed) -> None:
    """A $connect handler that raises refuses the handshake with HTTP 502."""
    assert refusal_status(f"{api.url}?raise=1") == 502


def test_connect_function_without_permission_gives_500(lab: GatewayLab) -> None:
    """A $connect function API Gateway may not invoke (no add_permission) refuses with 500."""
    locked = lab.deploy({"$connect": CONNECT}, permission=False)
    assert refusal_status(locked.url) == 500


def test_subprotocol_echoed_when_connect_sets_it(api: Deployed) -> None:
    """Sec-WebSocket-Protocol comes back when the $connect response sets it."""

    async def scenario() -> str | None:
        async with websockets.connect(f"{api.url}?protocol=chat", subprotocols=["chat"]) as ws:
            return ws.subprotocol

    assert run(scenario()) == "chat"


def test_subprotocol_not_echoed_unless_connect_sets_it(api: Deployed) -> None:
    """A requested subprotocol is not selected when $connect does not set the header."""

    async def scenario() -> str | None:
        async with websockets.connect(api.url, subprotocols=["chat"]) as ws:
            return ws.subprotocol

    assert run(scenario()) is None


def test_connect_event_shape(lab: GatewayLab, api: Deployed) -> None:
    """CONNECT has headers and the query string (single and multi-valued), but no body."""

    async def scenario() -> dict[str, Any]:
        query = "?room=lobby&tag=a&tag=b"
        async with lab.observer() as observer, websockets.connect(api.url + query):
            return await observer.event("$connect")

    event = run(scenario())
    assert_same_shape(
        event,
        load_event("websocket_connect.json"),
        free=(
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
        ),
    )
    assert "body" not in event
    assert event["queryStringParameters"] == {"room": "lobby", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"room": ["lobby"], "tag": ["a", "b"]}
    assert event["headers"]["Sec-WebSocket-Version"] == "13"
    assert_request_context(event, api, "$connect", "CONNECT")


def test_connect_event_without_query_has_no_query_fields(lab: GatewayLab, api: Deployed) -> None:
    """CONNECT without a query string has no queryStringParameters at all."""

    async def scenario() -> dict[str, Any]:
        async with lab.observer() as observer, websockets.connect(api.url):
            return await observer.event("$connect")

    event = run(scenario())
    assert "queryStringParameters" not in event
    assert "multiValueQueryStringParameters" not in event


def test_disconnect_event_shape(lab: GatewayLab, api: Deployed) -> None:
    """DISCONNECT carries the client's close code and a reason, and the same connection id."""

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with lab.observer() as observer:
            async with websockets.connect(api.url) as ws:
                connected = await observer.event("$connect")
                await ws.close(4000, "bye")
            connection_id = connected["requestContext"]["connectionId"]
            return connected, await observer.event("$disconnect", connection_id)

    connected, event = run(scenario())
    assert_same_shape(
        event, load_event("websocket_disconnect.json"), free=("headers", "multiValueHeaders")
    )
    assert_request_context(event, api, "$disconnect", "DISCONNECT")
    assert event["requestContext"]["disconnectStatusCode"] == 4000
    assert isinstance(event["requestContext"]["disconnectReason"], str)
    assert event["requestContext"]["connectedAt"] == connected["requestContext"]["connectedAt"]


# ---------------------------------------------------------------- REQUEST authorizer


def test_authorizer_missing_identity_source_gives_401_without_calling_it(
    lab: GatewayLab, guarded: Deployed
) -> None:
    """Without the identity source the handshake gets 401 and the authorizer is not invoked."""

    async def scenario() -> dict[str, Any]:
        async with lab.observer() as observer:
            with pytest.raises(InvalidStatus) as refused:
                await websockets.connect(guarded.url)
            assert refused.value.response.status_code == 401
            async with websockets.connect(f"{guarded.url}?token=allow"):
                return await observer.event()

    first_recorded = run(scenario())
    # The first event the authorizer (or anything) recorded is the second attempt's.
    assert first_recorded["type"] == "REQUEST"
    assert first_recorded["queryStringParameters"] == {"token": "allow"}


def test_authorizer_deny_gives_403(guarded: Deployed) -> None:
    """An authorizer policy that denies the $connect method ARN refuses with 403."""
    assert refusal_status(f"{guarded.url}?token=deny") == 403


def test_authorizer_raising_unauthorized_gives_401(guarded: Deployed) -> None:
    """An authorizer raising Exception("Unauthorized") refuses with 401."""
    assert refusal_status(f"{guarded.url}?token=raise") == 401


def test_authorizer_event_shape(lab: GatewayLab, guarded: Deployed) -> None:
    """The REQUEST authorizer gets the upgrade request and the $connect method ARN."""

    async def scenario() -> dict[str, Any]:
        async with lab.observer() as observer, websockets.connect(f"{guarded.url}?token=allow"):
            return await observer.event()

    event = run(scenario())
    assert_same_shape(
        event,
        load_event("websocket_authorizer_request.json"),
        free=(
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "stageVariables",
        ),
    )
    assert event["methodArn"] == (
        f"arn:aws:execute-api:us-east-1:123456789012:{guarded.api_id}/dev/$connect"
    )


def test_authorizer_allow_adds_context_to_every_event(lab: GatewayLab, guarded: Deployed) -> None:
    """An Allow adds requestContext.authorizer to the CONNECT, MESSAGE and DISCONNECT events."""

    async def scenario() -> list[dict[str, Any]]:
        async with lab.observer() as observer:
            async with websockets.connect(f"{guarded.url}?token=allow") as ws:
                connected = await observer.event("$connect")
                await ws.send('{"action": "hello"}')
                message = await observer.event("$default")
            connection_id = connected["requestContext"]["connectionId"]
            return [connected, message, await observer.event("$disconnect", connection_id)]

    for event in run(scenario()):
        assert "authorizer" in event["requestContext"], event["requestContext"]["routeKey"]
        authorizer = event["requestContext"]["authorizer"]
        assert authorizer["principalId"] == "alice"
        assert authorizer["level"] == "3"
        assert authorizer["team"] == "blue"
