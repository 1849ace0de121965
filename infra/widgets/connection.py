"""A WebSocket client that lives on the background loop and keeps a log of the frames it received.

Every widget owns one. The kernel's threads talk to it through plain blocking methods (`send_json`,
`wait_for`, `close`); the loop thread calls the widget back with each parsed frame and status change.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from infra.widgets.loop import BackgroundLoop, log

Frame = Any  # a parsed JSON value, or the raw str/bytes when a frame is not JSON
Predicate = Callable[[Frame], bool]


def with_query(url: str, **params: str | None) -> str:
    """`url` with the given query parameters added (URL-encoded); None values are left out."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def parse_frame(message: str | bytes) -> Frame:
    """JSON-decode a text frame; anything that is not JSON is kept as it came."""
    if isinstance(message, bytes):
        return message
    try:
        return json.loads(message)
    except ValueError:
        return message


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
        background: BackgroundLoop | None = None,
    ) -> None:
        self.url = url
        self._on_frame = on_frame
        self._on_status = on_status
        self._on_open = on_open
        self._background = background or BackgroundLoop.shared()
        self._cond = threading.Condition()
        self._frames: deque[Frame] = deque(maxlen=keep)
        self._total = 0  # frames ever received; `since` indexes count from here
        self._ws: ClientConnection | None = None
        self._opened = threading.Event()
        self._done = False
        self._closing = False
        self._main: concurrent.futures.Future[None] | None = None
        self.status = "connecting"

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
        try:
            proxy = None if _is_loopback(self.url) else True
            self._ws = await connect(self.url, open_timeout=timeout, proxy=proxy, logger=log)
        except Exception as exc:  # any failure to connect is reported in the widget, not raised
            log.info("could not connect to %s: %r", self.url, exc)
            self._finish(f"disconnected: could not connect ({exc})")
            return
        if self._closing:  # close() was called while we were still connecting
            await self._ws.close()
            self._finish("disconnected")
            return
        self._set_status("connected")
        self._opened.set()
        self._call_safely(self._on_open)
        try:
            async for message in self._ws:
                frame = parse_frame(message)
                self._call_safely(self._on_frame, frame)
                with self._cond:
                    self._frames.append(frame)
                    self._total += 1
                    self._cond.notify_all()
        except ConnectionClosed:
            pass  # the close code below tells the story
        except Exception:
            log.exception("reading from %s failed", self.url)
        finally:
            self._finish(self._closed_status())

    def _closed_status(self) -> str:
        ws = self._ws
        if self._closing or ws is None or ws.close_code in (1000, 1001):
            return "disconnected"
        reason = f": {ws.close_reason}" if ws.close_reason else ""
        return f"disconnected (code {ws.close_code}{reason})"

    def _finish(self, status: str) -> None:
        with self._cond:
            if self._done:
                return
            self._done = True
            self._cond.notify_all()
        self._set_status(status)
        self._opened.set()

    def close(self, timeout: float = 5.0) -> None:
        """Close the connection and wait until the reader has stopped; safe to call twice."""
        self._closing = True
        if self._main is None:
            self._finish("disconnected")
            return
        if self._ws is not None and not self._done:
            self._background.run(self._ws.close())
        if self._background.in_loop_thread() or sys.is_finalizing():
            return  # waiting here would deadlock, or stall interpreter exit (Widget.__del__)
        try:
            self._main.result(timeout)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            self._main.cancel()
        self._finish("disconnected")

    @property
    def connected(self) -> bool:
        """True while the WebSocket is open."""
        return self._ws is not None and not self._done

    # -- sending -----------------------------------------------------------------------------

    def send_json(self, value: Any, *, wait: bool = True, timeout: float = 5.0) -> None:
        """Send `value` as one JSON text frame."""
        self.send_text(json.dumps(value), wait=wait, timeout=timeout)

    def send_text(self, text: str, *, wait: bool = True, timeout: float = 5.0) -> None:
        """Send one text frame; with wait=False, failures are logged instead of raised."""
        ws = self._ws
        if ws is None or self._done:
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
        deadline = time.monotonic() + timeout
        with self._cond:
            index = since
            while True:
                first_kept = self._total - len(self._frames)
                for frame in list(self._frames)[max(index - first_kept, 0) :]:
                    if _matches(predicate, frame):
                        return frame
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


__all__ = ["Connection", "ConnectionFacade", "Frame", "Predicate", "parse_frame", "with_query"]


class ConnectionFacade:
    """The read side every widget shares, delegated to its `_connection`."""

    _connection: Connection

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

    def wait_for(self, predicate: Predicate, timeout: float = 5.0, since: int = 0) -> Frame:
        """Block until a received frame matches `predicate` (see `Connection.wait_for`)."""
        return self._connection.wait_for(predicate, timeout=timeout, since=since)
