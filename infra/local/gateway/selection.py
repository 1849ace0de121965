"""Route selection for WebSocket APIs, as API Gateway does it.

API Gateway evaluates the API's route selection expression against each incoming message and
picks the route whose key matches the result exactly (case-sensitive); otherwise `$default`;
otherwise nothing, and the client gets a "Forbidden" error frame. See the developer guide pages
"WebSocket API route selection expressions" and "WebSocket selection expressions".

Expression language (the subset route selection uses):
- `$request.body.a.b` selects a value of the JSON message (`[0]` indexes arrays);
- `${request.body.x}` does the same with explicit boundaries, so templates such as
  `${request.body.x}/${request.body.y}` or `${request.body.version}-beta` mix literal text in;
- `\\$` is a literal dollar sign (`\\$default` is a static expression for the `$default` key);
- anything else is literal text, so `sendmessage` is a static expression.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

DEFAULT_ROUTE = "$default"
# Routes API Gateway invokes itself; a message can never select them, whatever its body says.
LIFECYCLE_ROUTES = frozenset({"$connect", "$disconnect"})

_SEGMENT = r"(?:\.[A-Za-z0-9_]+|\[\d+\])"
_TOKEN = re.compile(
    r"\\\$"  # escaped dollar
    r"|\$\{(?P<braced>[^}]*)\}"  # ${request.body.x}
    r"|\$(?P<bare>request\.body" + _SEGMENT + r"*)"  # $request.body.x
)
_PATH_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()


def evaluate(expression: str, body: str) -> str | None:
    """Evaluate a route selection expression against a message body.

    Returns None when the expression "cannot be evaluated" (AWS's words), which sends the
    message to `$default`: the body is not a JSON object, or the expression is a single
    `$request.body...` variable whose path is missing. Inside a template a missing path
    renders as "". A static expression (no variables) evaluates to itself for any body.
    """
    tokens = list(_TOKEN.finditer(expression))
    variables = [t for t in tokens if t.group(0) != "\\$"]
    if not variables:
        return _render_static(expression, tokens)

    document = _parse_object(body)
    if document is None:
        return None

    single = len(tokens) == 1 and tokens[0].span() == (0, len(expression))
    if single:
        value = _lookup(document, _variable_path(tokens[0]))
        return None if value is _MISSING else _render_value(value)

    pieces: list[str] = []
    position = 0
    for token in tokens:
        pieces.append(expression[position : token.start()])
        if token.group(0) == "\\$":
            pieces.append("$")
        else:
            value = _lookup(document, _variable_path(token))
            pieces.append("" if value is _MISSING else _render_value(value))
        position = token.end()
    pieces.append(expression[position:])
    return "".join(pieces)


def select_route(expression: str, body: str, route_keys: Collection[str]) -> str | None:
    """Pick the route key a message goes to, or None when no route takes it (Forbidden)."""
    key = evaluate(expression, body)
    if key is not None and key in route_keys and key not in LIFECYCLE_ROUTES:
        return key
    if DEFAULT_ROUTE in route_keys:
        return DEFAULT_ROUTE
    return None


def select_route_response_key(expression: str | None) -> str | None:
    """Route response key for a route's RouteResponseSelectionExpression.

    WebSocket APIs only support `$default` route responses: any expression set on the route
    makes it two-way (the integration's reply goes back to the client); none makes it one-way.
    """
    return DEFAULT_ROUTE if expression else None


def _render_static(expression: str, tokens: list[re.Match[str]]) -> str:
    """A static expression is its own key, with `\\$` unescaped."""
    result = expression
    for token in reversed(tokens):
        result = result[: token.start()] + "$" + result[token.end() :]
    return result


def _parse_object(body: str) -> dict[str, Any] | None:
    """The message as a JSON object, or None when it is not one."""
    try:
        document = json.loads(body)
    except (ValueError, TypeError):
        return None
    return document if isinstance(document, dict) else None


def _variable_path(token: re.Match[str]) -> str | None:
    """The part after `request.body` of a variable token; None for other variables."""
    name = token.group("braced") if token.group("braced") is not None else token.group("bare")
    prefix = "request.body"
    if name == prefix or name.startswith(prefix + ".") or name.startswith(prefix + "["):
        return name[len(prefix) :]
    return None


def _lookup(document: Any, path: str | None) -> Any:
    """Follow `.key` and `[index]` steps; _MISSING when any step is absent."""
    if path is None:
        return _MISSING
    value = document
    position = 0
    for part in _PATH_PART.finditer(path):
        if part.start() != position:
            return _MISSING
        position = part.end()
        key, index = part.group(1), part.group(2)
        if key is not None and isinstance(value, dict) and key in value:
            value = value[key]
        elif index is not None and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return _MISSING
    if position != len(path) or value is None:
        # A JSON null selects nothing, like a missing key.
        return _MISSING
    return value


def _render_value(value: Any) -> str:
    """Strings as they are; numbers, booleans, objects and arrays as compact JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
