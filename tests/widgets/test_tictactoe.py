"""TicTacToe against a toy game server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.widgets import TicTacToe
from tests.widgets.servers import ToyTicTacToe, running


@pytest.fixture
def game_url() -> Iterator[str]:
    with running(ToyTicTacToe()) as url:
        yield url


@pytest.fixture
def players(game_url: str) -> Iterator[tuple[TicTacToe, TicTacToe]]:
    x, o = TicTacToe(game_url), TicTacToe(game_url)
    yield x, o
    x.close()
    o.close()


def begin(x: TicTacToe, o: TicTacToe) -> str:
    """Start a game with x and join it with o; both have seen 'begin'."""
    game_id = x.start()
    o.join(game_id)
    x.wait_for(lambda f: f["type"] == "begin")
    return game_id


def play_and_wait(player: TicTacToe, others: list[TicTacToe], row: int, col: int) -> None:
    """Play a move and wait until every client has the resulting state."""
    marks = [client.frame_count for client in [player, *others]]
    player.play(row, col)
    for client, since in zip([player, *others], marks, strict=True):
        client.wait_for(lambda f: f["type"] in ("state", "error"), since=since)


def test_start_returns_the_game_id(players: tuple[TicTacToe, TicTacToe]) -> None:
    """start() sends start and returns the id from 'started'; the starter plays X."""
    x, _ = players
    game_id = x.start()
    assert game_id == "game-1"
    assert x.mark == "X"
    assert "waiting for an opponent" in x.status
    assert x.game_box.value == "game-1"


def test_join_begins_the_game_for_both(players: tuple[TicTacToe, TicTacToe]) -> None:
    """After join, both have an empty board, X to move, and their marks."""
    x, o = players
    begin(x, o)
    assert (x.mark, o.mark) == ("X", "O")
    assert x.board == o.board == [[""] * 3] * 3
    assert x.status.endswith("your turn (you are X)")
    assert o.status.endswith("X's turn (you are O)")


def test_only_the_player_to_move_has_clickable_cells(players: tuple[TicTacToe, TicTacToe]) -> None:
    """The board buttons are enabled for the player whose turn it is, and only on empty cells."""
    x, o = players
    begin(x, o)
    play_and_wait(x, [o], 1, 1)
    assert x.cells[0][0].disabled
    assert not o.cells[0][0].disabled
    assert o.cells[1][1].disabled
    assert o.cells[1][1].description == "X"


def test_moves_update_both_boards(players: tuple[TicTacToe, TicTacToe]) -> None:
    """play() sends move, and both clients get the new board and turn."""
    x, o = players
    begin(x, o)
    play_and_wait(x, [o], 0, 0)
    play_and_wait(o, [x], 2, 2)
    assert x.board == o.board == [["X", "", ""], ["", "", ""], ["", "", "O"]]
    assert x.turn == o.turn == "X"


def test_clicking_a_cell_plays_it(players: tuple[TicTacToe, TicTacToe]) -> None:
    """Clicking a board button plays that cell."""
    x, o = players
    begin(x, o)
    since = o.frame_count
    x.cells[0][2].click()
    o.wait_for(lambda f: f["type"] == "state", since=since)
    assert o.board[0][2] == "X"


def test_a_win_is_reported(players: tuple[TicTacToe, TicTacToe]) -> None:
    """Three in a row sets the winner on both sides and says so."""
    x, o = players
    begin(x, o)
    for player, other, row, col in [(x, o, 0, 0), (o, x, 1, 0), (x, o, 0, 1), (o, x, 1, 1)]:
        play_and_wait(player, [other], row, col)
    play_and_wait(x, [o], 0, 2)
    assert x.winner == o.winner == "X"
    assert x.status.endswith("you win!")
    assert o.status.endswith("X wins")


def test_server_errors_are_kept(players: tuple[TicTacToe, TicTacToe]) -> None:
    """An error frame lands in errors and the status line."""
    x, o = players
    begin(x, o)
    play_and_wait(o, [], 0, 0)
    assert o.errors == ["not your turn"]
    assert o.status == "error: not your turn"


def test_joining_an_unknown_game_raises(players: tuple[TicTacToe, TicTacToe]) -> None:
    """join() raises with the server's message when the game does not exist."""
    _, o = players
    with pytest.raises(RuntimeError, match="no such game"):
        o.join("game-404")


def test_opponent_leaving_is_shown(players: tuple[TicTacToe, TicTacToe]) -> None:
    """opponent_left ends play and is shown in the status."""
    x, o = players
    begin(x, o)
    o.close()
    x.wait_for(lambda f: f["type"] == "opponent_left")
    assert x.status.endswith("your opponent left")
    assert all(cell.disabled for row in x.cells for cell in row)


def test_close_shows_disconnected(players: tuple[TicTacToe, TicTacToe]) -> None:
    """close() leaves the board showing 'disconnected'."""
    x, _ = players
    x.close()
    assert x.status == "disconnected"
    assert x.status_label.value == "disconnected"


def test_no_cell_is_clickable_before_a_game(game_url: str) -> None:
    """Connected but in no game yet: every cell is disabled (there is nothing to play in)."""
    player = TicTacToe(game_url)
    assert player.connected
    assert all(cell.disabled for row in player.cells for cell in row)
    player.close()


def test_a_game_played_from_python_takes_no_clicks(players: tuple[TicTacToe, TicTacToe]) -> None:
    """Once a cell plays the game with play(), the board refuses clicks and says why."""
    x, o = players
    begin(x, o)
    play_and_wait(x, [o], 0, 0)
    play_and_wait(o, [x], 1, 1)
    assert x.turn == x.mark
    assert all(cell.disabled for row in x.cells for cell in row)
    since = o.frame_count
    x._click(2, 2)  # a click that raced the disabling, or was queued while the cell ran
    assert "played from Python" in x.status
    with pytest.raises(TimeoutError):
        o.wait_for(lambda f: f["type"] == "state", timeout=0.3, since=since)
    play_and_wait(x, [o], 0, 1)  # the scripted game goes on undisturbed
    assert x.board[0] == ["X", "X", ""]


def test_a_new_game_from_the_button_takes_clicks_again(
    players: tuple[TicTacToe, TicTacToe],
) -> None:
    """New game ends Python's hold on the board: its cells are clickable once the game begins."""
    x, o = players
    begin(x, o)
    play_and_wait(x, [o], 0, 0)
    x.start_button.click()
    o.join(x.game_id or "")
    x.wait_for(lambda f: f["type"] == "begin" and f["gameId"] == x.game_id)
    assert not x.cells[0][0].disabled
