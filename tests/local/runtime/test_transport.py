"""The lean HTTP/1.1 client of the Lambda workers (`runtime/transport.py`): botocore's requests to
the local cloud sent on a kept-alive socket, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore import handlers
from botocore.awsrequest import AWSRequest
from botocore.exceptions import EndpointConnectionError
from botocore.httpsession import URLLib3Session

from infra.local.runtime import transport


class Server:
    """Answers every POST with `{"TableNames": [...]}`; counts connections and records bodies.

    With `hang_up`, it closes each connection after its reply without saying so beforehand.
    """

    def __init__(self, hang_up: bool = False) -> None:
        self.connections = 0
        self.bodies: list[bytes] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                owner.connections += 1

            def do_POST(self) -> None:
                owner.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                body = json.dumps({"TableNames": [f"t{len(owner.bodies)}"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = hang_up

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def post(url: str, body: bytes = b"{}") -> Any:
    """A botocore request as it reaches `before-send`."""
    headers = {"X-Amz-Target": "DynamoDB_20120810.ListTables"}
    return AWSRequest(method="POST", url=url, headers=headers, data=body).prepare()


def test_request_bytes_are_the_request_on_the_wire() -> None:
    """Request line, Host, the headers but hop-by-hop ones, a Content-Length, then the body."""
    request = SimpleNamespace(
        method="POST",
        url="http://127.0.0.1:4566/a/b?x=1",
        headers={"X-Amz-Target": b"T.Op", "Connection": "keep-alive", "Expect": "100-continue"},
        body="body",
    )
    assert transport.request_bytes(request) == (
        b"POST /a/b?x=1 HTTP/1.1\r\nHost: 127.0.0.1:4566\r\nX-Amz-Target: T.Op\r\n"
        b"Content-Length: 4\r\n\r\nbody"
    )


def test_a_streamed_body_is_left_to_botocore() -> None:
    """A body that is a stream gives None: botocore sends that request the usual way."""
    request = SimpleNamespace(method="PUT", url="http://h/k", headers={}, body=io.BytesIO(b"x"))
    assert transport.request_bytes(request) is None


def test_one_connection_carries_request_after_request(server: Server) -> None:
    """Three exchanges on one Connection use one TCP connection, each getting its own reply."""
    connection = transport.Connection("127.0.0.1", server.port)
    try:
        answers = [connection.exchange(transport.request_bytes(post(server.url)) or b"")]
        answers += [connection.exchange(transport.request_bytes(post(server.url)) or b"")]
        answers += [connection.exchange(transport.request_bytes(post(server.url)) or b"")]
    finally:
        connection.close()
    assert [json.loads(body)["TableNames"] for _, _, body in answers] == [["t1"], ["t2"], ["t3"]]
    assert all(status == 200 for status, _, _ in answers)
    assert server.connections == 1


def test_a_connection_the_server_closed_is_reopened_once() -> None:
    """A kept-alive socket the server hung up on: the request goes again on a new one."""
    hanging_up = Server(hang_up=True)
    connection = transport.Connection("127.0.0.1", hanging_up.port)
    try:
        first = connection.exchange(transport.request_bytes(post(hanging_up.url, b"1")) or b"")
        second = connection.exchange(transport.request_bytes(post(hanging_up.url, b"2")) or b"")
    finally:
        connection.close()
        hanging_up.close()
    assert (first[0], second[0]) == (200, 200)
    assert hanging_up.bodies == [b"1", b"2"]  # each sent once
    assert hanging_up.connections == 2


def test_the_hook_sends_only_what_is_for_the_cloud(server: Server) -> None:
    """For the cloud's host and port: the hook's own response; for anything else, None."""
    hook = transport.make_hook(server.url)
    response = hook(request=post(server.url + "/"))
    assert response.status_code == 200
    assert json.loads(response.content) == {"TableNames": ["t1"]}
    assert hook(request=post("http://127.0.0.1:9/")) is None
    assert hook(request=post(f"https://127.0.0.1:{server.port}/")) is None


def test_a_cloud_that_does_not_answer_is_an_endpoint_connection_error() -> None:
    """Nothing listening: EndpointConnectionError, as botocore's own sender says (so it retries)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(EndpointConnectionError):
        transport.make_hook(closed)(request=post(closed + "/"))


def test_install_adds_the_hook_once(monkeypatch: pytest.MonkeyPatch, server: Server) -> None:
    """install() puts one before-send hook in botocore's handlers however often it is called."""
    monkeypatch.setattr(handlers, "BUILTIN_HANDLERS", list(handlers.BUILTIN_HANDLERS))
    assert transport.install(None) is False
    assert transport.install(server.url) is True
    assert transport.install(server.url) is True
    ours = [h for h in handlers.BUILTIN_HANDLERS if getattr(h[1], "workshop_transport", False)]
    assert [event for event, *_ in ours] == ["before-send"]


def test_boto3_calls_to_the_cloud_bypass_urllib3(
    monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    """Once installed, a boto3 client's call is sent and answered without botocore's sender."""
    monkeypatch.setattr(handlers, "BUILTIN_HANDLERS", list(handlers.BUILTIN_HANDLERS))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("sent through urllib3")

    monkeypatch.setattr(URLLib3Session, "send", refuse)
    transport.install(server.url)
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    dynamodb = session.client("dynamodb", endpoint_url=server.url)
    assert dynamodb.list_tables()["TableNames"] == ["t1"]
