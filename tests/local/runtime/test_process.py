"""WorkerProcess (`runtime/process.py`): the parent's handle on one real worker process, its
answers read on the event loop from a real pipe."""

from __future__ import annotations

import asyncio
import json
import os
import struct
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from infra.local.runtime.process import (
    Exchange,
    FrameReader,
    WorkerExited,
    WorkerProcess,
    WorkerTimedOut,
    frame,
)

T = TypeVar("T")
ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"

DOUBLE = """
print("importing")

def handler(event, context):
    print(f"doubling {event['n']}")
    return event["n"] * 2
"""

EXITS = """
import os

def handler(event, context):
    print("about to exit")
    os._exit(3)
"""

SLEEPS = """
import time

def handler(event, context):
    print("going to sleep")
    time.sleep(30)
"""


def request(request_id: str = "req-1") -> dict[str, Any]:
    return {
        "request_id": request_id,
        "invoked_function_arn": ARN,
        "deadline_ms": int((time.time() + 10) * 1000),
    }


def soon(seconds: float = 10) -> float:
    """A deadline, in time.monotonic() terms, as the runtime gives one."""
    return time.monotonic() + seconds


def with_worker(
    tmp_path: Path,
    source: str,
    scenario: Callable[[WorkerProcess], Awaitable[T]],
    handler: str = "app.handler",
) -> tuple[WorkerProcess, T]:
    """Start a worker for `source` (as app.py), attach it to a loop, run `scenario`, discard it."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(textwrap.dedent(source))
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": str(code),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    }

    async def run() -> tuple[WorkerProcess, T]:
        worker = WorkerProcess(env, str(code), tmp_dir=str(tmp_dir), private_tmp=False)
        worker.attach(asyncio.get_running_loop())
        try:
            return worker, await scenario(worker)
        finally:
            await worker.discard()

    return asyncio.run(run())


def test_frames_split_anywhere_are_read_whole() -> None:
    """Frames fed a byte at a time come out as the payloads that were framed, in order."""
    payloads = [b"", b"one", b"\x00" * 70_000, json.dumps({"type": "log"}).encode()]
    stream = b"".join(frame(payload) for payload in payloads)
    reader = FrameReader()
    read = [payload for i in range(len(stream)) for payload in reader.feed(stream[i : i + 1])]
    assert read == payloads


def test_a_frame_in_the_long_form_is_read() -> None:
    """The form send_bytes uses over 2 GB (-1, then an 8-byte size) is read as well."""
    long_form = struct.pack("!i", -1) + struct.pack("!Q", 5) + b"hello"
    assert FrameReader().feed(long_form + frame(b"next")) == [b"hello", b"next"]


def test_a_worker_gets_ready_then_answers_an_invoke(tmp_path: Path) -> None:
    """After its import it is ready; an invoke returns the result, its body and its log lines."""

    async def scenario(worker: WorkerProcess) -> tuple[Exchange, Exchange]:
        ready = await worker.wait_ready(soon())
        return ready, await worker.run(request(), b'{"n": 21}', soon())

    worker, (ready, result) = with_worker(tmp_path, DOUBLE, scenario)
    assert (ready.message["type"], ready.logs) == ("ready", ["importing"])
    assert result.message["type"] == "result" and result.message["failed"] is False
    assert (result.body, result.logs) == (b"42", ["doubling 21"])
    assert worker.served == 1
    assert worker.tmp == "folder"
    assert worker.worker_pid is not None


def test_an_import_that_fails_answers_wait_ready_with_an_init_error(tmp_path: Path) -> None:
    """A handler whose module cannot be imported: `init_error`, with AWS's error as its body."""

    async def scenario(worker: WorkerProcess) -> Exchange:
        return await worker.wait_ready(soon())

    _, answer = with_worker(tmp_path, DOUBLE, scenario, handler="missing.handler")
    assert answer.message["type"] == "init_error"
    assert json.loads(answer.body)["errorType"] == "Runtime.ImportModuleError"


def test_a_worker_that_exits_mid_invoke_raises_worker_exited(tmp_path: Path) -> None:
    """The process ending before it answers: WorkerExited with its status and the lines before."""

    async def scenario(worker: WorkerProcess) -> WorkerExited:
        await worker.wait_ready(soon())
        with pytest.raises(WorkerExited) as exited:
            await worker.run(request(), b"{}", soon())
        return exited.value

    _, exited = with_worker(tmp_path, EXITS, scenario)
    assert exited.returncode == 3
    assert exited.logs == ["about to exit"]


def test_a_worker_past_its_deadline_raises_worker_timed_out(tmp_path: Path) -> None:
    """No answer by the deadline: WorkerTimedOut, with the lines written until then."""

    async def scenario(worker: WorkerProcess) -> tuple[WorkerTimedOut, float]:
        await worker.wait_ready(soon())
        started = time.monotonic()
        with pytest.raises(WorkerTimedOut) as timed_out:
            await worker.run(request(), b"{}", soon(0.5))
        return timed_out.value, time.monotonic() - started

    _, (timed_out, waited) = with_worker(tmp_path, SLEEPS, scenario)
    assert timed_out.logs == ["going to sleep"]
    assert waited < 5


def test_kill_ends_the_invoke_it_waits_for(tmp_path: Path) -> None:
    """kill() from the loop: whoever waits on the worker gets WorkerExited at once."""

    async def scenario(worker: WorkerProcess) -> float:
        await worker.wait_ready(soon())
        asyncio.get_running_loop().call_later(0.3, worker.kill)
        started = time.monotonic()
        with pytest.raises(WorkerExited):
            await worker.run(request(), b"{}", soon(20))
        return time.monotonic() - started

    _, waited = with_worker(tmp_path, SLEEPS, scenario)
    assert waited < 5


def test_discard_reaps_the_process_and_removes_its_tmp(tmp_path: Path) -> None:
    """After discard() the process has ended and its /tmp folder is gone."""

    async def scenario(worker: WorkerProcess) -> None:
        await worker.wait_ready(soon())
        await worker.discard()

    worker, _ = with_worker(tmp_path, DOUBLE, scenario)
    assert worker.process.returncode is not None
    assert not (tmp_path / "tmp").exists()
