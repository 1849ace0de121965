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

from infra.widgets.connection import Connection, ConnectionFacade, Frame, with_query
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
    """Join the pointer arena at `url` (optionally as `name`); display it to play with the mouse."""

    _esm = HERE / "arena.js"
    _css = HERE / "arena.css"

    pointers = traitlets.Dict().tag(sync=True)  # id -> {name, color, x, y}, x/y in 0..1
    you = traitlets.Dict(default_value=None, allow_none=True).tag(sync=True)  # {id, name, color}
    status = traitlets.Unicode("connecting").tag(sync=True)
    throttle_ms = traitlets.Int(50).tag(sync=True)  # the browser sends at most one move per this

    def __init__(self, url: str, name: str | None = None, *, connect_timeout: float = 10.0) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.on_msg(self._on_browser_message)
        self._connection = Connection(
            with_query(url, name=name),
            on_frame=self._on_frame,
            on_status=self._on_status,
            on_open=self._ask_for_list,
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
                self.you = dict(you) if isinstance(you, dict) else None
                listed = frame.get("pointers") or []
                self.pointers = {p["id"]: _pointer(p) for p in listed if "id" in p}
            elif frame.get("type") == "changes":
                changes = frame.get("changes") or []
                self.pointers = apply_changes(self.pointers, changes)
                self._update_you(changes)

    def _update_you(self, changes: list[dict[str, Any]]) -> None:
        """Keep `you` in step when the server reports a change to our own pointer (a new colour)."""
        if not self.you:
            return
        mine = [
            c for c in changes if c.get("id") == self.you.get("id") and c.get("kind") != "leave"
        ]
        for change in mine:
            self.you = {**self.you, **{k: change[k] for k in ("name", "color") if k in change}}

    def _on_status(self, status: str) -> None:
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
