"""The checks of the workshop's exercises (solutions/*.ipynb call them from `check:` cells).

Each check drives the deployed app as a learner's users would (real WebSocket clients, a fired
schedule, a Lambda invoke) or calls pure code directly, and raises AssertionError whose first
line says what went wrong and hints at the fix: only that line reaches the grading table.
Every wait is bounded, so a stub that never answers fails after seconds instead of hanging.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from websockets.exceptions import InvalidStatus

from infra.deploy import check_least_privilege, find_api, fire_rule
from infra.deploy.aws import region_of
from infra.widgets.connection import Connection, Frame, with_query

TIMEOUT = 8.0  # seconds a frame may take before a check gives up
QUIET = 1.0  # seconds of silence that count as "nothing (else) was sent"
CLOCK_SLACK = 60.0  # seconds a pushed time may differ from the notebook's clock



class Client:
    """The kit's WebSocket client for checks: a failure to connect is an AssertionError with a
    hint, and `wait_for` searches every frame read so far, giving None when nothing matches."""

    def __init__(self, url: str, name: str | None = None, *, connect_hint: str = "") -> None:
        self.url = with_query(url, name=name)
        self.connection = Connection(self.url)
        if self.connection.open(TIMEOUT):
            return
        error = self.connection.error
        if isinstance(error, InvalidStatus):
            status = error.response.status_code
            raise AssertionError(
                f"Could not connect to {url}: $connect answered HTTP {status} instead of 101."
                " Did the $connect function raise (a stub still says NotImplementedError)?"
                f" (hint: {connect_hint or 'the function logs show the error'})"
            )
        raise AssertionError(f"Could not connect to {url}: {error or self.connection.status}")

    @property
    def frames(self) -> list[Frame]:
        """Every frame received so far, oldest first."""
        return self.connection.received

    def send(self, frame: dict[str, Any]) -> None:
        """Send one JSON text frame."""
        self.connection.send_json(frame)

    def wait_for(self, wanted: Callable[[Frame], bool], timeout: float = TIMEOUT) -> Frame | None:
        """The first frame read so far or within `timeout` for which `wanted` is true, else None."""
        try:
            return self.connection.wait_for(wanted, timeout)
        except (TimeoutError, ConnectionError):
            return None

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


CHAT_CONNECT_HINT = "chat's $connect calls nickname() in common.py: do chat-nickname first"


def chat_client(url: str, name: str | None = None) -> Client:
    """A client of the chat, whose failure to connect points at the nickname exercise."""
    return Client(url, name, connect_hint=CHAT_CONNECT_HINT)


# -- chat --------------------------------------------------------------------------------------


def check_chat_default(url: str) -> Frame:
    """A frame with an unknown action gets the help frame back from `$default`."""
    with chat_client(url, _unique("curious")) as client:
        client.send({"action": "dance"})
        reply = client.wait_for(lambda frame: isinstance(frame, dict))
    _fail_on_gateway_error(reply, "$default", "default.py's on_default")
    assert isinstance(reply, dict) and reply.get("type") == "help", (
        "No help came back from $default: did your handler return {'statusCode': 200, 'body':"
        " json.dumps(HELP)}? (hint: the route response sends `body` back to the caller)"
        f" (got {reply!r})"
    )
    assert isinstance(reply.get("text"), str) and "sendMessage" in reply["text"], (
        f"The help frame should explain the sendMessage action (got {reply!r})"
        " (hint: send the HELP frame defined at the top of default.py)"
    )
    return reply


def check_chat_nickname(url: str) -> None:
    """`?name=` becomes the sender's name: trimmed, cut to 20 characters, "guest" when missing."""
    # Every sender stays connected until the end, so no broadcast meets a gone connection.
    with chat_client(url, _unique("listener")) as listener, contextlib.ExitStack() as senders:
        cases = [
            ("  ada  ", "ada", "trim the spaces around the name (str.strip)"),
            (None, "guest", "no ?name= at all: queryStringParameters is None, use 'guest'"),
            ("   ", "guest", "a blank name becomes 'guest'"),
            ("x" * 30, "x" * 20, "cut the name to 20 characters (MAX_NAME_LENGTH)"),
        ]
        for sent_name, expected, hint in cases:
            text = _unique("hello")
            sender = senders.enter_context(chat_client(url, sent_name))
            sender.send({"action": "sendMessage", "data": text})
            frame = listener.wait_for(lambda f, t=text: f.get("text") == t)
            shown = "no ?name=" if sent_name is None else f"?name={sent_name!r}"
            assert frame is not None, (
                f"A message sent by a client connected with {shown} never reached the others:"
                " did $connect store the connection? (hint: put_item the connectionId and name)"
            )
            assert frame.get("from") == expected, (
                f"A client connected with {shown} is called {frame.get('from')!r}, expected"
                f" {expected!r} (hint: {hint})"
            )


def check_chat_prune(url: str, app: str = "chat") -> None:
    """A broadcast that meets a gone connection deletes its row and still reaches the others."""
    table = boto3.resource("dynamodb").Table(f"{app}-connections")
    stale = _unique("goneConnection")
    table.put_item(Item={"connectionId": stale, "name": _unique("ghost")})
    try:
        with chat_client(url, _unique("bob")) as bob:
            text = _unique("anyone there?")
            event = _message_event(url, app, {"action": "sendMessage", "data": text})
            result = _invoke(f"{app}-sendMessage", event)
            received = bob.wait_for(lambda frame: frame.get("text") == text)
        assert result.get("FunctionError") is None, (
            f"sendMessage failed when it met a gone connection ({_error_line(result)}):"
            " catch the ClientError whose code is GoneException, delete that connection's row"
            " and carry on (hint: other errors should still be raised)"
        )
        assert received is not None, (
            "The broadcast did not reach bob: after a gone connection, send() should return"
            " False and the loop carry on to the other connections"
        )
        row = table.get_item(Key={"connectionId": stale}).get("Item")
        assert row is None, (
            f"The row of the gone connection {stale!r} is still in the table: on GoneException,"
            " delete it with table.delete_item(Key={'connectionId': connection})"
        )
    finally:
        table.delete_item(Key={"connectionId": stale})


def check_chat_whisper(url: str) -> None:
    """A whisper reaches only the connections named `to`; an unknown name gets an error back."""
    names = {who: _unique(who) for who in ("alice", "bob", "carol")}
    with (
        chat_client(url, names["alice"]) as alice,
        chat_client(url, names["bob"]) as bob,
        chat_client(url, names["carol"]) as carol,
    ):
        text = _unique("psst")
        alice.send({"action": "whisper", "to": names["bob"], "data": text})
        frame = bob.wait_for(lambda f: f.get("text") == text)
        if frame is None:
            _fail_on_gateway_error(
                alice.wait_for(_is_gateway_error, QUIET), "whisper", "on_whisper"
            )
        assert frame is not None, (
            "bob never received alice's whisper: post the frame to every connection whose"
            " name is `to` (hint: common.connections_named(table, to) gives their ids)"
        )
        expected = {"type": "whisper", "from": names["alice"], "text": text}
        assert frame == expected, f"bob received {frame!r}, expected {expected!r}"
        overheard = carol.wait_for(lambda f: f.get("text") == text, QUIET)
        assert overheard is None, (
            "carol overheard a whisper meant for bob: send only to the connections named `to`"
        )
        nobody = _unique("nobody")
        alice.send({"action": "whisper", "to": nobody, "data": "hello?"})
        error = alice.wait_for(lambda f: f.get("type") == "error")
    _fail_on_gateway_error(error, "whisper", "on_whisper")
    assert error == {"type": "error", "text": f"no one called {nobody}"}, (
        f"A whisper to a name nobody has should send {{'type': 'error', 'text': 'no one called"
        f" {nobody}'}} back to the sender (got {error!r}) (hint: send_to_all returns how many"
        " received it)"
    )


# -- arena -------------------------------------------------------------------------------------


def check_arena_color(url: str, app: str = "arena") -> None:
    """A valid colour reaches everyone (lower case) through the stream; an invalid one gets 400."""
    with Client(url) as painter, Client(url) as watcher:
        painter.send({"action": "list"})
        listing = painter.wait_for(lambda f: f.get("type") == "list")
        assert listing is not None, "The arena did not answer {'action': 'list'}"
        me = listing["you"]["id"]
        color = "#" + secrets.token_hex(3).upper()
        painter.send({"action": "color", "color": color})

        def shows_color(frame: Frame) -> bool:
            changes = frame.get("changes", [])
            return any(c.get("id") == me and c.get("color") == color.lower() for c in changes)

        seen = watcher.wait_for(shows_color)
        if seen is None:
            seen_upper = any(
                c.get("id") == me and c.get("color") == color
                for frame in watcher.frames
                if isinstance(frame, dict)
                for c in frame.get("changes", [])
            )
            assert not seen_upper, f"Store the colour in lower case ({color.lower()!r})"
            raise AssertionError(
                f"Nobody saw the pointer turn {color}: on_color should update the caller's row"
                " with the new colour (hint: common.update_connection(table, connection_id,"
                " {'color': color.lower()}); the stream then tells everyone)"
            )
    for bad in ("red", "#12345", "#ggghhh", 42):
        event = _message_event(url, app, {"action": "color", "color": bad})
        result = _invoke(f"{app}-color", event)
        reply = json.loads(result["Payload"] or "null")
        status = reply.get("statusCode") if isinstance(reply, dict) else None
        assert status == 400, (
            f"The colour {bad!r} should be refused with statusCode 400 (got {reply!r}) (hint:"
            " check it matches HEX_COLOR before writing, and return common.error(400, ...))"
        )


# -- noughts and crosses ------------------------------------------------------------------------


def load_module(path: str | Path) -> ModuleType:
    """Import a Python file afresh (a learner's edit is picked up without restarting)."""
    path = Path(path)
    name = f"_exercise_{path.stem}_{secrets.token_hex(4)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"Cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


VALIDATION_CASES = [
    # (board, turn, mark, row, col), expected reason, hint
    ((".........", "X", "X", 1, 1), None, "a legal move returns None"),
    ((".........", "X", "O", 0, 0), "it is not your turn", "compare mark with turn"),
    (("X........", "O", "O", 0, 0), "that cell is taken", "the cell is board[row * 3 + col]"),
    ((".........", "X", "X", 3, 0), "row and col must be whole numbers from 0 to 2", "3 is off"),
    ((".........", "X", "X", 0, -1), "row and col must be whole numbers from 0 to 2", "so is -1"),
    ((".........", "X", "X", "1", 0), "row and col must be whole numbers from 0 to 2", "a str"),
    ((".........", "X", "X", 1.0, 0), "row and col must be whole numbers from 0 to 2", "a float"),
    ((".........", "X", "X", True, 0), "row and col must be whole numbers from 0 to 2", "a bool"),
    (("XXXOO....", "O", "O", 2, 2), "the game is over", "X has a line: use winner(board)"),
    (("XXXOO....", "O", "X", 2, 2), "the game is over", "check game over before the turn"),
    (("XOXXOOOXX", "X", "X", 0, 0), "the game is over", "a full board is a draw"),
]


def check_validate_move(path: str | Path) -> None:
    """game.validate_move gives the right reason for each kind of illegal move, None if legal."""
    game = load_module(path)
    for args, expected, hint in VALIDATION_CASES:
        got = game.validate_move(*args)
        call = "validate_move(" + ", ".join(map(repr, args)) + ")"
        assert got == expected, f"{call} returned {got!r}, expected {expected!r} (hint: {hint})"


# -- server push --------------------------------------------------------------------------------


def check_push_time(url: str, app: str = "push") -> None:
    """Firing the schedule pushes a frame stamped with the current time to a connected client."""
    with Client(url, _unique("listener")) as client:
        results = fire_rule(f"{app}-schedule")
        assert results, f"The rule {app}-schedule has no Lambda target"
        for result in results:
            response = result.get("response")
            assert result.get("error") is None, (
                f"The scheduled push Lambda failed ({_describe(response)}): push_to_all should"
                " post push_frame(text, at) to every stored connection (hint: the stub still"
                " raises NotImplementedError?)"
            )
        frame = client.wait_for(lambda f: f.get("type") == "push")
        assert frame is not None, (
            "No push frame reached a connected client: post the frame to every id from"
            " common.connection_ids(table) (hint: api.post_to_connection via common.post)"
        )
        _assert_recent(frame, "the scheduled event's `time`")
        text = _unique("It is time")
        result = _invoke(f"{app}-broadcast", {"text": text})
        assert result.get("FunctionError") is None, f"push failed: {_error_line(result)}"
        frame = client.wait_for(lambda f: f.get("text") == text)
        assert frame is not None, f"A test invoke with {{'text': {text!r}}} pushed nothing"
        _assert_recent(frame, "now_iso() (no scheduled time in a test invoke)")


def _assert_recent(frame: Frame, source: str) -> None:
    at = frame.get("at")
    try:
        when = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        raise AssertionError(
            f"The push frame's `at` is {at!r}, not an ISO time like '2024-02-09T12:00:00Z'"
        ) from None
    assert when.tzinfo is not None and str(at).endswith("Z"), (
        f"The push frame's `at` {at!r} should be UTC and end in 'Z' (hint: datetime.now(UTC))"
    )
    off = abs((datetime.now(UTC) - when).total_seconds())
    assert off <= CLOCK_SLACK, (
        f"The push frame's `at` {at!r} is {off:.0f} s away from now: it should be {source}"
    )


# -- least privilege ----------------------------------------------------------------------------


def check_policy(policy: Any, table_arn: str, stage_arn: str) -> None:
    """PutItem/DeleteItem on exactly the table, ManageConnections (POST) on exactly the stage."""
    assert isinstance(policy, dict), f"policy should be a dict, not {type(policy).__name__}"
    assert policy.get("Version") == "2012-10-17", (
        "Start the policy with 'Version': '2012-10-17' (IAM's current policy language)"
    )
    problems = check_least_privilege(policy)
    assert not problems, f"Too broad: {problems[0]} (hint: name each action and resource)"
    statements = policy.get("Statement")
    assert isinstance(statements, list) and statements, "'Statement' should be a list of dicts"
    granted: dict[str, set[str]] = {}
    for statement in statements:
        assert isinstance(statement, dict), f"Each statement should be a dict: {statement!r}"
        assert statement.get("Effect") == "Allow", f"Each statement should Allow: {statement!r}"
        for action in _as_list(statement.get("Action")):
            granted.setdefault(action, set()).update(_as_list(statement.get("Resource")))
    needed = {"dynamodb:PutItem", "dynamodb:DeleteItem", "execute-api:ManageConnections"}
    missing = sorted(needed - granted.keys())
    assert not missing, f"The function also needs {', '.join(missing)}"
    extra = sorted(granted.keys() - needed)
    assert not extra, f"More than the function needs: drop {', '.join(extra)}"
    for action in ("dynamodb:PutItem", "dynamodb:DeleteItem"):
        assert granted[action] == {table_arn}, (
            f"{action} should be allowed on exactly {table_arn} (got {sorted(granted[action])})"
            " (hint: the table's ARN, from describe_table)"
        )
    post = f"{stage_arn}/POST/@connections/*"
    assert granted["execute-api:ManageConnections"] == {post}, (
        f"execute-api:ManageConnections should be allowed on exactly {post}, got"
        f" {sorted(granted['execute-api:ManageConnections'])} (hint: the function only posts"
        " frames: POST, on this API's dev stage)"
    )


# -- helpers ------------------------------------------------------------------------------------


def _unique(prefix: str) -> str:
    """A name no earlier run left behind in the table."""
    return f"{prefix}-{secrets.token_hex(3)}"




def _is_gateway_error(frame: Frame) -> bool:
    """API Gateway's own reply when the route's function raised."""
    return frame.get("message") == "Internal server error"


def _fail_on_gateway_error(frame: Frame, route: str, function: str) -> None:
    if isinstance(frame, dict) and _is_gateway_error(frame):
        raise AssertionError(
            f"The {route} route answered 'Internal server error': {function} raised an exception"
            " (a stub raises NotImplementedError; the function's logs show the traceback)"
        )


def _api_id(app: str) -> str:
    """The id of the app's API (named `<app>-api` by deploy_app)."""
    api = find_api(app, f"{app}-api")
    assert api is not None, f"The {app} API is not deployed: run the deploy cell first"
    return api["ApiId"]


def _message_event(url: str, app: str, body: dict[str, Any]) -> dict[str, Any]:
    """A MESSAGE event like API Gateway's, from a connection that has no row in the table."""
    region, api_id = region_of(), _api_id(app)
    return {
        "requestContext": {
            "routeKey": str(body.get("action")),
            "eventType": "MESSAGE",
            "connectionId": _unique("checkSender"),
            "domainName": f"{api_id}.execute-api.{region}.amazonaws.com",
            "stage": url.rstrip("/").rsplit("/", 1)[-1].split("?")[0],
            "apiId": api_id,
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _invoke(function_name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Invoke synchronously; the payload comes back as text."""
    reply = boto3.client("lambda").invoke(
        FunctionName=function_name, Payload=json.dumps(event).encode()
    )
    return {"FunctionError": reply.get("FunctionError"), "Payload": reply["Payload"].read()}


def _describe(response: Any) -> str:
    if isinstance(response, dict) and "errorType" in response:
        return f"{response['errorType']}: {response.get('errorMessage', '')}".rstrip(": ")
    return repr(response)


def _error_line(result: dict[str, Any]) -> str:
    try:
        return _describe(json.loads(result["Payload"] or "null"))
    except ValueError:
        return str(result["FunctionError"])


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
