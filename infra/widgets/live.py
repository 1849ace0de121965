"""One live widget per role in a kernel: running a widget's cell again closes the widget it replaces.

A role is (kind, URL, name, n): the n-th widget of that kind, URL and name that one cell execution
makes. So re-running `ada = ChatClient(url, "ada")` closes the previous `ada` before the new one
joins (no ghost `ada` receiving copies of every message), and a cell making two boards
(`x = TicTacToe(url); o = TicTacToe(url)`) replaces both on a re-run, each by its counterpart.
Outside an IPython kernel (scripts, tests) nothing is replaced: the caller owns its clients.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Protocol

from infra.widgets.loop import log

REPLACED = "replaced: its cell ran again, or a newer widget took its place"


class Replaceable(Protocol):
    def _replaced(self) -> None:
        """Close the connection, keeping the widget on screen with REPLACED as its status."""


def current_execution() -> Hashable | None:
    """The running cell's execution count in an IPython kernel; None outside one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return shell.execution_count


class LiveWidgets:
    """The live widget for each role; `claim` closes the one a new widget replaces."""

    def __init__(self, execution: Callable[[], Hashable | None] = current_execution) -> None:
        self._execution = execution
        self._lock = threading.Lock()
        self._live: dict[tuple[Hashable, ...], Replaceable] = {}
        self._made: dict[tuple[Hashable, ...], int] = {}  # role -> widgets made this execution
        self._made_in: Hashable | None = None

    def claim(self, widget: Replaceable, kind: str, url: str, name: str | None = None) -> None:
        """Make `widget` the live one for its role, closing the widget it replaces (if any)."""
        execution = self._execution()
        if execution is None:
            return
        with self._lock:
            if execution != self._made_in:
                self._made_in, self._made = execution, {}
            base = (kind, url, name)
            number = self._made.get(base, 0)
            self._made[base] = number + 1
            old = self._live.get((*base, number))
            self._live[(*base, number)] = widget
        if old is not None and old is not widget:
            try:
                old._replaced()
            except Exception:
                log.exception("closing the replaced %s failed", kind)

    def live(self) -> list[Replaceable]:
        """The widgets currently live, one per role."""
        with self._lock:
            return list(self._live.values())


LIVE = LiveWidgets()
