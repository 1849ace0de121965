"""What the lesson notebooks call besides boto3, the deploy steps and the widgets.

Each lesson makes the plain boto3 call the first time a concept appears; these helpers are for
what comes after, and for catching up:

- ``show_source``: print a file (or one function of it) so the code a lesson shows IS the tested
  file; code holding an exercise's answer is refused;
- ``show_template``: the same for resources of a template (``lambdas/<app>/template.yaml``),
  with an exercise's answer cut out;
- the console's "Test" button, once lesson 02 has shown it: ``invoke``, ``recent_logs``;
- looking inside: ``table_rows``, ``routes_of``, ``route_summary``, ``stream_mappings``;
- ``WsCat``: the kit's WebSocket client, printing what it sends and receives like wscat;
- ``remove_route``: undo a route, so the "added but not deployed" lesson can be re-run;
- ``catch_up`` (the chat, lesson by lesson) and ``catch_up_app`` (the arena, the game, push):
  build what the earlier lessons built, exactly as ``deploy_app`` would, so each notebook can
  start where the previous one ended.
"""

from __future__ import annotations

import ast
import base64
import inspect
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import ClientError

from infra.deploy import (
    add_route,
    create_connections_table,
    create_lambda_role,
    create_or_update_function,
    create_websocket_api,
    deploy_app,
    deploy_stage,
    find_api,
    find_route,
    package_lambda,
)
from infra.deploy.apps import CHAT, PLANS, AppPlan, Route, deploy_plan, plan_policy
from infra.deploy.aws import all_items, client, error_code, report
from infra.exercises.markers import BEGIN, END, clear_solutions, has_solution
from infra.widgets.connection import Connection, frame_text

KIT = Path(__file__).resolve().parent.parent
LAMBDAS = KIT / "lambdas"
STAGE = "dev"


# -- showing code ----------------------------------------------------------------------------


def source_of(target: Any, name: str | None = None) -> str:
    """The source of ``target``: a Python object, or a file path (relative paths: under lambdas/,
    or in the kit when they start with ``infra/``, a folder the learner's JupyterLab hides).

    With ``name``, only that top-level function, class or assignment (``CHAT = ...``) of the
    file. Code holding an exercise's answer (a ``### BEGIN SOLUTION`` region) is refused: a
    lesson never shows it.
    """
    if not isinstance(target, str | Path):
        return _no_answers(inspect.getsource(target), repr(target))
    path = _kit_path(target)
    text = path.read_text()
    if name is None:
        return _no_answers(text, str(path))
    for node in ast.parse(text).body:
        definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        if isinstance(node, definition) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            chosen = "\n".join(text.splitlines()[first - 1 : node.end_lineno]) + "\n"
            return _no_answers(chosen, f"{path} :: {name}")
        assigned = ast.Assign | ast.AnnAssign
        if isinstance(node, assigned) and name in _assigned_names(node):
            chosen = "\n".join(text.splitlines()[node.lineno - 1 : node.end_lineno]) + "\n"
            return _no_answers(chosen, f"{path} :: {name}")
    raise LookupError(f"no function, class or assignment {name!r} in {path}")


def _kit_path(target: str | Path) -> Path:
    """A file given as lessons name it: absolute, ``infra/...`` in the kit, else under lambdas/."""
    path = Path(target)
    if path.is_absolute():
        return path
    return KIT / path if path.parts[0] == "infra" else LAMBDAS / path


def _where(target: str | Path) -> Path:
    """How a header names a file: relative to the kit."""
    path = _kit_path(target)
    return path.relative_to(KIT) if path.is_relative_to(KIT) else path


def _assigned_names(node: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [target.id for target in targets if isinstance(target, ast.Name)]


class AnswerShown(ValueError):
    """A lesson asked to show code that holds an exercise's answer."""


def _no_answers(source: str, where: str) -> str:
    if has_solution(source):
        raise AnswerShown(f"{where} holds an exercise's answer: a lesson must not show it")
    return source


def show_source(target: Any, name: str | None = None) -> None:
    """Print the source of ``target`` (see ``source_of``) under a header naming where it lives."""
    if isinstance(target, str | Path):
        where = str(_where(target))
    else:
        where = f"{target.__module__}.{target.__qualname__}"
    header = f"# {where}" + (f" :: {name}" if name else "")
    print(header + "\n" + source_of(target, name).rstrip())


def template_text(path: str | Path, *keys: str) -> str:
    """Entries of a template file, as written there: resources (``ConnectFunction``), or any
    other top-level section or entry (``Outputs``, ``StageName``). Relative paths: under lambdas/.

    The lines of an exercise's answer (solution regions) are cut out, so the text is what the
    exercises' copy of the template holds; asking for a resource that is all answer is refused.
    """
    path = Path(path) if Path(path).is_absolute() else LAMBDAS / path
    lines = path.read_text().splitlines()
    blocks = []
    for key in keys:
        start = _entry_line(lines, key, path)
        indent = len(lines[start]) - len(lines[start].lstrip())
        end = start + 1
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
        ):
            end += 1
        while not lines[end - 1].strip():
            end -= 1
        blocks.append(clear_solutions("\n".join(lines[start:end]) + "\n", ()))
    return "".join(blocks)


def _entry_line(lines: list[str], key: str, path: Path) -> int:
    """The line where ``key:`` starts a top-level section or an entry of one (indented by 2)."""
    inside = False
    for number, line in enumerate(lines):
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif line in (f"{key}:", f"  {key}:") or line.startswith((f"{key}: ", f"  {key}: ")):
            if inside:
                raise AnswerShown(
                    f"{path} :: {key} is an exercise's answer: a lesson must not show it"
                )
            return number
    raise LookupError(f"no entry {key!r} in {path}")


def show_template(path: str | Path, *keys: str) -> None:
    """Print entries of a template (see ``template_text``) under a header naming the file."""
    where = path if Path(path).is_absolute() else Path("lambdas") / path
    print(f"# {where} :: {', '.join(keys)}\n" + template_text(path, *keys).rstrip())


# -- the console's Test button ---------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    """What the console shows after "Test": the returned value, whether it failed, the log tail."""

    payload: Any
    error: str | None
    log_tail: str

    def __str__(self) -> str:
        outcome = f"failed ({self.error})" if self.error else "succeeded"
        return f"Execution {outcome}; returned {json.dumps(self.payload)}"


def invoke(function_name: str, event: dict[str, Any]) -> Invocation:
    """Invoke a function synchronously with ``event`` (lambda invoke, LogType=Tail)."""
    reply = client("lambda").invoke(
        FunctionName=function_name, Payload=json.dumps(event).encode(), LogType="Tail"
    )
    raw = reply["Payload"].read()
    tail = base64.b64decode(reply.get("LogResult", "")).decode(errors="replace")
    return Invocation(json.loads(raw) if raw else None, reply.get("FunctionError"), tail)


def recent_logs(
    function_name: str, since_ms: int | None = None, contains: str = "", wait: float = 0.0
) -> list[str]:
    """The function's log lines from /aws/lambda/<name> (logs filter_log_events), oldest first.

    ``since_ms`` is an epoch time in milliseconds (default: the last 10 minutes); ``contains`` keeps
    only lines with that text. ``wait`` seconds: keep asking until such a line shows up, because on
    AWS log events arrive seconds after the invocation (the local cloud writes them at once).
    """
    start = since_ms if since_ms is not None else now_ms() - 600_000
    deadline = time.monotonic() + wait
    while True:
        lines = [line for line in _log_lines(function_name, start) if contains in line]
        if lines or time.monotonic() >= deadline:
            return lines
        time.sleep(2)


def _log_lines(function_name: str, start_ms: int) -> list[str]:
    """Every log line of the function since ``start_ms`` (none if it never logged)."""
    params = {"logGroupName": f"/aws/lambda/{function_name}", "startTime": start_ms}
    lines: list[str] = []
    try:
        for page in client("logs").get_paginator("filter_log_events").paginate(**params):
            lines += [event["message"].rstrip("\n") for event in page["events"]]
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
    return lines


def now_ms() -> int:
    """The current epoch time in milliseconds (CloudWatch Logs' clock)."""
    return int(time.time() * 1000)


# -- looking inside --------------------------------------------------------------------------


def table_rows(table_name: str) -> list[dict[str, Any]]:
    """Every item of a table as plain Python values, sorted by their JSON text (a stable order)."""
    table = boto3.resource("dynamodb").Table(table_name)
    items: list[dict[str, Any]] = []
    options: dict[str, Any] = {}
    while True:
        page = table.scan(**options)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        options["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    plain = [json.loads(json.dumps(item, default=_plain_number)) for item in items]
    return sorted(plain, key=lambda item: json.dumps(item, sort_keys=True))


def _plain_number(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal: show them as int or float."""
    return int(value) if value == int(value) else float(value)


def route_summary(api_id: str, route_key: str) -> dict[str, Any]:
    """How a route is wired: the function behind it and whether its reply goes back (route responses)."""
    apis = client("apigatewayv2")
    route = find_route(api_id, route_key)
    if route is None:
        raise LookupError(f"no route {route_key!r} in API {api_id}")
    integration_id = route.get("Target", "").removeprefix("integrations/")
    uri = apis.get_integration(ApiId=api_id, IntegrationId=integration_id)["IntegrationUri"]
    responses = all_items(apis.get_route_responses, ApiId=api_id, RouteId=route["RouteId"])
    return {
        "RouteKey": route_key,
        "Function": uri.split(":function:")[-1].removesuffix("/invocations"),
        "RouteResponseSelectionExpression": route.get("RouteResponseSelectionExpression"),
        "RouteResponses": sorted(response["RouteResponseKey"] for response in responses),
    }


def routes_of(api_id: str) -> list[str]:
    """The API's route keys, sorted."""
    routes = all_items(client("apigatewayv2").get_routes, ApiId=api_id)
    return sorted(route["RouteKey"] for route in routes)


def stream_mappings(function_name: str) -> list[dict[str, Any]]:
    """The function's event source mappings: which stream, where it starts, whether it is on."""
    paginator = client("lambda").get_paginator("list_event_source_mappings")
    keys = ("EventSourceArn", "StartingPosition", "BatchSize", "State")
    return [
        {key: mapping.get(key) for key in keys}
        for page in paginator.paginate(FunctionName=function_name)
        for mapping in page["EventSourceMappings"]
    ]


# -- inviting the room -----------------------------------------------------------------------


def room_invitation(stage_url: str) -> str:
    """What to tell a neighbour so they can join this endpoint (or why they cannot yet)."""
    host = urlsplit(stage_url).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        return (
            f"{stage_url} only works on this machine. To host a room, run "
            "`workshop up --host 0.0.0.0` and deploy with AWS_ENDPOINT_URL set to the LAN "
            "address it prints: the URLs you get then work for everyone on the LAN."
        )
    return f"Join me: ChatClient({stage_url!r}, 'your name')"


# -- a wscat-like client ---------------------------------------------------------------------


class WsCat:
    """A WebSocket client that prints each frame it sends (>) and receives (<), like wscat.

    It is the kit's one client (`infra.widgets.connection.Connection`) with a read cursor: frames
    are printed when ``receive`` hands them out, on the calling thread, so nothing prints in the
    background.
    """

    def __init__(self, url: str, *, quiet: bool = False, timeout: float = 10.0) -> None:
        self.url = url
        self.quiet = quiet
        self.connection = Connection(url)
        if not self.connection.open(timeout):
            raise ConnectionError(f"could not connect to {url}: {self.connection.status}")
        self._next = 0  # the number of the first frame not handed out yet
        self._say(f"connected ({url})")

    def send(self, message: dict[str, Any] | str) -> None:
        """Send a JSON object (or text as is) as one text frame."""
        text = message if isinstance(message, str) else json.dumps(message)
        self.connection.send_text(text)
        self._say(f"> {text}")

    def receive(self, timeout: float = 5.0, *, of_type: str | None = None) -> Any:
        """The next frame, JSON-decoded when it is JSON; raises TimeoutError after ``timeout``.

        With ``of_type``, frames whose ``type`` differs are printed and skipped.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(deadline - time.monotonic(), 0)
            number, frame = self.connection.next_frame(self._next, timeout=remaining)
            self._next = number + 1
            self._say(f"< {frame_text(frame)}")
            if of_type is None or (isinstance(frame, dict) and frame.get("type") == of_type):
                return frame

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        self.connection.close()

    def __enter__(self) -> WsCat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _say(self, line: str) -> None:
        if not self.quiet:
            print(line)


# -- undoing a route -------------------------------------------------------------------------


def remove_route(api_id: str, route_key: str) -> bool:
    """Delete a route (and its integration) from the API; return False if there was none.

    The stage keeps serving its last deployment until you deploy again.
    """
    apis = client("apigatewayv2")
    route = find_route(api_id, route_key)
    if route is None:
        return False
    apis.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    integration = route.get("Target", "").removeprefix("integrations/")
    if integration:
        apis.delete_integration(ApiId=api_id, IntegrationId=integration)
    report("route", route_key, "deleted")
    return True


# -- noughts and crosses ---------------------------------------------------------------------


def play_and_wait(player: Any, opponent: Any, row: int, col: int, timeout: float = 10.0) -> Any:
    """``player`` marks (row, col); wait until ``opponent`` sees that move; return the state frame."""
    since = opponent.frame_count
    player.play(row, col)

    def shows_move(frame: Any) -> bool:
        last = frame.get("last") or {}
        return frame["type"] == "state" and (last.get("row"), last.get("col")) == (row, col)

    return opponent.wait_for(shows_move, timeout, since)


# -- the apps, one lesson at a time ----------------------------------------------------------


def chat_api_id() -> str | None:
    """The id of the chat app's API, once a lesson has created it."""
    api = find_api(CHAT.app, f"{CHAT.app}-api")
    return api["ApiId"] if api else None


def chat_policy(table_arn: str) -> dict[str, Any]:
    """The chat functions' policy, the same document ``deploy_app("chat")`` builds.

    ManageConnections is included once the API exists (lesson 03 creates it).
    """
    return plan_policy(CHAT, table_arn, chat_api_id(), STAGE)


def chat_route(route_key: str) -> Route:
    """The chat plan's route for ``route_key`` (``$connect``, ``sendMessage``, ...)."""
    for route in CHAT.routes:
        if route.key == route_key:
            return route
    raise LookupError(f"the chat app has no route {route_key!r}")


def chat_function(route_key: str, role_arn: str) -> str:
    """Create or update the chat function behind ``route_key``; return its name."""
    route = chat_route(route_key)
    name = CHAT.function_name(route.suffix)
    create_or_update_function(
        CHAT.app,
        name,
        route.handler,
        role_arn,
        package_lambda(CHAT.app),
        environment={"TABLE_NAME": CHAT.table_name},
    )
    return name


def catch_up(lesson: int) -> str | None:
    """Build what the chat lessons before ``lesson`` built (idempotent); the stage URL once deployed.

    01 the table; 02 the role and the $connect/$disconnect functions; 03 the API with those two
    routes, deployed to ``dev``. From lesson 05 on, the finished app: ``deploy_app("chat")``.
    """
    if lesson >= 5:
        return deploy_app(CHAT.app, STAGE)
    if lesson <= 1:
        return None
    table_arn = create_connections_table(CHAT.app)
    if lesson == 2:
        return None
    role_arn = create_lambda_role(CHAT.app, chat_policy(table_arn))
    for key in ("$connect", "$disconnect"):
        chat_function(key, role_arn)
    if lesson == 3:
        return None
    api_id = create_websocket_api(CHAT.app)
    create_lambda_role(CHAT.app, chat_policy(table_arn))  # now allowed to post to this API
    for key in ("$connect", "$disconnect"):
        add_route(api_id, key, CHAT.function_name(chat_route(key).suffix))
    return deploy_stage(api_id, STAGE)


# What each app's lesson adds by hand, so its catch-up leaves that out.
LESSON_STEPS: dict[str, Callable[[AppPlan], AppPlan]] = {
    # 06: the `list` route's route response, the table's stream, the role's right to read it,
    # and the stream mapping.
    "arena": lambda plan: replace(
        plan,
        routes=tuple(replace(route, two_way=False) for route in plan.routes),
        stream_mapped=False,
        stream_by_hand=True,
    ),
    # 07: Time to Live on the games table.
    "tictactoe": lambda plan: replace(plan, ttl_attribute=None),
    # 08: the schedule rule.
    "push": lambda plan: replace(plan, schedule=None),
}


def catch_up_app(app: str) -> str:
    """Deploy ``app`` with everything lessons 01-05 taught, but not what its own lesson adds.

    What the lesson later adds by hand (see ``LESSON_STEPS``) is not undone when it is there
    already, so running the lesson again, or after ``deploy_app(app)``, is safe.
    """
    return deploy_plan(LESSON_STEPS[app](PLANS[app]), STAGE)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Ask ``condition()`` every 0.1 s until it is true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
