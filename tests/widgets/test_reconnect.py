"""ChatClient, Arena and TicTacToe across a restart of the local cloud on the same port.

The cloud is stopped (its clients' connections drop) and a new one is started on the same port.
moto's state lives in this process, so the new cloud serves the same APIs, as a restart with a
state folder does. Each widget must say "reconnecting…", come back connected by itself, and
rejoin: the chat sends nothing twice, the arena lists who is there again, tic-tac-toe says its
game cannot be rejoined and starts a new one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra.deploy import deploy_app, teardown
from infra.local.cloud import LocalCloud
from infra.widgets import Arena, ChatClient, TicTacToe
from infra.widgets.connection import Backoff

QUICK = Backoff(first=0.1, factor=2, most=0.5)
APPS = ("chat", "arena", "tictactoe")


class Restartable:
    """A local cloud on a fixed port that can be stopped and started again."""

    def __init__(self) -> None:
        self.cloud = LocalCloud(port=0).start()
        self.port = self.cloud.port

    def restart(self) -> None:
        self.cloud.stop()
        self.cloud = LocalCloud(port=self.port).start()

    def stop(self) -> None:
        self.cloud.stop()


@pytest.fixture(scope="module")
def cloud() -> Iterator[Restartable]:
    """The restartable cloud, boto3's environment pointing at it, the three apps deployed."""
    restartable = Restartable()
    saved = {key: os.environ.get(key) for key in restartable.cloud.env()}
    os.environ.update(restartable.cloud.env())
    try:
        yield restartable
        for app in APPS:
            teardown(app)
    finally:
        restartable.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def urls(cloud: Restartable) -> dict[str, str]:
    return {app: deploy_app(app) for app in APPS}


def statuses(label: Any) -> list[str]:
    """Every value the status label takes from now on."""
    seen: list[str] = []
    label.observe(lambda change: seen.append(change["new"]), names="value")
    return seen


def eventually(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_chat_reconnects_under_its_name_and_sends_nothing_twice(
    cloud: Restartable, urls: dict[str, str]
) -> None:
    """After a restart the chat says reconnecting…, comes back, and carries on; no message twice."""
    ada = ChatClient(urls["chat"], "ada", reconnect=QUICK)
    bob = ChatClient(urls["chat"], "bob", reconnect=QUICK)
    seen = statuses(ada.status_label)
    ada.send("before")
    bob.wait_for(lambda f: f.get("text") == "before", timeout=10)
    cloud.restart()
    assert eventually(lambda: ada.reconnects == 1 and ada.connected and bob.connected)
    assert any(status.startswith("ada: reconnecting… in ") for status in seen)
    assert seen[-1] == "ada: connected" and not ada.input.disabled
    ada.send("after")
    bob.wait_for(lambda f: f.get("text") == "after", timeout=10)
    assert [text for _, text in bob.messages] == ["before", "after"]
    assert "(reconnected" in ada.log.value
    ada.close()
    bob.close()


def test_the_arena_reconnects_and_lists_who_is_there_again(
    cloud: Restartable, urls: dict[str, str]
) -> None:
    """After a restart the arena asks for the list again: it shows the other pointer (under its
    new connection) once, and moves go through."""
    ann = Arena(urls["arena"], "ann", reconnect=QUICK)
    ben = Arena(urls["arena"], "ben", reconnect=QUICK)
    assert eventually(lambda: bool(ann.you) and bool(ben.you))
    assert eventually(lambda: ben.you["id"] in ann.pointers)
    seen: list[str] = []
    ann.observe(lambda change: seen.append(change["new"]), names="status")
    old_ids = {ann.you["id"], ben.you["id"]}
    cloud.restart()
    assert eventually(lambda: ann.reconnects == 1 and ben.reconnects == 1)
    assert eventually(lambda: ann.you["id"] not in old_ids and ben.you["id"] not in old_ids)
    assert any(status.startswith("reconnecting… in ") for status in seen)
    assert eventually(lambda: [p["name"] for p in ann.pointers.values()] == ["ben"])
    ben.move(0.25, 0.75)
    assert eventually(lambda: ann.pointers.get(ben.you["id"], {}).get("x") == 0.25)
    ann.close()
    ben.close()


def test_tictactoe_says_its_game_is_gone_and_starts_a_new_one(
    cloud: Restartable, urls: dict[str, str]
) -> None:
    """A game under way when the cloud restarts cannot be rejoined: the status says so, naming
    it, and the same two widgets can start and join a new game."""
    x = TicTacToe(urls["tictactoe"], reconnect=QUICK)
    o = TicTacToe(urls["tictactoe"], reconnect=QUICK)
    seen = statuses(x.status_label)
    game = x.start()
    o.join(game)
    cloud.restart()
    assert eventually(lambda: x.reconnects == 1 and o.reconnects == 1 and x.connected)
    assert any(status.startswith("reconnecting… in ") for status in seen)
    assert eventually(lambda: f"game {game} cannot be rejoined" in x.status)
    assert f"game {game} cannot be rejoined" in o.status
    assert all(cell.disabled for row in x.cells for cell in row)
    again = x.start()
    assert again != game and o.join(again) == "O"
    x.close()
    o.close()
