"""Run Lambda functions in warm worker processes: a pool per function, AWS-shaped results.

Each function configuration (name, code, handler, environment, timeout, memory) gets its own pool
of up to `max_workers_per_function` workers. An invoke takes an idle worker, starts a new one
(a cold start) while the pool has room, or waits on the pool's Condition. A worker that times out
or dies is discarded; the next invoke starts a fresh one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
import weakref
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from . import formats
from .process import Exchange, WorkerExited, WorkerProcess, WorkerTimedOut
from .spec import FunctionSpec, InvokeResult

DEFAULT_REGION = "us-east-1"
INIT_TIMEOUT = 10.0  # AWS's limit on the init phase of an on-demand function
CREDENTIAL_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class FunctionPool:
    """The workers of one function configuration, at most `limit` at a time."""

    def __init__(self, spec: FunctionSpec, code_dir: str, limit: int) -> None:
        self.spec = spec
        self.code_dir = code_dir
        self.limit = limit
        self.condition = threading.Condition()
        self.idle: list[WorkerProcess] = []
        self.workers: set[WorkerProcess] = set()
        self.size = 0  # workers alive or being started
        self.retired = False

    def acquire(self) -> WorkerProcess | None:
        """An idle worker, or None when the caller may start one (its slot is reserved)."""
        with self.condition:
            self.condition.wait_for(lambda: bool(self.idle) or self.size < self.limit)
            if self.idle:
                return self.idle.pop()  # the most recently used: the warmest
            self.size += 1
            return None

    def add(self, worker: WorkerProcess) -> None:
        with self.condition:
            self.workers.add(worker)
            retired = self.retired
        if retired:
            worker.kill()

    def give_up_slot(self) -> None:
        """A reserved slot whose worker could not be started."""
        with self.condition:
            self.size -= 1
            self.condition.notify()

    def release(self, worker: WorkerProcess, healthy: bool) -> None:
        """Return a worker after an invoke; an unhealthy or retired one is discarded."""
        with self.condition:
            keep = healthy and not self.retired
            if keep:
                self.idle.append(worker)
            else:
                self.workers.discard(worker)
                self.size -= 1
            self.condition.notify()
        if not keep:
            worker.discard()

    def retire(self) -> None:
        """Stop every worker: idle ones now, busy ones are killed (their invoke fails)."""
        with self.condition:
            self.retired = True
            idle, self.idle = self.idle, []
            busy = self.workers.difference(idle)
            self.workers.difference_update(idle)
            self.size -= len(idle)
            self.condition.notify_all()
        for worker in idle:
            worker.discard()
        for worker in busy:
            worker.kill()


class LambdaRuntime:
    """Runs functions' real code. `invoke` is blocking and thread-safe."""

    def __init__(self, base_env: Mapping[str, str], max_workers_per_function: int = 4) -> None:
        self.base_env = dict(base_env)
        self.max_workers_per_function = max_workers_per_function
        self._lock = threading.Lock()
        self._code_lock = threading.Lock()
        self._pools: dict[tuple[Any, ...], FunctionPool] = {}
        self._code_dirs: dict[str, str] = {}
        self._closed = False
        self._root = tempfile.mkdtemp(prefix="workshop-lambda-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._root, True)

    def invoke(self, spec: FunctionSpec, event: Any, request_id: str | None = None) -> InvokeResult:
        """Run the function once on `event` (JSON-serialisable, or raw JSON bytes)."""
        request_id = request_id or str(uuid.uuid4())
        raw = isinstance(event, bytes | bytearray)
        event_body = bytes(event) if raw else json.dumps(event).encode()
        pool = self._pool_for(spec)
        worker = pool.acquire()
        init_logs: list[str] = []
        init_ms: float | None = None
        if worker is None:
            started = self._start_worker(pool, request_id)
            if isinstance(started, InvokeResult):
                return started
            worker, init_logs, init_ms = started
        return self._run(pool, worker, request_id, event_body, init_logs, init_ms)

    def evict(self, function_name: str) -> None:
        """Stop all workers of a function (its next invoke is a cold start)."""
        with self._lock:
            doomed = [key for key, pool in self._pools.items() if pool.spec.name == function_name]
            pools = [self._pools.pop(key) for key in doomed]
        for pool in pools:
            pool.retire()

    def close(self) -> None:
        """Stop every worker and remove the unpacked code."""
        with self._lock:
            self._closed = True
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.retire()
        self._cleanup()

    def __enter__(self) -> LambdaRuntime:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _pool_for(self, spec: FunctionSpec) -> FunctionPool:
        key = spec.pool_key()
        with self._lock:
            if self._closed:
                raise RuntimeError("the Lambda runtime is closed")
            pool = self._pools.get(key)
            if pool is not None:
                return pool
        code_dir = self._code_dir(spec)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                # A new configuration of a function retires the workers of the old one.
                stale = [k for k, p in self._pools.items() if p.spec.name == spec.name]
                retired = [self._pools.pop(k) for k in stale]
                pool = self._pools[key] = FunctionPool(
                    spec, code_dir, self.max_workers_per_function
                )
            else:
                retired = []
        for old in retired:
            old.retire()
        return pool

    def _code_dir(self, spec: FunctionSpec) -> str:
        """The zip unpacked once per code hash (CodeSha256 is base64: hash it for a folder name)."""
        with self._code_lock:
            path = self._code_dirs.get(spec.code_sha256)
            if path is None:
                name = hashlib.sha256(spec.code_sha256.encode()).hexdigest()[:20]
                path = os.path.join(self._root, name)
                with zipfile.ZipFile(io.BytesIO(spec.code_zip)) as archive:
                    archive.extractall(path)
                self._code_dirs[spec.code_sha256] = path
            return path

    def _worker_env(self, spec: FunctionSpec, code_dir: str) -> dict[str, str]:
        """Base env, then the function's Environment; AWS's reserved variables cannot be overridden."""
        region = _region_of(spec.arn) or self.base_env.get("AWS_REGION") or DEFAULT_REGION
        today = datetime.now(UTC).strftime("%Y/%m/%d")
        reserved = {
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"{today}/[$LATEST]{uuid.uuid4().hex}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": code_dir,
            "_HANDLER": spec.handler,
        }
        credentials = {key: self.base_env[key] for key in CREDENTIAL_KEYS if key in self.base_env}
        return {
            "PATH": os.environ.get("PATH", os.defpath),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            **self.base_env,
            **spec.environment,
            **reserved,
            **credentials,
        }

    def _start_worker(
        self, pool: FunctionPool, request_id: str
    ) -> tuple[WorkerProcess, list[str], float] | InvokeResult:
        """A cold start: spawn a worker and wait for its init. An init failure is the result."""
        spec = pool.spec
        started = time.monotonic()
        try:
            worker = WorkerProcess(self._worker_env(spec, pool.code_dir), pool.code_dir)
        except BaseException:
            pool.give_up_slot()
            raise
        pool.add(worker)
        try:
            exchange = worker.wait_ready(started + INIT_TIMEOUT + spec.timeout)
        except (WorkerTimedOut, WorkerExited) as failure:
            pool.release(worker, healthy=False)
            return self._failure(spec, request_id, failure, started, [], None)
        init_ms = (time.monotonic() - started) * 1000
        if exchange.message["type"] == "init_error":
            pool.release(worker, healthy=False)
            logs = [*exchange.logs, formats.start_line(request_id)]
            return _result(spec, request_id, exchange.body, "Unhandled", logs, init_ms, 0, init_ms)
        return worker, exchange.logs, init_ms

    def _run(
        self,
        pool: FunctionPool,
        worker: WorkerProcess,
        request_id: str,
        event_body: bytes,
        init_logs: list[str],
        init_ms: float | None,
    ) -> InvokeResult:
        spec = pool.spec
        request = {
            "request_id": request_id,
            "invoked_function_arn": spec.arn,
            "deadline_ms": int((time.time() + spec.timeout) * 1000),
        }
        started = time.monotonic()
        try:
            exchange = worker.run(request, event_body, started + spec.timeout)
        except (WorkerTimedOut, WorkerExited) as failure:
            pool.release(worker, healthy=False)
            return self._failure(spec, request_id, failure, started, init_logs, init_ms, worker)
        pool.release(worker, healthy=True)
        return _success(spec, request_id, exchange, init_logs, init_ms)

    def _failure(
        self,
        spec: FunctionSpec,
        request_id: str,
        failure: WorkerTimedOut | WorkerExited,
        started: float,
        init_logs: list[str],
        init_ms: float | None,
        worker: WorkerProcess | None = None,
    ) -> InvokeResult:
        """The result of an invoke whose worker timed out or died, worded as Lambda words it."""
        duration_ms = (time.monotonic() - started) * 1000
        if isinstance(failure, WorkerTimedOut):
            message = formats.timeout_message(request_id, spec.timeout)
            error: dict[str, Any] = {"errorMessage": message}
        else:
            error = formats.exit_error(request_id, failure.returncode)
            message = f"{error['errorMessage']}\n{error['errorType']}"
        logs = [*init_logs, formats.start_line(request_id), *failure.logs]
        memory = worker.max_memory_mb if worker is not None else 0
        payload = json.dumps(error).encode()
        result = _result(spec, request_id, payload, "Unhandled", logs, duration_ms, memory, init_ms)
        result.logs.append(message)
        return result


def _success(
    spec: FunctionSpec,
    request_id: str,
    exchange: Exchange,
    init_logs: list[str],
    init_ms: float | None,
) -> InvokeResult:
    message = exchange.message
    logs = [*init_logs, formats.start_line(request_id), *exchange.logs]
    error = "Unhandled" if message["failed"] else None
    duration_ms, memory = message["duration_ms"], message["max_memory_mb"]
    return _result(spec, request_id, exchange.body, error, logs, duration_ms, memory, init_ms)


def _result(
    spec: FunctionSpec,
    request_id: str,
    payload: bytes,
    function_error: str | None,
    logs: list[str],
    duration_ms: float,
    max_memory_mb: int,
    init_ms: float | None,
) -> InvokeResult:
    """Close the log with END and REPORT, as Lambda does after every invoke."""
    report = formats.report_line(request_id, duration_ms, spec.memory_mb, max_memory_mb, init_ms)
    logs += [formats.end_line(request_id), report]
    return InvokeResult(request_id, payload, function_error, logs, duration_ms, init_ms)


def _region_of(arn: str) -> str | None:
    """The region field of an ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`)."""
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 3 else None
