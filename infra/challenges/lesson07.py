"""The checks of lesson 07's challenges: the rule that ends a game, and Time to Live."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import boto3

from infra.deploy import create_connections_table

from . import check, not_done, passed, require

TABLE = "tictactoe-games"
ATTRIBUTE = "ttl"

# (board, what winner() says, why): boards are 9 characters, row by row, "." for an empty cell.
WINNER_CASES = [
    (".........", None, "an empty board: the game goes on"),
    ("XO..X...O", None, "no line yet and empty cells left"),
    ("XXXOO....", "X", "X has the top row"),
    ("XX.OOO.X.", "O", "O has the middle row"),
    ("O.XO.XO..", "O", "O has the left column"),
    ("OXX.X.XO.", "X", "X has the diagonal from top right to bottom left"),
    ("X.O.XO..X", "X", "X has the diagonal from top left to bottom right"),
    ("XOXXOOOXX", "draw", "the board is full and nobody has a line"),
    (
        "XOXOXOXXO",
        "X",
        "the board is full, but X has a diagonal: a line wins, even on a full board",
    ),
]


@check
def game_winner(winner: Callable[[str], str | None]) -> None:
    """`game-winner`: winner(board) is "X"/"O" for a line, "draw" for a full board, else None."""
    answers = [winner(board) for board, _, _ in WINNER_CASES]
    if all(answer is None for answer in answers):
        return not_done(
            "winner() answers None for every board",
            "game-winner",
            lambda: None,
            "nothing to build: the deployed game keeps its own winner() (shown below)",
        )
    for (board, expected, why), answer in zip(WINNER_CASES, answers, strict=True):
        require(
            answer == expected,
            f"winner({board!r}) is {answer!r}, expected {expected!r}: {why}",
        )
    passed(f"winner() is right on {len(WINNER_CASES)} boards: lines, draws and games going on")


@check
def games_ttl() -> None:
    """`games-ttl`: Time to Live is on for `ttl` on the games table."""
    dynamodb = boto3.client("dynamodb")
    ttl = dynamodb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    status, attribute = ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")
    if status not in ("ENABLED", "ENABLING"):

        def kit_step() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                create_connections_table("tictactoe", TABLE, key="GameId", ttl_attribute=ATTRIBUTE)

        return not_done(
            f"Time to Live is {status} on {TABLE}",
            "games-ttl",
            kit_step,
            f'create_connections_table("tictactoe", "{TABLE}", key="GameId",'
            f' ttl_attribute="{ATTRIBUTE}")',
        )
    require(
        attribute == ATTRIBUTE,
        f"Time to Live reads the attribute {attribute!r}, but a game's row keeps its expiry in"
        f" 'ttl': switch it off (Enabled False, AttributeName {attribute!r}), then on for 'ttl'",
    )
    passed(f"Time to Live is {status} on {TABLE}, reading each row's {ATTRIBUTE!r}")
