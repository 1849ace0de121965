"""HTTP/1.1 on one TCP connection: parse requests with httptools, answer them in order.

Keep-alive and pipelining are supported (each reply is written before the next request is
handled, so replies keep their order), as are chunked bodies and `Expect: 100-continue`.
A malformed request gets 400 and the connection is closed; a body over the edge's limit, 413.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from http import HTTPStatus

import httptools

from ..vocabulary import AwsError, HttpReply, HttpRequest

IDLE_TIMEOUT = 300.0  # a keep-alive connection with no request for this long is closed
REQUEST_TIMEOUT = 60.0  # a started request must arrive in full within this
MAX_BODY_BYTES = 70 * 1024 * 1024  # above Lambda's 50 MB zip upload, base64-encoded
READ_SIZE = 1 << 16
DISCARD_TIMEOUT = 10.0  # how long an oversized body is read (and dropped) after the 413

Handler = Callable[[HttpRequest], Awaitable[HttpReply]]


class RequestTooLarge(AwsError):
    status, error_type = 413, "RequestEntityTooLargeException"


class _Parsing:
    """httptools callbacks: collects complete requests."""

    def __init__(self, peer: str, local: str, on_continue: Callable[[], None]) -> None:
        self.peer = peer
        self.local = local
        self.ready: collections.deque[tuple[HttpRequest, bool]] = collections.deque()
        self.parser = httptools.HttpRequestParser(self)
        self.in_progress = False
        self.too_large = False
        self._on_continue = on_continue
        self._url = bytearray()
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._size = 0

    def on_message_begin(self) -> None:
        self.in_progress = True
        self._url.clear()
        self._headers = {}
        self._body = []
        self._size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        previous = self._headers.get(key)
        self._headers[key] = text if previous is None else f"{previous}, {text}"

    def on_headers_complete(self) -> None:
        declared = self._headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            self.too_large = True
        elif self._headers.get("expect", "").lower() == "100-continue":
            self._on_continue()

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > MAX_BODY_BYTES:
            self.too_large = True
        elif not self.too_large:
            self._body.append(body)

    def on_message_complete(self) -> None:
        self.in_progress = False
        request = HttpRequest(
            method=self.parser.get_method().decode("latin-1"),
            target=self._url.decode("latin-1"),
            headers=self._headers,
            body=b"".join(self._body),
            peer=self.peer,
            local=self.local,
        )
        self.ready.append((request, self.parser.should_keep_alive()))


async def serve_http(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    head: bytes,
    handle: Handler,
) -> None:
    """Answer requests on this connection until either side closes it."""
    peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
    local = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
    parsing = _Parsing(
        str(peer[0]), str(local[0]), lambda: writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    )
    data = head
    while True:
        try:
            parsing.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            writer.write(_serialise(HttpReply(400, [], b""), "GET", keep_alive=False))
            return
        except httptools.HttpParserError:
            writer.write(_serialise(HttpReply(400, [], b"Bad Request"), "GET", keep_alive=False))
            return
        if parsing.too_large:
            reply = RequestTooLarge("Request must be smaller than 73400320 bytes").reply()
            writer.write(_serialise(reply, "POST", keep_alive=False))
            await _discard_rest(reader)
            return
        while parsing.ready:
            request, keep_alive = parsing.ready.popleft()
            reply = await handle(request)
            writer.write(_serialise(reply, request.method, keep_alive))
            if writer.transport.get_write_buffer_size() > READ_SIZE:
                await writer.drain()
            if not keep_alive:
                return
        timeout = REQUEST_TIMEOUT if parsing.in_progress else IDLE_TIMEOUT
        try:
            async with asyncio.timeout(timeout):  # no extra task per read, unlike wait_for
                data = await reader.read(READ_SIZE)
        except TimeoutError:
            return
        if not data:
            return


async def _discard_rest(reader: asyncio.StreamReader) -> None:
    """Read and drop what the client still sends, until it closes (at most DISCARD_TIMEOUT).

    Closing a socket with unread data in it makes the kernel reset the connection, and a client
    still sending its body would then see "connection reset" instead of our 413.
    """
    with contextlib.suppress(TimeoutError, ConnectionError):
        async with asyncio.timeout(DISCARD_TIMEOUT):
            while await reader.read(READ_SIZE):
                pass


_date: tuple[int, bytes] = (0, b"")


def _http_date() -> bytes:
    """The Date header's value, formatted once a second."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, formatdate(now, usegmt=True).encode())
    return _date[1]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _serialise(reply: HttpReply, method: str, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {reply.status} {_reason(reply.status)}".encode()]
    has_date = False
    length = str(len(reply.body))
    for name, value in reply.headers:
        lower = name.lower()
        if lower == "content-length" and method == "HEAD":
            length = str(value)  # the length a GET would have had
        if lower in ("content-length", "connection", "transfer-encoding"):
            continue
        has_date = has_date or lower == "date"
        lines.append(f"{name}: {value}".encode("latin-1", "replace"))
    if not has_date:
        lines.append(b"Date: " + _http_date())
    bodiless = reply.status == 204 or reply.status < 200
    if not bodiless:
        lines.append(b"Content-Length: " + length.encode())
    if not keep_alive:
        lines.append(b"Connection: close")
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    if method == "HEAD" or bodiless or reply.status == 304:
        return head
    return head + reply.body
