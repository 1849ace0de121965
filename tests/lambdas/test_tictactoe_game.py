"""Noughts and crosses rules (lambdas/tictactoe/game.py): boards, winners, draws, legal moves."""

import pytest


@pytest.fixture
def game(tictactoe):
    return tictactoe.game


def board(*rows: str) -> str:
    """Spell a board as three row strings, e.g. board("XO.", "...", "...")."""
    return "".join(rows)


def test_new_board_is_empty(game):
    """A new board has nine empty cells."""
    assert game.new_board() == "........."


def test_rows_shows_empty_cells_as_empty_strings(game):
    """rows() gives 3x3 lists with "" for empty cells, as the frames need."""
    assert game.rows(board("X..", ".O.", "..X")) == [["X", "", ""], ["", "O", ""], ["", "", "X"]]


def test_place_puts_mark_in_cell(game):
    """place() writes the mark at (row, col) and leaves the rest."""
    assert game.place(game.new_board(), 1, 2, "O") == board("...", "..O", "...")


def test_other_swaps_marks(game):
    """X's opponent is O and O's is X."""
    assert (game.other("X"), game.other("O")) == ("O", "X")


@pytest.mark.parametrize("row", range(3))
def test_winner_by_row(game, row):
    """Three in a row wins."""
    cells = ["...", "...", "..."]
    cells[row] = "OOO"
    assert game.winner(board(*cells)) == "O"


@pytest.mark.parametrize("col", range(3))
def test_winner_by_column(game, col):
    """Three in a column wins."""
    line = "".join("X" if c == col else "." for c in range(3))
    assert game.winner(board(line, line, line)) == "X"


def test_winner_by_diagonal(game):
    """Three on the main diagonal wins."""
    assert game.winner(board("X.O", ".XO", "..X")) == "X"


def test_winner_by_anti_diagonal(game):
    """Three on the other diagonal wins."""
    assert game.winner(board("X.O", ".OX", "O..")) == "O"


def test_no_winner_yet(game):
    """An unfinished board with no line has no winner."""
    assert game.winner(board("XO.", "...", "...")) is None


def test_full_board_without_line_is_draw(game):
    """A full board with no line is a draw."""
    assert game.winner(board("XOX", "XOO", "OXX")) == "draw"


def test_line_on_full_board_is_a_win(game):
    """Completing a line with the last cell is a win, not a draw."""
    assert game.winner(board("XOX", "OXO", "OXX")) == "X"


def test_validate_accepts_legal_move(game):
    """A move by the player whose turn it is, on an empty cell, is legal."""
    assert game.validate_move(game.new_board(), "X", "X", 0, 0) is None


def test_validate_rejects_out_of_turn(game):
    """Playing out of turn is refused."""
    assert game.validate_move(game.new_board(), "X", "O", 0, 0) == "it is not your turn"


def test_validate_rejects_taken_cell(game):
    """Playing on a taken cell is refused."""
    assert game.validate_move(board("X..", "...", "..."), "O", "O", 0, 0) == "that cell is taken"


@pytest.mark.parametrize(
    ("row", "col"), [(-1, 0), (3, 0), (0, 3), (1.0, 1), ("1", 1), (True, 0), (None, 0)]
)
def test_validate_rejects_bad_coordinates(game, row, col):
    """Coordinates must be ints from 0 to 2."""
    assert "row and col" in game.validate_move(game.new_board(), "X", "X", row, col)


def test_validate_rejects_move_after_win(game):
    """No moves after someone has won."""
    assert game.validate_move(board("XXX", "OO.", "..."), "O", "O", 1, 2) == "the game is over"


def test_validate_rejects_move_after_draw(game):
    """No moves on a drawn board."""
    assert game.validate_move(board("XOX", "XOO", "OXX"), "O", "O", 0, 0) == "the game is over"


def play(game, moves):
    """Play (row, col) moves alternately from X, checking each; return the final board."""
    current, turn = game.new_board(), "X"
    for row, col in moves:
        assert game.validate_move(current, turn, turn, row, col) is None
        current, turn = game.place(current, row, col, turn), game.other(turn)
    return current


def test_full_game_to_win(game):
    """X wins down the left column in five moves."""
    final = play(game, [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)])
    assert game.winner(final) == "X"


def test_full_game_to_draw(game):
    """Nine moves with no line end in a draw."""
    final = play(game, [(0, 0), (0, 1), (0, 2), (1, 1), (1, 0), (1, 2), (2, 1), (2, 0), (2, 2)])
    assert final == board("XOX", "XOO", "OXX")
    assert game.winner(final) == "draw"
