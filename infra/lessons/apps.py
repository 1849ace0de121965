"""The apps, one lesson at a time: build what the earlier lessons built, exactly as
``deploy_app`` would, so each notebook can start where the previous one ended.

``catch_up`` builds the chat lesson by lesson (01-05); ``catch_up_app`` deploys the arena, the
game or push without what their own lesson (06, 07, 08) adds by hand. The pieces ``catch_up``
builds the chat from (``chat_policy``, ``chat_function``, ...) serve the lessons and their
challenges too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from infra.deploy import (
    add_route,
    create_connections_table,
    create_lambda_role,
    create_or_update_function,
    create_websocket_api,
    deploy_app,
    deploy_stage,
    find_api,
    package_lambda,
)
from infra.deploy.apps import CHAT, PLANS, AppPlan, Route, deploy_plan, plan_policy

STAGE = "dev"


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
