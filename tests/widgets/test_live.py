"""Running a widget's cell again closes the widget it replaces (infra.widgets.live)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from infra.widgets import ChatClient, TicTacToe
from infra.widgets.live import LIVE, REPLACED, LiveWidgets
from tests.widgets.servers import ToyChat, ToyTicTacToe, running


class Cells:
    """Stands in for the kernel's execution count: `run()` starts the next cell execution."""

    def __init__(self) -> None:
        self.count: int | None = None

    def run(self) -> None:
        self.count = (self.count or 0) + 1

    def __call__(self) -> int | None:
        return self.count


@pytest.fixture
def cells(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cells]:
    cells = Cells()
    monkeypatch.setattr(LIVE, "_execution", cells)
    monkeypatch.setattr(LIVE, "_live", {})
    yield cells


def settle(condition: object, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_rerunning_a_chat_cell_closes_the_old_client(cells: Cells) -> None:
    """A new `ada` on the same URL closes the old one: the room has one ada, told once."""
    server = ToyChat()
    with running(server) as url:
        cells.run()
        first = ChatClient(url, "ada")
        cells.run()
        second = ChatClient(url, "ada")
        assert first.status == f"disconnected: {REPLACED}"
        assert first.status_label.value.endswith(REPLACED)
        assert settle(lambda: sorted(server.names.values()) == ["ada"])
        bob = ChatClient(url, "bob")
        bob.send("hi ada")
        second.wait_for(lambda f: f["text"] == "hi ada")
        assert first.messages == []
        for client in (second, bob):
            client.close()


def test_other_names_stay_open(cells: Cells) -> None:
    """Only the same role is replaced: `bob` made by another cell keeps his connection."""
    server = ToyChat()
    with running(server) as url:
        cells.run()
        ada, bob = ChatClient(url, "ada"), ChatClient(url, "bob")
        cells.run()
        ChatClient(url, "ada").close()
        assert not ada.connected
        assert bob.connected
        bob.close()


def test_one_cell_making_two_boards_replaces_each(cells: Cells) -> None:
    """x and o from one cell are two roles: a re-run replaces each by its counterpart."""
    server = ToyTicTacToe()
    with running(server) as url:
        cells.run()
        x, o = TicTacToe(url), TicTacToe(url)
        assert x.connected and o.connected
        cells.run()
        new_x, new_o = TicTacToe(url), TicTacToe(url)
        assert not x.connected and not o.connected
        assert new_x.connected and new_o.connected
        assert LIVE.live() == [new_x, new_o]
        new_x.close()
        new_o.close()


def test_outside_a_kernel_nothing_is_replaced() -> None:
    """With no cell running (a script, a test), two clients of one name both stay open."""
    registry = LiveWidgets(execution=lambda: None)
    closed: list[str] = []

    class Widget:
        def _replaced(self) -> None:
            closed.append("closed")

    registry.claim(Widget(), "ChatClient", "ws://x", "ada")
    registry.claim(Widget(), "ChatClient", "ws://x", "ada")
    assert closed == []
    assert registry.live() == []
