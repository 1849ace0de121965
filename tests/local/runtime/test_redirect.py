"""The botocore hook that sends execute-api (@connections) calls to the local cloud."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore import handlers

from infra.local.runtime import redirect

DOMAIN = "abc123.execute-api.us-east-1.amazonaws.com"


class RecordingServer:
    """A tiny HTTP server on 127.0.0.1 that records (path, headers, body) and answers 200 {}."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.record()

            def do_DELETE(self) -> None:
                self.record()

            def record(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorded.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def connections_client(session: boto3.Session, scheme: str = "https") -> Any:
    return session.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{scheme}://{DOMAIN}/prod",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_rewrites_execute_api_urls() -> None:
    """https://{apiId}.execute-api.{region}.amazonaws.com/{path} maps to {cloud}/{apiId}/{path}."""
    url = f"https://{DOMAIN}/prod/@connections/a%3D?x=1"
    local = redirect.rewrite_url(url, "http://127.0.0.1:4566/")
    assert local == "http://127.0.0.1:4566/abc123/prod/@connections/a%3D?x=1"


def test_rewrites_plain_http_too() -> None:
    """The http scheme of the same host is redirected as well."""
    assert redirect.rewrite_url(f"http://{DOMAIN}/dev/x", "http://h:1") == "http://h:1/abc123/dev/x"


@pytest.mark.parametrize(
    "url",
    [
        "https://dynamodb.us-east-1.amazonaws.com/",
        "http://127.0.0.1:4566/abc/prod",
        "https://execute-api.example.com/x",
    ],
)
def test_leaves_other_urls_alone(url: str) -> None:
    """Only execute-api hosts are rewritten."""
    assert redirect.rewrite_url(url, "http://127.0.0.1:4566") is None


def test_hook_sends_the_signed_request_to_the_local_cloud() -> None:
    """A client using the hook reaches the local server with path, SigV4 header and body intact."""
    with RecordingServer() as server:
        client = connections_client(boto3.Session())
        client.meta.events.register("before-send", redirect.make_hook(server.url))
        client.post_to_connection(ConnectionId="conn-1", Data=b"hello")
    path, headers, body = server.requests[0]
    assert path == "/abc123/prod/@connections/conn-1"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert body == b"hello"


def test_hook_names_the_invocation_that_made_the_call() -> None:
    """Redirected calls carry the current Lambda request id, for the local cloud's trace."""
    with RecordingServer() as server:
        client = connections_client(boto3.Session())
        hook = redirect.make_hook(server.url, lambda: "req-42")
        client.meta.events.register("before-send", hook)
        client.post_to_connection(ConnectionId="conn-1", Data=b"hello")
    _, headers, _ = server.requests[0]
    assert headers[redirect.REQUEST_ID_HEADER] == "req-42"


def test_install_hooks_every_new_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """install() adds the hook to botocore's built-in handlers, so new sessions use it."""
    monkeypatch.setattr(handlers, "BUILTIN_HANDLERS", list(handlers.BUILTIN_HANDLERS))
    with RecordingServer() as server:
        assert redirect.install(server.url)
        connections_client(boto3.Session(), scheme="http").delete_connection(ConnectionId="c2")
    assert server.requests[0][0] == "/abc123/prod/@connections/c2"


def test_install_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installing twice registers one hook."""
    monkeypatch.setattr(handlers, "BUILTIN_HANDLERS", list(handlers.BUILTIN_HANDLERS))
    before = len(handlers.BUILTIN_HANDLERS)
    redirect.install("http://127.0.0.1:1")
    redirect.install("http://127.0.0.1:1")
    assert len(handlers.BUILTIN_HANDLERS) == before + 1


def test_install_without_a_cloud_url_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no WORKSHOP_CLOUD_URL (e.g. on real AWS) nothing is hooked."""
    monkeypatch.setattr(handlers, "BUILTIN_HANDLERS", list(handlers.BUILTIN_HANDLERS))
    before = len(handlers.BUILTIN_HANDLERS)
    assert not redirect.install(None)
    assert len(handlers.BUILTIN_HANDLERS) == before
