"""HTTP requests and replies as the edge, the guard and moto's bridge pass them around: plain
data, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import unquote


@dataclass
class HttpRequest:
    """One parsed HTTP/1.1 request. Header names are lower-case."""

    method: str
    target: str  # the request target as sent: path and query, percent-encoded
    headers: dict[str, str]
    body: bytes = b""
    peer: str = "127.0.0.1"
    local: str = "127.0.0.1"  # the address the request came in on (this machine's)

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    @property
    def decoded_path(self) -> str:
        return unquote(self.path, encoding="latin-1")

    @property
    def host(self) -> str:
        return self.headers.get("host", "")


@dataclass(frozen=True)
class HttpReply:
    """A status, headers and a body, ready to be written."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


JSON_HEADERS = [("Content-Type", "application/json")]


def json_reply(
    status: int, value: object, headers: list[tuple[str, str]] | None = None
) -> HttpReply:
    return HttpReply(status, [*JSON_HEADERS, *(headers or [])], json.dumps(value).encode())
