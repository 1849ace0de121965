"""ChatClient against a toy broadcast chat."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from infra.widgets import ChatClient
from infra.widgets.chat import message_from_frame
from infra.widgets.connection import Backoff
from tests.widgets.servers import ToyChat, running

QUICK = Backoff(first=0.05, factor=2, most=0.2)


@pytest.fixture
def chat_url() -> Iterator[str]:
    with running(ToyChat()) as url:
        yield url


@pytest.fixture
def pair(chat_url: str) -> Iterator[tuple[ChatClient, ChatClient]]:
    alice, bob = ChatClient(chat_url, "Alice"), ChatClient(chat_url, "Bob")
    yield alice, bob
    alice.close()
    bob.close()


def test_connects_with_the_name_in_the_query() -> None:
    """The client connects and the toy server sees its URL-encoded name."""
    server = ToyChat()
    with running(server) as url:
        client = ChatClient(url, "Brave Otter & co")
        assert client.connected
        assert list(server.names.values()) == ["Brave Otter & co"]
        client.close()


def test_message_reaches_the_other_client(pair: tuple[ChatClient, ChatClient]) -> None:
    """What one client sends, the other receives as a parsed frame and a (from, text) message."""
    alice, bob = pair
    alice.send("hello")
    frame = bob.wait_for(lambda f: f["text"] == "hello")
    assert frame == {"type": "message", "from": "Alice", "text": "hello"}
    assert bob.messages == [("Alice", "hello")]
    assert bob.received == [frame]


def test_whisper_reaches_only_the_named_client(chat_url: str) -> None:
    """whisper(to, text) sends the whisper action; the log marks it as a whisper."""
    alice, bob, carol = (ChatClient(chat_url, name) for name in ("Alice", "Bob", "Carol"))
    alice.whisper("Bob", "psst")
    bob.wait_for(lambda f: f["type"] == "whisper")
    assert "Alice whispers: psst" in bob.log.value
    with pytest.raises(TimeoutError):
        carol.wait_for(lambda f: f["type"] == "whisper", timeout=0.2)
    for client in (alice, bob, carol):
        client.close()


def test_error_frames_read_as_errors(pair: tuple[ChatClient, ChatClient]) -> None:
    """An error frame shows as 'error: ...' in the log."""
    alice, _ = pair
    alice.whisper("Nobody", "hello?")
    alice.wait_for(lambda f: f["type"] == "error")
    assert "error: no one called Nobody" in alice.log.value


def test_sender_log_shows_what_it_sent(pair: tuple[ChatClient, ChatClient]) -> None:
    """The sender's own log lists its sent message."""
    alice, _ = pair
    alice.send("hi there")
    assert "Alice (you): hi there" in alice.log.value


def test_html_is_shown_as_text(pair: tuple[ChatClient, ChatClient]) -> None:
    """An HTML payload appears literally in a plain-text Textarea, not as markup."""
    alice, bob = pair
    payload = "<b>x</b><script>alert(1)</script>"
    alice.send(payload)
    bob.wait_for(lambda f: f["text"] == payload)
    assert f"Alice: {payload}" in bob.log.value
    assert type(bob.log).__name__ == "Textarea"


def test_send_from_the_text_box(pair: tuple[ChatClient, ChatClient]) -> None:
    """Entering text in the box sends it and clears the box."""
    alice, bob = pair
    alice.input.value = "typed"
    assert bob.wait_for(lambda f: f["text"] == "typed")
    assert alice.input.value == ""


def test_wait_for_since_skips_older_frames(pair: tuple[ChatClient, ChatClient]) -> None:
    """wait_for(since=frame_count) ignores frames that arrived before."""
    alice, bob = pair
    alice.send("one")
    bob.wait_for(lambda f: f["text"] == "one")
    mark = bob.frame_count
    alice.send("two")
    assert bob.wait_for(lambda f: True, since=mark)["text"] == "two"


def test_wait_for_times_out(pair: tuple[ChatClient, ChatClient]) -> None:
    """wait_for raises TimeoutError when nothing matches in time."""
    _, bob = pair
    with pytest.raises(TimeoutError):
        bob.wait_for(lambda f: False, timeout=0.2)


def test_close_shows_disconnected(pair: tuple[ChatClient, ChatClient]) -> None:
    """close() disconnects, the status says so and sending raises ConnectionError."""
    alice, _ = pair
    alice.close()
    assert not alice.connected
    assert alice.status == "disconnected"
    assert alice.status_label.value == "Alice: disconnected"
    with pytest.raises(ConnectionError):
        alice.send("too late")


def test_server_going_away_wakes_waiters() -> None:
    """Without reconnecting, a server that closes makes wait_for raise ConnectionError at once."""
    with running(ToyChat()) as url:
        client = ChatClient(url, "Carol", reconnect=None)
    with pytest.raises(ConnectionError):
        client.wait_for(lambda f: False, timeout=30)
    assert client.status.startswith("disconnected")


def test_unreachable_server_is_reported() -> None:
    """A refused connection leaves the client disconnected with the reason, not an exception."""
    with running(ToyChat()) as url:
        pass
    client = ChatClient(url, "Dave")
    assert not client.connected
    assert "could not connect" in client.status


def test_non_json_frame_is_a_message() -> None:
    """A plain-text frame becomes a message with no sender."""
    assert message_from_frame("just text") == (None, "just text")


def test_background_threads_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """Connecting, messaging, failing, reconnecting and closing write nothing to stdout or stderr."""
    statuses: list[str] = []
    with running(ToyChat()) as url:
        alice, bob = ChatClient(url, "Alice"), ChatClient(url, "Bob", reconnect=QUICK)
        bob.status_label.observe(lambda change: statuses.append(change["new"]), names="value")
        alice.send("quiet")
        bob.wait_for(lambda f: f["text"] == "quiet")
        alice.close()
    deadline = time.monotonic() + 5
    while sum("reconnecting" in s for s in statuses) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sum("reconnecting" in s for s in statuses) >= 2
    bob.close()
    ChatClient(url, "Eve")
    assert capsys.readouterr() == ("", "")
