"""A lean HTTP/1.1 client for boto3 inside Lambda workers, for calls to the local cloud.

boto3 spends about a quarter of every call in urllib3 and http.client (connection pools, header
objects, `email.parser` on every response). A worker talks to one server only, the local cloud,
so a botocore `before-send` hook (the mechanism botocore's Stubber and moto use) sends those
requests itself: the same bytes, signed by botocore as usual, on a kept-alive socket per thread,
and hands botocore an `AWSResponse` to parse. Anything else (another host, a streamed body)
goes the usual way.

The worker loads this file by path (it must not import anything from the kit).
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

TIMEOUT = 900.0  # Lambda's longest timeout: the invoke deadline is enforced by the parent
_local = threading.local()


class _Body:
    """What botocore reads a response body from (`stream()`, or `read()` when streaming)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self._data.read()
        if chunk:
            yield chunk

    def read(self, amt: int | None = None, **_: Any) -> bytes:
        return self._data.read(amt)

    def close(self) -> None:
        self._data.close()


class Connection:
    """One kept-alive TCP connection to the local cloud."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.sock: socket.socket | None = None
        self.reader: Any = None

    def _connect(self) -> None:
        self.close()
        self.sock = socket.create_connection(self.address, timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.reader.close()
                self.sock.close()
            except OSError:
                pass
        self.sock = self.reader = None

    def exchange(self, data: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """Send one request; a kept-alive socket the server closed is reopened once."""
        reused = self.sock is not None
        if not reused:
            self._connect()
        try:
            assert self.sock is not None
            self.sock.sendall(data)
            status_line = self.reader.readline()
            if not status_line and reused:
                raise ConnectionResetError("the server closed an idle connection")
        except (ConnectionError, BrokenPipeError):
            if not reused:
                raise
            self._connect()
            assert self.sock is not None
            self.sock.sendall(data)
            status_line = self.reader.readline()
        return self._read_response(status_line)

    def _read_response(self, status_line: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = status_line.split(None, 2)
        if len(parts) < 2:
            self.close()
            raise ConnectionError(f"bad status line {status_line!r}")
        status = int(parts[1])
        headers: list[tuple[str, str]] = []
        length = 0
        close = False
        while (line := self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip(), value.strip()
            headers.append((name, value))
            lower = name.lower()
            if lower == "content-length":
                length = int(value)
            elif lower == "connection" and value.lower() == "close":
                close = True
        body = self.reader.read(length) if length else b""
        if close:
            self.close()
        return status, headers, body


def _connection(host: str, port: int) -> Connection:
    connections = getattr(_local, "connections", None)
    if connections is None:
        connections = _local.connections = {}
    connection = connections.get((host, port))
    if connection is None:
        connection = connections[(host, port)] = Connection(host, port)
    return connection


def request_bytes(request: Any) -> bytes | None:
    """The request on the wire, or None when its body is a stream (sent the usual way)."""
    body = request.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif isinstance(body, bytearray | memoryview):
        body = bytes(body)
    elif not isinstance(body, bytes):
        return None
    url = urlsplit(request.url)
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {url.netloc}"]
    seen_length = False
    for name, value in request.headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        lower = name.lower()
        if lower in ("host", "transfer-encoding", "connection", "expect"):
            continue
        seen_length = seen_length or lower == "content-length"
        lines.append(f"{name}: {text}")
    if not seen_length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def make_hook(cloud_url: str) -> Callable[..., Any]:
    """A `before-send` handler that sends requests for `cloud_url`'s host:port itself."""
    from botocore.awsrequest import AWSResponse

    parts = urlsplit(cloud_url)
    local = (parts.hostname or "127.0.0.1", parts.port or 80)

    def send_locally(request: Any, **kwargs: Any) -> Any:
        url = urlsplit(request.url)
        if url.scheme != "http" or (url.hostname, url.port or 80) != local:
            return None
        data = request_bytes(request)
        if data is None:
            return None
        try:
            status, headers, body = _connection(*local).exchange(data)
        except OSError as error:  # as botocore's own sender reports it, so its retries apply
            from botocore.exceptions import EndpointConnectionError

            _connection(*local).close()
            raise EndpointConnectionError(endpoint_url=request.url, error=error) from error
        return AWSResponse(request.url, status, headers, _Body(body))

    send_locally.__dict__["workshop_transport"] = True
    return send_locally


def install(cloud_url: str | None) -> bool:
    """Send this process's boto3 calls to `cloud_url` through the lean client (idempotent)."""
    if not cloud_url:
        return False
    try:
        from botocore import handlers
    except ImportError:
        return False
    if not any(getattr(h[1], "workshop_transport", False) for h in handlers.BUILTIN_HANDLERS):
        handlers.BUILTIN_HANDLERS.append(("before-send", make_hook(cloud_url)))
    return True
