"""The Lambda Runtime API (2018-06-01) a custom runtime's `bootstrap` talks to, without any I/O.

A `bootstrap` finds the API at `AWS_LAMBDA_RUNTIME_API` (host:port) and loops: GET
`/2018-06-01/runtime/invocation/next` for an event, then POST its answer to
`/runtime/invocation/{requestId}/response` or `/error`; a runtime that cannot start POSTs
`/runtime/init/error` instead. This module is that API's protocol only: `RequestParser` turns the
bytes a client sends into requests, `RuntimeAPI` answers them and says what the runtime told the
platform (`Ready`, `InitError`, `Response`, `InvocationError`), `Reply.encode` gives the bytes to
send back. Sockets, processes and timing belong to the caller (`custom_worker.py`).

The answers, status codes and states are those of AWS's Runtime Interface Emulator
(github.com/aws/aws-lambda-runtime-interface-emulator: lambda/rapi/router.go, rapi/handler/*.go,
rapi/rendering/rendering.go, lambda/core/states.go), read as the spec:

- GET next: 200, the event as the body, with `Lambda-Runtime-Aws-Request-Id`,
  `-Deadline-Ms`, `-Invoked-Function-Arn`, `-Trace-Id` and, when the invoke has them,
  `-Client-Context` and `-Cognito-Identity`. It waits while there is no event.
- POST response / error: 202 `{"status":"OK"}`; 400 `InvalidRequestID` for an id that is not
  the current invoke's; 403 `InvalidStateTransition` once the invoke is answered; a response over
  6 MB is refused with 413 `RequestEntityTooLarge` and the invoke fails with
  `Function.ResponseSizeTooLarge`.
- POST init/error: 202 before the first GET next, 403 `InvalidStateTransition` after it.
- Any other path: 404 `404 page not found`; a known path with another method: 405.

Loaded by path by the custom-runtime worker: it imports nothing from the kit.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field

API_VERSION = "2018-06-01"
MAX_PAYLOAD = 6 * 1024 * 1024 + 100  # Lambda's 6 MB (6291556 bytes, as its errors say)
MAX_HEADERS = 64 * 1024  # the request line and headers of one request
PREFIX = f"/{API_VERSION}/runtime/"

# The runtime's states, named as the emulator names them (lambda/core/runtime_state_names.go).
STARTED = "Started"
INIT_ERROR = "InitError"
READY = "Ready"
INVOCATION_RESPONSE = "InvocationResponse"
INVOCATION_ERROR_RESPONSE = "InvocationErrorResponse"
RESPONSE_SENT = "RuntimeResponseSentState"

ERROR_TYPE_HEADER = "lambda-runtime-function-error-type"
UNKNOWN_ERROR_TYPE = "Runtime.Unknown"
OVERSIZED_TYPE = "Function.ResponseSizeTooLarge"


# ------------------------------------------------------------ HTTP messages


@dataclass
class Request:
    """One HTTP request from the runtime (header names lower-cased)."""

    method: str
    target: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    version: str = "HTTP/1.1"

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        """Whether the connection stays open after the answer (HTTP/1.1's default)."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def encode(self, keep_alive: bool = True) -> bytes:
        """The answer on the wire (Content-Length always set; Connection: close when closing)."""
        lines = [f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Unknown')}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        lines.append(f"Content-Length: {len(self.body)}")
        if not keep_alive:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


REASONS = {
    100: "Continue",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
}

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class BadRequest(Exception):
    """Bytes that are not an HTTP/1.x request: answer 400 and close the connection."""


class RequestParser:
    """Splits what one connection sends into requests (Content-Length or chunked bodies).

    `feed` returns, in order, the complete requests and, for a client that sent
    `Expect: 100-continue` (curl does for larger bodies), `CONTINUE`: bytes to send at once.
    """

    def __init__(self, max_body: int = 2 * MAX_PAYLOAD) -> None:
        self._buffer = bytearray()
        self._request: Request | None = None  # headers read, body not yet complete
        self._length: int | None = None  # the body's length, or None when chunked
        self._chunks = bytearray()
        self._max_body = max_body

    def feed(self, data: bytes) -> list[Request | bytes]:
        self._buffer += data
        found: list[Request | bytes] = []
        while True:
            if self._request is None:
                end = self._buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buffer) > MAX_HEADERS:
                        raise BadRequest("request headers too large")
                    return found
                self._request = self._head(bytes(self._buffer[:end]))
                del self._buffer[: end + 4]
                if self._request.headers.get("expect", "").lower() == "100-continue":
                    found.append(CONTINUE)
            complete = self._body()
            if complete is None:
                return found
            found.append(complete)

    def _head(self, head: bytes) -> Request:
        try:
            text = head.decode("latin-1")
            request_line, *header_lines = text.split("\r\n")
            method, target, version = request_line.split(" ")
        except ValueError:
            raise BadRequest("malformed request line") from None
        if not version.startswith("HTTP/1."):
            raise BadRequest(f"unsupported version {version}")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                raise BadRequest(f"malformed header {line!r}")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._length = None
            self._chunks = bytearray()
        else:
            try:
                self._length = int(headers.get("content-length", "0"))
            except ValueError:
                raise BadRequest("malformed Content-Length") from None
            if self._length < 0 or self._length > self._max_body:
                raise BadRequest("bad Content-Length")
        return Request(method, target, headers, b"", version)

    def _body(self) -> Request | None:
        """The request once its body is complete (None: more bytes are needed)."""
        assert self._request is not None
        if self._length is not None:
            if len(self._buffer) < self._length:
                return None
            self._request.body = bytes(self._buffer[: self._length])
            del self._buffer[: self._length]
        else:
            while True:  # chunked: size line, data, CRLF ... a 0 chunk, trailers, CRLF
                line_end = self._buffer.find(b"\r\n")
                if line_end < 0:
                    return None
                try:
                    size = int(bytes(self._buffer[:line_end]).split(b";")[0], 16)
                except ValueError:
                    raise BadRequest("malformed chunk size") from None
                if size == 0:  # the last chunk, then trailers (usually none) and an empty line
                    trailers_end = self._buffer.find(b"\r\n\r\n", line_end)
                    if trailers_end < 0:
                        return None
                    del self._buffer[: trailers_end + 4]
                    break
                if len(self._buffer) < line_end + 2 + size + 2:
                    return None
                self._chunks += self._buffer[line_end + 2 : line_end + 2 + size]
                del self._buffer[: line_end + 2 + size + 2]
                if len(self._chunks) > self._max_body:
                    raise BadRequest("body too large")
            self._request.body = bytes(self._chunks)
        request, self._request = self._request, None
        return request


# ------------------------------------------------------------ what the runtime tells the platform


@dataclass(frozen=True)
class Ready:
    """The runtime asked for its first event: its init is done."""


@dataclass(frozen=True)
class InitError:
    """The runtime reported that it cannot start (POST init/error)."""

    error_type: str
    payload: bytes


@dataclass(frozen=True)
class Response:
    """The runtime answered an invoke (POST response)."""

    request_id: str
    payload: bytes


@dataclass(frozen=True)
class InvocationError:
    """The invoke failed (POST error, or a response too large)."""

    request_id: str
    error_type: str
    payload: bytes


Event = Ready | InitError | Response | InvocationError


@dataclass(frozen=True)
class Invocation:
    """One invoke as the runtime receives it."""

    request_id: str
    payload: bytes
    deadline_ms: int
    function_arn: str
    trace_id: str = ""
    client_context: str = ""  # JSON text, when the invoke carries a client context
    cognito_identity: str = ""  # JSON text, when the invoke carries a Cognito identity

    def reply(self) -> Reply:
        """The answer to GET next that hands this invoke over."""
        headers = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", self.request_id),
            ("Lambda-Runtime-Deadline-Ms", str(self.deadline_ms)),
            ("Lambda-Runtime-Invoked-Function-Arn", self.function_arn),
            ("Lambda-Runtime-Trace-Id", self.trace_id),
            ("Lambda-Runtime-Client-Context", self.client_context),
            ("Lambda-Runtime-Cognito-Identity", self.cognito_identity),
        ]
        present = [(name, value) for name, value in headers if value]  # as the emulator sets them
        return Reply(200, self.payload, present)


@dataclass(frozen=True)
class Outcome:
    """What to do with one request: send `reply` (None: the request waits for an event), and
    pass `event` on to the platform (None: nothing to pass)."""

    reply: Reply | None
    event: Event | None = None


def json_reply(status: int, document: dict[str, str]) -> Reply:
    """An answer as the emulator renders it (go-chi's render.JSON: compact, one newline)."""
    body = json.dumps(document, separators=(",", ":")).encode() + b"\n"
    return Reply(status, body, [("Content-Type", "application/json")])


def error_reply(status: int, error_type: str, message: str) -> Reply:
    return json_reply(status, {"errorMessage": message, "errorType": error_type})


ACCEPTED = json_reply(202, {"status": "OK"})
NOT_FOUND = Reply(404, b"404 page not found\n", [("Content-Type", "text/plain; charset=utf-8")])
METHOD_NOT_ALLOWED = Reply(405)


def transition_refused(current: str, target: str) -> Reply:
    """403: the runtime called an endpoint its state does not allow (the emulator's words)."""
    message = (
        f"State transition from {current} to {target} failed for runtime. "
        "Error: State transition is not allowed"
    )
    return error_reply(403, "InvalidStateTransition", message)


def invalid_request_id() -> Reply:
    return error_reply(400, "InvalidRequestID", "Invalid request ID")


def bad_request() -> Reply:
    """The answer to bytes that are not an HTTP request (the connection is then closed)."""
    return Reply(400, b"400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])


def error_payload(error_type: str, body: bytes) -> bytes:
    """The invoke's error payload: the body the runtime posted or, when it posted none, one
    made from its `Lambda-Runtime-Function-Error-Type` header, as Lambda's API describes."""
    if body.strip():
        return body
    document = {"errorMessage": "", "errorType": error_type or UNKNOWN_ERROR_TYPE}
    return json.dumps(document).encode()


def oversized_payload(size: int, limit: int) -> bytes:
    message = (
        f"Response payload size ({size} bytes) exceeded maximum allowed payload size "
        f"({limit} bytes)."
    )
    return json.dumps({"errorMessage": message, "errorType": OVERSIZED_TYPE}).encode()


def trace_id(now: float | None = None) -> str:
    """An X-Ray trace header for one invoke (not sampled), shaped as Lambda's."""
    epoch = int(time.time() if now is None else now)
    return f"Root=1-{epoch:08x}-{os.urandom(12).hex()};Parent={os.urandom(8).hex()};Sampled=0"


# ------------------------------------------------------------ the API's state


class RuntimeAPI:
    """One execution environment's Runtime API: `handle` each request, `invoke` each event.

    The states are the emulator's: Started until the first GET next (Ready), InitError after
    POST init/error; Ready while an invoke is out; RuntimeResponseSentState once it is answered,
    until the next GET next. The current invoke's id stays the current one until the next
    invoke, so a second answer to it is a 403, an answer to any other id a 400.
    """

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.state = STARTED
        self.max_payload = max_payload
        self.current: Invocation | None = None  # the latest invoke (answered or not)
        self.delivered = False  # the runtime has received `current`
        self.waiting = False  # a GET next waits for an event

    # The platform's side.

    def invoke(self, invocation: Invocation) -> Reply | None:
        """A new invoke: the reply for the waiting GET next, or None (the next GET gets it)."""
        self.current = invocation
        self.delivered = False
        if not self.waiting:
            return None
        self.waiting = False
        self.delivered = True
        return invocation.reply()

    def stop_waiting(self) -> None:
        """The connection of the waiting GET next closed: the event goes to the next one."""
        self.waiting = False

    # The runtime's side.

    def handle(self, request: Request) -> Outcome:
        path = request.path
        if not path.startswith(PREFIX):
            return Outcome(NOT_FOUND)
        route = path[len(PREFIX) :].split("/")
        if route == ["invocation", "next"]:
            return self._next() if request.method == "GET" else Outcome(METHOD_NOT_ALLOWED)
        if route == ["init", "error"]:
            if request.method != "POST":
                return Outcome(METHOD_NOT_ALLOWED)
            return self._init_error(request)
        if len(route) == 3 and route[0] == "invocation" and route[2] in ("response", "error"):
            if request.method != "POST":
                return Outcome(METHOD_NOT_ALLOWED)
            if not route[1] or self.current is None or route[1] != self.current.request_id:
                return Outcome(invalid_request_id())
            if route[2] == "response":
                return self._response(request)
            return self._error(request)
        return Outcome(NOT_FOUND)

    def _next(self) -> Outcome:
        if self.state == INIT_ERROR:
            return Outcome(transition_refused(self.state, READY))
        event: Event | None = Ready() if self.state == STARTED else None
        if self.state == READY and self.current is not None and self.delivered:
            return Outcome(self.current.reply())  # asked again: the same event (the emulator's)
        self.state = READY
        if self.current is not None and not self.delivered:
            self.delivered = True
            return Outcome(self.current.reply(), event)
        self.waiting = True
        return Outcome(None, event)

    def _init_error(self, request: Request) -> Outcome:
        if self.state != STARTED:
            return Outcome(transition_refused(self.state, INIT_ERROR))
        self.state = INIT_ERROR
        error_type = request.headers.get(ERROR_TYPE_HEADER, "")
        return Outcome(ACCEPTED, InitError(error_type, error_payload(error_type, request.body)))

    def _answerable(self, target: str) -> Reply | None:
        """None when the current invoke may be answered now, else the refusal."""
        if self.state != READY or not self.delivered:
            return transition_refused(self.state, target)
        return None

    def _response(self, request: Request) -> Outcome:
        refusal = self._answerable(INVOCATION_RESPONSE)
        if refusal is not None:
            return Outcome(refusal)
        assert self.current is not None
        self.state = RESPONSE_SENT
        request_id = self.current.request_id
        if len(request.body) > self.max_payload:
            payload = oversized_payload(len(request.body), self.max_payload)
            message = f"Exceeded maximum allowed payload size ({self.max_payload} bytes)."
            return Outcome(
                error_reply(413, "RequestEntityTooLarge", message),
                InvocationError(request_id, OVERSIZED_TYPE, payload),
            )
        return Outcome(ACCEPTED, Response(request_id, request.body))

    def _error(self, request: Request) -> Outcome:
        refusal = self._answerable(INVOCATION_ERROR_RESPONSE)
        if refusal is not None:
            return Outcome(refusal)
        assert self.current is not None
        self.state = RESPONSE_SENT
        error_type = request.headers.get(ERROR_TYPE_HEADER, "")
        payload = error_payload(error_type, request.body)
        return Outcome(ACCEPTED, InvocationError(self.current.request_id, error_type, payload))
