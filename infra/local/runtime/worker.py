"""The Lambda worker process: import the handler once, then run invokes sent by the parent.

Started as `python -P -s worker.py REQUEST_FD RESPONSE_FD` with the function's code directory as
cwd and the function's environment. It talks to the parent over two dedicated pipes (never stdout,
which belongs to the handler): each message is a length-prefixed frame holding JSON, and requests
and results carry their event / payload bytes in a second frame. Worker -> parent messages:
`log` (one log line, sent as soon as it is written), `ready`, `init_error`, `result`.

It mirrors AWS's Python runtime (awslambdaric's bootstrap): the same error payloads and types,
the same log format, the root logger at WARNING. It exits when the parent closes the request pipe.

On Linux the process the parent started stays behind as the environment's guard (`guard.py`):
it forks the worker, gives it a private /tmp where the OS allows, and when the worker ends it
kills whatever the worker left running, then exits as the worker did.
"""

from __future__ import annotations

import contextlib
import decimal
import gc
import importlib
import importlib.util
import io
import json
import logging
import os
import resource
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from types import ModuleType
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
NO_BREAK_SPACE = "\u00a0"  # AWS indents stack traces in logs with it


def load_sibling(name: str) -> ModuleType:
    """Load a module of this folder by path, under a private name, without touching sys.path."""
    spec = importlib.util.spec_from_file_location(
        f"_lambda_worker_{name}", os.path.join(HERE, f"{name}.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Fault(Exception):
    """A runtime-level error with AWS's `Runtime.*` type."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


class Channel:
    """The protocol pipes to the parent. Sends are locked: handler threads may log at any time."""

    def __init__(self, request_fd: int, response_fd: int) -> None:
        self._requests = Connection(request_fd, writable=False)
        self._responses = Connection(response_fd, readable=False)
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any], body: bytes | None = None) -> None:
        with self._lock:
            self._responses.send_bytes(json.dumps(message).encode())
            if body is not None:
                self._responses.send_bytes(body)

    def receive(self) -> tuple[dict[str, Any], bytes] | None:
        """The next request and its event bytes, or None once the parent has gone."""
        try:
            message = json.loads(self._requests.recv_bytes())
            return message, self._requests.recv_bytes()
        except (EOFError, OSError):
            return None


class LineWriter(io.TextIOBase):
    """Stands in for sys.stdout / sys.stderr: every complete line becomes one log line."""

    def __init__(self, channel: Channel, fd: int) -> None:
        self._channel = channel
        self._fd = fd
        self._pending = ""
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # typeshed: an attribute; io's: a read-only property
        return "utf-8"

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, text: str) -> int:
        with self._lock:
            *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            self._channel.send({"type": "log", "line": line})
        return len(text)

    def flush_partial(self) -> None:
        """Send a last line that has no newline yet (end of init or of an invoke)."""
        with self._lock:
            line, self._pending = self._pending, ""
        if line:
            self._channel.send({"type": "log", "line": line})


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id, as AWS's LambdaLoggerFilter does."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = RequestIdFilter.request_id
        return True


class ChannelLogHandler(logging.Handler):
    """One log record, even a multi-line one, is one log line (like AWS's telemetry log sink)."""

    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._channel.send({"type": "log", "line": self.format(record)})
        except Exception:
            self.handleError(record)


def setup_logging(channel: Channel) -> None:
    logging.Formatter.converter = time.gmtime
    handler = ChannelLogHandler(channel)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    # Python's default (WARNING), as in Lambda's text log format: AWS's examples call
    # `logger.setLevel(logging.INFO)` themselves. AWS_LAMBDA_LOG_LEVEL (advanced logging) wins.
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper()
    root.setLevel(level if level in logging.getLevelNamesMapping() else logging.WARNING)


def load_handler(handler: str) -> Any:
    """Import the handler's module and find the function, raising AWS's init faults."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise Fault(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from None
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise Fault(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error}",
            trace,
        ) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        ) from None


def make_error(
    message: str, error_type: str, trace: list[str], request_id: str = ""
) -> dict[str, Any]:
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": trace,
    }


def error_from_exception(error: BaseException, request_id: str = "") -> dict[str, Any]:
    """AWS's payload for an exception: the stack starts at the first frame outside this file."""
    frames = traceback.extract_tb(error.__traceback__)
    while frames and frames[0].filename == __file__:
        frames.pop(0)
    return make_error(str(error), type(error).__name__, traceback.format_list(frames), request_id)


def error_log_line(error: dict[str, Any]) -> str:
    """The `[ERROR] Type: message` log entry AWS writes for a failed init or invoke."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    lines.append("Traceback (most recent call last):")
    for element in error["stackTrace"]:
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append(NO_BREAK_SPACE * (len(line) - len(stripped)) + stripped)
    return "\n".join(lines)


class Marshaller:
    """JSON in and out, like AWS's: Decimals become numbers, bytes pass through untouched."""

    def __init__(self, runtime: str) -> None:
        # AWS's python3.12+ runtimes stopped escaping non-ASCII characters.
        self._ensure_ascii = runtime in {"python3.8", "python3.9", "python3.10", "python3.11"}

    def to_json(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=self._ensure_ascii, default=_number_for).encode()

    def unmarshal(self, body: bytes) -> Any:
        try:
            return json.loads(body)
        except Exception as error:
            raise Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {error}") from None

    def marshal(self, response: Any) -> bytes:
        if isinstance(response, bytes):
            return response
        try:
            return self.to_json(response)
        except Exception as error:
            raise Fault("Runtime.MarshalError", f"Unable to marshal response: {error}") from None


def _number_for(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class PeakMemory:
    """This process's own peak resident memory in MB.

    `ru_maxrss` of a process started by exec carries the peak of the process that exec'd it, the
    local cloud's (465 MB for a trivial handler). A worker forked by its guard (Linux) has a
    resource usage of its own, so there `ru_maxrss` is its own peak, the same figure as `VmHWM`
    in /proc/self/status, at a seventh of the cost. A worker not forked reads `VmHWM` (Linux) or
    `ru_maxrss` (macOS, which has no /proc).
    """

    def __init__(self, forked: bool) -> None:
        self._status: int | None = None
        if not forked:
            with contextlib.suppress(OSError):
                self._status = os.open("/proc/self/status", os.O_RDONLY)

    def __call__(self) -> int:
        if self._status is not None:
            with contextlib.suppress(OSError, ValueError):
                status = os.pread(self._status, 4096, 0)
                start = status.index(b"VmHWM:") + 6
                return round(int(status[start : status.index(b"kB", start)]) / 1024)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # Linux reports kilobytes, macOS bytes.
        return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024))


class Worker:
    """The loop of one execution environment."""

    def __init__(self, channel: Channel, forked: bool = False) -> None:
        self.channel = channel
        self.stdout = LineWriter(channel, 1)
        self.stderr = LineWriter(channel, 2)
        self.marshaller = Marshaller(os.environ.get("AWS_EXECUTION_ENV", "").rpartition("_")[2])
        self.context_module = load_sibling("context")
        self.handler: Any = None
        self.max_memory_mb = PeakMemory(forked)

    def flush(self) -> None:
        self.stdout.flush_partial()
        self.stderr.flush_partial()

    def init(self) -> bool:
        """Import the handler; on failure report AWS's init error and return False."""
        try:
            self.handler = load_handler(os.environ["_HANDLER"])
        except Fault as fault:
            error = make_error(fault.message, fault.error_type, fault.trace)
        except Exception as exception:
            error = error_from_exception(exception)
        else:
            self.flush()
            self.channel.send({"type": "ready"})
            return True
        self.flush()
        self.channel.send({"type": "log", "line": error_log_line(error)})
        self.channel.send({"type": "init_error"}, self.marshaller.to_json(error))
        return False

    def invoke(self, request: dict[str, Any], event_body: bytes) -> None:
        request_id = request["request_id"]
        RequestIdFilter.request_id = request_id
        context = self.context_module.LambdaContext(
            request_id, request["invoked_function_arn"], request["deadline_ms"]
        )
        started = time.perf_counter()
        error = None
        try:
            event = self.marshaller.unmarshal(event_body)
            payload = self.marshaller.marshal(self.handler(event, context))
        except Fault as fault:
            error = make_error(fault.message, fault.error_type, fault.trace, request_id)
        except Exception as exception:
            error = error_from_exception(exception, request_id)
        duration_ms = (time.perf_counter() - started) * 1000
        self.flush()
        if error is not None:
            self.channel.send({"type": "log", "line": error_log_line(error)})
            payload = self.marshaller.to_json(error)
        result = {
            "type": "result",
            "failed": error is not None,
            "duration_ms": duration_ms,
            "max_memory_mb": self.max_memory_mb(),
        }
        self.channel.send(result, payload)

    def serve(self) -> int:
        if not self.init():
            return 1
        invocations = 0
        while (received := self.channel.receive()) is not None:
            self.invoke(*received)
            invocations += 1
            if invocations <= SETTLING_INVOCATIONS:
                settle_heap()  # the answer is sent: this costs the next invoke, if any, only
        return 0


# The first invocations create the handler's clients, and botocore loads their service models;
# after each the heap settles. The first settling walks everything (50-90 ms), later ones only
# what is new. Not at init: the first invocation, often waited for, would wait for it too.
SETTLING_INVOCATIONS = 3


def settle_heap() -> None:
    """Collect, then move what survives out of the collector's sight (`gc.freeze`).

    A warm worker holds hundreds of thousands of long-lived objects (boto3, botocore's service
    models, the handler's module and its clients). Left in the oldest generation, each full
    collection walks them all, pausing an invocation for 50-90 ms now and then; frozen,
    collections see only what the invocations allocate. Garbage made by later invocations is
    collected as usual.
    """
    gc.collect()
    gc.freeze()


def exit_code_of(exit: SystemExit) -> int:
    """The status `sys.exit(code)` gives the process, as the interpreter would compute it."""
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code & 0xFF
    print(exit.code, file=sys.stderr)
    return 1


def main(argv: list[str]) -> None:
    request_fd, response_fd = int(argv[1]), int(argv[2])
    tmp_mb, tmp_dir, private = int(argv[3]), argv[4], argv[5] == "private"
    forked = sys.platform.startswith("linux")
    if forked:
        # Returns in the forked worker; the guard itself never returns.
        tmp = load_sibling("guard").guard(request_fd, response_fd, tmp_mb, tmp_dir, private)
    else:
        tmp = load_sibling("guard").folder_tmp(tmp_mb, tmp_dir)
    channel = Channel(request_fd, response_fd)
    channel.send({"type": "started", "pid": os.getpid(), "tmp": tmp})
    worker = Worker(channel, forked)
    sys.stdout, sys.stderr = worker.stdout, worker.stderr
    setup_logging(channel)
    cloud_url = os.environ.get("WORKSHOP_CLOUD_URL")
    load_sibling("redirect").install(cloud_url, lambda: RequestIdFilter.request_id)
    load_sibling("transport").install(cloud_url)  # after the redirect: it sees the local URL
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    try:
        code = worker.serve()
    except SystemExit as exit:
        # sys.exit() in handler code ends the environment, as on AWS (Runtime.ExitError).
        code = exit_code_of(exit)
    except BaseException:
        traceback.print_exc()
        code = 1
    with contextlib.suppress(OSError):  # the parent may be gone: nobody to read the last line
        worker.flush()
    # os._exit: a thread the handler left running must not keep a dead environment alive.
    os._exit(code)


if __name__ == "__main__":
    main(sys.argv)
