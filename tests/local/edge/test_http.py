"""HTTP/1.1 at the edge (`edge/http.py`): requests parsed for the router, replies written in order,
keep-alive, pipelining, chunked bodies, `Expect: 100-continue`, and 400 / 413 for bad input."""

from __future__ import annotations

import asyncio
import json

import pytest

from infra.local.edge import http
from infra.local.vocabulary import HttpReply, HttpRequest

from .helpers import echo, read_reply, read_to_end, running_edge


def exchange(data: bytes, handler: http.Handler = echo) -> bytes:
    """Send `data` on a fresh connection (then close our side); everything the edge answers."""

    async def scenario() -> bytes:
        async with running_edge(handler) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(data)
            writer.write_eof()
            try:
                return await read_to_end(reader)
            finally:
                writer.close()

    return asyncio.run(scenario())


def replies(data: bytes, count: int, handler: http.Handler = echo) -> list[tuple[int, dict, bytes]]:
    """The first `count` replies to `data`, the connection left open meanwhile."""

    async def scenario() -> list[tuple[int, dict, bytes]]:
        async with running_edge(handler) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(data)
            try:
                read = [await read_reply(reader) for _ in range(count)]
            finally:
                writer.close()
            return [(reply.status, reply.headers, reply.body) for reply in read]

    return asyncio.run(scenario())


def test_a_request_reaches_the_handler_parsed() -> None:
    """Method, target as sent, path, query, lower-case header names, body and the peer's address."""
    data = (
        b"POST /a%20b/c?x=1&y=2 HTTP/1.1\r\nHost: here\r\nX-Amz-Target: T.Op\r\n"
        b"Content-Length: 4\r\n\r\nbody"
    )
    [(status, _, body)] = replies(data, 1)
    seen = json.loads(body)
    assert status == 200
    assert seen["method"] == "POST"
    assert (seen["target"], seen["path"], seen["query"]) == (
        "/a%20b/c?x=1&y=2",
        "/a%20b/c",
        "x=1&y=2",
    )
    assert seen["headers"]["x-amz-target"] == "T.Op"
    assert seen["headers"]["host"] == "here"
    assert seen["body"] == "body"
    assert seen["peer"] == "127.0.0.1"


def test_a_header_sent_twice_is_joined_with_a_comma() -> None:
    """Two lines of one header reach the handler as one value, "first, second"."""
    data = b"GET / HTTP/1.1\r\nX-Thing: first\r\nX-Thing: second\r\n\r\n"
    [(_, _, body)] = replies(data, 1)
    assert json.loads(body)["headers"]["x-thing"] == "first, second"


def test_pipelined_requests_are_answered_in_order_on_one_connection() -> None:
    """Three requests in one write get three replies, in the order the requests came."""
    data = b"".join(f"GET /{n} HTTP/1.1\r\nHost: h\r\n\r\n".encode() for n in range(3))
    answered = replies(data, 3)
    assert [json.loads(body)["path"] for _, _, body in answered] == ["/0", "/1", "/2"]
    assert all("connection" not in headers for _, headers, _ in answered)  # kept alive


def test_connection_close_is_honoured() -> None:
    """A request with `Connection: close` gets its reply saying so, then the edge closes."""
    answer = exchange(b"GET /last HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in answer


def test_a_chunked_body_arrives_whole() -> None:
    """A body sent in chunks reaches the handler as one body."""
    data = (
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    [(_, _, body)] = replies(data, 1)
    assert json.loads(body)["body"] == "hello world"


def test_expect_100_continue_gets_an_interim_reply_before_the_body() -> None:
    """With `Expect: 100-continue` the edge says 100 Continue, then answers the whole request."""

    async def scenario() -> tuple[bytes, dict]:
        async with running_edge() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            async with asyncio.timeout(5):
                interim = await reader.readuntil(b"\r\n\r\n")
            writer.write(b"12345")
            reply = await read_reply(reader)
            writer.close()
            return interim, json.loads(reply.body)

    interim, seen = asyncio.run(scenario())
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert seen["body"] == "12345"


def test_a_malformed_request_gets_400_and_the_connection_closes() -> None:
    """A header line without a colon: 400 Bad Request, and nothing more on that connection."""
    answer = exchange(b"GET / HTTP/1.1\r\nNot a header\r\n\r\nGET /next HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.count(b"HTTP/1.1 ") == 1
    assert b"\r\nConnection: close\r\n" in answer


def test_a_declared_body_over_the_limit_gets_413_before_it_is_sent() -> None:
    """A Content-Length over the edge's limit is refused at once, as AWS words it."""
    head = f"POST / HTTP/1.1\r\nContent-Length: {http.MAX_BODY_BYTES + 1}\r\n\r\n".encode()

    async def scenario() -> tuple[int, dict, bytes]:
        async with running_edge() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head)  # and not one byte of the body
            reply = await read_reply(reader)
            writer.write_eof()
            assert await read_to_end(reader) == b""  # closed once we stop sending
            writer.close()
            return reply.status, reply.headers, reply.body

    status, headers, body = asyncio.run(scenario())
    assert status == 413
    assert headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert headers["connection"] == "close"
    assert json.loads(body)["message"].startswith("Request must be smaller than")


def test_a_chunked_body_growing_over_the_limit_gets_413(monkeypatch: pytest.MonkeyPatch) -> None:
    """A body with no length, once over the limit, is refused without reaching the handler."""
    monkeypatch.setattr(http, "MAX_BODY_BYTES", 10)
    reached: list[HttpRequest] = []

    async def recording(request: HttpRequest) -> HttpReply:
        reached.append(request)
        return HttpReply(200)

    data = (
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n"
    )
    answer = exchange(data, recording)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert reached == []


def test_a_reply_to_head_has_the_length_of_a_get_and_no_body() -> None:
    """HEAD gets the Content-Length a GET would have, and no body bytes before the next reply."""

    async def sized(request: HttpRequest) -> HttpReply:
        return HttpReply(200, [], b"hello")

    answer = exchange(b"HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n", sized)
    first, second = answer.split(b"\r\n\r\n", 1)
    assert b"\r\nContent-Length: 5" in first
    assert second.startswith(b"HTTP/1.1 200 OK\r\n")
    assert second.endswith(b"\r\n\r\nhello")


def test_a_204_has_no_content_length_and_every_reply_a_date() -> None:
    """204 carries no Content-Length (it has no body); Date is added when the handler gave none."""

    async def empty(request: HttpRequest) -> HttpReply:
        return HttpReply(204)

    [(status, headers, _)] = replies(b"DELETE /x HTTP/1.1\r\n\r\n", 1, empty)
    assert status == 204
    assert "content-length" not in headers
    assert headers["date"].endswith(" GMT")
