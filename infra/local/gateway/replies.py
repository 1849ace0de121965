"""What a client gets back for a message: a two-way route's reply, or API Gateway's error frame."""

from __future__ import annotations

import json

from ..integration import json_or_none
from ..vocabulary import RouteSnapshot


def error_frame(message: str, connection_id: str, request_id: str) -> str:
    """API Gateway's error frame, spaced byte-for-byte as AWS sends it."""
    return (
        f'{{"message": "{message}", "connectionId":"{connection_id}", "requestId":"{request_id}"}}'
    )


def route_reply(route: RouteSnapshot, payload: bytes) -> str | None:
    """The text a route sends back for what its integration returned; None for a one-way route
    (no `$default` route response) or nothing to send."""
    if (
        route.route_response_selection_expression != "$default"
        or "$default" not in route.route_response_keys
    ):
        return None
    return reply_body(payload)


def reply_body(payload: bytes) -> str | None:
    """What a two-way route sends back: the proxy response's `body`, or the raw result."""
    result = json_or_none(payload)
    if result is None:
        return None
    if isinstance(result, dict) and ("statusCode" in result or "body" in result):
        body = result.get("body")
        return None if body is None else str(body)
    return result if isinstance(result, str) else json.dumps(result)
