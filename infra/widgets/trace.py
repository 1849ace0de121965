"""Trace: a live table of each hop a request takes through the local cloud.

The local cloud streams one JSON object per hop (frame in, route chosen, Lambda invoked, frames
posted out...) at ws://HOST:PORT/_workshop/trace; this widget shows the most recent ones.
On AWS there is no such feed: the widget says so in its status line and shows no hops, and
everything else about it still works (nothing raises), so a lesson runs unchanged.
"""

from __future__ import annotations

import asyncio
import datetime
import html
import itertools
import json
import os
import threading
from collections import deque
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import ipywidgets as widgets

from infra.widgets.connection import Connection, ConnectionFacade, Frame, with_query

TRACE_PATH = "/_workshop/trace"
RENDER_DELAY_S = 0.2  # coalesce bursts of hops into one redraw
COMMON_FIELDS = {"hop", "at", "apiId", "stage", "connectionId", "requestId"}
NO_FEED = (
    "no hops to show on AWS: boto3 uses AWS's public endpoints, and API Gateway has no live"
    " hop feed (the functions' CloudWatch Logs tell the story: workshop logs FUNCTION)"
)


def trace_url(cloud_url: str, api_id: str | None = None) -> str:
    """The trace stream's ws:// URL for a local cloud at http://HOST:PORT (https -> wss)."""
    parts = urlsplit(cloud_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return with_query(urlunsplit((scheme, parts.netloc, TRACE_PATH, "", "")), apiId=api_id)


def hop_time(hop: dict[str, Any]) -> str:
    """The hop's `at` (epoch milliseconds) as local HH:MM:SS.mmm."""
    try:
        moment = datetime.datetime.fromtimestamp(float(hop["at"]) / 1000)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return "--:--:--.---"
    return moment.strftime("%H:%M:%S.%f")[:-3]


def hop_detail(hop: dict[str, Any]) -> str:
    """What this hop says beyond who and when, as one line of text."""
    kind = hop.get("hop")
    if kind == "connect":
        return f"status {hop.get('status', '')}".strip()
    if kind == "disconnect":
        return f"code {hop.get('code', '')}".strip()
    if kind == "frame_in":
        return f"{hop.get('bytes')} B  {hop.get('preview', '')}"
    if kind == "route":
        return f"route {hop.get('routeKey')}"
    if kind == "lambda":
        duration = hop.get("durationMs")
        took = f"{duration:.1f} ms" if isinstance(duration, int | float) else "? ms"
        failed = f"  ERROR {hop['error']}" if hop.get("error") else ""
        return f"{hop.get('function')}  {took}  ({hop.get('source')}){failed}"
    if kind == "post":
        gone = " (gone)" if hop.get("status") == 410 else ""
        return f"status {hop.get('status')}{gone}"
    if kind == "reply":
        return f"{hop.get('bytes')} B"
    if kind == "error":
        return str(hop.get("message"))
    extra = {key: value for key, value in hop.items() if key not in COMMON_FIELDS}
    return json.dumps(extra) if extra else ""


def format_hop(hop: dict[str, Any]) -> str:
    """One hop as a line of text: time, hop, connection, detail."""
    when, kind, connection = hop_time(hop), hop.get("hop", "?"), hop.get("connectionId") or "-"
    return f"{when}  {kind:<10}  {connection}  {hop_detail(hop)}"


def render_table(hops: list[dict[str, Any]]) -> str:
    """HTML for the hops, newest request first, each request's hops together; all text escaped.

    A frame_in carries no requestId yet: it joins the next request seen on its connection.
    """
    groups: dict[Any, list[dict[str, Any]]] = {}
    loners = itertools.count()
    waiting: dict[Any, Any] = {}  # connectionId -> its frame_in, not yet tied to a request
    for hop in hops:
        request, connection = hop.get("requestId"), hop.get("connectionId")
        if request:
            if request not in groups and connection in waiting:
                groups[request] = groups.pop(waiting.pop(connection))
            groups.setdefault(request, []).append(hop)
        else:
            key = ("no request", next(loners))
            groups[key] = [hop]
            if hop.get("hop") == "frame_in":
                waiting[connection] = key
    bodies = []
    for key, members in reversed(groups.items()):
        request = key if isinstance(key, str) else ""
        rows = [
            "<tr>"
            + _cell(hop_time(hop))
            + _cell(hop.get("hop", "?"))
            + _cell(hop.get("connectionId") or "-")
            + _cell(hop_detail(hop))
            + "</tr>"
            for hop in members
        ]
        title = html.escape(request, quote=True)
        bodies.append(
            f'<tbody title="{title}" style="border-top:1px solid #ccc">{"".join(rows)}</tbody>'
        )
    head = "<thead><tr><th>time</th><th>hop</th><th>connection</th><th>detail</th></tr></thead>"
    return (
        '<div class="workshop-trace" style="max-height:22em;overflow-y:auto;'
        'font-family:monospace;font-size:12px">'
        f'<table style="border-collapse:collapse;text-align:left">{head}{"".join(bodies)}</table></div>'
    )


def _cell(value: object) -> str:
    return f"<td>{html.escape(str(value))}</td>"


class NoFeed:
    """Where a trace feed would be, when there is none: no hops, and the reason as its status."""

    connected = False
    frame_count = 0

    def __init__(self, reason: str) -> None:
        self.status = reason

    @property
    def received(self) -> list[Frame]:
        return []

    def wait_for(self, predicate: Any, timeout: float = 5.0, since: int = 0) -> None:
        """No hop will ever come: None at once, instead of waiting `timeout` to say so."""
        return None

    def close(self) -> None:
        pass


class Trace(ConnectionFacade):
    """Watch hops in the local cloud at `cloud_url` (default: $AWS_ENDPOINT_URL), for one API or all.

    Without a cloud URL (boto3 is using AWS's public endpoints) there is no feed to watch:
    `available` is False, the status line says why, and `wait_for` returns None at once.
    """

    _connection: Connection | NoFeed  # type: ignore[assignment]

    def __init__(
        self,
        cloud_url: str | None = None,
        api_id: str | None = None,
        *,
        keep: int = 200,
        connect_timeout: float = 10.0,
    ) -> None:
        cloud_url = cloud_url or os.environ.get("AWS_ENDPOINT_URL")
        self._lock = threading.Lock()
        self._hops: deque[dict[str, Any]] = deque(maxlen=keep)
        self._render_pending = False
        self.errors: list[str] = []
        self.status_label = widgets.Label(value="connecting")
        self.table = widgets.HTML(value=render_table([]))
        self.clear_button = widgets.Button(description="Clear")
        self.clear_button.on_click(lambda _: self.clear())
        self.widget = widgets.VBox(
            [widgets.HBox([self.status_label, self.clear_button]), self.table]
        )
        if not cloud_url:
            self._connection = NoFeed(NO_FEED)
            self._on_status(self._connection.status)
            return
        self._connection = Connection(
            trace_url(cloud_url, api_id),
            on_frame=self._on_frame,
            on_status=self._on_status,
            keep=keep,
        )
        self._connection.open(connect_timeout)

    @property
    def available(self) -> bool:
        """False when there is no trace feed to watch (on AWS)."""
        return isinstance(self._connection, Connection)

    @property
    def hops(self) -> list[dict[str, Any]]:
        """The most recent hops (up to `keep`), oldest first."""
        with self._lock:
            return list(self._hops)

    @property
    def status(self) -> str:
        return self._connection.status

    def clear(self) -> None:
        """Forget the hops shown so far."""
        with self._lock:
            self._hops.clear()
        self.render()

    def render(self) -> None:
        """Redraw the table now (it also redraws by itself shortly after hops arrive)."""
        with self._lock:
            self._render_pending = False
            hops = list(self._hops)
        self.table.value = render_table(hops)

    def close(self) -> None:
        """Stop watching; the table stays on screen, showing 'disconnected'."""
        self._connection.close()
        self.render()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _on_frame(self, frame: Frame) -> None:
        if not isinstance(frame, dict):
            self.errors.append(f"not a hop: {frame!r:.200}")
            return
        with self._lock:
            self._hops.append(frame)
            if self._render_pending:
                return
            self._render_pending = True
        asyncio.get_running_loop().call_later(RENDER_DELAY_S, self.render)

    def _on_status(self, status: str) -> None:
        self.status_label.value = f"trace: {status}"
