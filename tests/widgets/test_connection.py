"""The kit's one WebSocket client: frames, waiting, the wscat and check adapters, and reconnecting."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
from websockets.asyncio.server import ServerConnection

from infra.exercises.checks import Client
from infra.lessons import WsCat
from infra.widgets.connection import Backoff, Connection, frame_text, parse_frame, with_query
from tests.widgets.servers import running


class Echo:
    """Echoes every frame; "drop" aborts the TCP connection, "close:<code>" closes with a code."""

    def __init__(self) -> None:
        self.connections = 0

    async def __call__(self, ws: ServerConnection) -> None:
        self.connections += 1
        await ws.send(json.dumps({"type": "hello", "connection": self.connections}))
        async for message in ws:
            if message == "drop":
                ws.transport.abort()  # no close frame: the client sees code 1006
                return
            if isinstance(message, str) and message.startswith("close:"):
                await ws.close(int(message.split(":")[1]))
                return
            await ws.send(message)


@pytest.fixture
def echo() -> Iterator[tuple[Echo, str]]:
    server = Echo()
    with running(server) as url:
        yield server, url


QUICK = Backoff(first=0.05, factor=2, most=0.2)


def test_one_parser_for_every_frame() -> None:
    """JSON text is decoded, other text and bytes stay as they came; frame_text undoes it."""
    assert parse_frame('{"a": 1}') == {"a": 1}
    assert parse_frame("not json") == "not json"
    assert parse_frame(b"\x00") == b"\x00"
    assert frame_text({"a": 1}) == '{"a": 1}' and frame_text("x") == "x"


def test_with_query_percent_encodes_spaces() -> None:
    """Spaces become %20 (not +), which every gateway decodes the same way; None is left out."""
    assert with_query("ws://h/dev", name="  ada  ", other=None) == "ws://h/dev?name=%20%20ada%20%20"


def test_next_frame_hands_out_numbered_frames(echo: tuple[Echo, str]) -> None:
    """next_frame returns each frame with its number, so a reader can keep its own cursor."""
    _, url = echo
    connection = Connection(url)
    assert connection.open()
    connection.send_json({"n": 1})
    assert connection.next_frame(0) == (0, {"type": "hello", "connection": 1})
    assert connection.next_frame(1) == (1, {"n": 1})
    with pytest.raises(TimeoutError):
        connection.next_frame(2, timeout=0.1)
    connection.close()


def test_wscat_prints_what_it_sends_and_receives(
    echo: tuple[Echo, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """WsCat prints > for a sent frame and < for each frame it hands out, skipped ones included."""
    _, url = echo
    with WsCat(url) as cat:
        cat.send({"type": "pong"})
        assert cat.receive(of_type="pong") == {"type": "pong"}
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ['> {"type": "pong"}', '< {"type": "hello", "connection": 1}', out[3]]
    assert out[3] == '< {"type": "pong"}'


def test_check_client_gives_none_when_nothing_matches(echo: tuple[Echo, str]) -> None:
    """A check's client searches every frame so far and answers None instead of raising."""
    _, url = echo
    with Client(url) as client:
        assert client.wait_for(lambda frame: frame["type"] == "hello") is not None
        assert client.wait_for(lambda frame: frame["type"] == "never", timeout=0.1) is None


def test_check_client_that_cannot_connect_fails_with_the_reason() -> None:
    """A refused connection is an AssertionError (a failed check), not a crash of the check."""
    with running(Echo()) as url:
        pass
    with pytest.raises(AssertionError, match="^Could not connect to"):
        Client(url)


def test_a_dropped_connection_reconnects_after_a_backoff(echo: tuple[Echo, str]) -> None:
    """With reconnect, a connection lost without a close frame opens again; on_open runs again."""
    server, url = echo
    statuses: list[str] = []
    opened: list[int] = []
    connection = Connection(
        url, reconnect=QUICK, on_status=statuses.append, on_open=lambda: opened.append(1)
    )
    assert connection.open()
    connection.send_text("drop")
    connection.wait_for(lambda frame: frame.get("connection") == 2, timeout=5)
    assert connection.connected and connection.reconnects == 1
    assert server.connections == 2 and len(opened) == 2
    assert any(status.startswith("reconnecting… in 0.05 s (code 1006)") for status in statuses)
    connection.send_json({"after": "reconnect"})
    assert connection.wait_for(lambda frame: frame.get("after") == "reconnect")
    connection.close()
    assert connection.status == "disconnected"


def test_a_server_that_stays_away_is_retried_with_growing_delays() -> None:
    """While the server is gone, each attempt waits longer, up to the most; close() stops it."""
    statuses: list[str] = []
    with running(Echo()) as url:
        connection = Connection(url, reconnect=QUICK, on_status=statuses.append)
        assert connection.open()
    # The server stopped (going away, 1001): attempts now fail and back off 0.05, 0.1, 0.2, 0.2...
    assert _wait_until(lambda: sum("reconnecting" in s for s in statuses) >= 4)
    delays = [s.split(" in ")[1].split(" s")[0] for s in statuses if s.startswith("reconnecting")]
    assert delays[:4] == ["0.05", "0.1", "0.2", "0.2"]
    connection.close()
    assert connection.status == "disconnected" and not connection.connected


def test_a_deliberate_close_is_not_retried(echo: tuple[Echo, str]) -> None:
    """A normal close by the server (1000) or by us ends the connection for good."""
    server, url = echo
    connection = Connection(url, reconnect=QUICK)
    assert connection.open()
    connection.send_text("close:1000")
    with pytest.raises(ConnectionError):
        connection.wait_for(lambda frame: False, timeout=5)
    assert server.connections == 1 and connection.status == "disconnected"


def test_without_reconnect_a_drop_is_final(echo: tuple[Echo, str]) -> None:
    """The default is no reconnecting: the status says why the connection ended."""
    server, url = echo
    connection = Connection(url)
    assert connection.open()
    connection.send_text("drop")
    with pytest.raises(ConnectionError):
        connection.wait_for(lambda frame: False, timeout=5)
    assert connection.status == "disconnected (code 1006)" and server.connections == 1


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False
