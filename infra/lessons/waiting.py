"""Waiting for what happens elsewhere: a condition to come true, a move to reach the opponent."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Ask ``condition()`` every 0.1 s until it is true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def play_and_wait(player: Any, opponent: Any, row: int, col: int, timeout: float = 10.0) -> Any:
    """``player`` marks (row, col); wait until ``opponent`` sees that move; return the state frame."""
    since = opponent.frame_count
    player.play(row, col)

    def shows_move(frame: Any) -> bool:
        last = frame.get("last") or {}
        return frame["type"] == "state" and (last.get("row"), last.get("col")) == (row, col)

    return opponent.wait_for(shows_move, timeout, since)
