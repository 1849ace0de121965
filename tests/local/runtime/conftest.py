"""Helpers for the runtime tests: functions built from source text, and a shared runtime."""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import textwrap
import threading
import zipfile
from collections.abc import Iterator, Mapping

import pytest

from infra.local.runtime import FunctionSpec, LambdaRuntime

ARN_PREFIX = "arn:aws:lambda:us-east-1:123456789012:function:"
BASE_ENV = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "WORKSHOP_CLOUD_URL": "http://127.0.0.1:9",
}


def make_zip(files: Mapping[str, str]) -> bytes:
    """A deployment package holding the given files (source text is dedented)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, textwrap.dedent(text))
    return buffer.getvalue()


def make_spec(
    name: str,
    source: str | Mapping[str, str],
    handler: str = "app.handler",
    environment: Mapping[str, str] | None = None,
    timeout: float = 3,
    memory_mb: int = 128,
    ephemeral_mb: int = 512,
) -> FunctionSpec:
    """A FunctionSpec whose code is `source` as app.py (or a dict of files)."""
    files = {"app.py": source} if isinstance(source, str) else source
    code = make_zip(files)
    return FunctionSpec(
        name=name,
        arn=ARN_PREFIX + name,
        handler=handler,
        code_zip=code,
        code_sha256=base64.b64encode(hashlib.sha256(code).digest()).decode(),
        environment=dict(environment or {}),
        timeout=timeout,
        memory_mb=memory_mb,
        ephemeral_mb=ephemeral_mb,
    )


@pytest.fixture(scope="module")
def runtime() -> Iterator[LambdaRuntime]:
    runtime = LambdaRuntime(BASE_ENV)
    yield runtime
    runtime.close()


class Rendezvous:
    """A TCP server that holds `parties` connections open until all have arrived, then answers all.

    Handlers connect to it to prove they run at the same time (in different workers).
    """

    def __init__(self, parties: int, wait: float = 10) -> None:
        self.parties = parties
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(wait)
        self.address = self.listener.getsockname()
        self.met = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connections = []
        try:
            while len(connections) < self.parties:
                connections.append(self.listener.accept()[0])
            self.met = True
        except TimeoutError:
            pass
        finally:
            for connection in connections:
                connection.sendall(b"go")
                connection.close()
            self.listener.close()
