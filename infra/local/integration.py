"""A Lambda integration as API Gateway names it and reads its answer.

An integration URI names the function it invokes:
`arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations`.
This module is light on purpose (no moto, no runtime): the gateway, the invoker and the
exercises' checks (which may run against AWS itself) all read URIs and payloads with it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .vocabulary import ApiSnapshot, RouteSnapshot


def function_in(uri: str) -> str:
    """The function an integration URI invokes, as the URI names it (an ARN, or a name)."""
    return uri.split("/functions/")[-1].split("/invocations")[0]


def function_name_in(uri: str) -> str:
    """Its name alone: `chat` from `.../functions/arn:aws:lambda:...:function:chat/invocations`
    (a version or alias after the name is not part of it)."""
    return function_in(uri).split(":function:")[-1].split(":")[0]


def integration_uri(snapshot: ApiSnapshot, route: RouteSnapshot) -> str | None:
    """The URI a route's integration invokes; None without one, or for a MOCK integration."""
    integration = snapshot.integration_for(route)
    if integration is None or integration.get("integrationType") == "MOCK":
        return None
    return integration.get("integrationUri")


def json_or_none(payload: bytes) -> Any:
    """A function's payload as JSON (None for an empty payload, or one that is not JSON)."""
    try:
        return json.loads(payload or b"null")
    except ValueError:
        return None


def error_message(payload: bytes) -> str:
    """What a failed invoke's payload says went wrong (Lambda's `errorMessage`), or "error"."""
    error = json_or_none(payload)
    return str(error.get("errorMessage", "error")) if isinstance(error, dict) else "error"
