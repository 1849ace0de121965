"""What the lesson notebooks call besides boto3, the deploy steps and the widgets.

Each lesson makes the plain boto3 call the first time a concept appears; these helpers are for
what comes after, and for catching up. The lessons write ``from infra import lessons`` and call
``lessons.<name>``; each helper lives in the module of its job:

- ``show``: ``show_source`` prints a file (or one function of it) so the code a lesson shows IS
  the tested file, and refuses code holding an exercise's answer; ``show_template`` does the
  same for resources of a template (``lambdas/<app>/template.yaml``), the answer cut out;
  ``side_by_side`` puts two handlers (say, Python and JavaScript) in columns;
- ``console``: the console's "Test" button, once lesson 02 has shown it: ``invoke``,
  ``recent_logs``;
- ``resources``: looking inside, ``table_rows``, ``routes_of``, ``route_summary``,
  ``stream_mappings``; and ``remove_route``, to undo a route so the "added but not deployed"
  lesson can be re-run;
- ``clients``: ``WsCat``, the kit's WebSocket client printing what it sends and receives like
  wscat; ``room_invitation``, what to tell a neighbour;
- ``waiting``: ``wait_until`` a condition holds, ``play_and_wait`` for a move to reach the
  opponent;
- ``apps``: ``catch_up`` (the chat, lesson by lesson) and ``catch_up_app`` (the arena, the game,
  push) build what the earlier lessons built, exactly as ``deploy_app`` would, so each notebook
  can start where the previous one ended;
- ``javascript``: the appendix's Node.js ``sendMessage`` beside the chat's Python one,
  ``deploy_javascript_send_message``.
"""

from .apps import (
    LESSON_STEPS,
    STAGE,
    catch_up,
    catch_up_app,
    chat_api_id,
    chat_function,
    chat_policy,
    chat_route,
)
from .clients import WsCat, room_invitation
from .console import Invocation, invoke, now_ms, recent_logs
from .javascript import (
    JAVASCRIPT_FUNCTION,
    JAVASCRIPT_RUNTIME,
    deploy_javascript_send_message,
    javascript_policy,
)
from .resources import remove_route, route_summary, routes_of, stream_mappings, table_rows
from .show import (
    KIT,
    LAMBDAS,
    AnswerShown,
    SideBySide,
    show_source,
    show_template,
    side_by_side,
    source_of,
    template_text,
)
from .waiting import play_and_wait, wait_until

__all__ = [
    "JAVASCRIPT_FUNCTION",
    "JAVASCRIPT_RUNTIME",
    "KIT",
    "LAMBDAS",
    "LESSON_STEPS",
    "STAGE",
    "AnswerShown",
    "Invocation",
    "SideBySide",
    "WsCat",
    "catch_up",
    "catch_up_app",
    "chat_api_id",
    "chat_function",
    "chat_policy",
    "chat_route",
    "deploy_javascript_send_message",
    "invoke",
    "javascript_policy",
    "now_ms",
    "play_and_wait",
    "recent_logs",
    "remove_route",
    "room_invitation",
    "route_summary",
    "routes_of",
    "show_source",
    "show_template",
    "side_by_side",
    "source_of",
    "stream_mappings",
    "table_rows",
    "template_text",
    "wait_until",
]
