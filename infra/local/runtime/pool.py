"""Run Lambda functions in warm worker processes: a pool per function, AWS-shaped results.

Each function configuration (name, code, handler, environment, timeout, memory) gets its own pool
of up to `max_workers_per_function` workers. An invoke takes an idle worker, starts a new one
(a cold start) while the pool has room, or waits its turn. A worker that times out or dies is
discarded; the next invoke starts a fresh one.

Everything runs on one event loop: `invoke_async` on that loop (the local cloud's edge calls it
there), `invoke` from any other thread. Without a loop of its own the runtime starts one in a
daemon thread the first time it is used.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import hashlib
import io
import json
import os
import threading
import time
import uuid
import weakref
import zipfile
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..vocabulary import FunctionSpec, InvokeResult
from . import formats, node, node_sdk
from .folders import CloudFolder
from .limits import LimitWatch
from .process import (
    Exchange,
    WorkerExited,
    WorkerProcess,
    WorkerTimedOut,
    private_tmp_works,
    worker_script,
)

Credentials = Callable[[FunctionSpec], Awaitable[Mapping[str, str]]]
DEFAULT_REGION = "us-east-1"
BOOTSTRAP_VARIABLE = "_WORKSHOP_BOOTSTRAP"  # custom_worker.py's: the command it runs instead
INIT_TIMEOUT = 10.0  # AWS's limit on the init phase of an on-demand function
CREDENTIAL_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
UNZIPPED_LIMIT = 262144000  # Lambda's 250 MB of unzipped code


class PoolRetired(RuntimeError):
    """The function's configuration changed (or it was deleted) while an invoke waited."""


class FunctionPool:
    """The workers of one function configuration, at most `limit` at a time (loop thread only)."""

    def __init__(self, spec: FunctionSpec, code_dir: str, limit: int) -> None:
        self.spec = spec
        self.code_dir = code_dir
        self.limit = limit
        self.idle: list[WorkerProcess] = []
        self.workers: set[WorkerProcess] = set()
        self.size = 0  # workers alive or being started
        self.retired = False
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> WorkerProcess | None:
        """An idle worker, or None when the caller may start one (its slot is reserved)."""
        while True:
            if self.retired:
                raise PoolRetired(f"the workers of {self.spec.name} were retired")
            while self.idle:
                worker = self.idle.pop()  # the most recently used: the warmest
                if not worker.eof:
                    return worker
                self.release(worker, healthy=False)  # it ended while idle (killed, a limit)
            if self.size < self.limit:
                self.size += 1
                return None
            turn = asyncio.get_running_loop().create_future()
            self._waiting.append(turn)
            try:
                await turn
            finally:
                if turn in self._waiting:
                    self._waiting.remove(turn)

    def add(self, worker: WorkerProcess) -> None:
        self.workers.add(worker)

    def give_up_slot(self) -> None:
        """A reserved slot whose worker could not be started."""
        self.size -= 1
        self._wake_one()

    def release(self, worker: WorkerProcess, healthy: bool) -> None:
        """Return a worker after an invoke; an unhealthy or retired one is discarded."""
        if healthy and not self.retired:
            self.idle.append(worker)
        else:
            self.workers.discard(worker)
            self.size -= 1
            _discard_soon(worker)
        self._wake_one()

    def retire(self) -> None:
        """Stop every worker: idle ones now, busy ones are killed (their invoke fails)."""
        self.retired = True
        idle, self.idle = self.idle, []
        for worker in idle:
            self.workers.discard(worker)
            self.size -= 1
            _discard_soon(worker)
        for worker in self.workers:
            worker.kill()
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)

    def _wake_one(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return


_discarding: set[asyncio.Task[None]] = set()


def _discard_soon(worker: WorkerProcess) -> None:
    task = asyncio.ensure_future(worker.discard())
    _discarding.add(task)
    task.add_done_callback(_discarding.discard)


class LambdaRuntime:
    """Runs functions' real code: `await invoke_async(...)` on the loop, `invoke(...)` elsewhere."""

    def __init__(
        self,
        base_env: Mapping[str, str],
        max_workers_per_function: int = 4,
        loop: asyncio.AbstractEventLoop | None = None,
        credentials: Credentials | None = None,
        max_worker_age: float = 2700.0,
        root: str | None = None,
        private_tmp: bool | None = None,
    ) -> None:
        self.base_env = dict(base_env)
        self.max_workers_per_function = max_workers_per_function
        self.credentials = credentials
        self.max_worker_age = max_worker_age  # older workers retire: their credentials expire
        # Each worker's /tmp: a private tmpfs where the OS allows (else a folder of its own).
        # WORKSHOP_PRIVATE_TMP=0 in the cloud's environment asks for the folder everywhere.
        if private_tmp is None:
            private_tmp = os.environ.get("WORKSHOP_PRIVATE_TMP", "1") != "0"
        self.private_tmp = private_tmp
        self._private_tmp_works: bool | None = None  # probed once, at the first cold start
        self._loop = loop
        self._own_loop_thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._pools: dict[tuple[Any, ...], FunctionPool] = {}
        self._code_dirs: dict[str, str] = {}
        self._code_lock = threading.Lock()
        self._closed = False
        # This cloud's folder (under `root`, else folders.default_base()): code and /tmp folders.
        self.folder = CloudFolder(root)
        self._root = self.folder.sub("code")
        self._tmp_root = self.folder.sub("tmp")
        self._cleanup = weakref.finalize(self, self.folder.close)
        self._limits = LimitWatch()
        self._spawner = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="spawn")

    # ------------------------------------------------------------ the API

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the workers are read on (started in a daemon thread if none was given)."""
        with self._start_lock:
            if self._loop is None:
                ready = threading.Event()

                def serve() -> None:
                    self._loop = asyncio.new_event_loop()
                    ready.set()
                    self._loop.run_forever()

                self._own_loop_thread = threading.Thread(
                    target=serve, name="lambda-runtime", daemon=True
                )
                self._own_loop_thread.start()
                ready.wait()
            assert self._loop is not None
            return self._loop

    def invoke(self, spec: FunctionSpec, event: Any, request_id: str | None = None) -> InvokeResult:
        """Run the function once on `event` (blocking; from any thread but the loop's)."""
        if self._closed:
            raise RuntimeError("the Lambda runtime is closed")
        if self._loop is not None and _running_loop() is self._loop:
            raise RuntimeError("invoke() would block the runtime's own loop: await invoke_async()")
        future = asyncio.run_coroutine_threadsafe(
            self.invoke_async(spec, event, request_id), self.loop
        )
        return future.result()

    async def invoke_async(
        self, spec: FunctionSpec, event: Any, request_id: str | None = None
    ) -> InvokeResult:
        """Run the function once on `event` (JSON-serialisable, or raw JSON bytes)."""
        if self._closed:
            raise RuntimeError("the Lambda runtime is closed")
        request_id = request_id or str(uuid.uuid4())
        raw = isinstance(event, bytes | bytearray)
        event_body = bytes(event) if raw else json.dumps(event).encode()
        pool = await self._pool_for(spec)
        worker = await pool.acquire()
        init_logs: list[str] = []
        init_ms: float | None = None
        if worker is None:
            started = await self._start_worker(pool, request_id)
            if isinstance(started, InvokeResult):
                return started
            worker, init_logs, init_ms = started
        return await self._run(pool, worker, request_id, event_body, init_logs, init_ms)

    def evict(self, function_name: str) -> None:
        """Stop all workers of a function (its next invoke is a cold start)."""
        self._call_on_loop(self._evict, function_name)

    def close(self) -> None:
        """Stop every worker and remove the unpacked code."""
        if self._closed:
            return
        self._closed = True
        workers: list[WorkerProcess] = []
        if self._loop is not None and not self._loop.is_closed():
            try:
                workers = self._call_on_loop(self._retire_all)
            except RuntimeError:  # the loop is no longer running
                workers = self._retire_all()
        for worker in workers:  # reaped here, so no process outlives close()
            with contextlib.suppress(Exception):
                worker.process.wait(timeout=5)
        if self._own_loop_thread is not None and self._loop is not None:

            async def settle() -> None:  # let discarded workers' reaping finish first
                if _discarding:
                    await asyncio.wait(set(_discarding), timeout=5)

            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(settle(), self._loop).result(6)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._own_loop_thread.join(5)
        self._spawner.shutdown(wait=False)
        self._limits.close()
        self._cleanup()

    def __enter__(self) -> LambdaRuntime:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ pools

    def _call_on_loop(self, function: Any, *args: Any) -> Any:
        """Run `function(*args)` on the loop and wait, or now if this is the loop's thread."""
        loop = self.loop
        if _running_loop() is loop:
            return function(*args)
        if not loop.is_running():
            raise RuntimeError("the runtime's loop is not running")

        async def call() -> Any:
            return function(*args)

        return asyncio.run_coroutine_threadsafe(call(), loop).result(10)

    def _evict(self, function_name: str) -> None:
        doomed = [key for key, pool in self._pools.items() if pool.spec.name == function_name]
        for key in doomed:
            self._pools.pop(key).retire()

    def _retire_all(self) -> list[WorkerProcess]:
        """Kill every worker now; returns them, for the caller to reap."""
        pools, self._pools = list(self._pools.values()), {}
        workers = []
        for pool in pools:
            workers += [*pool.workers, *pool.idle]
            for worker in workers:
                worker.kill()
            if _running_loop() is not None:
                pool.retire()
        return workers

    async def _pool_for(self, spec: FunctionSpec) -> FunctionPool:
        key = spec.pool_key()
        pool = self._pools.get(key)
        if pool is not None:
            return pool
        code_dir = await asyncio.get_running_loop().run_in_executor(
            self._spawner, self._code_dir, spec
        )
        pool = self._pools.get(key)
        if pool is None:
            # A new configuration of a function retires the workers of the old one.
            for stale in [k for k, p in self._pools.items() if p.spec.name == spec.name]:
                self._pools.pop(stale).retire()
            pool = self._pools[key] = FunctionPool(spec, code_dir, self.max_workers_per_function)
        return pool

    def _code_dir(self, spec: FunctionSpec) -> str:
        """The zip unpacked once per code hash (CodeSha256 is base64: hash it for a folder name)."""
        with self._code_lock:
            path = self._code_dirs.get(spec.code_sha256)
            if path is None:
                name = hashlib.sha256(spec.code_sha256.encode()).hexdigest()[:20]
                path = os.path.join(self._root, name)
                with zipfile.ZipFile(io.BytesIO(spec.code_zip)) as archive:
                    # CreateFunction refuses such code; this guards the disk against code saved
                    # by an older cloud, which did not (a zip bomb unpacked on every restart).
                    if sum(entry.file_size for entry in archive.infolist()) > UNZIPPED_LIMIT:
                        raise RuntimeError(
                            f"the code of {spec.name} is over Lambda's 250 MB unzipped: "
                            "it is not unpacked; deploy smaller code"
                        )
                    archive.extractall(path)
                    _restore_executable_bits(archive, path)
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
        defaults, launch = _node_environment(spec, code_dir)
        return {
            "PATH": os.environ.get("PATH", os.defpath),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            **self.base_env,
            **defaults,
            **spec.environment,
            **reserved,
            **launch,
            **credentials,
        }

    # ------------------------------------------------------------ one invoke

    async def _start_worker(
        self, pool: FunctionPool, request_id: str
    ) -> tuple[WorkerProcess, list[str], float] | InvokeResult:
        """A cold start: spawn a worker and wait for its init. An init failure is the result."""
        spec = pool.spec
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        try:
            env = self._worker_env(spec, pool.code_dir)
            if self.credentials is not None:  # the execution role's, as Lambda gives them
                env.update(await self.credentials(spec))
            worker = await loop.run_in_executor(self._spawner, self._spawn, spec, env, pool)
        except BaseException:
            pool.give_up_slot()
            raise
        worker.attach(loop)
        pool.add(worker)
        if pool.retired:
            pool.release(worker, healthy=False)
            raise RuntimeError("the Lambda runtime is closed")
        self._limits.watch(worker)  # the init counts against MemorySize too
        try:
            exchange = await worker.wait_ready(started + INIT_TIMEOUT + spec.timeout)
        except (WorkerTimedOut, WorkerExited) as failure:
            pool.release(worker, healthy=False)
            return self._failure(spec, request_id, failure, started, [], None, worker)
        finally:
            self._limits.unwatch(worker)
        init_ms = (time.monotonic() - started) * 1000
        # The init output comes once, after INIT_START and before the first START.
        init_logs = [
            formats.init_start_line(spec.runtime, _region_of(spec.arn) or ""),
            *exchange.logs,
        ]
        if exchange.message["type"] == "init_error":
            pool.release(worker, healthy=False)
            logs = [*init_logs, formats.start_line(request_id)]
            return _result(spec, request_id, exchange.body, "Unhandled", logs, init_ms, 0, init_ms)
        return worker, init_logs, init_ms

    def _spawn(self, spec: FunctionSpec, env: dict[str, str], pool: FunctionPool) -> WorkerProcess:
        """Start a worker process (blocking: call it off the loop)."""
        tmp_dir = os.path.join(self._tmp_root, uuid.uuid4().hex)
        os.mkdir(tmp_dir, 0o700)
        if self._private_tmp_works is None:
            self._private_tmp_works = self.private_tmp and private_tmp_works(pool.code_dir)
        return WorkerProcess(
            env,
            pool.code_dir,
            memory_mb=spec.memory_mb,
            tmp_mb=spec.ephemeral_mb,
            tmp_dir=tmp_dir,
            private_tmp=self._private_tmp_works,
            script=worker_script(spec.runtime),
        )

    async def _run(
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
        self._limits.watch(worker)
        try:
            exchange = await worker.run(request, event_body, started + spec.timeout)
        except (WorkerTimedOut, WorkerExited) as failure:
            pool.release(worker, healthy=False)
            return self._failure(spec, request_id, failure, started, init_logs, init_ms, worker)
        except BaseException:
            pool.release(worker, healthy=False)  # cancelled mid-invoke: the worker is not reusable
            raise
        finally:
            self._limits.unwatch(worker)
        young = time.monotonic() - worker.started < self.max_worker_age
        # "ending": the runtime exited after its answer (Node's, on an uncaught exception).
        ending = exchange.message.get("ending", False)
        pool.release(worker, healthy=young and worker.exceeded is None and not ending)
        return _success(spec, request_id, exchange, init_logs, init_ms, worker)

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
        if worker is not None and worker.exceeded == "memory":
            memory = spec.memory_mb  # killed at the limit, as Lambda reports it
        payload = json.dumps(error).encode()
        result = _result(spec, request_id, payload, "Unhandled", logs, duration_ms, memory, init_ms)
        result.logs.append(message)
        result.worker_id = _worker_id(worker)
        return result


def _node_environment(spec: FunctionSpec, code_dir: str) -> tuple[dict[str, str], dict[str, str]]:
    """A `nodejs*` function's environment: NODE_PATH (the SDK's node_modules, then the code, as
    Lambda's /var/runtime/node_modules and /var/task; the function may set its own), and the
    command custom_worker.py runs: the Node.js for the runtime with Lambda's flags, the SDK's
    preloads and the kit's runtime client. ({}, {}) for other runtimes, or without Node.js."""
    found = node.for_runtime(spec.runtime) if spec.runtime.startswith("nodejs") else None
    if found is None:
        return {}, {}
    sdk = node_sdk.environment().get("NODE_PATH")
    defaults = {"NODE_PATH": os.pathsep.join([*([sdk] if sdk else []), code_dir])}
    command = node.command(found, spec.memory_mb, node_sdk.node_arguments())
    return defaults, {BOOTSTRAP_VARIABLE: json.dumps(command)}


def _restore_executable_bits(archive: zipfile.ZipFile, path: str) -> None:
    """Files the zip marks executable (Unix mode bits) stay so, as Lambda keeps them: a custom
    runtime's `bootstrap` must be. `extractall` drops the bits; nothing else is changed."""
    root = os.path.realpath(path) + os.sep
    for entry in archive.infolist():
        executable = (entry.external_attr >> 16) & 0o111
        if entry.create_system == 3 and executable and not entry.is_dir():
            target = os.path.realpath(os.path.join(path, entry.filename))
            if not target.startswith(root):
                continue  # a name outside the folder: extractall did not write it there
            with contextlib.suppress(OSError):
                os.chmod(target, os.stat(target).st_mode | executable)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _worker_id(worker: WorkerProcess | None) -> str | None:
    return None if worker is None else f"{worker.pid}-{worker.started:.6f}"


def _success(
    spec: FunctionSpec,
    request_id: str,
    exchange: Exchange,
    init_logs: list[str],
    init_ms: float | None,
    worker: WorkerProcess,
) -> InvokeResult:
    message = exchange.message
    logs = [*init_logs, formats.start_line(request_id), *exchange.logs]
    error = "Unhandled" if message["failed"] else None
    duration_ms, memory = message["duration_ms"], message["max_memory_mb"]
    result = _result(spec, request_id, exchange.body, error, logs, duration_ms, memory, init_ms)
    result.worker_id = _worker_id(worker)
    return result


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
