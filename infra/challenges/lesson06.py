"""The checks of lesson 06's challenges: the `list` route's reply, and the stream mapping."""

from __future__ import annotations

import contextlib
import fnmatch
import io
import json
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import boto3

from infra.deploy import (
    add_route_response,
    create_lambda_role,
    deploy_stage,
    enable_stream,
    find_api,
    find_route,
    map_stream,
)
from infra.deploy.apps import ARENA, plan_policy
from infra.deploy.aws import all_items
from infra.deploy.policies import STREAM_ACTIONS, check_least_privilege
from infra.lessons import WsCat

from . import check, not_done, passed, require

APP = "arena"
TABLE = "arena-connections"
TRIGGERS = "arena-tableTriggers"
ROLE = "arena-lambda-role"
POLICY_NAME = "least-privilege"
STAGE = "dev"
DEFAULT = "$default"
WAIT = 5.0  # seconds to wait for a frame that should come


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    """Run kit steps without their progress lines: a check answers in one line."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def _arena_api() -> dict[str, Any]:
    api = find_api(APP, f"{APP}-api")
    require(api is not None, "there is no arena-api: run the catch-up cell at the top first")
    assert api is not None
    return api


def _url(api: dict[str, Any]) -> str:
    return f"{api['ApiEndpoint']}/{STAGE}"


def _list_reply(url: str) -> dict[str, Any] | None:
    """What `{"action": "list"}` brings back on a new connection, or None if nothing does."""
    with WsCat(url, quiet=True) as cat:
        cat.send({"action": "list"})
        try:
            return cat.receive(WAIT, of_type="list")
        except TimeoutError:
            return None


@check
def list_reply() -> None:
    """`list-reply`: the `list` route is two-way ($default route response) and deployed."""
    apis = boto3.client("apigatewayv2")
    api = _arena_api()
    api_id = api["ApiId"]
    route = find_route(api_id, "list")
    require(route is not None, "the arena has no list route: run the catch-up cell again")
    assert route is not None
    selection = route.get("RouteResponseSelectionExpression")
    keys = sorted(
        response["RouteResponseKey"]
        for response in all_items(apis.get_route_responses, ApiId=api_id, RouteId=route["RouteId"])
    )
    if not selection and not keys:

        def kit_step() -> None:
            with _quietly():
                add_route_response(api_id, "list")
                deploy_stage(api_id, STAGE)

        return not_done(
            "the list route is still one-way (no route response)",
            "list-reply",
            kit_step,
            'add_route_response(api_id, "list"), then deploy_stage(api_id, "dev")',
        )
    require(
        selection == DEFAULT,
        f"the list route's RouteResponseSelectionExpression is {selection!r}: set it to"
        " '$default' with apis.update_route(ApiId=..., RouteId=...,"
        " RouteResponseSelectionExpression='$default')",
    )
    delete = (
        "apis.delete_route_response(ApiId=..., RouteId=..., RouteResponseId=...) deletes one"
        " (apis.get_route_responses lists their ids)"
    )
    require(
        keys.count(DEFAULT) <= 1,
        f"the list route has {keys.count(DEFAULT)} route responses with the key '$default':"
        " AWS keeps one per key (a second create_route_response is a ConflictException there),"
        f" so delete all but one: {delete}",
    )
    require(
        DEFAULT in keys,
        f"the list route's route responses are {keys}, none with the key '$default': create one"
        " with apis.create_route_response(ApiId=..., RouteId=..., RouteResponseKey='$default')",
    )
    require(
        keys == [DEFAULT],
        f"the list route's route responses are {keys}: keep only the '$default' one; {delete}",
    )
    reply = _list_reply(_url(api))
    require(
        reply is not None,
        "list is two-way now, but the stage still serves the old routes, so no reply comes"
        " back: deploy (apis.create_deployment, then apis.update_stage with its DeploymentId)",
    )
    assert reply is not None
    require(
        "you" in reply and "pointers" in reply,
        f"list answered {reply}, without 'you' and 'pointers'",
    )
    passed("list is two-way and deployed: {'action': 'list'} brings the list back")


@check
def stream_mapped() -> None:
    """`arena-stream`: one Enabled mapping from the table's stream to arena-tableTriggers."""
    lambda_ = boto3.client("lambda")
    table = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]
    stream = table.get("LatestStreamArn")
    if not stream or not _stream_on(table):
        return not_done(
            f"nothing maps the stream of {TABLE} to {TRIGGERS} (the stream is off)",
            "arena-stream",
            _quietly_map,
            f'enable_stream("{TABLE}"), the role\'s TableStream statement, map_stream("{TABLE}",'
            f' "{TRIGGERS}")',
        )
    mappings = lambda_.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    others = [
        m["FunctionArn"].split(":")[-1]
        for m in mappings
        if not m["FunctionArn"].endswith(f":function:{TRIGGERS}")
    ]
    require(
        not others,
        f"the stream is mapped to {', '.join(others)}, not {TRIGGERS}: delete that mapping"
        " (lambda_.delete_event_source_mapping(UUID=...)) and map the stream again",
    )
    if not mappings:
        return not_done(
            f"nothing maps the stream of {TABLE} to {TRIGGERS}",
            "arena-stream",
            _quietly_map,
            f'map_stream("{TABLE}", "{TRIGGERS}")',
        )
    require(
        len(mappings) == 1,
        f"{len(mappings)} mappings read the stream into {TRIGGERS}, so every move would be told"
        f" {len(mappings)} times: delete all but one (lambda_.delete_event_source_mapping(UUID=...));"
        " create a mapping only when list_event_source_mappings finds none",
    )
    mapping = lambda_.get_event_source_mapping(UUID=mappings[0]["UUID"])
    require(
        mapping.get("StartingPosition") == "LATEST",
        f"the mapping starts at {mapping.get('StartingPosition')!r}, replaying old moves to"
        " everyone: delete it (lambda_.delete_event_source_mapping(UUID=...)) and create it"
        " again with StartingPosition='LATEST'",
    )
    require(
        mapping.get("State") == "Enabled",
        f"the mapping is {mapping.get('State')!r}: wait until"
        " lambda_.get_event_source_mapping(UUID=...)['State'] is 'Enabled', then run this again",
    )
    require(_move_is_heard(_url(_arena_api())), "a move was written, but nobody was told of it")
    passed(f"the stream of {TABLE} invokes {TRIGGERS}: a move reaches everyone")


def _quietly_map() -> None:
    _make_stream_readable()
    with _quietly():
        map_stream(TABLE, TRIGGERS)


def _stream_on(table: dict[str, Any]) -> bool:
    return bool(table.get("StreamSpecification", {}).get("StreamEnabled"))


def _make_stream_readable() -> None:
    """The kit's steps: the table's stream on, and the role's policy with its TableStream statement."""
    with _quietly():
        enable_stream(TABLE)
        table_arn = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]["TableArn"]
        policy = plan_policy(ARENA, table_arn, _arena_api()["ApiId"], STAGE, stream=True)
        create_lambda_role(APP, policy)


def _inline_policy() -> dict[str, Any] | None:
    iam = boto3.client("iam")
    try:
        document = iam.get_role_policy(RoleName=ROLE, PolicyName=POLICY_NAME)["PolicyDocument"]
    except iam.exceptions.NoSuchEntityException:
        return None
    return json.loads(unquote(document)) if isinstance(document, str) else document


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


@check
def stream_readable() -> None:
    """`stream-read`: arena-lambda-role may read the table's stream, and no more than that."""
    table = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]
    stream = table.get("LatestStreamArn")
    require(
        stream and _stream_on(table),
        f"the stream of {TABLE} is off: run the update_table cell above first (then its waiter)",
    )
    policy = _inline_policy()
    require(
        policy is not None,
        f"{ROLE} has no policy {POLICY_NAME!r}: run the catch-up cell at the top again",
    )
    assert policy is not None
    problems = check_least_privilege(policy)
    require(
        not problems,
        f"too broad: {problems[0] if problems else ''}. Name each of the four actions, on the"
        f" stream's ARN ({TABLE}'s TableArn + '/stream/*')",
    )
    readable = {
        action
        for statement in _as_list(policy.get("Statement"))
        if statement.get("Effect") == "Allow"
        for action in _as_list(statement.get("Action"))
        if any(fnmatch.fnmatchcase(stream, str(r)) for r in _as_list(statement.get("Resource")))
    }
    if not readable & set(STREAM_ACTIONS):
        return not_done(
            f"{ROLE} may not read the stream of {TABLE} yet",
            "stream-read",
            _make_stream_readable,
            "put_role_policy with the policy plus its TableStream statement",
        )
    missing = [action for action in STREAM_ACTIONS if action not in readable]
    require(
        not missing,
        f"{ROLE} may not yet {', '.join(missing)} on the stream: Lambda calls all four to read"
        f" it. Add them to the TableStream statement (Resource: the table's ARN + '/stream/*')",
    )
    passed(f"{ROLE} may read the stream of {TABLE}: {', '.join(STREAM_ACTIONS)}")


def _move_is_heard(url: str) -> bool:
    """One client moves; another hears of it through the stream."""
    with WsCat(url, quiet=True) as painter, WsCat(url, quiet=True) as watcher:
        painter.send({"action": "list"})
        me = painter.receive(WAIT, of_type="list")["you"]["id"]
        x = round(0.1 + secrets.randbelow(80) / 100, 2)
        painter.send({"action": "move", "clientX": x, "clientY": 0.5})
        try:
            while True:
                frame = watcher.receive(WAIT, of_type="changes")
                if any(c.get("id") == me and c.get("x") == x for c in frame["changes"]):
                    return True
        except TimeoutError:
            return False
