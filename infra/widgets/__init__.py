"""Notebook widgets for the workshop apps: chat, pointer arena, tic-tac-toe and a live trace.

All their network I/O runs on one shared background thread (`infra.widgets.loop`), through the
kit's one WebSocket client (`infra.widgets.connection`). The widgets are imported on first use, so
code that needs only the client (the lessons' WsCat, the exercise checks) skips ipywidgets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.widgets.arena import Arena
    from infra.widgets.chat import ChatClient
    from infra.widgets.tictactoe import TicTacToe
    from infra.widgets.trace import Trace

_MODULES = {"Arena": "arena", "ChatClient": "chat", "TicTacToe": "tictactoe", "Trace": "trace"}
__all__ = ["Arena", "ChatClient", "TicTacToe", "Trace"]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
