"""Messages through the gateway: route selection, replies, error frames, MESSAGE events."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import websockets

from tests.local.gateway.helpers import (
    ECHO,
    RAISE,
    RECORD,
    Deployed,
    GatewayLab,
    assert_request_context,
    nothing_arrives,
    recv_text,
    run,
)
from tests.shapes import assert_same_shape, load_event

ID = r"[A-Za-z0-9_-]{15}="


def error_frame_pattern(message: str) -> re.Pattern[str]:
    """API Gateway's error frame, byte-for-byte: note the spaces after the first colon only."""
    return re.compile(
        rf'^\{{"message": "{message}", "connectionId":"(?P<connection>{ID})", '
        rf'"requestId":"(?P<request>{ID})"\}}$'
    )


@pytest.fixture(scope="module")
def api(lab: GatewayLab) -> Deployed:
    """Routes by "action": two-way echo/Echo/$default, a one-way route and a raising one."""
    return lab.deploy(
        {
            "$connect": RECORD,
            "echo": ECHO,
            "Echo": ECHO,
            "$default": ECHO,
            "oneway": RECORD,
            "boom": RAISE,
        },
        two_way=("echo", "Echo", "$default"),
    )


@pytest.fixture(scope="module")
def strict(lab: GatewayLab) -> Deployed:
    """No $default route: unmatched messages are Forbidden."""
    return lab.deploy({"echo": ECHO}, two_way=("echo",))


def ask(url: str, *messages: str) -> list[str]:
    """Send each message in turn on one connection and collect one reply per message."""

    async def scenario() -> list[str]:
        async with websockets.connect(url) as ws:
            replies = []
            for message in messages:
                await ws.send(message)
                replies.append(await recv_text(ws))
            return replies

    return list(run(scenario()))


def routed(reply: str) -> str:
    """The route key an ECHO handler reports."""
    return str(json.loads(reply)["route"])


def test_selects_route_by_action(api: Deployed) -> None:
    """`$request.body.action` picks the route whose key equals the action."""
    assert routed(ask(api.url, '{"action": "echo"}')[0]) == "echo"


def test_route_keys_are_case_sensitive(api: Deployed) -> None:
    """Route keys are case-sensitive: "Echo" is not "echo", and "ECHO" matches neither."""
    replies = ask(api.url, '{"action": "Echo"}', '{"action": "ECHO"}')
    assert [routed(r) for r in replies] == ["Echo", "$default"]


def test_non_json_goes_to_default(api: Deployed) -> None:
    """A message that is not JSON goes to $default."""
    assert routed(ask(api.url, "hello there")[0]) == "$default"


def test_unmatched_action_goes_to_default(api: Deployed) -> None:
    """A JSON message whose action matches no route goes to $default."""
    assert routed(ask(api.url, '{"action": "nope"}')[0]) == "$default"


def test_selection_never_picks_connect(lab: GatewayLab, api: Deployed) -> None:
    """A body {"action": "$connect"} goes to $default and does not invoke $connect."""

    async def scenario() -> tuple[str, str]:
        async with lab.observer() as observer, websockets.connect(api.url) as ws:
            await observer.event("$connect")
            await ws.send('{"action": "$connect"}')
            reply = await recv_text(ws)
            # The next recorded event is the $default invocation, not a second $connect.
            return reply, (await observer.event())["requestContext"]["routeKey"]

    reply, recorded = run(scenario())
    assert routed(reply) == "$default"
    assert recorded == "$default"


def test_nested_selection_expression(lab: GatewayLab) -> None:
    """`$request.body.a.b` selects by a nested value."""
    deployed = lab.deploy(
        {"x": ECHO, "$default": ECHO}, selection="$request.body.a.b", two_way=("x", "$default")
    )
    replies = ask(deployed.url, '{"a": {"b": "x"}}', '{"a": {"c": "x"}}')
    assert [routed(r) for r in replies] == ["x", "$default"]


def test_template_selection_expression(lab: GatewayLab) -> None:
    """`${request.body.x}/${request.body.y}` joins values; a missing path renders as ""."""
    deployed = lab.deploy(
        {"chat/send": ECHO, "chat/": ECHO, "$default": ECHO},
        selection="${request.body.x}/${request.body.y}",
        two_way=("chat/send", "chat/", "$default"),
    )
    replies = ask(deployed.url, '{"x": "chat", "y": "send"}', '{"x": "chat"}')
    assert [routed(r) for r in replies] == ["chat/send", "chat/"]


def test_no_default_route_sends_forbidden_frame(strict: Deployed) -> None:
    """Without $default, an unmatched message gets AWS's Forbidden frame, byte-for-byte."""
    assert error_frame_pattern("Forbidden").match(ask(strict.url, '{"action": "nope"}')[0])


def test_forbidden_keeps_the_connection_open(strict: Deployed) -> None:
    """After a Forbidden frame the same connection still routes messages."""
    replies = ask(strict.url, "not json", '{"action": "echo"}')
    assert routed(replies[1]) == "echo"


def test_raising_handler_sends_internal_server_error(lab: GatewayLab, api: Deployed) -> None:
    """A raising MESSAGE handler yields the Internal server error frame for that request."""

    async def scenario() -> tuple[str, dict[str, Any]]:
        async with lab.observer() as observer, websockets.connect(api.url) as ws:
            await ws.send('{"action": "boom"}')
            return await recv_text(ws), await observer.event("boom")

    frame, event = run(scenario())
    match = error_frame_pattern("Internal server error").match(frame)
    assert match, frame
    assert match["connection"] == event["requestContext"]["connectionId"]
    assert match["request"] == event["requestContext"]["requestId"]


def test_raising_handler_keeps_the_connection_open(api: Deployed) -> None:
    """After an Internal server error frame the connection still routes messages."""
    replies = ask(api.url, '{"action": "boom"}', '{"action": "echo"}')
    assert routed(replies[1]) == "echo"


def test_one_way_route_sends_nothing_back(lab: GatewayLab, api: Deployed) -> None:
    """A route without a route response invokes its handler and replies nothing."""

    async def scenario() -> None:
        async with lab.observer() as observer, websockets.connect(api.url) as ws:
            await ws.send('{"action": "oneway"}')
            await observer.event("oneway")
            await nothing_arrives(ws)

    run(scenario())


def test_two_way_route_sends_the_body_back(api: Deployed) -> None:
    """A route with a $default route response sends the handler's `body` back."""
    reply = ask(api.url, '{"action": "echo", "n": 1}')[0]
    assert json.loads(reply) == {"route": "echo", "body": '{"action": "echo", "n": 1}'}


def test_message_event_shape(lab: GatewayLab, api: Deployed) -> None:
    """MESSAGE has the raw body, isBase64Encoded false and a messageId, but no headers."""
    text = '{"action": "oneway",  "spaced": true}'

    async def scenario() -> dict[str, Any]:
        async with lab.observer() as observer, websockets.connect(api.url) as ws:
            await ws.send(text)
            return await observer.event("oneway")

    event = run(scenario())
    assert_same_shape(event, load_event("websocket_message.json"))
    assert event["body"] == text
    assert event["isBase64Encoded"] is False
    assert "headers" not in event
    assert re.fullmatch(ID, event["requestContext"]["messageId"])
    assert_request_context(event, api, "oneway", "MESSAGE")


def test_missing_invoke_permission_gives_internal_server_error(lab: GatewayLab) -> None:
    """A route whose Lambda lacks the apigateway add_permission gets Internal server error."""
    deployed = lab.deploy({"locked": ECHO}, two_way=("locked",), permission=False)
    frame = ask(deployed.url, '{"action": "locked"}')[0]
    assert error_frame_pattern("Internal server error").match(frame)
