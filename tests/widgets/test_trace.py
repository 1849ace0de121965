"""Trace against a toy trace stream."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from infra.widgets import Trace
from infra.widgets.trace import format_hop, render_table, trace_url
from tests.widgets.servers import ToyTrace, running

AT = 1_700_000_000_000
HOPS: list[dict[str, Any]] = [
    {"hop": "connect", "at": AT, "apiId": "a1", "stage": "dev", "connectionId": "c1"},
    {"hop": "frame_in", "at": AT + 1, "apiId": "a1", "stage": "dev", "connectionId": "c1",
     "requestId": "r1", "bytes": 36, "preview": '{"action":"sendMessage","data":"hi"}'},
    {"hop": "route", "at": AT + 2, "apiId": "a1", "stage": "dev", "connectionId": "c1",
     "requestId": "r1", "routeKey": "sendMessage"},
    {"hop": "lambda", "at": AT + 40, "apiId": "a1", "stage": "dev", "connectionId": "c1",
     "requestId": "r1", "function": "chat-send", "durationMs": 37.5, "error": None,
     "source": "gateway"},
    {"hop": "post", "at": AT + 41, "apiId": "a1", "stage": "dev", "connectionId": "c2",
     "requestId": "r1", "status": 410},
]  # fmt: skip


def cloud_url_of(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://")


def test_trace_url_points_at_the_trace_stream() -> None:
    """An http cloud URL becomes ws://HOST:PORT/_workshop/trace, with apiId when given."""
    assert trace_url("http://127.0.0.1:4566") == "ws://127.0.0.1:4566/_workshop/trace"
    assert trace_url("https://h:1/x", "a1") == "wss://h:1/_workshop/trace?apiId=a1"


def test_receives_hops_in_order() -> None:
    """Every hop the cloud streams ends up in hops, in order."""
    with running(ToyTrace(HOPS)) as url:
        trace = Trace(cloud_url_of(url))
        trace.wait_for(lambda f: f["hop"] == "post")
        assert trace.hops == HOPS
        trace.close()


def test_filters_by_api_id_in_the_query() -> None:
    """api_id is sent as ?apiId=... to the trace endpoint."""
    server = ToyTrace([])
    with running(server) as url:
        Trace(cloud_url_of(url), api_id="a1").close()
    assert server.paths == ["/_workshop/trace?apiId=a1"]


def test_defaults_to_aws_endpoint_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a cloud_url, the widget uses AWS_ENDPOINT_URL."""
    with running(ToyTrace(HOPS[:1])) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", cloud_url_of(url))
        trace = Trace()
        assert trace.wait_for(lambda f: f["hop"] == "connect")
        trace.close()


def test_keeps_only_the_last_hops() -> None:
    """Only the most recent `keep` hops are kept."""
    with running(ToyTrace(HOPS)) as url:
        trace = Trace(cloud_url_of(url), keep=2)
        trace.wait_for(lambda f: f["hop"] == "post")
        assert [hop["hop"] for hop in trace.hops] == ["lambda", "post"]
        trace.close()


def test_table_redraws_after_hops_arrive() -> None:
    """The table redraws by itself once hops arrive."""
    redrawn = threading.Event()
    with running(ToyTrace(HOPS)) as url:
        trace = Trace(cloud_url_of(url))
        trace.table.observe(lambda _: redrawn.set(), names="value")
        trace.wait_for(lambda f: f["hop"] == "post")
        assert redrawn.wait(5)
        trace.render()
        assert "chat-send  37.5 ms  (gateway)" in trace.table.value
        trace.close()


def test_table_escapes_html() -> None:
    """HTML inside a hop is shown as text, never as markup."""
    hop = {"hop": "frame_in", "at": AT, "connectionId": "c1", "bytes": 9, "preview": "<script>x"}
    table = render_table([hop])
    assert "&lt;script&gt;x" in table
    assert "<script>" not in table


def test_table_groups_hops_by_request() -> None:
    """Hops of one request sit together, newest request first."""
    other = {**HOPS[1], "requestId": "r2", "preview": "second", "at": AT + 5}
    table = render_table([HOPS[1], other, HOPS[2]])
    assert table.index("second") < table.index("route sendMessage")
    assert table.index('title="r2"') < table.index('title="r1"')


def test_frame_in_joins_the_request_that_follows() -> None:
    """A frame_in without requestId is shown with the next request on its connection."""
    frame_in = {**HOPS[1]}
    del frame_in["requestId"]
    table = render_table([frame_in, HOPS[2]])
    assert table.count("<tbody") == 1


def test_format_hop_reads_as_a_line() -> None:
    """A hop formats as time, hop, connection and detail; a 410 post is marked gone."""
    line = format_hop(HOPS[4])
    assert line.split()[1:] == ["post", "c2", "status", "410", "(gone)"]


def test_close_shows_disconnected() -> None:
    """close() stops the stream and the status line says so."""
    with running(ToyTrace([])) as url:
        trace = Trace(cloud_url_of(url))
        trace.close()
        assert trace.status_label.value == "trace: disconnected"
        assert not trace.connected


def test_without_a_cloud_url_it_says_why_in_one_line_and_never_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On AWS (no AWS_ENDPOINT_URL) the status line says why there are no hops; nothing raises."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    trace = Trace(api_id="a1")
    assert not trace.available and not trace.connected
    assert trace.status_label.value.startswith("trace: no hops to show on AWS: ")
    assert "\n" not in trace.status_label.value
    assert trace.wait_for(lambda hop: hop["hop"] == "post", timeout=30) is None
    assert trace.hops == [] and trace.received == [] and trace.frame_count == 0
    trace.render()
    trace.clear()
    trace.close()
    assert "<tbody" not in trace.table.value


def test_a_cloud_that_does_not_answer_is_a_status_line_not_an_error() -> None:
    """A cloud URL where nothing listens: the widget is made, and its status says so."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    trace = Trace(f"http://127.0.0.1:{port}", connect_timeout=2)
    assert trace.available and not trace.connected
    assert trace.status_label.value.startswith("trace: disconnected: could not connect")
    trace.close()
