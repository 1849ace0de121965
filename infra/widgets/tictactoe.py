"""TicTacToe: a 3x3 board of buttons to play noughts and crosses against another client."""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as widgets

from infra.widgets.connection import WIDGET_BACKOFF, Backoff, Connection, ConnectionFacade, Frame
from infra.widgets.live import LIVE, REPLACED

Board = list[list[str]]


def empty_board() -> Board:
    return [[""] * 3 for _ in range(3)]


class TicTacToe(ConnectionFacade):
    """Start a game (or join one by id) at `url`, then click cells or call `play(row, col)`.

    A dropped connection is opened again with `reconnect` backoff ("reconnecting…" meanwhile).
    The game does not come back with it: the app seats players by connection id and ends a
    game when a player's connection goes ($disconnect), so no new connection can take the old
    seat. The status line says so, naming the game, and a new game can be started at once.

    A game that Python plays (`play()` from a cell) is Python's: its board takes no clicks until
    it ends or New game is pressed, so a click cannot steal a scripted game's turn.
    """

    _connection: Connection

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 10.0,
        reconnect: Backoff | None = WIDGET_BACKOFF,
    ) -> None:
        self._lock = threading.Lock()
        self.game_id: str | None = None
        self.mark: str | None = None  # "X" or "O" once in a game
        self.turn: str | None = None
        self.winner: str | None = None  # "X", "O", "draw" or None
        self.errors: list[str] = []
        self._board = empty_board()
        self._status = "connecting"
        self._opponent_left = False
        self._scripted_game: str | None = None  # the game a cell plays through play()

        self.cells = [[self._cell(row, col) for col in range(3)] for row in range(3)]
        self.status_label = widgets.Label(value="connecting")
        self.start_button = widgets.Button(description="New game")
        self.game_box = widgets.Text(placeholder="game id", layout=widgets.Layout(width="12em"))
        self.join_button = widgets.Button(description="Join")
        self.start_button.on_click(lambda _: self._from_ui(self.start))
        self.join_button.on_click(lambda _: self._from_ui(self.join, self.game_box.value.strip()))
        grid = widgets.GridBox(
            [cell for row in self.cells for cell in row],
            layout=widgets.Layout(grid_template_columns="repeat(3, 3.5em)", grid_gap="4px"),
        )
        controls = widgets.HBox([self.start_button, self.game_box, self.join_button])
        self.widget = widgets.VBox([controls, grid, self.status_label])

        LIVE.claim(self, "TicTacToe", url)
        self._connection = Connection(
            url,
            on_frame=self._on_frame,
            on_status=self._on_status,
            on_open=self._on_open,
            reconnect=reconnect,
        )
        self._connection.open(connect_timeout)

    # -- Python API --------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> str:
        """Start a new game and return its id (tell it to your opponent)."""
        since = self.frame_count
        self._connection.send_json({"type": "start"})
        reply = self.wait_for(lambda f: f["type"] in ("started", "error"), timeout, since)
        if reply["type"] == "error":
            raise RuntimeError(reply.get("message", "could not start a game"))
        return reply["gameId"]

    def join(self, game_id: str, timeout: float = 10.0) -> str:
        """Join the game `game_id`; returns the mark you play ("O")."""
        since = self.frame_count
        self._connection.send_json({"type": "join", "gameId": game_id})

        def begun(frame: Frame) -> bool:
            return frame["type"] == "error" or (
                frame["type"] == "begin" and frame["gameId"] == game_id
            )

        reply = self.wait_for(begun, timeout, since)
        if reply["type"] == "error":
            raise RuntimeError(reply.get("message", f"could not join {game_id}"))
        return reply["mark"]

    def play(self, row: int, col: int) -> None:
        """Put your mark at (row, col), counted from 0; the server checks it is allowed.

        From then on this game is played from Python: the board refuses clicks until it ends.
        """
        self._scripted_game = self.game_id
        self._show(self._status)
        self._send_move(row, col)

    def _send_move(self, row: int, col: int) -> None:
        self._connection.send_json({"type": "move", "gameId": self.game_id, "row": row, "col": col})

    @property
    def board(self) -> Board:
        """The board as the server last sent it: rows of "", "X" or "O"."""
        with self._lock:
            return [list(row) for row in self._board]

    @property
    def status(self) -> str:
        """One line saying what is going on: whose turn, who won, or what went wrong."""
        return self._status

    def close(self) -> None:
        """Leave; the board stays on screen, showing 'disconnected'."""
        self._connection.close()

    def _replaced(self) -> None:
        self._connection.close(reason=REPLACED)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- callbacks ---------------------------------------------------------------------------

    def _on_frame(self, frame: Frame) -> None:
        if not isinstance(frame, dict):
            return
        kind = frame.get("type")
        with self._lock:
            if kind == "started":
                self.game_id, self.mark = frame.get("gameId"), frame.get("mark")
                self._board, self.turn, self.winner = empty_board(), None, None
                self._opponent_left = False
            elif kind in ("begin", "state"):
                self.game_id = frame.get("gameId", self.game_id)
                self.mark = frame.get("mark", self.mark)
                self._board = [list(row) for row in frame.get("board") or empty_board()]
                self.turn, self.winner = frame.get("turn"), frame.get("winner")
                self._opponent_left = False
            elif kind == "opponent_left":
                self._opponent_left = True
            elif kind == "error":
                self.errors.append(str(frame.get("message")))
            else:
                return
            status = self._describe(frame)
        if kind == "started":
            self.game_box.value = self.game_id or ""
        self._show(status)

    def _describe(self, frame: dict[str, Any]) -> str:
        if frame.get("type") == "error":
            return f"error: {frame.get('message')}"
        game = f"game {self.game_id}"
        if self._opponent_left:
            return f"{game}: your opponent left"
        if frame.get("type") == "started":
            return f"{game}: waiting for an opponent (you are {self.mark})"
        if self.winner == "draw":
            return f"{game}: draw"
        if self.winner:
            return (
                f"{game}: you win!" if self.winner == self.mark else f"{game}: {self.winner} wins"
            )
        whose = "your turn" if self.turn == self.mark else f"{self.turn}'s turn"
        scripted = " · played from Python" if self._is_scripted() else ""
        return f"{game}: {whose} (you are {self.mark}){scripted}"

    def _is_scripted(self) -> bool:
        """True while a cell plays this game: it is unfinished and play() was called in it."""
        return self._scripted_game is not None and self._scripted_game == self.game_id

    def _on_open(self) -> None:
        """After a reconnect: an unfinished game is gone with the old connection; say which."""
        if not self._connection.reconnects:
            return
        with self._lock:
            lost = self.game_id if self.game_id and self.winner is None else None
            self.game_id, self.mark, self.turn = None, None, None
        if lost:
            self._show(
                f"reconnected, but game {lost} cannot be rejoined: it was played by the"
                " connection that dropped. Start a new game, or join one by id"
            )

    def _on_status(self, status: str) -> None:
        self._show(
            "connected: start a new game, or join one by id" if status == "connected" else status
        )

    def _show(self, status: str) -> None:
        """Mirror the state into the widgets: cell labels, which cells are clickable, the status."""
        self._status = status
        self.status_label.value = status
        board = self.board
        playable = (
            self.connected
            and self.mark is not None
            and self.turn == self.mark
            and self.winner is None
            and not self._opponent_left
            and not self._is_scripted()
        )
        for row in range(3):
            for col in range(3):
                cell = self.cells[row][col]
                cell.description = board[row][col]
                cell.disabled = not (playable and board[row][col] == "")

    def _cell(self, row: int, col: int) -> widgets.Button:
        cell = widgets.Button(description="", disabled=True)
        cell.layout = widgets.Layout(width="3.5em", height="3.5em")
        cell.on_click(lambda _: self._from_ui(self._click, row, col))
        return cell

    def _click(self, row: int, col: int) -> None:
        """A click on a cell: played, unless a cell is playing this game from Python."""
        if self._is_scripted() and self.winner is None:
            self._show(
                f"game {self.game_id} is being played from Python: wait for it to end, or press"
                " New game to play one by clicking"
            )
            return
        self._send_move(row, col)

    def _from_ui(self, action: Any, *args: Any) -> None:
        """Run a button's action; problems go to the status line, not into the notebook output."""
        try:
            action(*args)
        except Exception as exc:
            self._show(f"error: {exc}")
