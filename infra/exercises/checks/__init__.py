"""The checks the exercise notebooks call from their `check:` and `hidden:` cells.

- `resources`: the build-it-yourself track, the boto3 calls learners write (tables, roles,
  functions, APIs, routes, stages, stream mappings, TTL, schedules);
- `handlers`: the exercises in the apps' Lambda code (`lambdas/<app>/*.py`);
- `templates`: the exercise in an app's template (`lambdas/chat/template.yaml`), as a stack;
- `common`: the WebSocket client, unique names, the boto3 call recorder, probe functions.

A check raises AssertionError whose first line says what is wrong and hints at the fix.
"""

from .common import Client, recorded_calls, unique
from .handlers import (
    NICKNAMES,
    REFUSED_COLORS,
    VALIDATION_CASES,
    check_arena_color,
    check_chat_default,
    check_chat_nickname,
    check_chat_prune,
    check_chat_whisper,
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
    check_enable_ttl,
    check_map_stream,
    check_schedule,
    check_wire_routes,
)
from .templates import check_template_whisper, deploy_template

__all__ = [
    "NICKNAMES",
    "REFUSED_COLORS",
    "VALIDATION_CASES",
    "Client",
    "check_arena_color",
    "check_chat_default",
    "check_chat_nickname",
    "check_chat_prune",
    "check_chat_whisper",
    "check_create_api",
    "check_create_role",
    "check_create_table",
    "check_deploy_function",
    "check_deploy_stage",
    "check_enable_ttl",
    "check_map_stream",
    "check_policy",
    "check_push_time",
    "check_schedule",
    "check_template_whisper",
    "check_validate_move",
    "check_wire_routes",
    "deploy_template",
    "load_module",
    "recorded_calls",
    "unique",
]
