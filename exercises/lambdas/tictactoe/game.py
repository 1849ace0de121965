"""Noughts and crosses rules, pure: no AWS here, so every rule is easy to test.

A board is a 9-character string, row by row, "." for an empty cell (e.g. "X.O......").
"""

from typing import Any

MARKS = ("X", "O")
EMPTY = "."
SIZE = 3
LINES = [
    (0, 1, 2), (3, 4, 5), (6, 7, 8),  # rows
    (0, 3, 6), (1, 4, 7), (2, 5, 8),  # columns
    (0, 4, 8), (2, 4, 6),  # diagonals
]  # fmt: skip


def new_board() -> str:
    """An empty board."""
    return EMPTY * SIZE * SIZE


def other(mark: str) -> str:
    """The opponent's mark."""
    return "O" if mark == "X" else "X"


def rows(board: str) -> list[list[str]]:
    """The board as 3 rows of 3 cells for the frames ("" for an empty cell)."""
    cells = ["" if cell == EMPTY else cell for cell in board]
    return [cells[start : start + SIZE] for start in range(0, SIZE * SIZE, SIZE)]


def place(board: str, row: int, col: int, mark: str) -> str:
    """A new board with `mark` at (row, col)."""
    index = row * SIZE + col
    return board[:index] + mark + board[index + 1 :]


def winner(board: str) -> str | None:
    """ "X" or "O" if they have a line, "draw" if the board is full, else None."""
    for a, b, c in LINES:
        if board[a] != EMPTY and board[a] == board[b] == board[c]:
            return board[a]
    return "draw" if EMPTY not in board else None


def is_cell_index(value: Any) -> bool:
    """An int from 0 to 2 (booleans are not ints here, even though Python says they are)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < SIZE


def validate_move(board: str, turn: str, mark: str, row: Any, col: Any) -> str | None:
    """Why `mark` may not play (row, col) now, or None if the move is legal."""
    # YOUR CODE HERE
    raise NotImplementedError()
