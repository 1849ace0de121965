"""Trace: each message's way through the local cloud, drawn live as a sequence diagram.

The local cloud streams one JSON object per hop (frame in, route chosen, Lambda invoked, frames
posted out...) at ws://HOST:PORT/_workshop/trace; this widget draws the most recent messages:
client → gateway → route → Lambda (or a DynamoDB stream or event → Lambda) → @connections → clients,
one arrow per hop with the milliseconds since the previous one. All text is HTML-escaped.
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
from infra.widgets.live import LIVE, REPLACED

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


def group_messages(hops: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(request id or "", its hops) per message, oldest first.

    A frame_in carries no requestId yet: it joins the next request seen on its connection.
    $connect's Lambda (no requestId) comes before its connect hop, and $disconnect's after its
    disconnect hop: each pair is drawn together. Other hops with no request stand alone.
    """
    groups: dict[Any, list[dict[str, Any]]] = {}
    loners = itertools.count()
    waiting: dict[Any, Any] = {}  # connectionId -> its frame_in, not yet tied to a request
    connecting: dict[Any, Any] = {}  # connectionId -> its $connect Lambda, before "connect"
    leaving: dict[Any, Any] = {}  # connectionId -> its "disconnect", before the $disconnect Lambda
    for hop in hops:
        request, connection, kind = hop.get("requestId"), hop.get("connectionId"), hop.get("hop")
        if request:
            if request not in groups and connection in waiting:
                groups[request] = groups.pop(waiting.pop(connection))
            groups.setdefault(request, []).append(hop)
            continue
        if kind == "connect" and connection in connecting:
            groups[connecting.pop(connection)].append(hop)
            continue
        if kind == "lambda" and connection is not None and connection in leaving:
            groups[leaving.pop(connection)].append(hop)
            continue
        key = ("no request", next(loners))
        groups[key] = [hop]
        if kind == "frame_in":
            waiting[connection] = key
        elif kind == "lambda" and connection is not None:
            connecting[connection] = key
        elif kind == "disconnect":
            leaving[connection] = key
    return [(key if isinstance(key, str) else "", members) for key, members in groups.items()]


# The sequence diagram's lanes, left to right: where a message goes on its way.
LANES = ("client", "gateway", "route", "Lambda", "stream/event", "@connections", "clients")
EVENT_LANE = "stream/event"  # where a Lambda not invoked by the gateway is called from
# Why such a Lambda ran, by the hop's `source`: the local cloud says "invoke" for a DynamoDB
# stream's batch, a schedule and a direct call alike.
INVOKED_BY = {
    "stream": "a DynamoDB stream",
    "schedule": "a schedule",
    "invoke": "a stream or event",
}
LANE_GAP = 104  # px between lifelines
LEFT = 52  # x of the first lifeline
ROW = 26  # px per arrow
HEAD = 30  # px for the lane names
DELTA_X = LEFT + LANE_GAP * (len(LANES) - 1) + 92  # where "+N ms" ends (right-aligned)
WIDTH = DELTA_X + 8
MESSAGES_SHOWN = 3
PREVIEW_CHARS = 60  # of the frame's text, in the line above its diagram
GONE_COLOR, ERROR_COLOR, ARROW_COLOR = "#b06000", "#c62828", "#1f4e79"


def _lane(name: str) -> int:
    return LEFT + LANE_GAP * LANES.index(name)


def _short(connection_id: object) -> str:
    text = str(connection_id or "-")
    return text if len(text) <= 10 else text[:8] + "…"


def hop_arrows(hop: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The arrows one hop draws: (from lane, to lane, label, colour, tooltip)."""
    kind = hop.get("hop")
    tip = hop_detail(hop)
    if kind == "connect":
        ok = hop.get("status") == 101
        colour = ARROW_COLOR if ok else ERROR_COLOR
        return [("client", "gateway", f"connect {_short(hop.get('connectionId'))}", colour, tip)]
    if kind == "disconnect":
        label = f"disconnect {_short(hop.get('connectionId'))} ({hop.get('code', '?')})"
        return [("client", "gateway", label, ARROW_COLOR, tip)]
    if kind == "frame_in":
        return [("client", "gateway", f"frame {hop.get('bytes')} B", ARROW_COLOR, tip)]
    if kind == "route":
        route_key = hop.get("routeKey")
        if route_key is None:
            return [("gateway", "route", "no route: Forbidden", ERROR_COLOR, tip)]
        return [("gateway", "route", str(route_key), ARROW_COLOR, tip)]
    if kind == "lambda":
        duration = hop.get("durationMs")
        took = f"{duration:.0f} ms" if isinstance(duration, int | float) else "? ms"
        label = f"{hop.get('function')} {took}"
        colour = ERROR_COLOR if hop.get("error") else ARROW_COLOR
        if hop.get("error"):
            label += " ✗"
        origin = "route" if hop.get("source") == "gateway" else EVENT_LANE
        return [(origin, "Lambda", label, colour, tip)]
    if kind in ("post", "delete", "get"):
        status = hop.get("status")
        gone = status == 410
        colour = GONE_COLOR if gone else (ARROW_COLOR if status in (200, 204) else ERROR_COLOR)
        call = {"post": "POST", "delete": "DELETE", "get": "GET"}[kind]
        onward = f"{_short(hop.get('connectionId'))}" + (" gone (410)" if gone else "")
        arrows = [("Lambda", "@connections", f"{call} {status}", colour, tip)]
        if kind == "post" and not gone:
            arrows.append(("@connections", "clients", onward, colour, tip))
        elif gone:
            arrows.append(("@connections", "clients", onward, GONE_COLOR, tip))
        return arrows
    if kind == "reply":
        return [
            ("Lambda", "client", f"reply {hop.get('bytes')} B (route response)", ARROW_COLOR, tip)
        ]
    if kind == "error":
        return [("gateway", "gateway", f"error: {hop.get('message')}", ERROR_COLOR, tip)]
    return [("gateway", "gateway", f"{kind}: {tip}", ARROW_COLOR, tip)]


def _text(x: float, y: float, text: str, **attributes: str) -> str:
    extra = "".join(
        f' {key.replace("_", "-")}="{html.escape(value)}"' for key, value in attributes.items()
    )
    return f'<text x="{x:.0f}" y="{y:.0f}"{extra}>{html.escape(text)}</text>'


def _arrow(start: int, end: int, y: float, label: str, colour: str, tip: str) -> str:
    """One arrow from lifeline `start` to `end` at height y, its label above it."""
    title = f"<title>{html.escape(tip)}</title>"
    if start == end:  # something that happened at one place: a dot and its text
        return (
            f'<g>{title}<circle cx="{start}" cy="{y:.0f}" r="4" fill="{colour}"/>'
            + _text(start + 8, y + 4, label, fill=colour)
            + "</g>"
        )
    direction = 1 if end > start else -1
    tip_x = end - 2 * direction
    head = (
        f"{tip_x},{y:.0f} {tip_x - 7 * direction},{y - 4:.0f} {tip_x - 7 * direction},{y + 4:.0f}"
    )
    middle = (start + end) / 2
    return (
        f"<g>{title}"
        f'<line x1="{start}" y1="{y:.0f}" x2="{tip_x - 6 * direction}" y2="{y:.0f}"'
        f' stroke="{colour}" stroke-width="1.6"/>'
        f'<polygon points="{head}" fill="{colour}"/>'
        + _text(middle, y - 5, label, fill=colour, text_anchor="middle")
        + "</g>"
    )


def started_at(hop: dict[str, Any]) -> float | None:
    """When the hop began (epoch ms): a Lambda hop is published as it ends, after its posts."""
    at = hop.get("at")
    if not isinstance(at, int | float):
        return None
    duration = hop.get("durationMs") if hop.get("hop") == "lambda" else None
    return at - duration if isinstance(duration, int | float) else at


def _is_time(value: object) -> bool:
    return isinstance(value, int | float)


def _when(item: tuple[float | None, dict[str, Any]]) -> float:
    return item[0] if item[0] is not None else float("inf")


def render_message(request: str, hops: list[dict[str, Any]]) -> str:
    """One message as an SVG sequence diagram: an arrow per hop, with the time it took."""
    rows: list[str] = []
    y = HEAD + ROW - 6
    previous_at: float | None = None
    routed = [h["at"] for h in hops if h.get("hop") == "route" and _is_time(h.get("at"))]
    timed = []
    for hop in hops:
        at = started_at(hop)
        if at is not None and hop.get("hop") == "lambda" and routed:
            at = max(at, routed[0])  # never drawn before its route (timestamps are whole ms)
        timed.append((at, hop))
    for at, hop in sorted(timed, key=_when):
        delta = ""
        if at is not None:
            delta = "" if previous_at is None else f"+{max(at - previous_at, 0):.0f} ms"
            previous_at = at
        for number, (start, end, label, colour, tip) in enumerate(hop_arrows(hop)):
            rows.append(_arrow(_lane(start), _lane(end), y, label, colour, tip))
            if number == 0 and delta:
                rows.append(_text(DELTA_X, y + 4, delta, fill="#555555", text_anchor="end"))
            y += ROW
    height = y - ROW + 14
    lanes = "".join(
        _text(_lane(name), 14, name, font_weight="bold", text_anchor="middle")
        + f'<line x1="{_lane(name)}" y1="20" x2="{_lane(name)}" y2="{height - 4}"'
        ' stroke="#c8c8c8" stroke-dasharray="3 3"/>'
        for name in LANES
    )
    lanes += _text(DELTA_X, 14, "after", fill="#555555", text_anchor="end")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}"'
        f' viewBox="0 0 {WIDTH} {height}" style="max-width:100%;height:auto"'
        ' font-family="monospace" font-size="11">'
        f"{lanes}{''.join(rows)}</svg>"
    )


def message_title(request: str, hops: list[dict[str, Any]]) -> str:
    """The line above a message's diagram: when, which route, from whom, how long in all."""
    first = hops[0]
    route = next((h.get("routeKey") for h in hops if h.get("hop") == "route"), None)
    kinds = [h.get("hop") for h in hops]
    invoked = next((h for h in hops if h.get("hop") == "lambda"), None)
    if route:
        what = str(route)
    elif "connect" in kinds or "disconnect" in kinds:
        what = "$connect" if "connect" in kinds else "$disconnect"
    elif invoked is not None:
        source = str(invoked.get("source"))
        by = "" if source == "gateway" else f" (invoked by {INVOKED_BY.get(source, source)})"
        what = f"{invoked.get('function')}{by}"
    else:
        what = str(first.get("hop", "?"))
    times = [h["at"] for h in hops if isinstance(h.get("at"), int | float)]
    times += [t for t in map(started_at, hops) if t is not None]
    total = f" · {max(times) - min(times):.0f} ms in all" if len(times) > 1 else ""
    who = f" · from {_short(first.get('connectionId'))}" if first.get("hop") == "frame_in" else ""
    preview = str(first.get("preview") or "") if first.get("hop") == "frame_in" else ""
    said = f" · {preview[:PREVIEW_CHARS]}{'…' if len(preview) > PREVIEW_CHARS else ''}"
    return f"{hop_time(first)} · {what}{who}{total}{said if preview else ''}"


def render_diagram(hops: list[dict[str, Any]], shown: int = MESSAGES_SHOWN) -> str:
    """HTML for the newest `shown` messages, newest first, each a sequence diagram; text escaped."""
    messages = group_messages(hops)[-shown:]
    if not messages:
        body = '<div style="color:#777">No messages yet: send one and watch its hops.</div>'
    else:
        body = "".join(
            '<div class="workshop-trace-message" style="margin:6px 0 10px 0"'
            f' title="{html.escape(request, quote=True)}">'
            f'<div style="font-weight:bold;margin-bottom:2px">'
            f"{html.escape(message_title(request, members))}</div>"
            f"{render_message(request, members)}</div>"
            for request, members in reversed(messages)
        )
    return (
        '<div class="workshop-trace" style="max-height:60em;overflow-y:auto;'
        f'font-family:monospace;font-size:12px">{body}</div>'
    )


class NoFeed:
    """Where a trace feed would be, when there is none: no hops, and the reason as its status."""

    connected = False
    frame_count = 0
    reconnects = 0

    def __init__(self, reason: str) -> None:
        self.status = reason

    @property
    def received(self) -> list[Frame]:
        return []

    def wait_for(self, predicate: Any, timeout: float = 5.0, since: int = 0) -> None:
        """No hop will ever come: None at once, instead of waiting `timeout` to say so."""
        return None

    def close(self, timeout: float = 5.0, reason: str | None = None) -> None:
        pass


class Trace(ConnectionFacade):
    """Watch hops in the local cloud at `cloud_url` (default: $AWS_ENDPOINT_URL), for one API or all.

    Without a cloud URL (boto3 is using AWS's public endpoints) there is no feed to watch:
    `available` is False, the status line says why, and `wait_for` returns None at once.
    """

    _connection: Connection | NoFeed

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
        self.diagram = widgets.HTML(value=render_diagram([]))
        self.table = self.diagram  # its name before it was a diagram
        self.clear_button = widgets.Button(description="Clear")
        self.clear_button.on_click(lambda _: self.clear())
        self.widget = widgets.VBox(
            [widgets.HBox([self.status_label, self.clear_button]), self.diagram]
        )
        if not cloud_url:
            self._connection = NoFeed(NO_FEED)
            self._on_status(self._connection.status)
            return
        LIVE.claim(self, "Trace", trace_url(cloud_url, api_id))
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
        """Redraw the diagram now (it also redraws by itself shortly after hops arrive)."""
        with self._lock:
            self._render_pending = False
            hops = list(self._hops)
        self.diagram.value = render_diagram(hops)

    def close(self) -> None:
        """Stop watching; the diagram stays on screen, showing 'disconnected'."""
        self._connection.close()
        self.render()

    def _replaced(self) -> None:
        self._connection.close(reason=REPLACED)

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
