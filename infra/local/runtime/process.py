"""The parent's handle on one worker process: start it, send it invokes, wait with a deadline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

WORKER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")


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


class WorkerProcess:
    """One warm execution environment. Used by one invoking thread at a time."""

    def __init__(self, env: Mapping[str, str], cwd: str) -> None:
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        try:
            # -P: the worker's folder stays off sys.path (no kit module shadows the function's);
            # -s: no user site-packages. The env is built from scratch: no PYTHONPATH leaks in.
            command = [sys.executable, "-P", "-s", "-u", WORKER_PATH]
            self.process = subprocess.Popen(
                [*command, str(request_read), str(response_write)],
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
        self._requests = Connection(request_write, readable=False)
        self._responses = Connection(response_read, writable=False)
        self.started = time.monotonic()
        self.served = 0
        self.max_memory_mb = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, deadline: float) -> Exchange:
        """Wait for the handler import to finish: a `ready` or an `init_error` message."""
        return self._read_until(deadline)

    def run(self, request: dict[str, Any], event_body: bytes, deadline: float) -> Exchange:
        """Send one invoke and wait for its `result` (raises WorkerTimedOut / WorkerExited)."""
        try:
            self._requests.send_bytes(json.dumps(request).encode())
            self._requests.send_bytes(event_body)
        except OSError:
            raise WorkerExited(self._reap(), []) from None
        exchange = self._read_until(deadline)
        self.served += 1
        self.max_memory_mb = exchange.message.get("max_memory_mb", self.max_memory_mb)
        return exchange

    def _read_until(self, deadline: float) -> Exchange:
        logs: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._responses.poll(remaining):
                raise WorkerTimedOut(logs)
            try:
                message = json.loads(self._responses.recv_bytes())
                if message["type"] == "log":
                    logs.append(message["line"])
                    continue
                body = b"" if message["type"] == "ready" else self._responses.recv_bytes()
            except (EOFError, OSError):
                raise WorkerExited(self._reap(), logs) from None
            return Exchange(message, body, logs)

    def _reap(self) -> int:
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self) -> None:
        """Stop the process now. Safe from any thread: its user then sees WorkerExited."""
        if self.process.poll() is None:
            self.process.kill()

    def discard(self) -> None:
        """Kill, reap and close the pipes (by the thread that owns the worker)."""
        self.kill()
        self.process.wait()
        self._requests.close()
        self._responses.close()
