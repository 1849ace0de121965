"""The checks the exercise notebooks call from their `check:` and `hidden:` cells, one module per
lesson, as `infra.challenges` has the lessons' challenges:

- `lesson01` (the table), `lesson02` (the role, the function, the nickname), `lesson03` (the API,
  its routes, its stages), `lesson04` (whispers), `lesson05` (who is online), `lesson06` (the
  stream, the colours), `lesson07` (Time to Live, the game's rules), `lesson08` (the schedule,
  the pushed time, least privilege): each module's docstring names its exercise ids;
- `templates`: lesson 10's exercise in an app's template (`lambdas/chat/template.yaml`), as a
  stack;
- `common`: what they share: the WebSocket client, unique names, the boto3 call recorder, probe
  functions, the learner's app deployed from their folder.

A check of resources learners create with plain boto3 calls starts from a clean slate (so a
re-run works), calls the learner's function with the names it is given, reads the cloud's state
back, then uses the result the way the app would: a row goes into the table, the chat carries a
message, the rule fires. A check of the apps' Lambda code deploys the learner's folder (so an
edited file is what runs), then drives the app as its users would; pure code (the game's rules,
a policy document) is called directly. The hidden variants call the same checks with other names
or cases, so an answer that ignores its parameters fails there.

A check raises AssertionError whose first line says what is wrong and hints at the fix. The
checks exported here answer in one line: ✓ and what passed, or ✗ and that first line (a
`CheckFailed`, which IPython shows without a traceback through the check's code).
"""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from infra.challenges import check, passed

from .common import Client, load_module, recorded_calls, unique
from .lesson01 import check_create_table
from .lesson02 import NICKNAMES, check_chat_nickname, check_create_role, check_deploy_function
from .lesson03 import check_create_api, check_deploy_stage, check_wire_routes
from .lesson04 import check_chat_named, check_chat_whisper
from .lesson05 import check_chat_who
from .lesson06 import REFUSED_COLORS, check_arena_color, check_tune_stream
from .lesson07 import VALIDATION_CASES, check_invite, check_validate_move
from .lesson08 import check_policy, check_push_time, check_reminder
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
