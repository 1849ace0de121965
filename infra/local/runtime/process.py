"""The parent's handle on one worker process: start it, send it invokes, read its answers.

The worker's answers arrive on a pipe that the event loop watches (`add_reader`), so an invoke
costs no thread: the loop writes the request frames, and the frames that come back (log lines,
then `ready`, `init_error` or `result`) resolve a future. Frames are length-prefixed as
`multiprocessing.connection` writes them, which is what the worker uses.

The worker's end is seen from the process itself, not from the pipe: on Linux a pidfd on the
loop becomes readable when the process ends (the guard, `guard.py`, ends once the worker and
everything it started are gone), whatever a leftover child still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .frames import FrameReader, frame

WORKER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
# A custom runtime's worker: the zip's `bootstrap` behind the Lambda Runtime API.
CUSTOM_WORKER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "custom_worker.py")
GUARD_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "guard.py")
READ_SIZE = 1 << 16
GUARDED = sys.platform.startswith("linux")  # the worker runs under guard.py
FINAL = {"ready", "init_error", "result"}


@dataclass
class Exchange:
    """A final message from the worker, its body, and the log lines that came before it."""

    message: dict[str, Any]
    body: bytes
    logs: list[str] = field(default_factory=list)


class WorkerTimedOut(Exception):
    """The deadline passed before the worker answered."""

    def __init__(self, logs: list[str]) -> None:
        super().__init__("worker timed out")
        self.logs = logs


class WorkerExited(Exception):
    """The worker process ended (sys.exit, os._exit, a signal) before answering."""

    def __init__(self, returncode: int, logs: list[str]) -> None:
        super().__init__(f"worker exited with {returncode}")
        self.returncode = returncode
        self.logs = logs


def worker_script(runtime: str) -> str:
    """The worker that runs a runtime's functions: Python's own, or the Runtime API's one, which
    runs a custom runtime's `bootstrap` or the kit's Node.js runtime client (`node/runtime.mjs`)."""
    through_api = runtime.startswith("provided") or runtime.startswith("nodejs")
    return CUSTOM_WORKER_PATH if through_api else WORKER_PATH


def private_tmp_works(cwd: str) -> bool:
    """Whether a worker started in `cwd` can have a private /tmp here (one process: call once)."""
    if not GUARDED:
        return False
    try:
        probe = subprocess.run(
            [sys.executable, "-P", "-s", GUARD_PATH, "probe"],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


class WorkerProcess:
    """One warm execution environment, used by one invocation at a time.

    Create it off the event loop (spawning blocks), then `attach(loop)` on the loop.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        cwd: str,
        memory_mb: int = 0,
        tmp_mb: int = 512,
        tmp_dir: str = "",
        private_tmp: bool = True,
        script: str = WORKER_PATH,
    ) -> None:
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        try:
            # -P: the worker's folder stays off sys.path (no kit module shadows the function's);
            # -s: no user site-packages. The env is built from scratch: no PYTHONPATH leaks in.
            command = [sys.executable, "-P", "-s", "-u", script]
            options = [str(tmp_mb), tmp_dir, "private" if private_tmp else "folder"]
            self.process = subprocess.Popen(
                [*command, str(request_read), str(response_write), *options],
                pass_fds=(request_read, response_write),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                # Out of the terminal's process group: Ctrl-C stops the parent, whose exit
                # closes the request pipe, and then the worker stops too.
                start_new_session=True,
            )
        except BaseException:
            os.close(request_write)
            os.close(response_read)
            raise
        finally:
            os.close(request_read)
            os.close(response_write)
        self._requests = request_write
        self._responses = response_read
        os.set_blocking(response_read, False)
        self._frames = FrameReader()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiter: asyncio.Future[Exchange] | None = None
        self._logs: list[str] = []
        self._pending: dict[str, Any] | None = None  # a final message whose body comes next
        self._closed = False
        self.eof = False
        self.started = time.monotonic()
        self.served = 0
        self.max_memory_mb = 0
        self.memory_limit = memory_mb * 1024 * 1024  # resident bytes; 0: not watched
        self.tmp_limit = tmp_mb * 1024 * 1024
        self.tmp_dir = tmp_dir
        self.tmp = ""  # how /tmp is provided: "private", "folder" or "shared" (from `started`)
        self.worker_pid: int | None = None  # the worker itself (the guard's child on Linux)
        self.exceeded: str | None = None  # "memory" or "tmp" once a limit killed it
        self._pidfd: int | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start reading the worker's answers on `loop` (call it from the loop's thread)."""
        self._loop = loop
        loop.add_reader(self._responses, self._on_readable)
        if hasattr(os, "pidfd_open"):
            try:
                self._pidfd = os.pidfd_open(self.process.pid)
            except OSError:  # an old kernel: the pipe's EOF it is
                self._pidfd = None
            else:
                loop.add_reader(self._pidfd, self._on_exit)

    async def wait_ready(self, deadline: float) -> Exchange:
        """Wait for the handler import to finish: a `ready` or an `init_error` message."""
        return await self._next_exchange(deadline)

    async def run(self, request: dict[str, Any], event_body: bytes, deadline: float) -> Exchange:
        """Send one invoke and wait for its `result` (raises WorkerTimedOut / WorkerExited)."""
        try:
            self._write(frame(json.dumps(request).encode()) + frame(event_body))
        except OSError:
            raise WorkerExited(await self._returncode(), []) from None
        exchange = await self._next_exchange(deadline)
        self.served += 1
        self.max_memory_mb = exchange.message.get("max_memory_mb", self.max_memory_mb)
        return exchange

    def kill(self) -> None:
        """Stop the process and all it started, now; whoever waits on it sees WorkerExited."""
        if self.process.returncode is not None:
            return
        try:
            if GUARDED:
                os.kill(self.process.pid, signal.SIGTERM)  # the guard kills them all
            else:
                os.killpg(self.process.pid, signal.SIGKILL)  # its session's group
        except OSError:
            pass

    def exceed(self, limit: str) -> None:
        """A limit ("memory", "tmp") was passed: kill it (from any thread)."""
        if self.exceeded is None:
            self.exceeded = limit
        self.kill()

    async def discard(self) -> None:
        """Kill the process, stop reading it, close the pipes, reap it and remove its /tmp."""
        self.kill()
        self._close()
        await self._returncode()
        if self.tmp_dir:
            loop = self._loop or asyncio.get_running_loop()
            await loop.run_in_executor(None, shutil.rmtree, self.tmp_dir, True)

    # ------------------------------------------------------------ I/O

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._requests, view)
            view = view[written:]

    async def _next_exchange(self, deadline: float) -> Exchange:
        assert self._loop is not None, "attach() the worker to a loop first"
        if self.eof:
            raise WorkerExited(await self._returncode(), self._take_logs())
        waiter = self._waiter = self._loop.create_future()

        def expire() -> None:
            if not waiter.done():
                waiter.set_exception(TimeoutError())

        # A timer, not asyncio.wait_for: no extra task per invoke.
        timer = self._loop.call_at(
            self._loop.time() + max(0.0, deadline - time.monotonic()), expire
        )
        try:
            return await waiter
        except TimeoutError:
            raise WorkerTimedOut(self._take_logs()) from None
        except EOFError:
            raise WorkerExited(await self._returncode(), self._take_logs()) from None
        finally:
            timer.cancel()
            self._waiter = None

    def _on_readable(self) -> bool:
        """Read what is there; False once nothing more will come (or nothing is there now)."""
        try:
            data = os.read(self._responses, READ_SIZE)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if not data:
            self._ended()
            return False
        for payload in self._frames.feed(data):
            self._on_frame(payload)
        return True

    def _on_exit(self) -> None:
        """The process has ended: take what it wrote before, then fail whoever still waits."""
        self._stop_watching_exit()
        self.process.poll()
        while not self.eof and self._on_readable():
            pass
        self._ended()

    def _ended(self) -> None:
        if self.eof:
            return
        self.eof = True
        self._stop_reading()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(EOFError())

    def _on_frame(self, payload: bytes) -> None:
        if self._pending is not None:
            message, self._pending = self._pending, None
            self._finish(Exchange(message, payload, self._take_logs()))
            return
        message = json.loads(payload)
        kind = message.get("type")
        if kind == "log":
            self._logs.append(message["line"])
        elif kind == "started":
            self.worker_pid, self.tmp = message["pid"], message["tmp"]
        elif kind == "ready":
            self._finish(Exchange(message, b"", self._take_logs()))
        elif kind in FINAL:
            self._pending = message

    def _finish(self, exchange: Exchange) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(exchange)

    def _take_logs(self) -> list[str]:
        logs, self._logs = self._logs, []
        return logs

    async def _returncode(self) -> int:
        code = self.process.poll()
        if code is not None:
            return code
        loop = self._loop or asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._reap)

    def _reap(self) -> int:
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.kill()
            return self.process.wait()

    def _stop_reading(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._responses)

    def _stop_watching_exit(self) -> None:
        if self._pidfd is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._pidfd)
        with contextlib.suppress(OSError):
            os.close(self._pidfd)
        self._pidfd = None

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_reading()
        self._stop_watching_exit()
        for fd in (self._requests, self._responses):
            with contextlib.suppress(OSError):
                os.close(fd)
