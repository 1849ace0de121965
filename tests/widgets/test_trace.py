"""Trace against a toy trace stream."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from infra.widgets import Trace
from infra.widgets.trace import LANES, format_hop, hop_arrows, render_diagram, trace_url
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


def test_diagram_redraws_after_hops_arrive() -> None:
    """The diagram redraws by itself once hops arrive."""
    redrawn = threading.Event()
    with running(ToyTrace(HOPS)) as url:
        trace = Trace(cloud_url_of(url))
        trace.diagram.observe(lambda _: redrawn.set(), names="value")
        trace.wait_for(lambda f: f["hop"] == "post")
        assert redrawn.wait(5)
        trace.render()
        assert "chat-send 38 ms" in trace.diagram.value
        trace.close()


def test_diagram_escapes_html() -> None:
    """HTML inside a hop is shown as text, never as markup (labels, tooltips and titles)."""
    hop = {"hop": "frame_in", "at": AT, "connectionId": "<b>c1", "bytes": 9, "preview": "<script>x"}
    route = {**HOPS[2], "routeKey": "<img src=x>", "connectionId": "<b>c1"}
    diagram = render_diagram([hop, route])
    assert "&lt;script&gt;x" in diagram
    assert "&lt;img src=x&gt;" in diagram
    assert "<script>" not in diagram and "<img" not in diagram and "<b>" not in diagram


def test_diagram_draws_a_message_hop_by_hop() -> None:
    """One message is one sequence diagram: an arrow per hop between the lanes, in order."""
    arrows = [arrow[:3] for hop in HOPS[1:] for arrow in hop_arrows(hop)]
    assert arrows == [
        ("client", "gateway", "frame 36 B"),
        ("gateway", "route", "sendMessage"),
        ("route", "Lambda", "chat-send 38 ms"),
        ("Lambda", "@connections", "POST 410"),
        ("@connections", "clients", "c2 gone (410)"),
    ]
    diagram = render_diagram(HOPS[1:])
    assert diagram.count("<svg") == 1
    assert all(f">{lane}</text>" in diagram for lane in LANES)
    positions = [diagram.index(label) for label in ("frame 36 B", "sendMessage<", "chat-send")]
    assert positions == sorted(positions)
    assert "· sendMessage · from c1 · 40 ms in all · {&quot;action&quot;" in diagram  # its title


def test_diagram_shows_each_hops_duration() -> None:
    """Each hop after the first says how long after the previous one it came; the title, in all."""
    diagram = render_diagram(HOPS[1:])
    assert "+1 ms" in diagram and "+38 ms" in diagram
    assert "40 ms in all" in diagram


def test_a_stream_invocation_comes_from_the_stream_lane() -> None:
    """A Lambda the gateway did not invoke (a stream's batch, say) comes from the stream/event lane."""
    hop = {"hop": "lambda", "at": AT, "requestId": "s1", "function": "arena-tableTriggers",
           "durationMs": 4.2, "error": None, "source": "invoke"}  # fmt: skip
    assert hop_arrows(hop)[0][:3] == ("stream/event", "Lambda", "arena-tableTriggers 4 ms")
    assert "arena-tableTriggers (invoked by a stream or event)" in render_diagram([hop])
    stream = render_diagram([{**hop, "source": "stream"}])
    assert "arena-tableTriggers (invoked by a DynamoDB stream)" in stream


def test_diagram_groups_hops_by_message_newest_first() -> None:
    """Hops of one request share a diagram; the newest message comes first."""
    other = {**HOPS[1], "requestId": "r2", "preview": "second", "at": AT + 5}
    diagram = render_diagram([HOPS[1], other, HOPS[2]])
    assert diagram.count("<svg") == 2
    assert diagram.index('title="r2"') < diagram.index('title="r1"')


def test_frame_in_joins_the_request_that_follows() -> None:
    """A frame_in without requestId is drawn with the next request on its connection."""
    frame_in = {**HOPS[1]}
    del frame_in["requestId"]
    assert render_diagram([frame_in, HOPS[2]]).count("<svg") == 1


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
    assert "<svg" not in trace.diagram.value


def test_without_a_cloud_url_it_counts_no_reconnects(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no feed, `reconnects` is 0 as for any widget, not an AttributeError."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert Trace(api_id="a1").reconnects == 0


def test_without_a_cloud_url_a_newer_trace_replaces_it_quietly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A trace with no feed, replaced by a newer one in the notebook, closes without raising."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    trace = Trace(api_id="a1")
    trace._replaced()
    assert not trace.connected


def test_a_cloud_that_does_not_answer_is_a_status_line_not_an_error() -> None:
    """A cloud URL where nothing listens: the widget is made, and its status says so."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    trace = Trace(f"http://127.0.0.1:{port}", connect_timeout=2)
    assert trace.available and not trace.connected
    assert trace.status_label.value.startswith("trace: disconnected: could not connect")
    trace.close()


def test_connect_and_disconnect_are_drawn_with_their_lambdas() -> None:
    """$connect's Lambda and the connect hop, the disconnect hop and $disconnect's Lambda: one each."""
    lambda_hop = {"hop": "lambda", "connectionId": "c9", "durationMs": 3.0, "source": "gateway"}
    hops = [
        {**lambda_hop, "at": AT + 3, "function": "chat-connect"},
        {"hop": "connect", "at": AT + 4, "connectionId": "c9", "status": 101},
        {"hop": "disconnect", "at": AT + 50, "connectionId": "c9", "code": 1000},
        {**lambda_hop, "at": AT + 55, "function": "chat-disconnect"},
    ]
    diagram = render_diagram(hops)
    assert diagram.count("<svg") == 2
    assert "· $connect ·" in diagram and "· $disconnect ·" in diagram
    assert "invoked by" not in diagram
