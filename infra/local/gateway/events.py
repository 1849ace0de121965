"""The Lambda events API Gateway sends for WebSocket APIs.

Shapes follow events captured from real APIs (see tests/events/*.json and the developer guide
pages "Control access to WebSocket APIs with AWS Lambda REQUEST authorizers" and "Set up Lambda
proxy integrations"):
- CONNECT: the upgrade request's headers (hop-by-hop ones dropped, X-Forwarded-* and
  X-Amzn-Trace-Id added), the query string when there is one, no body;
- MESSAGE: the frame's text as `body` and a `messageId`, no headers;
- DISCONNECT: the close code and reason, and the fixed headers AWS sends then;
- REQUEST authorizer: the upgrade request as the authorizer sees it, with `methodArn`.

Time and ids are parameters (with defaults from the clock and os.urandom) so tests are exact.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

RandomBytes = Callable[[int], bytes]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Hop-by-hop headers of the upgrade request: the integration never sees them.
_HOP_BY_HOP = frozenset({"connection", "upgrade"})


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds, as API Gateway stamps events."""
    return time.time_ns() // 1_000_000


def new_connection_id(random_bytes: RandomBytes = os.urandom) -> str:
    """A connection id shaped like AWS's: 11 random bytes, URL-safe base64, e.g. "eHrdFcnvvHcCE-w="."""
    return base64.urlsafe_b64encode(random_bytes(11)).decode("ascii")


def new_request_id(random_bytes: RandomBytes = os.urandom) -> str:
    """A request id (also used for extendedRequestId and messageId): same shape as connection ids."""
    return new_connection_id(random_bytes)


def new_trace_id(epoch_ms: int, random_bytes: RandomBytes = os.urandom) -> str:
    """An X-Amzn-Trace-Id value: Root=1-{epoch seconds in hex}-{24 random hex digits}."""
    return f"Root=1-{epoch_ms // 1000:08x}-{random_bytes(12).hex()}"


def clf_time(epoch_ms: int) -> str:
    """Common Log Format time in UTC, e.g. "22/Nov/2026:01:35:26 +0000" (locale-independent)."""
    moment = time.gmtime(epoch_ms / 1000)
    month = _MONTHS[moment.tm_mon - 1]
    return (
        f"{moment.tm_mday:02d}/{month}/{moment.tm_year:04d}:"
        f"{moment.tm_hour:02d}:{moment.tm_min:02d}:{moment.tm_sec:02d} +0000"
    )


def authorizer_context(
    principal_id: str, context: Mapping[str, Any] | None = None, integration_latency_ms: int = 0
) -> dict[str, Any]:
    """`requestContext.authorizer` from a Lambda authorizer's output, as API Gateway builds it.

    The output's `context` is flattened next to `principalId` and `integrationLatency`, and its
    values are stringified ("123", "true"), as API Gateway does for Lambda proxy integrations.
    """
    flattened: dict[str, Any] = {
        key: _stringify_context_value(value) for key, value in (context or {}).items()
    }
    flattened["principalId"] = principal_id
    flattened["integrationLatency"] = integration_latency_ms
    return flattened


@dataclass
class ConnectionInfo:
    """What the gateway knows about one WebSocket connection, from its upgrade request on.

    `headers` and `query` are (name, value) pairs in arrival order, names in the client's case,
    query values already URL-decoded. `authorizer` is the dict `authorizer_context` built when a
    Lambda authorizer allowed the connection. `connect_request_id` and `trace_id` belong to the
    upgrade request, shared by the authorizer and $connect events.
    """

    connection_id: str
    api_id: str
    stage: str
    region: str
    account_id: str
    source_ip: str
    connected_at_ms: int
    user_agent: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)
    authorizer: dict[str, Any] | None = None
    stage_variables: dict[str, str] = field(default_factory=dict)
    connect_request_id: str = field(default_factory=new_request_id)
    trace_id: str = ""
    forwarded_port: str = "443"
    forwarded_proto: str = "https"

    def __post_init__(self) -> None:
        if not self.trace_id:
            self.trace_id = new_trace_id(self.connected_at_ms)

    @property
    def domain_name(self) -> str:
        """The API's default endpoint host, which handlers use to build the @connections URL."""
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"


def connect_event(conn: ConnectionInfo, *, request_time_ms: int | None = None) -> dict[str, Any]:
    """The $connect integration's event."""
    headers = [
        (name, value) for name, value in _with_api_host(conn) if name.lower() not in _HOP_BY_HOP
    ]
    event: dict[str, Any] = _header_fields(_with_forwarding(headers, conn))
    if conn.query:
        event.update(_query_fields(conn.query))
    if conn.stage_variables:
        event["stageVariables"] = dict(conn.stage_variables)
    event["requestContext"] = _request_context(
        conn,
        route_key="$connect",
        event_type="CONNECT",
        request_id=conn.connect_request_id,
        request_time_ms=conn.connected_at_ms if request_time_ms is None else request_time_ms,
    )
    event["isBase64Encoded"] = False
    return event


def message_event(
    conn: ConnectionInfo,
    route_key: str,
    body: str,
    *,
    request_time_ms: int | None = None,
    request_id: str | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    """A message route's event: the frame's text as `body`."""
    event: dict[str, Any] = {}
    if conn.stage_variables:
        event["stageVariables"] = dict(conn.stage_variables)
    event["requestContext"] = _request_context(
        conn,
        route_key=route_key,
        event_type="MESSAGE",
        request_id=new_request_id() if request_id is None else request_id,
        request_time_ms=now_ms() if request_time_ms is None else request_time_ms,
        message_id=new_request_id() if message_id is None else message_id,
    )
    event["body"] = body
    event["isBase64Encoded"] = False
    return event


def disconnect_event(
    conn: ConnectionInfo,
    status_code: int,
    reason: str,
    *,
    request_time_ms: int | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The $disconnect integration's event, with the close frame's code and reason."""
    # AWS sends these four headers on disconnect, whatever the upgrade request carried.
    headers = [
        ("Host", conn.domain_name),
        ("x-api-key", ""),
        ("X-Forwarded-For", ""),
        ("x-restapi", ""),
    ]
    event: dict[str, Any] = _header_fields(headers)
    if conn.stage_variables:
        event["stageVariables"] = dict(conn.stage_variables)
    event["requestContext"] = _request_context(
        conn,
        route_key="$disconnect",
        event_type="DISCONNECT",
        request_id=new_request_id() if request_id is None else request_id,
        request_time_ms=now_ms() if request_time_ms is None else request_time_ms,
        disconnect=(status_code, reason),
    )
    event["isBase64Encoded"] = False
    return event


def authorizer_event(conn: ConnectionInfo, *, request_time_ms: int | None = None) -> dict[str, Any]:
    """The REQUEST authorizer's input for a connection attempt (only $connect is authorized)."""
    headers = [
        (name, "upgrade" if name.lower() == "connection" else value)
        for name, value in _with_api_host(conn)
    ]
    if not any(name.lower() == "content-length" for name, _ in headers):
        headers.append(("content-length", "0"))
    event: dict[str, Any] = {
        "type": "REQUEST",
        "methodArn": (
            f"arn:aws:execute-api:{conn.region}:{conn.account_id}:"
            f"{conn.api_id}/{conn.stage}/$connect"
        ),
    }
    event.update(_header_fields(_with_forwarding(headers, conn)))
    event.update(_query_fields(conn.query))
    event["stageVariables"] = dict(conn.stage_variables)
    event["requestContext"] = _request_context(
        conn,
        route_key="$connect",
        event_type="CONNECT",
        request_id=conn.connect_request_id,
        request_time_ms=conn.connected_at_ms if request_time_ms is None else request_time_ms,
        with_authorizer=False,
    )
    return event


def _request_context(
    conn: ConnectionInfo,
    *,
    route_key: str,
    event_type: str,
    request_id: str,
    request_time_ms: int,
    message_id: str | None = None,
    disconnect: tuple[int, str] | None = None,
    with_authorizer: bool = True,
) -> dict[str, Any]:
    """requestContext in the key order of captured events."""
    context: dict[str, Any] = {"routeKey": route_key}
    if with_authorizer and conn.authorizer is not None:
        context["authorizer"] = dict(conn.authorizer)
    if message_id is not None:
        context["messageId"] = message_id
    if disconnect is not None:
        context["disconnectStatusCode"] = disconnect[0]
    context["eventType"] = event_type
    context["extendedRequestId"] = request_id
    context["requestTime"] = clf_time(request_time_ms)
    context["messageDirection"] = "IN"
    if disconnect is not None:
        context["disconnectReason"] = disconnect[1]
    context["stage"] = conn.stage
    context["connectedAt"] = conn.connected_at_ms
    context["requestTimeEpoch"] = request_time_ms
    identity: dict[str, str] = {}
    if conn.user_agent is not None:
        identity["userAgent"] = conn.user_agent
    identity["sourceIp"] = conn.source_ip
    context["identity"] = identity
    context["requestId"] = request_id
    context["domainName"] = conn.domain_name
    context["connectionId"] = conn.connection_id
    context["apiId"] = conn.api_id
    return context


def _with_api_host(conn: ConnectionInfo) -> list[tuple[str, str]]:
    """The upgrade request's headers with Host set to the API's domain.

    On AWS the client reached the API at that domain; some handlers build the @connections
    endpoint from `headers["Host"]`, so it must not be the local address the client dialled.
    """
    return [(n, conn.domain_name if n.lower() == "host" else v) for n, v in conn.headers]


def _with_forwarding(headers: list[tuple[str, str]], conn: ConnectionInfo) -> list[tuple[str, str]]:
    """Add the headers API Gateway's front end sets; X-Forwarded-For gets the client's IP appended."""
    result: list[tuple[str, str]] = []
    forwarded_for: str | None = None
    has_trace = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == "x-forwarded-for":
            forwarded_for = value if forwarded_for is None else f"{forwarded_for}, {value}"
        elif lowered in ("x-forwarded-port", "x-forwarded-proto"):
            continue
        else:
            has_trace = has_trace or lowered == "x-amzn-trace-id"
            result.append((name, value))
    if not has_trace:
        result.append(("X-Amzn-Trace-Id", conn.trace_id))
    client_ip = conn.source_ip if forwarded_for is None else f"{forwarded_for}, {conn.source_ip}"
    result.append(("X-Forwarded-For", client_ip))
    result.append(("X-Forwarded-Port", conn.forwarded_port))
    result.append(("X-Forwarded-Proto", conn.forwarded_proto))
    return result


def _header_fields(headers: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`headers` (last value wins) and `multiValueHeaders`, names sorted case-insensitively as AWS does."""
    grouped = _group(headers)
    names = sorted(grouped, key=str.lower)
    return {
        "headers": {name: grouped[name][-1] for name in names},
        "multiValueHeaders": {name: grouped[name] for name in names},
    }


def _query_fields(query: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`queryStringParameters` (last value wins) and `multiValueQueryStringParameters`."""
    grouped = _group(query)
    return {
        "queryStringParameters": {name: values[-1] for name, values in grouped.items()},
        "multiValueQueryStringParameters": grouped,
    }


def _group(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Values per name, in arrival order."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _stringify_context_value(value: Any) -> Any:
    """Authorizer context values reach the integration as strings; null stays null."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)
