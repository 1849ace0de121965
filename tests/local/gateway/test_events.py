"""Lambda events of WebSocket APIs, compared with captured-shape fixtures in tests/events."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra.local.gateway import events
from infra.local.gateway.events import (
    ConnectionInfo,
    authorizer_context,
    authorizer_event,
    clf_time,
    connect_event,
    disconnect_event,
    message_event,
    new_connection_id,
    new_request_id,
    new_trace_id,
)
from tests.shapes import assert_same_shape, load_event

AWS_ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")
CONNECTED_AT = 1795311326123  # 22/Nov/2026:01:35:26.123 UTC
USER_AGENT = "Python/3.11 websockets/17.4"
UPGRADE_HEADERS = [
    ("Host", "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
    ("User-Agent", USER_AGENT),
]


def make_connection(**changes: Any) -> ConnectionInfo:
    """The connection the fixtures in tests/events describe; keyword arguments override fields."""
    fields: dict[str, Any] = {
        "connection_id": "eHrdFcnvvHcCE-w=",
        "api_id": "a1b2c3d4e5",
        "stage": "dev",
        "region": "us-east-1",
        "account_id": "123456789012",
        "source_ip": "203.0.113.7",
        "connected_at_ms": CONNECTED_AT,
        "user_agent": USER_AGENT,
        "headers": list(UPGRADE_HEADERS),
        "query": [("room", "lobby")],
        "connect_request_id": "eHrjDEuVPHcFWMg=",
        "trace_id": "Root=1-6b0246de-0123456789abcdef01234567",
    }
    fields.update(changes)
    return ConnectionInfo(**fields)


def sample_message(conn: ConnectionInfo) -> dict[str, Any]:
    """The MESSAGE event of the websocket_message.json fixture."""
    return message_event(
        conn,
        "sendmessage",
        '{"action": "sendmessage", "message": "hello"}',
        request_time_ms=1795311337456,
        request_id="eHrkQH17NjMFftw=",
        message_id="eHrkQcnvPHcCE-w=",
    )


def sample_disconnect(conn: ConnectionInfo) -> dict[str, Any]:
    """The DISCONNECT event of the websocket_disconnect.json fixture."""
    return disconnect_event(
        conn, 1001, "Going away", request_time_ms=1795311400789, request_id="eHrsWGSIAMCKug0="
    )


# ids, times and small helpers


def test_connection_id_shape() -> None:
    """Connection ids are 16 URL-safe base64 characters ending in "="."""
    assert AWS_ID.match(new_connection_id())


def test_connection_id_from_injected_bytes() -> None:
    """Connection ids are the URL-safe base64 of 11 injected random bytes."""
    assert new_connection_id(lambda n: b"\xff" * n) == "______________8="


def test_connection_ids_are_unique() -> None:
    """Fresh connection ids differ."""
    assert len({new_connection_id() for _ in range(100)}) == 100


def test_request_id_shape() -> None:
    """Request ids have the connection id shape."""
    assert AWS_ID.match(new_request_id())


def test_fixture_ids_have_aws_shape() -> None:
    """The ids written in the fixtures are real-looking AWS ids."""
    context = load_event("websocket_message.json")["requestContext"]
    for key in ("messageId", "requestId", "extendedRequestId", "connectionId"):
        assert AWS_ID.match(context[key]), key


def test_trace_id_shape() -> None:
    """Trace ids are Root=1-{epoch seconds hex}-{24 hex digits}."""
    trace = new_trace_id(CONNECTED_AT, lambda n: bytes(range(n)))
    assert trace == "Root=1-6b0246de-000102030405060708090a0b"


def test_connection_gets_a_trace_id_by_default() -> None:
    """A connection without an explicit trace id gets one stamped with its connect time."""
    conn = make_connection(trace_id="")
    assert re.fullmatch(r"Root=1-6b0246de-[0-9a-f]{24}", conn.trace_id)


def test_clf_time() -> None:
    """requestTime uses Common Log Format in UTC."""
    assert clf_time(CONNECTED_AT) == "22/Nov/2026:01:35:26 +0000"


def test_clf_time_pads_day() -> None:
    """Days below 10 are zero-padded, as in "05/Jan/2026"."""
    assert clf_time(1767576000000) == "05/Jan/2026:01:20:00 +0000"


def test_domain_name() -> None:
    """domainName is the API's default execute-api host."""
    conn = make_connection(api_id="xyz", region="eu-west-1")
    assert conn.domain_name == "xyz.execute-api.eu-west-1.amazonaws.com"


def test_authorizer_context_flattens_and_stringifies() -> None:
    """Authorizer context values are flattened next to principalId and stringified."""
    result = authorizer_context("alice", {"userId": "alice", "level": 3, "admin": False}, 42)
    assert result == {
        "userId": "alice",
        "level": "3",
        "admin": "false",
        "principalId": "alice",
        "integrationLatency": 42,
    }


def test_authorizer_context_keeps_null() -> None:
    """A null context value stays null."""
    assert authorizer_context("bob", {"team": None})["team"] is None


# CONNECT


def test_connect_matches_fixture() -> None:
    """The CONNECT event equals the captured-shape fixture, key for key."""
    fixture = load_event("websocket_connect.json")
    actual = connect_event(make_connection())
    assert_same_shape(actual, fixture)
    assert actual == fixture


def test_connect_shape_with_generated_ids() -> None:
    """With generated ids and clock the CONNECT event keeps the fixture's shape."""
    conn = make_connection(connection_id=new_connection_id(), connect_request_id=new_request_id())
    assert_same_shape(connect_event(conn), load_event("websocket_connect.json"))


def test_connect_has_no_body() -> None:
    """CONNECT events carry no body."""
    assert "body" not in connect_event(make_connection())


def test_connect_is_not_base64() -> None:
    """CONNECT events say isBase64Encoded false."""
    assert connect_event(make_connection())["isBase64Encoded"] is False


def test_connect_event_type_and_route() -> None:
    """CONNECT events name the $connect route and the CONNECT event type."""
    context = connect_event(make_connection())["requestContext"]
    assert (context["routeKey"], context["eventType"]) == ("$connect", "CONNECT")


def test_connect_request_id_is_extended_request_id() -> None:
    """requestId and extendedRequestId are the same id."""
    context = connect_event(make_connection())["requestContext"]
    assert context["requestId"] == context["extendedRequestId"] == "eHrjDEuVPHcFWMg="


def test_connect_times_are_integer_milliseconds() -> None:
    """connectedAt and requestTimeEpoch are integer epoch milliseconds."""
    context = connect_event(make_connection(), request_time_ms=CONNECTED_AT + 8)["requestContext"]
    assert context["connectedAt"] == CONNECTED_AT
    assert context["requestTimeEpoch"] == CONNECTED_AT + 8


def test_connect_without_query_has_no_query_fields() -> None:
    """Without a query string, CONNECT has no queryStringParameters keys at all."""
    event = connect_event(make_connection(query=[]))
    assert "queryStringParameters" not in event
    assert "multiValueQueryStringParameters" not in event


def test_connect_repeated_query_parameter() -> None:
    """A repeated query parameter lists every value; the single-value map keeps the last."""
    event = connect_event(make_connection(query=[("tag", "a"), ("tag", "b")]))
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}


def test_connect_drops_hop_by_hop_headers() -> None:
    """Connection and Upgrade never reach the $connect integration."""
    headers = connect_event(make_connection())["headers"]
    assert "Connection" not in headers
    assert "Upgrade" not in headers


def test_connect_keeps_client_header_case() -> None:
    """Header names keep the case the client sent."""
    conn = make_connection(headers=[("host", "h"), ("x-Custom-Thing", "1")])
    assert {"host", "x-Custom-Thing"} <= connect_event(conn)["headers"].keys()


def test_connect_groups_repeated_headers() -> None:
    """Repeated headers are grouped in multiValueHeaders; headers keeps the last value."""
    conn = make_connection(headers=[("Host", "h"), ("X-Tag", "one"), ("X-Tag", "two")])
    event = connect_event(conn)
    assert event["multiValueHeaders"]["X-Tag"] == ["one", "two"]
    assert event["headers"]["X-Tag"] == "two"


def test_connect_sorts_header_names_case_insensitively() -> None:
    """Header names come in case-insensitive alphabetical order, as in captured events."""
    conn = make_connection(headers=[("Zeta", "1"), ("alpha", "2"), ("Beta", "3")])
    names = list(connect_event(conn)["headers"])
    assert names == sorted(names, key=str.lower)


def test_connect_adds_forwarding_headers() -> None:
    """API Gateway adds X-Amzn-Trace-Id and X-Forwarded-For/Port/Proto."""
    headers = connect_event(make_connection(headers=[("Host", "h")]))["headers"]
    assert headers["X-Amzn-Trace-Id"] == "Root=1-6b0246de-0123456789abcdef01234567"
    assert headers["X-Forwarded-For"] == "203.0.113.7"
    assert headers["X-Forwarded-Port"] == "443"
    assert headers["X-Forwarded-Proto"] == "https"


def test_connect_appends_source_ip_to_client_forwarded_for() -> None:
    """A client's own X-Forwarded-For gets the source IP appended."""
    conn = make_connection(headers=[("Host", "h"), ("X-Forwarded-For", "10.0.0.1")])
    assert connect_event(conn)["headers"]["X-Forwarded-For"] == "10.0.0.1, 203.0.113.7"


def test_connect_local_forwarding_port_and_proto() -> None:
    """The local gateway can report its own port and scheme."""
    conn = make_connection(forwarded_port="4566", forwarded_proto="http")
    headers = connect_event(conn)["headers"]
    assert (headers["X-Forwarded-Port"], headers["X-Forwarded-Proto"]) == ("4566", "http")


def test_connect_identity_without_user_agent() -> None:
    """Without a User-Agent, identity holds only sourceIp."""
    identity = connect_event(make_connection(user_agent=None))["requestContext"]["identity"]
    assert identity == {"sourceIp": "203.0.113.7"}


def test_connect_has_no_message_id() -> None:
    """CONNECT events have no messageId."""
    assert "messageId" not in connect_event(make_connection())["requestContext"]


def test_connect_without_authorizer_has_no_authorizer_key() -> None:
    """An unauthorized connection's events have no requestContext.authorizer."""
    assert "authorizer" not in connect_event(make_connection())["requestContext"]


def test_authorized_connect_matches_fixture() -> None:
    """An authorized CONNECT carries the flattened authorizer output in requestContext."""
    auth = authorizer_context("alice", {"userId": "alice", "level": 3, "admin": False}, 42)
    actual = connect_event(make_connection(authorizer=auth))
    fixture = load_event("websocket_connect_authorized.json")
    assert_same_shape(actual, fixture)
    assert actual == fixture


def test_stage_variables_included_when_set() -> None:
    """Stage variables appear in the event when the stage has some."""
    conn = make_connection(stage_variables={"table": "connections"})
    assert connect_event(conn)["stageVariables"] == {"table": "connections"}


# MESSAGE


def test_message_matches_fixture() -> None:
    """The MESSAGE event equals the captured-shape fixture, key for key."""
    fixture = load_event("websocket_message.json")
    actual = sample_message(make_connection())
    assert_same_shape(actual, fixture)
    assert actual == fixture


def test_message_shape_with_generated_ids_and_clock() -> None:
    """With generated ids and the real clock the MESSAGE event keeps the fixture's shape."""
    actual = message_event(make_connection(), "sendmessage", "hi")
    assert_same_shape(actual, load_event("websocket_message.json"))


def test_message_carries_raw_body() -> None:
    """The body is the frame's text exactly, not parsed."""
    body = "not json {"
    assert message_event(make_connection(), "$default", body)["body"] == body


def test_message_is_not_base64() -> None:
    """MESSAGE events say isBase64Encoded false."""
    assert message_event(make_connection(), "$default", "x")["isBase64Encoded"] is False


def test_message_has_no_headers() -> None:
    """MESSAGE events carry no headers."""
    event = message_event(make_connection(), "$default", "x")
    assert "headers" not in event
    assert "multiValueHeaders" not in event


def test_message_ids_have_aws_shape() -> None:
    """messageId and requestId are fresh AWS-shaped ids, requestId == extendedRequestId."""
    context = message_event(make_connection(), "$default", "x")["requestContext"]
    assert AWS_ID.match(context["messageId"])
    assert AWS_ID.match(context["requestId"])
    assert context["requestId"] == context["extendedRequestId"]


def test_message_uses_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an explicit time, requestTimeEpoch comes from events.now_ms."""
    monkeypatch.setattr(events, "now_ms", lambda: 1795311337456)
    context = message_event(make_connection(), "$default", "x")["requestContext"]
    assert context["requestTimeEpoch"] == 1795311337456
    assert context["requestTime"] == "22/Nov/2026:01:35:37 +0000"


def test_message_keeps_connected_at() -> None:
    """connectedAt stays the connection's connect time on later events."""
    context = sample_message(make_connection())["requestContext"]
    assert context["connectedAt"] == CONNECTED_AT


def test_message_carries_the_authorizer() -> None:
    """Every event of an authorized connection carries its authorizer output."""
    auth = authorizer_context("alice", {"userId": "alice"}, 7)
    context = sample_message(make_connection(authorizer=auth))["requestContext"]
    assert context["authorizer"] == auth


def test_message_route_key_and_type() -> None:
    """MESSAGE events name the selected route and the MESSAGE event type."""
    context = message_event(make_connection(), "join", "x")["requestContext"]
    assert (context["routeKey"], context["eventType"]) == ("join", "MESSAGE")


# DISCONNECT


def test_disconnect_matches_fixture() -> None:
    """The DISCONNECT event equals the captured-shape fixture, key for key."""
    fixture = load_event("websocket_disconnect.json")
    actual = sample_disconnect(make_connection())
    assert_same_shape(actual, fixture)
    assert actual == fixture


def test_disconnect_carries_close_code_and_reason() -> None:
    """disconnectStatusCode is the close code (int) and disconnectReason its text."""
    context = disconnect_event(make_connection(), 1005, "")["requestContext"]
    assert context["disconnectStatusCode"] == 1005
    assert context["disconnectReason"] == ""


def test_disconnect_headers_are_the_fixed_set() -> None:
    """DISCONNECT carries AWS's fixed headers, not the upgrade request's."""
    headers = disconnect_event(make_connection(), 1000, "")["headers"]
    assert headers == {
        "Host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }


def test_disconnect_has_no_body_or_message_id() -> None:
    """DISCONNECT events have neither body nor messageId."""
    event = disconnect_event(make_connection(), 1000, "")
    assert "body" not in event
    assert "messageId" not in event["requestContext"]


# REQUEST authorizer


def authorizer_connection() -> ConnectionInfo:
    """The fixture connection with an Authorization header, as the authorizer fixture has."""
    return make_connection(headers=[*UPGRADE_HEADERS, ("Authorization", "Bearer allow-me")])


def test_authorizer_event_matches_fixture() -> None:
    """The REQUEST authorizer input equals the captured-shape fixture, key for key."""
    fixture = load_event("websocket_authorizer_request.json")
    actual = authorizer_event(authorizer_connection())
    assert_same_shape(actual, fixture)
    assert actual == fixture


def test_authorizer_method_arn() -> None:
    """methodArn names the API, stage and the $connect route."""
    arn = authorizer_event(make_connection())["methodArn"]
    assert arn == "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev/$connect"


def test_authorizer_sees_upgrade_headers() -> None:
    """The authorizer sees Connection (as "upgrade"), Upgrade and content-length 0."""
    headers = authorizer_event(make_connection())["headers"]
    assert headers["Connection"] == "upgrade"
    assert headers["Upgrade"] == "websocket"
    assert headers["content-length"] == "0"


def test_authorizer_empty_query_and_stage_variables() -> None:
    """Without a query string or stage variables the authorizer gets empty objects."""
    event = authorizer_event(make_connection(query=[]))
    assert event["queryStringParameters"] == {}
    assert event["multiValueQueryStringParameters"] == {}
    assert event["stageVariables"] == {}


def test_authorizer_shares_request_id_with_connect() -> None:
    """The authorizer and $connect events belong to the same upgrade request."""
    conn = make_connection(connect_request_id=new_request_id())
    assert (
        authorizer_event(conn)["requestContext"]["requestId"]
        == connect_event(conn)["requestContext"]["requestId"]
    )


def test_authorizer_event_has_no_authorizer_context() -> None:
    """The authorizer's own input never contains an authorizer result."""
    conn = make_connection(authorizer=authorizer_context("alice"))
    assert "authorizer" not in authorizer_event(conn)["requestContext"]


# assert_same_shape, the fixture comparison helper


def test_shape_helper_reports_missing_key() -> None:
    """assert_same_shape fails when a nested key is missing."""
    with pytest.raises(AssertionError, match="requestContext"):
        assert_same_shape({"requestContext": {}}, {"requestContext": {"apiId": "x"}})


def test_shape_helper_reports_type_change() -> None:
    """assert_same_shape fails when a value's type differs (bool is not int)."""
    with pytest.raises(AssertionError, match="connectedAt"):
        assert_same_shape({"connectedAt": True}, {"connectedAt": 1})


def test_shape_helper_free_keys() -> None:
    """Paths listed as free may have other keys, as long as value types match."""
    assert_same_shape({"headers": {"A": "1"}}, {"headers": {"B": "2"}}, free=["headers"])


def test_shape_helper_optional_keys() -> None:
    """Paths listed as optional may be missing."""
    actual = {"requestContext": {"apiId": "x"}}
    fixture = {"requestContext": {"apiId": "y", "authorizer": {}}}
    assert_same_shape(actual, fixture, optional=["requestContext.authorizer"])


def test_connect_host_header_is_the_api_domain() -> None:
    """CONNECT's Host is the API's execute-api domain, whatever address the client dialled."""
    conn = make_connection(headers=[("Host", "127.0.0.1:4599"), ("User-Agent", "ua")])
    event = connect_event(conn)
    assert event["headers"]["Host"] == conn.domain_name
    assert event["multiValueHeaders"]["Host"] == [conn.domain_name]
