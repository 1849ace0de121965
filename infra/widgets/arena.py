"""Arena: everyone's mouse pointer in one shared area (an anywidget with its own JS and CSS).

The browser reports our pointer to the kernel (model.send); the kernel forwards it over the
WebSocket and syncs everyone else's pointers back to the browser through the `pointers` trait.
"""

from __future__ import annotations

import pathlib
import threading
from typing import Any

import anywidget
import traitlets

from infra.widgets.connection import (
    WIDGET_BACKOFF,
    Backoff,
    Connection,
    ConnectionFacade,
    Frame,
    with_query,
)
from infra.widgets.live import LIVE, REPLACED
from infra.widgets.loop import log

HERE = pathlib.Path(__file__).parent
POINTER_FIELDS = ("name", "color", "x", "y")


def _pointer(fields: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pointer record {name, color, x, y}: `base` updated with whichever fields are given."""
    pointer = dict(base or dict.fromkeys(POINTER_FIELDS))
    pointer.update({key: fields[key] for key in POINTER_FIELDS if key in fields})
    return pointer


def apply_changes(
    pointers: dict[str, dict[str, Any]], changes: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """A new pointers dict with join/move/leave changes applied in order."""
    updated = dict(pointers)
    for change in changes:
        pointer_id = change.get("id")
        if pointer_id is None:
            continue
        if change.get("kind") == "leave":
            updated.pop(pointer_id, None)
        else:  # join, move, or a kind we don't know: take what it says
            updated[pointer_id] = _pointer(change, updated.get(pointer_id))
    return updated


class Arena(ConnectionFacade, anywidget.AnyWidget):
    """Join the pointer arena at `url` (optionally as `name`); display it to play with the mouse.

    A dropped connection is opened again with `reconnect` backoff ("reconnecting…" meanwhile,
    everyone else's pointers cleared, since they are no longer live); once open it asks for the
    list again, so the arena shows who is there now, and us under our new connection.
    """

    _connection: Connection
    _esm = HERE / "arena.js"
    _css = HERE / "arena.css"

    # Everyone else: id -> {name, color, x, y}, x/y from 0 to 1 (None until they move).
    pointers = traitlets.Dict().tag(sync=True)
    # Us, from the list reply: {id, name, color}, plus x/y once the server echoes our moves.
    you = traitlets.Dict(default_value=None, allow_none=True).tag(sync=True)
    status = traitlets.Unicode("connecting").tag(sync=True)
    throttle_ms = traitlets.Int(50).tag(sync=True)  # the browser sends at most one move per this

    def __init__(
        self,
        url: str,
        name: str | None = None,
        *,
        connect_timeout: float = 10.0,
        reconnect: Backoff | None = WIDGET_BACKOFF,
    ) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.errors: list[str] = []  # messages of error frames (a rejected move or colour)
        self.on_msg(self._on_browser_message)
        LIVE.claim(self, "Arena", url, name)
        self._connection = Connection(
            with_query(url, name=name),
            on_frame=self._on_frame,
            on_status=self._on_status,
            on_open=self._ask_for_list,
            reconnect=reconnect,
        )
        self._connection.open(connect_timeout)

    # -- Python API --------------------------------------------------------------------------

    def move(self, x: float, y: float) -> None:
        """Move our pointer to (x, y), each from 0 to 1 across the area; sent immediately."""
        self._connection.send_json(_move_frame(x, y))

    def set_color(self, color: str) -> None:
        """Ask for a new pointer colour, e.g. "#1e90ff" (the server decides whether it is valid)."""
        self._connection.send_json({"action": "color", "color": color})

    def disconnect(self) -> None:
        """Close the WebSocket but keep the widget on screen, showing 'disconnected'."""
        self._connection.close()

    def _replaced(self) -> None:
        self._connection.close(reason=REPLACED)

    def close(self) -> None:
        """Close the WebSocket and the widget itself."""
        self.disconnect()
        super().close()

    # -- callbacks ---------------------------------------------------------------------------

    def _ask_for_list(self) -> None:
        self._connection.send_json({"action": "list"}, wait=False)

    def _on_frame(self, frame: Frame) -> None:
        if not isinstance(frame, dict):
            return
        with self._lock:
            if frame.get("type") == "list":
                you = frame.get("you")
                self.you = dict(you) if isinstance(you, dict) else None  # type: ignore[assignment]  # traitlets types Dict(allow_none=True) without None
                listed = [p for p in frame.get("pointers") or [] if "id" in p]
                self.pointers = {p["id"]: _pointer(p) for p in listed if not self._is_me(p)}
            elif frame.get("type") == "changes":
                changes = [c for c in frame.get("changes") or [] if isinstance(c, dict)]
                others = [c for c in changes if not self._is_me(c)]
                self.pointers = apply_changes(self.pointers, others)
                for change in changes:
                    if self._is_me(change) and change.get("kind") != "leave":
                        # Our own move or colour change, echoed by the server.
                        self.you = {**self.you, **_pointer(change, self.you)}
            elif frame.get("type") == "error":
                self.errors.append(str(frame.get("message")))

    def _is_me(self, pointer: dict[str, Any]) -> bool:
        return bool(self.you) and pointer.get("id") == self.you.get("id")

    def _on_status(self, status: str) -> None:
        # Pointers of a connection that is gone are no longer live: don't show them as if they were.
        if status.startswith(("reconnecting", "disconnected")):
            with self._lock:
                self.pointers = {}
        self.status = status

    def _on_browser_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """A move from the browser (already throttled there): forward it without blocking."""
        try:
            if isinstance(content, dict) and content.get("type") == "move" and self.connected:
                frame = _move_frame(content["x"], content["y"])
                self._connection.send_json(frame, wait=False)
        except Exception:
            log.exception("could not forward a move from the browser: %r", content)


def _move_frame(x: float, y: float) -> dict[str, Any]:
    """The move action, with x and y clamped to the area."""
    return {"action": "move", "clientX": _clamp01(x), "clientY": _clamp01(y)}


def _clamp01(value: float) -> float:
    return min(1.0, max(0.0, float(value)))
