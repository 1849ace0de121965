"""The kit's one WebSocket client: it lives on the background loop and keeps a log of its frames.

Every widget owns one, and so do the lessons' `WsCat` and the exercise checks' `Client`. The
kernel's threads talk to it through plain blocking methods (`send_json`, `wait_for`, `close`);
the loop thread calls its owner back with each parsed frame and status change, and never prints.

With `reconnect=Backoff()`, a connection that drops after it was open (the server went away, the
laptop slept, API Gateway's idle timeout) is opened again after a growing delay; the status says
"reconnecting…" meanwhile. The frame log carries on across reconnects, so `since` indexes stay
valid. A connection that never opened, or that we closed, is not retried.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from infra.widgets.loop import BackgroundLoop, log

Frame = Any  # a parsed JSON value, or the raw str/bytes when a frame is not JSON
Predicate = Callable[[Frame], bool]

# Close codes after which opening again may help: going away (API Gateway's idle and age
# timeouts), no close frame at all, server error, restart, try again later, bad gateway.
RECONNECT_CODES = frozenset({1001, 1006, 1011, 1012, 1013, 1014})


def with_query(url: str, **params: str | None) -> str:
    """`url` with the given query parameters added (percent-encoded); None values are left out."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def parse_frame(message: str | bytes) -> Frame:
    """JSON-decode a text frame; anything that is not JSON is kept as it came."""
    if isinstance(message, bytes):
        return message
    try:
        return json.loads(message)
    except ValueError:
        return message


def frame_text(frame: Frame) -> str:
    """A frame as one line of text, the way it travelled (JSON for parsed frames)."""
    if isinstance(frame, bytes):
        return frame.decode("utf-8", errors="replace")
    return frame if isinstance(frame, str) else json.dumps(frame)


@dataclass(frozen=True)
class Backoff:
    """Delays between reconnect attempts: `first`, then times `factor`, at most `most` seconds."""

    first: float = 0.5
    factor: float = 2.0
    most: float = 8.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * self.factor, self.most)


WIDGET_BACKOFF = Backoff()  # what the widgets reconnect with: 0.5 s, then doubling up to 8 s


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Connection:
    """One WebSocket connection: frames in order, a status line, and a condition to wait on."""

    def __init__(
        self,
        url: str,
        *,
        on_frame: Callable[[Frame], None] | None = None,
        on_status: Callable[[str], None] | None = None,
        on_open: Callable[[], None] | None = None,
        keep: int = 10_000,
        reconnect: Backoff | None = None,
        background: BackgroundLoop | None = None,
    ) -> None:
        self.url = url
        self.error: Exception | None = None  # why the last attempt to connect failed
        self.status = "connecting"
        self.reconnects = 0  # how many times the connection was opened again
        self._on_frame = on_frame
        self._on_status = on_status
        self._on_open = on_open
        self._backoff = reconnect
        self._background = background or BackgroundLoop.shared()
        self._cond = threading.Condition()
        self._frames: deque[Frame] = deque(maxlen=keep)
        self._total = 0  # frames ever received; `since` indexes count from here
        self._ws: ClientConnection | None = None
        self._open = False
        self._opened = threading.Event()  # the first attempt is over, whatever its outcome
        self._done = False
        self._closing = False
        self._closed_as = "disconnected"  # the status once we closed it (close's reason)
        self._stop: asyncio.Event | None = None  # set on the loop thread to end a backoff wait
        self._main: concurrent.futures.Future[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self, timeout: float = 10.0) -> bool:
        """Connect, blocking until connected or failed; returns whether it is connected."""
        if self._main is None:
            self._main = self._background.run(self._serve(timeout))
        if not self._background.in_loop_thread() and not self._opened.wait(timeout + 1):
            self._main.cancel()
            self._finish("disconnected: timed out while connecting")
        return self.connected

    async def _serve(self, timeout: float) -> None:
        self._stop = asyncio.Event()
        delays = (self._backoff or Backoff()).delays()
        ever_opened = False
        while True:
            try:
                proxy: Literal[True] | None = None if _is_loopback(self.url) else True
                ws = await connect(self.url, open_timeout=timeout, proxy=proxy, logger=log)
            except Exception as exc:  # any failure to connect is reported in the status, not raised
                log.info("could not connect to %s: %r", self.url, exc)
                self.error = exc
                if not ever_opened or not await self._wait_to_retry(next(delays), exc):
                    self._finish(
                        self._closed_as
                        if self._closing
                        else f"disconnected: could not connect ({exc})"
                    )
                    return
                continue
            if self._closing:  # close() was called while we were still connecting
                await ws.close()
                self._finish(self._closed_as)
                return
            self._ws, self.error = ws, None
            if ever_opened:
                self.reconnects += 1
            ever_opened = True
            delays = (self._backoff or Backoff()).delays()
            await self._read(ws)
            code = ws.close_code or 1006
            if self._closing or code not in RECONNECT_CODES:
                self._finish(self._closed_status(ws))
                return
            if not await self._wait_to_retry(next(delays), f"code {code}"):
                self._finish(self._closed_status(ws))
                return

    async def _read(self, ws: ClientConnection) -> None:
        """Mark the connection open, then record every frame until it closes."""
        self._open = True
        self._set_status("connected")
        self._opened.set()
        self._call_safely(self._on_open)
        try:
            async for message in ws:
                frame = parse_frame(message)
                self._call_safely(self._on_frame, frame)
                with self._cond:
                    self._frames.append(frame)
                    self._total += 1
                    self._cond.notify_all()
        except ConnectionClosed:
            pass  # the close code tells the story
        except Exception:
            log.exception("reading from %s failed", self.url)
        finally:
            self._open = False

    async def _wait_to_retry(self, delay: float, why: object) -> bool:
        """Sleep `delay` seconds before reconnecting; False when we should give up instead."""
        if self._backoff is None or self._closing or self._stop is None:
            return False
        self._set_status(f"reconnecting… in {delay:g} s ({why})")
        try:
            await asyncio.wait_for(self._stop.wait(), delay)
        except TimeoutError:
            return not self._closing
        return False  # close() was called meanwhile

    def _closed_status(self, ws: ClientConnection | None) -> str:
        if self._closing:
            return self._closed_as
        if ws is None or ws.close_code in (1000, 1001):
            return "disconnected"
        reason = f": {ws.close_reason}" if ws.close_reason else ""
        return f"disconnected (code {ws.close_code}{reason})"

    def _finish(self, status: str) -> None:
        with self._cond:
            if self._done:
                return
            self._done = True
            self._open = False
            self._cond.notify_all()
        self._set_status(status)
        self._opened.set()

    def close(self, timeout: float = 5.0, reason: str | None = None) -> None:
        """Close the connection and wait until the reader has stopped; safe to call twice.

        `reason`, when given, ends up in the status: "disconnected: <reason>".
        """
        if reason and not self._done:
            self._closed_as = f"disconnected: {reason}"
        self._closing = True
        if self._main is None:
            self._finish(self._closed_as)
            return
        if not self._done:
            self._background.call_soon(self._interrupt)
        if self._background.in_loop_thread() or sys.is_finalizing():
            return  # waiting here would deadlock, or stall interpreter exit (Widget.__del__)
        try:
            self._main.result(timeout)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            self._main.cancel()
        self._finish(self._closed_as)

    def _interrupt(self) -> None:
        """On the loop thread: end a backoff wait, and close the socket if it is open."""
        if self._stop is not None:
            self._stop.set()
        if self._ws is not None:
            asyncio.ensure_future(self._ws.close())

    @property
    def connected(self) -> bool:
        """True while the WebSocket is open."""
        return self._open and not self._done

    # -- sending -----------------------------------------------------------------------------

    def send_json(self, value: Any, *, wait: bool = True, timeout: float = 5.0) -> None:
        """Send `value` as one JSON text frame."""
        self.send_text(json.dumps(value), wait=wait, timeout=timeout)

    def send_text(self, text: str, *, wait: bool = True, timeout: float = 5.0) -> None:
        """Send one text frame; with wait=False, failures are logged instead of raised."""
        ws = self._ws
        if ws is None or not self.connected:
            raise ConnectionError(f"not connected ({self.status})")
        future = self._background.run(ws.send(text))
        if not wait or self._background.in_loop_thread():
            future.add_done_callback(_log_send_failure)
            return
        try:
            future.result(timeout)
        except ConnectionClosed as exc:
            raise ConnectionError(f"connection closed while sending ({exc})") from exc

    # -- receiving ---------------------------------------------------------------------------

    @property
    def received(self) -> list[Frame]:
        """The frames received so far (the most recent `keep` of them), oldest first."""
        with self._cond:
            return list(self._frames)

    @property
    def frame_count(self) -> int:
        """How many frames have arrived in total; pass it as `since` to wait only for newer ones."""
        with self._cond:
            return self._total

    def wait_for(self, predicate: Predicate, timeout: float = 5.0, since: int = 0) -> Frame:
        """The first frame (numbered from `since`) for which `predicate` is true, waiting if needed.

        A predicate that raises (say, KeyError on a frame of another shape) counts as no match.
        Raises TimeoutError after `timeout` seconds, ConnectionError once the connection is gone.
        """
        return self.next_frame(since, predicate, timeout)[1]

    def next_frame(
        self, since: int = 0, predicate: Predicate | None = None, timeout: float = 5.0
    ) -> tuple[int, Frame]:
        """(number, frame) of the first frame from number `since` on that matches `predicate`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            index = since
            while True:
                first_kept = self._total - len(self._frames)
                start = max(index, first_kept)
                for number, frame in enumerate(list(self._frames)[start - first_kept :], start):
                    if predicate is None or _matches(predicate, frame):
                        return number, frame
                index = self._total
                if self._done:
                    raise ConnectionError(f"{self.status} before a matching frame arrived")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no matching frame within {timeout} s")
                self._cond.wait(remaining)

    # -- helpers -----------------------------------------------------------------------------

    def _set_status(self, status: str) -> None:
        self.status = status
        self._call_safely(self._on_status, status)

    @staticmethod
    def _call_safely(callback: Callable[..., None] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            log.exception("widget callback %r failed", callback)


def _matches(predicate: Predicate, frame: Frame) -> bool:
    try:
        return bool(predicate(frame))
    except Exception:
        return False


def _log_send_failure(future: concurrent.futures.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.info("send failed: %r", future.exception())


__all__ = [
    "WIDGET_BACKOFF",
    "Backoff",
    "Connection",
    "ConnectionFacade",
    "Frame",
    "Predicate",
    "frame_text",
    "parse_frame",
    "with_query",
]


class Feed(Protocol):
    """What `ConnectionFacade` reads: a `Connection`, or a stand-in where there is none
    (`trace.NoFeed`)."""

    @property
    def connected(self) -> bool: ...
    @property
    def received(self) -> list[Frame]: ...
    @property
    def frame_count(self) -> int: ...
    @property
    def reconnects(self) -> int: ...
    def wait_for(self, predicate: Predicate, timeout: float = ..., since: int = ...) -> Frame: ...


class ConnectionFacade:
    """The read side every widget shares, delegated to its `_connection`."""

    _connection: Feed

    @property
    def connected(self) -> bool:
        """True while the WebSocket is open."""
        return self._connection.connected

    @property
    def received(self) -> list[Frame]:
        """Parsed frames received so far, oldest first."""
        return self._connection.received

    @property
    def frame_count(self) -> int:
        """How many frames have arrived; pass it as `since` to `wait_for` to skip older ones."""
        return self._connection.frame_count

    @property
    def reconnects(self) -> int:
        """How many times the connection was opened again after it dropped."""
        return self._connection.reconnects

    def wait_for(self, predicate: Predicate, timeout: float = 5.0, since: int = 0) -> Frame:
        """Block until a received frame matches `predicate` (see `Connection.wait_for`)."""
        return self._connection.wait_for(predicate, timeout=timeout, since=since)
