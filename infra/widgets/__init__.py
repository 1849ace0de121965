"""Notebook widgets for the workshop apps: chat, pointer arena, tic-tac-toe and a live trace.

All their network I/O runs on one shared background thread (`infra.widgets.loop`).
"""

from infra.widgets.arena import Arena
from infra.widgets.chat import ChatClient
from infra.widgets.tictactoe import TicTacToe
from infra.widgets.trace import Trace

__all__ = ["Arena", "ChatClient", "TicTacToe", "Trace"]
