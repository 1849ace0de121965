"""Opening and closing a connection as API Gateway does.

Opening: the upgrade request names a stage (`/{apiId}/{stage}`); a REQUEST authorizer, when the
$connect route has one, answers with a policy; then the $connect integration answers with a
status (and maybe a subprotocol). Closing: the close code says which `disconnectReason` the
$disconnect event carries.

The rules are pure functions of what they are given. `connect` runs the authorizer and the
$connect integration through the `invoke` callable the gateway hands it (no socket here), and
the refusals are websockets' sans-I/O responses: the gateway writes them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.http11 import Request, Response
from websockets.server import ServerProtocol

from ..integration import error_message, integration_uri, json_or_none
from ..vocabulary import ApiSnapshot, InvokeResult, RouteSnapshot
from .events import (
    ConnectionInfo,
    authorizer_context,
    authorizer_event,
    connect_event,
    new_connection_id,
)
from .limits import OUTBOX_FULL

# (route key, integration URI, event) -> what the function returned, or None when it could not
# be called (no permission, no such function: the gateway has traced why).
Invoke = Callable[[str, str, dict[str, Any]], Awaitable[InvokeResult | None]]
Publish = Callable[..., None]  # the trace hub's `publish(hop, **fields)`


def parse_stage_path(path: str) -> tuple[str, str, list[tuple[str, str]]] | None:
    """`/{apiId}/{stage}?a=b` -> (apiId, stage, query pairs)."""
    parts = urlsplit(path)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2:
        return None
    return segments[0], segments[1], parse_qsl(parts.query, keep_blank_values=True)


def connection_info(
    request: Request,
    api_id: str,
    stage: str,
    query: list[tuple[str, str]],
    source_ip: str,
    region: str,
    account_id: str,
    now: float,
) -> ConnectionInfo:
    """Who connects to which stage, from the upgrade request (`now` in epoch seconds)."""
    return ConnectionInfo(
        connection_id=new_connection_id(),
        api_id=api_id,
        stage=stage,
        region=region,
        account_id=account_id,
        source_ip=source_ip,
        user_agent=request.headers.get("User-Agent"),
        connected_at_ms=int(now * 1000),
        headers=list(request.headers.raw_items()),
        query=query,
        authorizer=None,
    )


def reject(protocol: ServerProtocol, status: int, text: str | None = None) -> Response:
    """The HTTP refusal of an upgrade, its body the status's phrase unless `text` is given."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return protocol.reject(status, (text or phrase) + "\n")


def identity_value(source: str, info: ConnectionInfo) -> str | None:
    """Evaluate one identity source such as `route.request.header.Auth`."""
    prefix_header, prefix_query = "route.request.header.", "route.request.querystring."
    if source.startswith(prefix_header):
        name = source[len(prefix_header) :].lower()
        return next((v for k, v in info.headers if k.lower() == name and v), None)
    if source.startswith(prefix_query):
        name = source[len(prefix_query) :]
        return next((v for k, v in info.query if k == name and v), None)
    return None


def policy_allows(policy: dict[str, Any], method_arn: str) -> bool:
    """True when an Allow statement covers the method ARN and no Deny does."""
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        resources = statement.get("Resource", [])
        if isinstance(resources, str):
            resources = [resources]
        if any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
            if statement.get("Effect") == "Deny":
                return False
            if statement.get("Effect") == "Allow":
                allowed = True
    return allowed


def authorizer_status(result: InvokeResult | None, method_arn: str) -> tuple[int, Any]:
    """(HTTP status, the authorizer's answer) for what a REQUEST authorizer returned: 200 with
    an answer whose policy allows the method ARN, else 401 (it raised "Unauthorized"), 403 (its
    policy does not allow) or 500 (it could not be called, failed otherwise, or made no sense)."""
    if result is None:
        return 500, None
    if not result.ok:
        return (401 if error_message(result.payload) == "Unauthorized" else 500), None
    answer = json_or_none(result.payload)
    if not isinstance(answer, dict):
        return 500, None
    if not policy_allows(answer.get("policyDocument") or {}, method_arn):
        return 403, None
    return 200, answer


def connect_status(result: InvokeResult | None) -> tuple[int, str | None]:
    """(HTTP status, subprotocol) for what the $connect integration returned."""
    if result is None:
        return 500, None  # a configuration error, e.g. no permission to invoke the function
    if not result.ok:
        return 502, None  # the function failed
    payload = json_or_none(result.payload)
    if not isinstance(payload, dict):
        return 200, None
    status = payload.get("statusCode", 200)
    if not isinstance(status, int):
        return 502, None
    headers = {str(k).lower(): str(v) for k, v in (payload.get("headers") or {}).items()}
    return status, headers.get("sec-websocket-protocol")


async def authorize(
    snapshot: ApiSnapshot,
    route: RouteSnapshot,
    info: ConnectionInfo,
    invoke: Invoke,
    publish: Publish,
) -> int:
    """Run the route's REQUEST authorizer; 200 lets the connection on (with `info.authorizer`
    set), another status refuses it."""
    authorizer = snapshot.authorizers.get(route.authorizer_id or "")
    if authorizer is None:
        return 500
    for source in authorizer.get("identitySource") or []:
        if identity_value(source, info) is None:
            return 401  # API Gateway answers without calling the authorizer
    event = authorizer_event(info)
    publish(
        "route",
        apiId=info.api_id,
        stage=info.stage,
        connectionId=info.connection_id,
        routeKey="$connect (authorizer)",
    )
    result = await invoke("$connect", authorizer["authorizerUri"], event)
    status, answer = authorizer_status(result, event["methodArn"])
    if status == 200 and result is not None:
        info.authorizer = authorizer_context(
            str(answer.get("principalId")), answer.get("context"), round(result.duration_ms)
        )
    return status


async def connect(
    snapshot: ApiSnapshot, info: ConnectionInfo, invoke: Invoke, publish: Publish
) -> tuple[int, str | None]:
    """Run the authorizer and the $connect route; returns (HTTP status, subprotocol)."""
    route = snapshot.routes.get("$connect")
    if route is None:
        return 200, None
    if route.authorization_type == "CUSTOM" and route.authorizer_id:
        status = await authorize(snapshot, route, info, invoke, publish)
        if status != 200:
            return status, None
    uri = integration_uri(snapshot, route)
    if uri is None:
        return 200, None
    return connect_status(await invoke("$connect", uri, connect_event(info)))


SERVER_CLOSE_REASONS = {
    1000: "Connection Closed Normally",  # DeleteConnection, as API Gateway logs it
    1001: "Going away",
    1003: "Unsupported data",
    1007: "Invalid frame payload data",
    OUTBOX_FULL[0]: OUTBOX_FULL[1],
    1009: "Message too big",
}


def disconnect_reason(code: int, by_client: bool) -> str:
    """The $disconnect event's disconnectReason for a close code."""
    if code == 1006:
        return "Connection closed abnormally"
    if by_client:
        return f"Client-side close frame status set to '{code}'"
    return SERVER_CLOSE_REASONS.get(code, "Connection closed by server")


def close_code(protocol: ServerProtocol) -> tuple[int, bool]:
    """(close code, whether the client closed first) of a closed connection; 1006 when no close
    frame went either way."""
    received = protocol.close_rcvd
    if received is not None and protocol.close_rcvd_then_sent:
        return received.code, True
    if protocol.close_sent is not None:
        return protocol.close_sent.code, False
    return 1006, False
