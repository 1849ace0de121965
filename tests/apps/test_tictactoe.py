"""The tictactoe app (lambdas/tictactoe) deployed onto a local cloud, played by two WebSocket clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from websockets.asyncio.client import ClientConnection, connect

from infra.deploy import deploy_app, teardown
from infra.local.cloud import LocalCloud
from tests.apps.helpers import Frame, receive

# X takes the top row.
X_WINS = [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2)]
# X O X / X O O / O X X: nobody has three in a row.
DRAW = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 0), (1, 2), (2, 1), (2, 0), (2, 2)]


@pytest.fixture(scope="module")
def game_url(cloud: LocalCloud) -> Iterator[str]:
    """The tictactoe stage's WebSocket URL, deployed once for the module."""
    yield deploy_app("tictactoe")
    teardown("tictactoe")


@asynccontextmanager
async def new_game(url: str) -> AsyncIterator[tuple[str, ClientConnection, ClientConnection]]:
    """A started and joined game: its id, player X and player O (both have had `begin`)."""
    async with connect(url) as x, connect(url) as o:
        await x.send(json.dumps({"type": "start"}))
        started = await receive(x)
        assert started["type"] == "started"
        game_id = started["gameId"]
        await o.send(json.dumps({"type": "join", "gameId": game_id}))
        assert [(await receive(x))["mark"], (await receive(o))["mark"]] == ["X", "O"]
        yield game_id, x, o


async def play(game_id: str, x: ClientConnection, o: ClientConnection, moves: list) -> list:
    """Play the moves in turn (X first); return the `state` frame pairs (X's, O's) of each move."""
    states = []
    for turn, (row, col) in enumerate(moves):
        mover = (x, o)[turn % 2]
        await mover.send(json.dumps({"type": "move", "gameId": game_id, "row": row, "col": col}))
        states.append((await receive(x), await receive(o)))
    return states


def test_a_game_played_to_a_win(game_url: str) -> None:
    """Both players get a `state` after every move, and the last one names X the winner."""

    async def scenario() -> list[tuple[Frame, Frame]]:
        async with new_game(game_url) as (game_id, x, o):
            return await play(game_id, x, o, X_WINS)

    states = asyncio.run(scenario())
    for to_x, to_o in states:
        assert to_x == to_o
        assert to_x["type"] == "state"
    assert [to_x["winner"] for to_x, _ in states] == [None, None, None, None, "X"]
    assert states[-1][0]["board"][0] == ["X", "X", "X"]


def test_a_game_played_to_a_draw(game_url: str) -> None:
    """Nine moves without a line end with winner "draw", both players seeing every state."""

    async def scenario() -> list[tuple[Frame, Frame]]:
        async with new_game(game_url) as (game_id, x, o):
            return await play(game_id, x, o, DRAW)

    states = asyncio.run(scenario())
    assert all(to_x == to_o and to_x["type"] == "state" for to_x, to_o in states)
    assert [to_x["winner"] for to_x, _ in states] == [None] * 8 + ["draw"]
    assert states[-1][0]["board"] == [["X", "O", "X"], ["X", "O", "O"], ["O", "X", "X"]]


def test_a_move_out_of_turn_gets_an_error(game_url: str) -> None:
    """O moving first gets an error frame, and the game carries on with X's move."""

    async def scenario() -> tuple[Frame, Frame]:
        async with new_game(game_url) as (game_id, x, o):
            await o.send(json.dumps({"type": "move", "gameId": game_id, "row": 0, "col": 0}))
            refused = await receive(o)
            [(to_x, _)] = await play(game_id, x, o, [(0, 0)])
            return refused, to_x

    refused, to_x = asyncio.run(scenario())
    assert refused == {"type": "error", "message": "it is not your turn"}
    assert to_x["last"] == {"row": 0, "col": 0, "mark": "X"}


def test_the_opponent_is_told_when_a_player_leaves(game_url: str) -> None:
    """When X closes mid-game, O gets `opponent_left` for that game."""

    async def scenario() -> tuple[str, Frame]:
        async with new_game(game_url) as (game_id, x, o):
            await x.close()
            return game_id, await receive(o)

    game_id, frame = asyncio.run(scenario())
    assert frame == {"type": "opponent_left", "gameId": game_id}
