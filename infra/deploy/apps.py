"""The four finished seed apps, each stood up by the same steps a learner runs in the notebooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from infra.deploy.apis import ACTION_SELECTION, add_route, add_route_response, create_websocket_api
from infra.deploy.aws import account_of, region_of
from infra.deploy.functions import RUNTIME, create_or_update_function
from infra.deploy.packaging import app_folder, check_handlers, package_lambda
from infra.deploy.policies import execute_api_arn, lambda_policy, log_group_arn
from infra.deploy.roles import create_lambda_role
from infra.deploy.schedules import schedule_function
from infra.deploy.stages import deploy_stage
from infra.deploy.streams import map_stream
from infra.deploy.tables import create_connections_table, has_stream


@dataclass(frozen=True)
class Route:
    """One route and the function behind it."""

    key: str  # "$connect", "sendMessage", ...
    handler: str  # "module.lambda_handler", relative to the app folder
    two_way: bool = False  # send the function's `body` back (a $default route response)

    @property
    def suffix(self) -> str:
        return self.key.removeprefix("$")


@dataclass(frozen=True)
class AppPlan:
    """What an app needs: its table, its routes, and functions run by a stream or a schedule.

    The table actions and @connections methods are the ones the app's README lists, no more.
    """

    app: str
    routes: tuple[Route, ...]
    table: str = ""
    key: str = "connectionId"
    ttl_attribute: str | None = None
    route_selection: str = ACTION_SELECTION
    stream_handler: str | None = None  # run on every table change (NEW_AND_OLD_IMAGES)
    stream_mapped: bool = True  # False: the stream function exists, nothing maps the stream to it
    # True: the table's stream and the role's right to read it are left for lesson 06 to add
    # (both kept once the stream is on).
    stream_by_hand: bool = False
    scheduled_handler: str | None = None  # run on `schedule`
    schedule: str | None = "rate(1 minute)"  # None: the scheduled function exists, no schedule yet
    table_actions: tuple[str, ...] = ("PutItem", "GetItem", "DeleteItem", "UpdateItem", "Scan")
    connection_methods: tuple[str, ...] = ("POST",)
    extra_environment: dict[str, str] = field(default_factory=dict)
    runtime: str = RUNTIME  # every function's (AWS's Node.js sample: "nodejs22.x")

    @property
    def table_name(self) -> str:
        return self.table or f"{self.app}-connections"

    def function_name(self, suffix: str) -> str:
        return f"{self.app}-{suffix}"

    @property
    def handlers(self) -> dict[str, str]:
        """What runs each function (a route, the stream, the schedule) -> its Handler string."""
        handlers = {f"the {route.key} route": route.handler for route in self.routes}
        if self.stream_handler:
            handlers["the table's stream"] = self.stream_handler
        if self.scheduled_handler:
            handlers["the schedule"] = self.scheduled_handler
        return handlers

    @property
    def function_names(self) -> list[str]:
        names = [self.function_name(route.suffix) for route in self.routes]
        if self.stream_handler:
            names.append(self.function_name("tableTriggers"))
        if self.scheduled_handler:
            names.append(self.function_name("broadcast"))
        return names


CHAT = AppPlan(
    app="chat",
    routes=(
        Route("$connect", "connect.lambda_handler"),
        Route("$disconnect", "disconnect.lambda_handler"),
        Route("sendMessage", "send_message.lambda_handler"),
        Route("whisper", "whisper.lambda_handler"),
        Route("$default", "default.lambda_handler", two_way=True),
    ),
    table_actions=("PutItem", "DeleteItem", "GetItem", "Scan"),
)
ARENA = AppPlan(
    app="arena",
    routes=(
        Route("$connect", "on_connect.lambda_handler"),
        Route("$disconnect", "on_disconnect.lambda_handler"),
        Route("list", "on_list.lambda_handler", two_way=True),
        Route("move", "on_move.lambda_handler"),
        Route("color", "on_color.lambda_handler"),
    ),
    stream_handler="table_triggers.lambda_handler",
    table_actions=("PutItem", "UpdateItem", "DeleteItem", "Scan"),
)
TICTACTOE = AppPlan(
    app="tictactoe",
    routes=(
        Route("start", "start.lambda_handler", two_way=True),
        Route("join", "join.lambda_handler"),
        Route("move", "move.lambda_handler"),
        Route("$disconnect", "disconnect.lambda_handler"),
    ),
    table="tictactoe-games",
    key="GameId",
    ttl_attribute="ttl",
    route_selection="$request.body.type",
    table_actions=("PutItem", "GetItem", "UpdateItem", "Scan"),
)
PUSH = AppPlan(
    app="push",
    routes=(
        Route("$connect", "connections.on_connect"),
        Route("$disconnect", "connections.on_disconnect"),
    ),
    scheduled_handler="push.lambda_handler",
    table_actions=("PutItem", "DeleteItem", "Scan"),
)
PLANS = {plan.app: plan for plan in (CHAT, ARENA, TICTACTOE, PUSH)}


def plan_policy(
    plan: AppPlan,
    table_arn: str,
    api_id: str | None,
    stage: str = "dev",
    *,
    stream: bool | None = None,
    session: boto3.Session | None = None,
) -> dict[str, Any]:
    """The least-privilege policy of an app's functions (ManageConnections once the API exists).

    ``stream`` (default: whether the plan has a stream function) adds reading the table's stream.
    """
    region, account = region_of(session), account_of(session)
    return lambda_policy(
        table_arn,
        table_actions=[f"dynamodb:{action}" for action in plan.table_actions],
        stream=plan.stream_handler is not None if stream is None else stream,
        api_arn=execute_api_arn(region, account, api_id, stage) if api_id else None,
        connection_methods=plan.connection_methods,
        log_group_arns=[log_group_arn(region, account, name) for name in plan.function_names],
    )


def deploy_plan(
    plan: AppPlan,
    stage: str = "dev",
    *,
    folder: str | Path | None = None,
    session: boto3.Session | None = None,
) -> str:
    """Run every step for ``plan`` (code from ``folder``, default ``lambdas/<app>``); return the URL.

    The code is packaged and checked first, so a folder that lacks a handler's module is refused
    before anything is created.
    """
    app = plan.app
    code = package_lambda(folder or app)
    check_handlers(code, plan.handlers, app_folder(folder or app), plan.runtime)
    stream = plan.stream_handler is not None
    if stream and plan.stream_by_hand:
        stream = has_stream(plan.table_name, session=session)
    table_arn = create_connections_table(
        app,
        plan.table_name,
        key=plan.key,
        ttl_attribute=plan.ttl_attribute,
        stream=stream,
        session=session,
    )
    api_id = create_websocket_api(app, route_selection=plan.route_selection, session=session)
    region = region_of(session)
    policy = plan_policy(plan, table_arn, api_id, stage, stream=stream, session=session)
    role_arn = create_lambda_role(app, policy, session=session)
    environment = {"TABLE_NAME": plan.table_name, **plan.extra_environment}
    # Stream and schedule events carry no requestContext, so those functions get the endpoint.
    with_endpoint = {
        **environment,
        "CONNECTIONS_URL": f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
    }

    def function(suffix: str, handler: str, env: dict[str, str]) -> str:
        name = plan.function_name(suffix)
        create_or_update_function(
            app,
            name,
            handler,
            role_arn,
            code,
            environment=env,
            runtime=plan.runtime,
            session=session,
        )
        return name

    for route in plan.routes:
        name = function(route.suffix, route.handler, environment)
        add_route(api_id, route.key, name, session=session)
        if route.two_way:
            add_route_response(api_id, route.key, session=session)
    if plan.stream_handler:
        name = function("tableTriggers", plan.stream_handler, with_endpoint)
        if plan.stream_mapped and stream:
            map_stream(plan.table_name, name, session=session)
    if plan.scheduled_handler:
        name = function("broadcast", plan.scheduled_handler, with_endpoint)
        if plan.schedule:
            schedule_function(app, f"{app}-schedule", plan.schedule, name, session=session)
    return deploy_stage(api_id, stage, session=session)


def deploy_app(
    name: str,
    stage: str = "dev",
    *,
    folder: str | Path | None = None,
    session: boto3.Session | None = None,
) -> str:
    """Stand up the finished app ``name`` (chat, arena, tictactoe or push); return its WebSocket URL."""
    if name not in PLANS:
        raise ValueError(f"unknown app {name!r}; choose one of {', '.join(PLANS)}")
    return deploy_plan(PLANS[name], stage, folder=folder, session=session)


def deploy_chat(stage: str = "dev", *, session: boto3.Session | None = None) -> str:
    """The chat room: connect, disconnect, sendMessage, whisper and a $default help reply."""
    return deploy_plan(CHAT, stage, session=session)


def deploy_arena(stage: str = "dev", *, session: boto3.Session | None = None) -> str:
    """The pointers arena: list/move/color routes and a stream-triggered broadcaster."""
    return deploy_plan(ARENA, stage, session=session)


def deploy_tictactoe(stage: str = "dev", *, session: boto3.Session | None = None) -> str:
    """Noughts and crosses: routes chosen by the message `type`, games expire via TTL."""
    return deploy_plan(TICTACTOE, stage, session=session)


def deploy_push(stage: str = "dev", *, session: boto3.Session | None = None) -> str:
    """Server push: a scheduled function posts to every connection once a minute."""
    return deploy_plan(PUSH, stage, session=session)
