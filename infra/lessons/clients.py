"""Talking to an endpoint: ``WsCat``, the kit's WebSocket client printing frames like wscat, and
what to tell a neighbour who wants to join."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from infra.widgets.connection import Connection, frame_text


class WsCat:
    """A WebSocket client that prints each frame it sends (>) and receives (<), like wscat.

    It is the kit's one client (`infra.widgets.connection.Connection`) with a read cursor: frames
    are printed when ``receive`` hands them out, on the calling thread, so nothing prints in the
    background.
    """

    def __init__(self, url: str, *, quiet: bool = False, timeout: float = 10.0) -> None:
        self.url = url
        self.quiet = quiet
        self.connection = Connection(url)
        if not self.connection.open(timeout):
            raise ConnectionError(f"could not connect to {url}: {self.connection.status}")
        self._next = 0  # the number of the first frame not handed out yet
        self._say(f"connected ({url})")

    def send(self, message: dict[str, Any] | str) -> None:
        """Send a JSON object (or text as is) as one text frame."""
        text = message if isinstance(message, str) else json.dumps(message)
        self.connection.send_text(text)
        self._say(f"> {text}")

    def receive(self, timeout: float = 5.0, *, of_type: str | None = None) -> Any:
        """The next frame, JSON-decoded when it is JSON; raises TimeoutError after ``timeout``.

        With ``of_type``, frames whose ``type`` differs are printed and skipped.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(deadline - time.monotonic(), 0)
            number, frame = self.connection.next_frame(self._next, timeout=remaining)
            self._next = number + 1
            self._say(f"< {frame_text(frame)}")
            if of_type is None or (isinstance(frame, dict) and frame.get("type") == of_type):
                return frame

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        self.connection.close()

    def __enter__(self) -> WsCat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _say(self, line: str) -> None:
        if not self.quiet:
            print(line)


def room_invitation(stage_url: str) -> str:
    """What to tell a neighbour so they can join this endpoint (or why they cannot yet)."""
    host = urlsplit(stage_url).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        return (
            f"{stage_url} only works on this machine. To host a room, run "
            "`workshop up --host 0.0.0.0` and deploy with AWS_ENDPOINT_URL set to the LAN "
            "address it prints: the URLs you get then work for everyone on the LAN."
        )
    return f"Join me: ChatClient({stage_url!r}, 'your name')"
