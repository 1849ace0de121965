"""Lesson 07's exercises (`solutions/07-noughts-and-crosses-exercises.ipynb`): Time to Live and
the game's rules.

- `ttl-expire`: `check_invite`, Time to Live switched on once, rows that expire by themselves;
- `ttt-validate`: `check_validate_move`, `validate_move` in `lambdas/tictactoe/game.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3

from infra.deploy import create_connections_table
from infra.deploy.tables import delete_table

from .common import answer, load_module, quietly, recorded_calls

# -- ttl-expire: Time to Live ------------------------------------------------------------------


TTL_WAIT = 12.0  # seconds: the local cloud sweeps expired rows every 5 s (AWS: within days)


def check_invite(invite: Callable[[str, str, str, int], int], table: str, attribute: str) -> None:
    """`invite(table, attribute, code, seconds)`: TTL switched on once; rows expire by themselves."""
    dynamodb = boto3.client("dynamodb")
    delete_table(table)
    with quietly():
        create_connections_table("checks", table, key="code")
    started = time.time()
    with recorded_calls() as calls:
        later = answer(invite, table, attribute, "LATER7", 3600)
        answer(invite, table, attribute, "SOON42", 2)
    switched = calls.of("dynamodb", "UpdateTimeToLive")
    assert switched, "Time to Live was never switched on: dynamodb.update_time_to_live(...)"
    assert len(switched) == 1, (
        f"Two invitations switched Time to Live on {len(switched)} times: on AWS the second call"
        " fails (ValidationException). Ask describe_time_to_live first; switch it on only when"
        " its TimeToLiveStatus is neither ENABLED nor ENABLING"
    )
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"), (
        f"Time to Live is {ttl.get('TimeToLiveStatus')!r} on {table}: TimeToLiveSpecification="
        "{'Enabled': True, 'AttributeName': attribute}"
    )
    assert ttl.get("AttributeName") == attribute, (
        f"TTL reads the attribute {ttl.get('AttributeName')!r}, expected {attribute!r}:"
        " AttributeName=attribute"
    )
    rows = boto3.resource("dynamodb").Table(table)
    item = rows.get_item(Key={"code": "LATER7"}, ConsistentRead=True).get("Item")
    assert item is not None, (
        f"No row has the code 'LATER7' after invite({table!r}, {attribute!r}, 'LATER7', 3600):"
        " put_item(Item={'code': code, attribute: ...})"
    )
    expiry = item.get(attribute)
    assert isinstance(expiry, Decimal), (
        f"The row's {attribute!r} is {expiry!r}: Time to Live reads only a Number, epoch"
        " seconds (int(time.time()) + seconds); a row without one never expires"
    )
    expected = started + 3600
    assert abs(float(expiry) - expected) < 60, (
        f"The row's {attribute!r} is {expiry}, expected about {int(expected)}:"
        " int(time.time()) + seconds (epoch seconds, not milliseconds)"
    )
    assert later == expiry, f"invite returned {later!r}, not the expiry it wrote ({expiry})"
    deadline = time.monotonic() + 2 + TTL_WAIT
    while rows.get_item(Key={"code": "SOON42"}).get("Item") and time.monotonic() < deadline:
        time.sleep(0.25)
    assert rows.get_item(Key={"code": "SOON42"}).get("Item") is None, (
        f"An invitation that expired after 2 s is still there {2 + TTL_WAIT:g} s later"
    )
    assert rows.get_item(Key={"code": "LATER7"}).get("Item"), "An invitation for an hour went"


# -- ttt-validate: the game's rules ------------------------------------------------------------


Move = tuple[str, str, str, Any, Any]  # board, turn, mark, row, col


VALIDATION_CASES: list[tuple[Move, str | None, str]] = [
    # (board, turn, mark, row, col), expected reason, hint
    ((".........", "X", "X", 1, 1), None, "a legal move returns None"),
    ((".........", "X", "O", 0, 0), "it is not your turn", "compare mark with turn"),
    (("X........", "O", "O", 0, 0), "that cell is taken", "the cell is board[row * 3 + col]"),
    ((".........", "X", "X", 3, 0), "row and col must be whole numbers from 0 to 2", "3 is off"),
    ((".........", "X", "X", 0, -1), "row and col must be whole numbers from 0 to 2", "so is -1"),
    ((".........", "X", "X", "1", 0), "row and col must be whole numbers from 0 to 2", "a str"),
    ((".........", "X", "X", 1.0, 0), "row and col must be whole numbers from 0 to 2", "a float"),
    ((".........", "X", "X", True, 0), "row and col must be whole numbers from 0 to 2", "a bool"),
    (("XXXOO....", "O", "O", 2, 2), "the game is over", "X has a line: use winner(board)"),
    (("XXXOO....", "O", "X", 2, 2), "the game is over", "check game over before the turn"),
    (("XOXXOOOXX", "X", "X", 0, 0), "the game is over", "a full board is a draw"),
]


def check_validate_move(
    path: str | Path, cases: Sequence[tuple[Move, str | None, str]] = VALIDATION_CASES
) -> None:
    """game.validate_move gives the right reason for each kind of illegal move, None if legal."""
    game = load_module(path)
    for args, expected, hint in cases:
        got = answer(game.validate_move, *args)
        call = "validate_move(" + ", ".join(map(repr, args)) + ")"
        assert got == expected, f"{call} returned {got!r}, expected {expected!r} (hint: {hint})"
