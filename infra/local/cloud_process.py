"""`workshop cloud` in a process of its own, as an instructor runs it.

For the tests and benchmarks that must meet the cloud as a room does: with its own GIL, behind
its own port, and killed or restarted like a real process. Importing this module loads none of
the cloud itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from infra import endpoints

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_environment(url: str) -> dict[str, str]:
    """This process's environment for a child that talks to the local cloud at `url`."""
    env = {**os.environ, **endpoints.cloud_environment(url)}
    env.pop("WORKSHOP_TARGET", None)
    return env


class CloudProcess:
    """`workshop cloud --port PORT ARGS...`, started and answering its health check."""

    def __init__(self, *cloud_args: str, port: int | None = None, timeout: float = 60) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = child_environment(self.url)
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "cloud", "--port", str(self.port), *cloud_args],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self._wait_healthy(timeout)

    def client(self, service: str) -> Any:
        """A boto3 client for this cloud, with the learner's keys."""
        return endpoints.local_client(self.url, service)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no last save, nobody's `$disconnect`."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM: a clean stop (connections closed, the last changes saved)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> CloudProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip())

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("workshop cloud exited:\n" + "\n".join(self.output))
            try:
                with urllib.request.urlopen(f"{self.url}/_workshop/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)  # a start has no event to wait on from outside the process
        self.kill()
        raise RuntimeError("workshop cloud did not answer in time")
