"""ChatClient: a chat-room widget (message log, text box, Send button) over one WebSocket."""

from __future__ import annotations

import json
import threading
from typing import Any

import ipywidgets as widgets

from infra.widgets.connection import (
    WIDGET_BACKOFF,
    Backoff,
    Connection,
    ConnectionFacade,
    Frame,
    with_query,
)
from infra.widgets.live import LIVE, REPLACED

SENDER_KEYS = ("from", "name", "sender", "author")
TEXT_KEYS = ("text", "message", "data", "body", "content")
LOG_LINES_KEPT = 500


def message_from_frame(frame: Frame) -> tuple[str | None, str]:
    """(sender, text) for a received frame, whatever shape the chat Lambda chose for it."""
    if isinstance(frame, dict):
        sender = next((frame[k] for k in SENDER_KEYS if isinstance(frame.get(k), str)), None)
        text = next((frame[k] for k in TEXT_KEYS if k in frame), None)
        if text is None:
            return sender, json.dumps(frame)
        return sender, text if isinstance(text, str) else json.dumps(text)
    if isinstance(frame, str):
        return None, frame
    if isinstance(frame, bytes):
        return None, frame.decode("utf-8", errors="replace")
    return None, json.dumps(frame)


def log_line(frame: Frame, sender: str | None, text: str) -> str:
    """How a received frame reads in the log: 'alice: hi', 'alice whispers: psst', 'error: ...'."""
    kind = frame.get("type") if isinstance(frame, dict) else None
    if kind == "whisper" and sender:
        return f"{sender} whispers: {text}"
    if kind == "error":
        return f"error: {text}"
    return f"{sender}: {text}" if sender else text


class ChatClient(ConnectionFacade):
    """Join the chat at `url` as `name`; display it in a notebook or drive it from Python.

    Everything is shown as plain text (a read-only Textarea), so HTML in a message stays literal.
    A dropped connection (the cloud restarted, the laptop slept) is opened again with `reconnect`
    backoff, under the same name; the status says "reconnecting…" meanwhile and the box is off.
    Nothing is queued or sent again: a message is sent once, or refused while disconnected.
    """

    _connection: Connection

    def __init__(
        self,
        url: str,
        name: str,
        *,
        connect_timeout: float = 10.0,
        reconnect: Backoff | None = WIDGET_BACKOFF,
    ) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._messages: list[tuple[str | None, str]] = []
        self._lines: list[str] = []
        self.status_label = widgets.Label(value=f"{name}: connecting")
        self.log = widgets.Textarea(
            value="",
            disabled=True,
            placeholder="Messages appear here",
            layout=widgets.Layout(width="100%", height="14em"),
        )
        # continuous_update=False: the value arrives on Enter (or leaving the box), not per key.
        self.input = widgets.Text(
            placeholder="Type a message and press Enter", continuous_update=False
        )
        self.input.layout.flex = "1"
        self.send_button = widgets.Button(description="Send", button_style="primary")
        self.input.observe(self._on_input, names="value")
        self.send_button.on_click(self._on_click)
        self.widget = widgets.VBox(
            [self.status_label, self.log, widgets.HBox([self.input, self.send_button])]
        )
        LIVE.claim(self, "ChatClient", url, name)
        self._connection = Connection(
            with_query(url, name=name),
            on_frame=self._on_frame,
            on_status=self._on_status,
            on_open=self._on_open,
            reconnect=reconnect,
        )
        self._connection.open(connect_timeout)

    # -- Python API --------------------------------------------------------------------------

    def send(self, text: str) -> None:
        """Send `text` to the room as {"action": "sendMessage", "data": text}."""
        self._connection.send_json({"action": "sendMessage", "data": text})
        self._add_line(f"{self.name} (you): {text}")

    def whisper(self, to: str, text: str) -> None:
        """Send `text` to everyone called `to` only, as {"action": "whisper", "to", "data"}."""
        self._connection.send_json({"action": "whisper", "to": to, "data": text})
        self._add_line(f"{self.name} (you) whisper to {to}: {text}")

    @property
    def messages(self) -> list[tuple[str | None, str]]:
        """(sender, text) for every message received, oldest first; sender is None if unknown."""
        with self._lock:
            return list(self._messages)

    @property
    def status(self) -> str:
        """'connected', or 'disconnected' with the reason."""
        return self._connection.status

    def close(self) -> None:
        """Leave the chat; the widget stays on screen, showing 'disconnected'."""
        self._connection.close()

    def _replaced(self) -> None:
        self._connection.close(reason=REPLACED)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- callbacks (loop thread for frames/status, kernel thread for UI events) ---------------

    def _on_frame(self, frame: Frame) -> None:
        sender, text = message_from_frame(frame)
        with self._lock:
            self._messages.append((sender, text))
        self._add_line(log_line(frame, sender, text))

    def _on_open(self) -> None:
        if self._connection.reconnects:
            self._add_line("(reconnected: messages sent to the room meanwhile did not reach you)")

    def _on_status(self, status: str) -> None:
        self.status_label.value = f"{self.name}: {status}"
        usable = status == "connected"
        self.input.disabled = not usable
        self.send_button.disabled = not usable

    def _add_line(self, line: str) -> None:
        with self._lock:
            self._lines = [*self._lines, line][-LOG_LINES_KEPT:]
            self.log.value = "\n".join(self._lines)

    def _on_input(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._send_from_ui(change["new"])

    def _on_click(self, _button: widgets.Button) -> None:
        if self.input.value:
            self._send_from_ui(self.input.value)

    def _send_from_ui(self, text: str) -> None:
        self.input.value = ""
        try:
            self.send(text)
        except ConnectionError as exc:
            self.status_label.value = f"{self.name}: {exc}"
