"""Checks of the exercises written in the apps' Lambda code (`lambdas/<app>/*.py`).

Each check deploys the learner's folder (so an edited file is what runs), then drives the app as
its users would: real WebSocket clients, a fired schedule, a Lambda invoke. Pure code (the game's
rules, a policy document) is called directly. The optional parameters are what the hidden
variants change: other names, other cases, another message.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from infra.deploy import (
    check_least_privilege,
    create_connections_table,
    create_lambda_role,
    create_or_update_function,
    deploy_app,
    fire_schedule,
)
from infra.deploy.aws import account_of, region_of
from infra.deploy.packaging import PackagingError
from infra.deploy.policies import execute_api_arn

from .common import (
    PROBE_APP,
    QUIET,
    TIMEOUT,
    Client,
    Frame,
    answer,
    as_list,
    describe,
    fail_on_gateway_error,
    failure,
    invoke,
    is_gateway_error,
    message_event,
    probe_role_policy,
    quietly,
    unique,
    zip_of,
)

CLOCK_SLACK = 60.0  # seconds a pushed time may differ from the notebook's clock
CHAT_CONNECT_HINT = "chat's $connect calls nickname() in common.py: do chat-nickname first"


def deployed(app: str, folder: str | Path) -> str:
    """Deploy the app from the learner's folder (only what changed is uploaded); its URL.

    A folder that cannot be deployed (a handler's module deleted, say) fails the check, saying
    which file is missing.
    """
    with quietly():
        try:
            return deploy_app(app, folder=folder)
        except PackagingError as error:
            raise AssertionError(str(error)) from None


def chat_client(url: str, name: str | None = None) -> Client:
    """A client of the chat, whose failure to connect points at the nickname exercise."""
    return Client(url, name, connect_hint=CHAT_CONNECT_HINT)


# -- chat --------------------------------------------------------------------------------------


NICKNAMES = [
    # (?name=, the name others see, hint)
    ("  ada  ", "ada", "trim the spaces around the name (str.strip)"),
    (None, "guest", "no ?name= at all: queryStringParameters is None, use 'guest'"),
    ("   ", "guest", "a blank name becomes 'guest'"),
    ("x" * 30, "x" * 20, "cut the name to 20 characters (MAX_NAME_LENGTH)"),
]


def check_chat_nickname(
    folder: str | Path, cases: Sequence[tuple[str | None, str, str]] = NICKNAMES
) -> None:
    """`?name=` becomes the sender's name: trimmed, cut to 20 characters, "guest" when missing."""
    url = deployed("chat", folder)
    # Every sender stays connected until the end, so no broadcast meets a gone connection.
    with chat_client(url, unique("listener")) as listener, contextlib.ExitStack() as senders:
        for sent_name, expected, hint in cases:
            text = unique("hello")
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


def check_chat_who(folder: str | Path, same_name: int = 1) -> Frame:
    """$default answers {"action": "who"} with every connected nickname once, sorted.

    `same_name` clients share each name; a frame no route knows still gets the help frame.
    """
    url = deployed("chat", folder)
    names = sorted([unique("zoe"), unique("ada"), unique("mo")])
    table = boto3.resource("dynamodb").Table("chat-connections")
    with contextlib.ExitStack() as stack:
        for name in names:
            for _ in range(same_name):
                stack.enter_context(chat_client(url, name))
        asker = stack.enter_context(chat_client(url, unique("asker")))
        asker.send({"action": "who"})
        reply = asker.wait_for(lambda answer: isinstance(answer, dict))
        online = {row["name"] for row in table.scan()["Items"]}
        asker.send({"action": "dance"})
        help_frame = asker.wait_for(lambda f: isinstance(f, dict) and f.get("type") == "help")
    fail_on_gateway_error(reply, "$default", "default.py's who_is_online")
    assert isinstance(reply, dict) and reply.get("type") == "who", (
        f"{{'action': 'who'}} got {reply!r} back, not a who frame: who_is_online(table) should"
        " return {'type': 'who', 'names': [...]} (on_default sends it back as the body)"
    )
    listed = reply.get("names")
    assert isinstance(listed, list), f"'names' should be a list of nicknames, got {listed!r}"
    missing = [name for name in names if name not in listed]
    assert not missing, (
        f"{missing[0]!r} is connected but not in {listed!r}: list the name of every row of the"
        " table (hint: common.scan_connections(table) reads every page)"
    )
    assert len(listed) == len(set(listed)), (
        f"A name is listed twice in {listed!r}: two connections may share a nickname; list each"
        " name once (a set)"
    )
    assert listed == sorted(listed), f"Sort the names: {listed!r} is not in alphabetical order"
    strangers = [name for name in listed if name not in online]
    assert not strangers, f"{strangers[0]!r} is listed but nobody of that name is connected"
    assert help_frame is not None, (
        "After a who, {'action': 'dance'} got no help frame: keep on_default's help reply"
    )
    return reply


def check_chat_named(folder: str | Path, matches: int = 2, page_size: int | None = None) -> None:
    """connections_named(table, name) finds exactly the connections named `name`, on every page.

    `page_size` makes the table answer its scans in pages that small (as 1 MB pages do).
    """
    common = load_chat_common(folder)
    with quietly():
        create_connections_table("chat")  # the chat's table, as lesson 01 made it
    table = boto3.resource("dynamodb").Table("chat-connections")
    name = unique("bob")
    rows = {f"named{secrets.token_hex(4)}": name for _ in range(matches)}
    near = {  # names that only look alike
        f"near{secrets.token_hex(4)}": near_name
        for near_name in (name + "by", name.upper(), "x" + name)
    }
    for connection, nickname in {**rows, **near}.items():
        table.put_item(Item={"connectionId": connection, "name": nickname})
    try:
        paged = PagedTable(table, page_size) if page_size else table
        got = answer(common.connections_named, paged, name)
    finally:
        for connection in {**rows, **near}:
            table.delete_item(Key={"connectionId": connection})
    assert isinstance(got, list), (
        f"connections_named returned {got!r}: return a list of connection ids"
    )
    assert sorted(got) == sorted(rows), (
        f"connections_named(table, {name!r}) gave {sorted(got)}, expected {sorted(rows)}: keep"
        " the rows whose name equals `name` exactly (hint: FilterExpression=Attr('name').eq(name),"
        " and read every page: common.scan_connections does)"
    )


def load_chat_common(folder: str | Path) -> ModuleType:
    """The learner's lambdas/chat/common.py, imported afresh."""
    path = Path(folder) / "common.py"
    assert path.exists(), f"{folder} has no common.py: the chat's helpers live there"
    return load_module(path)


class PagedTable:
    """A table whose scans answer `page_size` rows at a time (as a big table answers 1 MB)."""

    def __init__(self, table: Any, page_size: int) -> None:
        self.table = table
        self.page_size = page_size

    def scan(self, **options: Any) -> Any:
        return self.table.scan(**{**options, "Limit": self.page_size})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)


WHISPER_CODE = "on_whisper (or common.py's connections_named, which it calls: chat-named)"


def check_chat_whisper(folder: str | Path, listeners: int = 1) -> None:
    """A whisper reaches only the connections named `to` (all `listeners` of them); an unknown
    name gets an error frame back."""
    url = deployed("chat", folder)
    alice_name, bob_name, carol_name = unique("alice"), unique("bob"), unique("carol")
    with contextlib.ExitStack() as stack:
        alice = stack.enter_context(chat_client(url, alice_name))
        bobs = [stack.enter_context(chat_client(url, bob_name)) for _ in range(listeners)]
        carol = stack.enter_context(chat_client(url, carol_name))
        text = unique("psst")
        alice.send({"action": "whisper", "to": bob_name, "data": text})
        frames = [bob.wait_for(lambda f: f.get("text") == text) for bob in bobs]
        if None in frames:
            refusal = alice.wait_for(is_gateway_error, QUIET)
            fail_on_gateway_error(refusal, "whisper", WHISPER_CODE)
        heard = sum(frame is not None for frame in frames)
        assert heard == listeners, (
            f"{listeners - heard} of the {listeners} connections named {bob_name!r} never"
            " received alice's whisper: post the frame to every connection whose name is `to`"
            " (hint: common.connections_named(table, to) gives their ids)"
        )
        expected = {"type": "whisper", "from": alice_name, "text": text}
        assert frames[0] == expected, f"bob received {frames[0]!r}, expected {expected!r}"
        overheard = carol.wait_for(lambda f: f.get("text") == text, QUIET)
        assert overheard is None, (
            "carol overheard a whisper meant for bob: send only to the connections named `to`"
        )
        nobody = unique("nobody")
        alice.send({"action": "whisper", "to": nobody, "data": "hello?"})
        error = alice.wait_for(lambda f: f.get("type") == "error")
    fail_on_gateway_error(error, "whisper", WHISPER_CODE)
    assert error == {"type": "error", "text": f"no one called {nobody}"}, (
        f"A whisper to a name nobody has should send {{'type': 'error', 'text': 'no one called"
        f" {nobody}'}} back to the sender (got {error!r}) (hint: send_to_all returns how many"
        " received it)"
    )


# -- arena -------------------------------------------------------------------------------------

REFUSED_COLORS = ("red", "#12345", "#ggghhh", 42)


def check_arena_color(
    folder: str | Path, color: str | None = None, refused: Sequence[Any] = REFUSED_COLORS
) -> None:
    """A valid colour reaches everyone (lower case) through the stream; an invalid one gets 400."""
    url = deployed("arena", folder)
    color = color or "#" + secrets.token_hex(3).upper()
    with Client(url) as painter, Client(url) as watcher:
        painter.send({"action": "list"})
        listing = painter.wait_for(lambda f: f.get("type") == "list")
        assert listing is not None, "The arena did not answer {'action': 'list'}"
        me = listing["you"]["id"]
        painter.send({"action": "color", "color": color})

        def shows(wanted: str) -> Callable[[Frame], bool]:
            def test(frame: Frame) -> bool:
                changes = frame.get("changes", []) if isinstance(frame, dict) else []
                return any(c.get("id") == me and c.get("color") == wanted for c in changes)

            return test

        seen = _first_of(watcher, shows(color.lower()), painter, is_gateway_error)
        fail_on_gateway_error(seen, "color", "on_color.py's on_color")
        if seen is None:
            as_sent = color != color.lower() and any(shows(color)(f) for f in watcher.frames)
            assert not as_sent, f"Store the colour in lower case ({color.lower()!r})"
            raise AssertionError(
                f"Nobody saw the pointer turn {color}: on_color should update the caller's row"
                " with the new colour (hint: common.update_connection(table, connection_id,"
                " {'color': color.lower()}); the stream then tells everyone)"
            )
    for bad in refused:
        event = message_event(url, "arena", {"action": "color", "color": bad})
        reply = invoke("arena-color", event)["Payload"]
        status = reply.get("statusCode") if isinstance(reply, dict) else None
        assert status == 400, (
            f"The colour {bad!r} should be refused with statusCode 400 (got {reply!r}) (hint:"
            " check it matches HEX_COLOR before writing, and return common.error(400, ...))"
        )


def _first_of(
    watcher: Client,
    wanted: Callable[[Frame], bool],
    sender: Client,
    refused: Callable[[Frame], bool],
) -> Frame | None:
    """The watcher's first wanted frame, or the sender's first refusal, whichever comes first."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for client, test in ((sender, refused), (watcher, wanted)):
            frame = client.wait_for(test, 0.1)
            if frame is not None:
                return frame
    return None


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


Move = tuple[str, str, str, Any, Any]  # board, turn, mark, row, col
VALIDATION_CASES: list[tuple[Move, str | None, str]] = [
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


def check_validate_move(
    path: str | Path, cases: Sequence[tuple[Move, str | None, str]] = VALIDATION_CASES
) -> None:
    """game.validate_move gives the right reason for each kind of illegal move, None if legal."""
    game = load_module(path)
    for args, expected, hint in cases:
        got = answer(game.validate_move, *args)
        call = "validate_move(" + ", ".join(map(repr, args)) + ")"
        assert got == expected, f"{call} returned {got!r}, expected {expected!r} (hint: {hint})"


# -- server push --------------------------------------------------------------------------------


def check_push_time(folder: str | Path, scheduled_at: str | None = None) -> None:
    """Firing the schedule pushes a frame stamped with the current time to a connected client.

    With `scheduled_at`, the function is invoked with a scheduled event of that `time`, which
    the frame must carry as it is.
    """
    url = deployed("push", folder)
    with Client(url, unique("listener")) as client:
        if scheduled_at is None:
            with quietly():
                results = fire_schedule("push-schedule")
            assert results, "The schedule push-schedule has no Lambda target"
            for result in results:
                assert result.get("error") is None, (
                    f"The scheduled push Lambda failed ({describe(result.get('response'))}): push_to_all"
                    " should post push_frame(text, at) to every stored connection (hint: the stub"
                    " still raises NotImplementedError?)"
                )
            frame = client.wait_for(lambda f: f.get("type") == "push")
            assert frame is not None, (
                "No push frame reached a connected client: post the frame to every id from"
                " common.connection_ids(table) (hint: api.post_to_connection via common.post)"
            )
            _assert_recent(frame, "now_iso() (a Scheduler schedule sends `{}`, with no `time`)")
        else:
            event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": scheduled_at}
            result = invoke("push-broadcast", event)
            assert result["FunctionError"] is None, f"push failed: {failure(result)}"
            frame = client.wait_for(lambda f: f.get("type") == "push")
            at = frame.get("at") if frame else None
            assert at == scheduled_at, (
                f"A schedule that fired at {scheduled_at} pushed `at` {at!r}: pass the event's"
                " `time` on to push_frame(text, at)"
            )
            return
        text = unique("It is time")
        result = invoke("push-broadcast", {"text": text})
        assert result["FunctionError"] is None, f"push failed: {failure(result)}"
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


def check_policy(
    welcome_policy: Callable[[str, str, str, str], Any],
    table_arn: str,
    region: str,
    account: str,
    api_id: str,
) -> None:
    """PutItem/DeleteItem on exactly the table, ManageConnections (POST) on exactly the stage."""
    policy = answer(welcome_policy, table_arn, region, account, api_id)
    assert isinstance(policy, dict), f"The policy should be a dict, not {type(policy).__name__}"
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
        for action in as_list(statement.get("Action")):
            granted.setdefault(action, set()).update(as_list(statement.get("Resource")))
    needed = {"dynamodb:PutItem", "dynamodb:DeleteItem", "execute-api:ManageConnections"}
    missing = sorted(needed - granted.keys())
    assert not missing, f"The function also needs {', '.join(missing)}"
    extra = sorted(granted.keys() - needed)
    assert not extra, f"More than the function needs: drop {', '.join(extra)}"
    for action in ("dynamodb:PutItem", "dynamodb:DeleteItem"):
        assert granted[action] == {table_arn}, (
            f"{action} should be allowed on exactly {table_arn} (got {sorted(granted[action])})"
            " (hint: use the `table_arn` parameter)"
        )
    post = f"{execute_api_arn(region, account, api_id, 'dev')}/POST/@connections/*"
    assert granted["execute-api:ManageConnections"] == {post}, (
        f"execute-api:ManageConnections should be allowed on exactly {post}, got"
        f" {sorted(granted['execute-api:ManageConnections'])} (hint: the function only posts"
        " frames: POST, on this API's dev stage)"
    )
    if _in_this_cloud(table_arn, region, account):
        _check_policy_in_use(policy, table_arn, region, api_id)


WELCOME_PROBE = '''import os

import boto3
from botocore.exceptions import ClientError

REFUSALS = {"AccessDeniedException", "ForbiddenException"}  # DynamoDB's and @connections' words


def handler(event, context):
    """Make each call the welcome function makes; say which of them IAM refused."""
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    api = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["CONNECTIONS_URL"])
    connection = event["connectionId"]
    calls = {
        "dynamodb:PutItem": lambda: table.put_item(Item={"connectionId": connection}),
        "execute-api:ManageConnections": lambda: api.post_to_connection(
            ConnectionId=connection, Data=b"welcome"
        ),
        "dynamodb:DeleteItem": lambda: table.delete_item(Key={"connectionId": connection}),
    }
    refused = []
    for action, call in calls.items():
        try:
            call()
        except ClientError as error:  # GoneException is fine: IAM let the post through
            if error.response["Error"]["Code"] in REFUSALS:
                refused.append(action)
    return refused
'''
IAM_SETTLES = 20.0  # seconds: IAM is eventually consistent on AWS (immediate locally)


def _in_this_cloud(table_arn: str, region: str, account: str) -> bool:
    """Whether the ARN names a table of the cloud the notebook uses (hidden variants' do not)."""
    return (
        region == region_of()
        and account == account_of()
        and table_arn.startswith(f"arn:aws:dynamodb:{region}:{account}:table/")
    )


def _check_policy_in_use(policy: dict[str, Any], table_arn: str, region: str, api_id: str) -> None:
    """Run a function as a role with only this policy: every call works; take away any one
    statement and exactly the actions it granted are refused."""
    name = f"{PROBE_APP}-welcome"
    environment = {
        "TABLE_NAME": table_arn.rsplit("/", 1)[-1],
        "CONNECTIONS_URL": f"https://{api_id}.execute-api.{region}.amazonaws.com/dev",
    }
    probe_policy = {"Version": "2012-10-17", "Statement": [_probe_logs_statement()]}
    with quietly():
        role_arn = create_lambda_role(PROBE_APP, probe_policy, name=f"{name}-role")
        create_or_update_function(
            PROBE_APP,
            name,
            "welcome.handler",
            role_arn,
            zip_of({"welcome.py": WELCOME_PROBE}),
            environment=environment,
        )
    everything = {"dynamodb:PutItem", "dynamodb:DeleteItem", "execute-api:ManageConnections"}
    if not _refused_as(name, probe_policy, everything, strict=False):
        return  # this cloud does not enforce IAM (workshop cloud --no-iam): the document is checked
    assert _refused_as(name, policy, set()) == set(), (
        f"Running as a role with only this policy, the function was refused"
        f" {', '.join(sorted(_refused_as(name, policy, set(), strict=False)))}"
    )
    statements = policy["Statement"]
    for index, statement in enumerate(statements):
        others = {**policy, "Statement": statements[:index] + statements[index + 1 :]}
        if not others["Statement"]:
            continue  # a policy needs a statement: the logs-only run above covers "none of them"
        expected = set(as_list(statement.get("Action"))) - _actions_of(others)
        refused = _refused_as(name, others, expected)
        assert refused == expected, (
            f"Without statement {index + 1} the function should be refused"
            f" {sorted(expected) or 'nothing'}, and was refused {sorted(refused) or 'nothing'}"
        )


def _actions_of(policy: dict[str, Any]) -> set[str]:
    return {a for statement in policy["Statement"] for a in as_list(statement.get("Action"))}


def _probe_logs_statement() -> dict[str, Any]:
    return probe_role_policy()["Statement"][0]


def _refused_as(
    name: str, policy: dict[str, Any], expected: set[str], *, strict: bool = True
) -> set[str]:
    """Give the probe's role `policy` and run it; the actions IAM refused.

    IAM changes take seconds to reach every AWS region, so this asks again until the answer is
    `expected` or IAM_SETTLES has passed (`strict=False`: until anything is refused).
    """
    role = f"{name}-role"
    boto3.client("iam").put_role_policy(
        RoleName=role, PolicyName="least-privilege", PolicyDocument=json.dumps(policy)
    )
    deadline = time.monotonic() + IAM_SETTLES
    while True:
        result = invoke(name, {"connectionId": unique("welcomeCheck").replace("-", "")})
        assert result["FunctionError"] is None, f"The check's probe failed: {failure(result)}"
        refused = set(result["Payload"])
        settled = refused == expected if strict else bool(refused)
        if settled or time.monotonic() > deadline:
            return refused
        time.sleep(1.0)
