"""The checks the exercise notebooks call from their `check:` and `hidden:` cells.

- `resources`: the build-it-yourself track, the boto3 calls learners write (tables, roles,
  functions, APIs, routes, stages, stream mappings, TTL, schedules);
- `handlers`: the exercises in the apps' Lambda code (`lambdas/<app>/*.py`);
- `templates`: the exercise in an app's template (`lambdas/chat/template.yaml`), as a stack;
- `common`: the WebSocket client, unique names, the boto3 call recorder, probe functions.

A check raises AssertionError whose first line says what is wrong and hints at the fix. The
checks exported here answer in one line: ✓ and what passed, or ✗ and that first line (a
`CheckFailed`, which IPython shows without a traceback through the check's code).
"""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from infra.challenges import check, passed

from .common import Client, recorded_calls, unique
from .handlers import (
    NICKNAMES,
    REFUSED_COLORS,
    VALIDATION_CASES,
    check_arena_color,
    check_chat_named,
    check_chat_nickname,
    check_chat_whisper,
    check_chat_who,
    check_policy,
    check_push_time,
    check_validate_move,
    load_module,
)
from .resources import (
    check_create_api,
    check_create_role,
    check_create_table,
    check_deploy_function,
    check_deploy_stage,
    check_invite,
    check_reminder,
    check_tune_stream,
    check_wire_routes,
)
from .templates import check_template_whisper, deploy_template, lint_template

P = ParamSpec("P")
T = TypeVar("T")


def _one_line(function: Callable[P, T]) -> Callable[P, T]:
    """A check that says ✓ with its first docstring line, or fails in one line."""
    checked = check(function)
    summary = (function.__doc__ or "").strip().splitlines()[0].rstrip(".")

    @functools.wraps(function)
    def verdict(*args: P.args, **kwargs: P.kwargs) -> T:
        result = checked(*args, **kwargs)
        passed(summary)
        return result

    return verdict


check_arena_color = _one_line(check_arena_color)
check_chat_named = _one_line(check_chat_named)
check_chat_nickname = _one_line(check_chat_nickname)
check_chat_whisper = _one_line(check_chat_whisper)
check_chat_who = _one_line(check_chat_who)
check_create_api = _one_line(check_create_api)
check_create_role = _one_line(check_create_role)
check_create_table = _one_line(check_create_table)
check_deploy_function = _one_line(check_deploy_function)
check_deploy_stage = _one_line(check_deploy_stage)
check_invite = _one_line(check_invite)
check_policy = _one_line(check_policy)
check_push_time = _one_line(check_push_time)
check_reminder = _one_line(check_reminder)
check_tune_stream = _one_line(check_tune_stream)
check_template_whisper = _one_line(check_template_whisper)
check_validate_move = _one_line(check_validate_move)
check_wire_routes = _one_line(check_wire_routes)

__all__ = [
    "NICKNAMES",
    "REFUSED_COLORS",
    "VALIDATION_CASES",
    "Client",
    "check_arena_color",
    "check_chat_named",
    "check_chat_nickname",
    "check_chat_whisper",
    "check_chat_who",
    "check_create_api",
    "check_create_role",
    "check_create_table",
    "check_deploy_function",
    "check_deploy_stage",
    "check_invite",
    "check_policy",
    "check_push_time",
    "check_reminder",
    "check_tune_stream",
    "check_template_whisper",
    "check_validate_move",
    "check_wire_routes",
    "deploy_template",
    "lint_template",
    "load_module",
    "recorded_calls",
    "unique",
]
