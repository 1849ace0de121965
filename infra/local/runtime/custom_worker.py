"""The worker of a custom runtime (`provided.al2023`, `provided.al2`): the zip's `bootstrap`.

The parent starts it exactly as it starts `worker.py` (`process.WorkerProcess`: the same pipes
and frames, the same guard on Linux, the same limits, /tmp and environment), and it answers the
same way (`started`, `log`, `ready` or `init_error`, then a `result` per invoke). In between it
runs `$LAMBDA_TASK_ROOT/bootstrap` with `AWS_LAMBDA_RUNTIME_API` pointing at a Runtime API of
its own (`runtime_api.py`) on 127.0.0.1: loopback only, whatever address the cloud serves on,
since it carries every event. An invoke from the parent is the answer to the bootstrap's GET
next; its POST response or error is the invoke's result; its first GET next ends the init, and
a POST init/error fails it. The bootstrap's stdout and stderr are the function's log, a log line
per printed line, as Lambda keeps a custom runtime's output.

The bootstrap stays up between invokes (a warm environment). When it ends, this process ends
the same way (its exit status, or its signal), so the parent reports `Runtime.ExitError` as
Lambda does. A bootstrap that is missing, not executable or not a program for this machine
fails the init with `Runtime.InvalidEntrypoint`, as on AWS.

A managed runtime runs through the same Runtime API with a runtime client of the kit's own
(Node.js's, `node/runtime.mjs`): the parent names its command in `_WORKSHOP_BOOTSTRAP`
(`bootstrap_command`), and it runs instead of the zip's bootstrap. Such a client also gets
Lambda's telemetry log pipe (`_LAMBDA_TELEMETRY_LOG_FD`): each frame it writes there is one log
event, multi-line messages included, as Lambda keeps a managed runtime's log records.

One thread, one selector. Loaded by path: it imports nothing from the kit.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
READ_SIZE = 1 << 16
EXIT_POLL = 0.05  # where the OS has no pidfd, how often the bootstrap's end is looked for
INIT_ERROR_GRACE = 0.5  # after POST init/error, how long the bootstrap may take to exit
# After POST error, how long the bootstrap may take to ask for the next event or to exit (Node's
# runtime exits after posting an uncaught exception): its result waits for either, so the
# parent never gives the next invoke to an environment on its way out.
ERROR_GRACE = 0.25
INVALID_ENTRYPOINT = "Runtime.InvalidEntrypoint"
# Set by the parent to run the kit's own runtime client (a managed runtime such as Node.js
# through this same Runtime API) instead of the zip's bootstrap; never seen by the function.
BOOTSTRAP_VARIABLE = "_WORKSHOP_BOOTSTRAP"
TELEMETRY_VARIABLE = "_LAMBDA_TELEMETRY_LOG_FD"
TELEMETRY_HEADER = 16  # frame type (4 bytes), length (4), timestamp in microseconds (8)


def load_sibling(name: str) -> ModuleType:
    """Load a module of this folder by path, under a private name, without touching sys.path."""
    spec = importlib.util.spec_from_file_location(
        f"_lambda_custom_{name}", os.path.join(HERE, f"{name}.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


api = load_sibling("runtime_api")
frames = load_sibling("frames")


frame = frames.frame


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Parent:
    """The pipes to the parent: invokes come in (a request frame, then its event's frame);
    log lines, `ready`, `init_error` and results go out."""

    def __init__(self, request_fd: int, response_fd: int) -> None:
        self.request_fd = request_fd
        self.response_fd = response_fd
        os.set_blocking(request_fd, False)
        self._reader = frames.FrameReader()
        self._request: dict[str, Any] | None = None  # a request whose event frame comes next

    def send(self, message: dict[str, Any], body: bytes | None = None) -> None:
        data = frame(json.dumps(message).encode())
        write_all(self.response_fd, data if body is None else data + frame(body))

    def log(self, lines: list[str]) -> None:
        for line in lines:
            self.send({"type": "log", "line": line})

    def read(self) -> list[tuple[dict[str, Any], bytes]] | None:
        """The invokes that have arrived in full ([] for none yet); None once the parent is gone."""
        try:
            data = os.read(self.request_fd, READ_SIZE)
        except BlockingIOError:
            return []
        except OSError:
            data = b""
        if not data:
            return None
        invokes = []
        for payload in self._reader.feed(data):
            if self._request is None:
                self._request = json.loads(payload)
            else:
                invokes.append((self._request, payload))
                self._request = None
        return invokes


class Output:
    """One of the bootstrap's output pipes, cut into log lines as they are printed."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.open = True
        self._pending = b""
        os.set_blocking(fd, False)

    def read(self) -> list[str]:
        """The complete lines that can be read now (the last partial one too at the pipe's end)."""
        chunks = []
        while self.open:
            try:
                data = os.read(self.fd, READ_SIZE)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                self.open = False
                break
            chunks.append(data)
        *lines, self._pending = (self._pending + b"".join(chunks)).split(b"\n")
        if not self.open:
            lines += self.rest_bytes()
        return [line.decode("utf-8", "replace") for line in lines]

    def rest_bytes(self) -> list[bytes]:
        line, self._pending = self._pending, b""
        return [line] if line else []

    def rest(self) -> list[str]:
        """A last line printed without its newline."""
        return [line.decode("utf-8", "replace") for line in self.rest_bytes()]


class Telemetry:
    """Lambda's telemetry log pipe: the runtime client writes framed records, each a log event."""

    def __init__(self) -> None:
        self.fd, self.write_fd = os.pipe()
        os.set_blocking(self.fd, False)
        self.open = True
        self._buffer = bytearray()

    def read(self) -> list[str]:
        """The records that arrived in full (one trailing newline dropped from each)."""
        while self.open:
            try:
                data = os.read(self.fd, READ_SIZE)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                self.open = False
                break
            self._buffer += data
        records = []
        while len(self._buffer) >= TELEMETRY_HEADER:
            (size,) = struct.unpack_from("!i", self._buffer, 4)
            if len(self._buffer) < TELEMETRY_HEADER + size:
                break
            record = bytes(self._buffer[TELEMETRY_HEADER : TELEMETRY_HEADER + size])
            del self._buffer[: TELEMETRY_HEADER + size]
            text = record.decode("utf-8", "replace")
            records.append(text[:-1] if text.endswith("\n") else text)
        return records


def invalid_entrypoint(message: str) -> bytes:
    document = {"errorMessage": f"Error: {message}", "errorType": INVALID_ENTRYPOINT}
    return json.dumps(document).encode()


def bootstrap_command(task_root: str) -> tuple[list[str], bool]:
    """What runs: the zip's `bootstrap`, or the kit's own runtime client for a managed runtime
    (then True: it gets the telemetry log pipe).

    The parent names the latter in `BOOTSTRAP_VARIABLE` (a JSON list: the program and its
    arguments), which is removed here: neither the bootstrap nor the function sees it.
    """
    given = os.environ.pop(BOOTSTRAP_VARIABLE, None)
    if given:
        return json.loads(given), True
    return [os.path.join(task_root, "bootstrap")], False


def start_bootstrap(
    command: list[str], task_root: str, runtime_api: str, telemetry: Telemetry | None = None
) -> tuple[subprocess.Popen[bytes] | None, bytes]:
    """Run the bootstrap: the process, or None and the init error Lambda gives instead."""
    path = command[0]
    if not os.path.isfile(path):
        return None, invalid_entrypoint(f"Couldn't find valid bootstrap(s): [{path}]")
    env = {**os.environ, "AWS_LAMBDA_RUNTIME_API": runtime_api}
    if telemetry is not None:
        env[TELEMETRY_VARIABLE] = str(telemetry.write_fd)
    try:
        process = subprocess.Popen(
            command,
            cwd=task_root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=() if telemetry is None else (telemetry.write_fd,),
        )
    except OSError as error:  # worded as Lambda's Go launcher words it
        reason = {
            errno.EACCES: "permission denied",
            errno.ENOEXEC: "exec format error",  # a binary for another OS or CPU, no #! line
            errno.ENOENT: "no such file or directory",  # a #! interpreter this machine lacks
        }.get(error.errno or 0, (error.strerror or str(error)).lower())
        return None, invalid_entrypoint(f"fork/exec {path}: {reason}")
    return process, b""


def peak_memory_mb(pid: int) -> int:
    """The bootstrap's peak resident memory (VmHWM) in MB; 0 where there is no /proc."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except (OSError, ValueError, IndexError):
        pass
    return 0


def wait_status(returncode: int) -> int:
    """The wait status of a process that ended with `Popen.returncode`."""
    return (returncode & 0xFF) << 8 if returncode >= 0 else -returncode


class CustomWorker:
    """One execution environment of a custom runtime: the bootstrap and its Runtime API."""

    def __init__(self, parent: Parent, tmp: str) -> None:
        self.parent = parent
        self.tmp = tmp  # how /tmp is provided (the guard's answer), for `started`
        self.api = api.RuntimeAPI()
        self.selector = selectors.DefaultSelector()
        # Loopback only: the Runtime API hands out every event of the function.
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.setblocking(False)
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.parsers: dict[socket.socket, Any] = {}
        self.waiter: tuple[socket.socket, bool] | None = None  # a GET next, its keep-alive
        self.bootstrap: subprocess.Popen[bytes] | None = None
        self.outputs: list[Output] = []
        self.telemetry: Telemetry | None = None
        self.exit_fd: int | None = None
        self.invoked_at = 0.0
        self.init_error: tuple[bytes, float] | None = None  # its payload, when to send it
        self.failed: tuple[dict[str, Any], bytes, float] | None = None  # a held error result
        self.parent_gone = False

    # ------------------------------------------------------------ the loop

    def run(self) -> int:
        """Serve until the bootstrap or the parent ends; the wait status to end with."""
        task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
        command, managed = bootstrap_command(task_root)
        self.telemetry = Telemetry() if managed else None
        self.bootstrap, failure = start_bootstrap(command, task_root, self.address, self.telemetry)
        if self.telemetry is not None:
            os.close(self.telemetry.write_fd)  # the client's now: its end closes the pipe
        if self.bootstrap is None:
            self.parent.send({"type": "init_error"}, failure)
            self._wait_for_parent()
            return 0
        pid = self.bootstrap.pid
        # The bootstrap is the process whose memory counts first (`limits.LimitWatch`).
        self.parent.send({"type": "started", "pid": pid, "tmp": self.tmp})
        self._register(self.listener, self._accept)
        self._register(self.parent.request_fd, self._on_parent)
        for pipe in (self.bootstrap.stdout, self.bootstrap.stderr):
            assert pipe is not None
            output = Output(pipe.fileno())
            self.outputs.append(output)
            self._register(output.fd, self._on_output(output))
        if self.telemetry is not None:
            self._register(self.telemetry.fd, self._on_telemetry)
        if hasattr(os, "pidfd_open"):
            with contextlib.suppress(OSError):
                self.exit_fd = os.pidfd_open(pid)
                self._register(self.exit_fd, lambda _: None)
        while True:
            for key, _ in self.selector.select(self._timeout()):
                key.data(key.fileobj)
            if self.parent_gone:
                self._kill_bootstrap()
                return 0
            ended = self.bootstrap.poll() is not None
            if self.init_error is not None and (ended or time.monotonic() >= self.init_error[1]):
                self._send_init_error()
            if self.failed is not None and (ended or time.monotonic() >= self.failed[2]):
                self._send_failed(ending=ended)
            if ended:
                self._log(drain=True, rest=True)
                if self.init_error is not None:
                    self._send_init_error()
                return wait_status(self.bootstrap.returncode or 0)

    def _timeout(self) -> float | None:
        timeouts = [] if self.exit_fd is not None else [EXIT_POLL]
        if self.init_error is not None:
            timeouts.append(max(0.0, self.init_error[1] - time.monotonic()))
        if self.failed is not None:
            timeouts.append(max(0.0, self.failed[2] - time.monotonic()))
        return min(timeouts, default=None)

    def _register(self, fileobj: Any, callback: Callable[[Any], None]) -> None:
        self.selector.register(fileobj, selectors.EVENT_READ, callback)

    def _wait_for_parent(self) -> None:
        """Block until the parent closes the request pipe (it discards this environment)."""
        os.set_blocking(self.parent.request_fd, True)
        while self.parent.read() is not None:
            pass

    def _kill_bootstrap(self) -> None:
        if self.bootstrap is not None and self.bootstrap.poll() is None:
            with contextlib.suppress(OSError):
                self.bootstrap.send_signal(signal.SIGKILL)
            self.bootstrap.wait()

    # ------------------------------------------------------------ the parent's side

    def _on_parent(self, _: Any) -> None:
        invokes = self.parent.read()
        if invokes is None:
            self.parent_gone = True
            self.selector.unregister(self.parent.request_fd)
            return
        for request, event in invokes:
            self.invoked_at = time.perf_counter()
            invocation = api.Invocation(
                request_id=request["request_id"],
                payload=event,
                deadline_ms=request["deadline_ms"],
                function_arn=request["invoked_function_arn"],
                trace_id=request.get("trace_id") or api.trace_id(),
                client_context=request.get("client_context") or "",
                cognito_identity=request.get("cognito_identity") or "",
            )
            reply = self.api.invoke(invocation)
            if reply is not None and self.waiter is not None:
                connection, keep_alive = self.waiter
                self.waiter = None
                self._send(connection, reply, keep_alive)

    def _on_event(self, event: Any) -> None:
        if isinstance(event, api.Ready):
            self._log(drain=True, rest=True)
            self.parent.send({"type": "ready"})
        elif isinstance(event, api.InitError):
            # Its last lines (and its exit) may follow: sent once it ends, or after a grace.
            self.init_error = (event.payload, time.monotonic() + INIT_ERROR_GRACE)
        else:
            duration_ms = (time.perf_counter() - self.invoked_at) * 1000
            self._log(drain=True, rest=True)
            assert self.bootstrap is not None
            failed = isinstance(event, api.InvocationError)
            result = {
                "type": "result",
                "failed": failed,
                "duration_ms": duration_ms,
                "max_memory_mb": peak_memory_mb(self.bootstrap.pid),
            }
            if failed:  # sent on its next GET next, its exit, or after ERROR_GRACE
                self.failed = (result, event.payload, time.monotonic() + ERROR_GRACE)
            else:
                self.parent.send(result, event.payload)

    def _send_failed(self, ending: bool = False) -> None:
        """Send the held result; `ending`: the bootstrap has exited, this environment is done."""
        assert self.failed is not None
        result, payload, _ = self.failed
        self.failed = None
        self._log(drain=True, rest=True)
        self.parent.send({**result, "ending": True} if ending else result, payload)

    def _send_init_error(self) -> None:
        assert self.init_error is not None
        payload, self.init_error = self.init_error[0], None
        self._log(drain=True, rest=True)
        self.parent.send({"type": "init_error"}, payload)

    # ------------------------------------------------------------ the bootstrap's side

    def _on_output(self, output: Output) -> Callable[[Any], None]:
        def readable(_: Any) -> None:
            self.parent.log(output.read())
            if not output.open:
                self.selector.unregister(output.fd)

        return readable

    def _on_telemetry(self, _: Any) -> None:
        assert self.telemetry is not None
        self.parent.log(self.telemetry.read())
        if not self.telemetry.open:
            self.selector.unregister(self.telemetry.fd)

    def _log(self, drain: bool, rest: bool) -> None:
        """Send what the bootstrap printed so far (before the answer that follows it)."""
        if drain and self.telemetry is not None and self.telemetry.open:
            self._on_telemetry(None)
        for output in self.outputs:
            if drain and output.open:
                self.parent.log(output.read())
                if not output.open:
                    self.selector.unregister(output.fd)
            if rest:
                self.parent.log(output.rest())

    def _accept(self, _: Any) -> None:
        try:
            connection, _address = self.listener.accept()
        except OSError:
            return
        connection.setblocking(True)  # read only when readable; replies are written whole
        self.parsers[connection] = api.RequestParser()
        self._register(connection, self._on_connection)

    def _on_connection(self, connection: socket.socket) -> None:
        try:
            data = connection.recv(READ_SIZE)
        except OSError:
            data = b""
        if not data:
            self._close(connection)
            return
        try:
            items = self.parsers[connection].feed(data)
        except api.BadRequest:
            self._send(connection, api.bad_request(), keep_alive=False)
            return
        for item in items:
            if connection not in self.parsers:
                return  # closed while answering an earlier request
            if isinstance(item, bytes):
                self._write(connection, item)
                continue
            outcome = self.api.handle(item)
            if outcome.event is not None:
                self._on_event(outcome.event)
            if outcome.reply is None:  # a GET next with no event yet: answered on the invoke
                if self.failed is not None:
                    self._send_failed()  # it lives on: ready for the next invoke
                earlier, self.waiter = self.waiter, (connection, item.keep_alive)
                if earlier is not None and earlier[0] is not connection:
                    self._close(earlier[0])  # the newer GET next is the one answered
            else:
                self._send(connection, outcome.reply, item.keep_alive)

    def _send(self, connection: socket.socket, reply: Any, keep_alive: bool) -> None:
        self._write(connection, reply.encode(keep_alive))
        if not keep_alive:
            self._close(connection)

    def _write(self, connection: socket.socket, data: bytes) -> None:
        try:
            connection.sendall(data)
        except OSError:
            self._close(connection)

    def _close(self, connection: socket.socket) -> None:
        if self.parsers.pop(connection, None) is None:
            return
        self.selector.unregister(connection)
        connection.close()
        if self.waiter is not None and self.waiter[0] is connection:
            self.waiter = None
            self.api.stop_waiting()


def main(argv: list[str]) -> None:
    request_fd, response_fd = int(argv[1]), int(argv[2])
    tmp_mb, tmp_dir, private = int(argv[3]), argv[4], argv[5] == "private"
    guard = load_sibling("guard")
    if sys.platform.startswith("linux"):
        # Returns in the forked worker; the guard itself never returns.
        tmp = guard.guard(request_fd, response_fd, tmp_mb, tmp_dir, private)
    else:
        tmp = guard.folder_tmp(tmp_mb, tmp_dir)
    parent = Parent(request_fd, response_fd)
    parent.send({"type": "started", "pid": os.getpid(), "tmp": tmp})
    try:
        status = CustomWorker(parent, tmp).run()
    except BrokenPipeError:  # the parent has gone
        status = 0
    guard._exit_as(status)  # ends as the bootstrap ended: the parent words it as Lambda does


if __name__ == "__main__":
    main(sys.argv)
