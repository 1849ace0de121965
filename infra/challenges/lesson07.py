"""The checks of lesson 07's challenges: the rule that ends a game, and Time to Live."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from . import CheckFailed, check, not_done, passed, require
from .lesson04 import written

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
        require(
            not written(winner),
            "your winner() answers None for every board, even a full one with a line: return"
            ' "X" or "O" for a line, "draw" for a full board',
        )
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

    def read() -> tuple[str | None, str | None]:
        ttl = dynamodb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
        return ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")

    status, attribute = read()
    if status == "DISABLING":
        raise CheckFailed(
            f"Time to Live is DISABLING on {TABLE}: on AWS it cannot be switched on again until"
            " that is over (up to an hour). Delete the table (dynamodb.delete_table(TableName="
            f"{TABLE!r}), then dynamodb.get_waiter('table_not_exists').wait(TableName={TABLE!r},"
            " WaiterConfig={'Delay': 1})),"
            " run the catch-up cell at the top, which makes it again, then your cell"
        )
    if status not in ("ENABLED", "ENABLING"):
        specification = {"Enabled": True, "AttributeName": ATTRIBUTE}

        def kit_step() -> None:
            dynamodb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification=specification)
            now = read()
            require(
                now[0] in ("ENABLED", "ENABLING") and now[1] == ATTRIBUTE,
                f"the kit switched Time to Live on, yet {TABLE} says {now}: run this check again",
            )

        return not_done(
            f"Time to Live is {status} on {TABLE}",
            "games-ttl",
            kit_step,
            f"dynamodb.update_time_to_live(TableName={TABLE!r},"
            f" TimeToLiveSpecification={specification})",
        )
    require(
        attribute == ATTRIBUTE,
        f"Time to Live reads the attribute {attribute!r}, but a game's row keeps its expiry in"
        f" {ATTRIBUTE!r}. Changing it takes switching it off, and AWS then refuses to switch it"
        " on again for up to an hour. So delete the table (dynamodb.delete_table(TableName="
        f"{TABLE!r}), then dynamodb.get_waiter('table_not_exists').wait(TableName={TABLE!r},"
        " WaiterConfig={'Delay': 1})),"
        " run the catch-up cell at the top, which makes it again without Time to Live, then"
        f" your cell with AttributeName {ATTRIBUTE!r}",
    )
    passed(f"Time to Live is {status} on {TABLE}, reading each row's {ATTRIBUTE!r}")
