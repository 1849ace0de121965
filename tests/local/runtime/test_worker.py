"""The Lambda worker (`runtime/worker.py`), started as the parent starts it and spoken to over its
two pipes: length-prefixed JSON messages, AWS's payloads, log lines and init faults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from infra.local.runtime.process import WORKER_PATH

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"
NO_BREAK_SPACE = "\u00a0"
FINAL = ("ready", "init_error", "result")


class Worker:
    """worker.py in a process of its own, with the parent's ends of its request and response pipes."""

    def __init__(self, tmp_path: Path, source: str, handler: str = "app.handler", **env: str):
        code = tmp_path / "code"
        code.mkdir()
        (code / "app.py").write_text(textwrap.dedent(source))
        (tmp_path / "tmp").mkdir()
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        environment = {
            "PATH": os.environ.get("PATH", os.defpath),
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(code),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "AWS_LAMBDA_FUNCTION_NAME": "fn",
            **env,
        }
        command = [sys.executable, "-P", "-s", "-u", WORKER_PATH]
        arguments = [str(request_read), str(response_write), "512", str(tmp_path / "tmp"), "folder"]
        self.process = subprocess.Popen(
            [*command, *arguments],
            pass_fds=(request_read, response_write),
            cwd=code,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(request_read)
        os.close(response_write)
        self.requests = Connection(request_write, readable=False)
        self.responses = Connection(response_read, writable=False)

    def message(self) -> dict[str, Any]:
        assert self.responses.poll(10), "the worker said nothing for 10 s"
        return dict(json.loads(self.responses.recv_bytes()))

    def until_final(self) -> tuple[dict[str, Any], bytes, list[str]]:
        """The next ready / init_error / result message, its body, and the log lines before it."""
        logs = []
        while (message := self.message())["type"] not in FINAL:
            if message["type"] == "log":
                logs.append(message["line"])
        body = b"" if message["type"] == "ready" else self.responses.recv_bytes()
        return message, body, logs

    def invoke(
        self, event: bytes = b"{}", request_id: str = "req-1"
    ) -> tuple[dict[str, Any], bytes, list[str]]:
        request = {
            "request_id": request_id,
            "invoked_function_arn": ARN,
            "deadline_ms": int((time.time() + 10) * 1000),
        }
        self.requests.send_bytes(json.dumps(request).encode())
        self.requests.send_bytes(event)
        return self.until_final()

    def close(self) -> int:
        """Close the request pipe (the parent going away); the exit status."""
        self.requests.close()
        try:
            return self.process.wait(10)
        finally:
            self.responses.close()


@pytest.fixture
def start(tmp_path: Path) -> Any:
    """Starts a ready worker for a handler source; every worker started is ended afterwards."""
    started: list[Worker] = []

    def make(source: str, handler: str = "app.handler", ready: bool = True, **env: str) -> Worker:
        folder = tmp_path / str(len(started))
        folder.mkdir()
        worker = Worker(folder, source, handler, **env)
        started.append(worker)
        if ready:
            assert worker.message()["type"] == "started"
            assert worker.until_final()[0]["type"] == "ready"
        return worker

    yield make
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait(10)


def test_it_says_started_then_ready_after_the_import(start: Any) -> None:
    """First `started` (its pid, how /tmp is provided), then the import's output, then `ready`."""
    worker = start("print('importing')\ndef handler(event, context):\n    return 1\n", ready=False)
    started = worker.message()
    assert started["type"] == "started"
    assert started["tmp"] == "folder"
    assert isinstance(started["pid"], int)
    message, _, logs = worker.until_final()
    assert (message, logs) == ({"type": "ready"}, ["importing"])


def test_the_handler_s_value_is_the_result_as_json(start: Any) -> None:
    """A result message (not failed, its duration, peak memory) and the value as JSON."""
    worker = start("def handler(event, context):\n    return {'got': event['n'] + 1}\n")
    message, payload, _ = worker.invoke(b'{"n": 1}')
    assert message["type"] == "result" and message["failed"] is False
    assert message["duration_ms"] >= 0
    assert message["max_memory_mb"] > 0
    assert json.loads(payload) == {"got": 2}


def test_decimals_are_numbers_and_non_ascii_is_kept(start: Any) -> None:
    """As AWS's python3.12: Decimal(2) is 2, Decimal('1.5') is 1.5, and é stays é."""
    source = "from decimal import Decimal\ndef handler(event, context):\n"
    source += "    return {'é': Decimal('1.5'), 'n': Decimal(2)}\n"
    _, payload, _ = start(source).invoke()
    assert payload == '{"é": 1.5, "n": 2}'.encode()


def test_python_3_11_escapes_non_ascii(start: Any) -> None:
    """As AWS's runtimes up to python3.11: non-ASCII characters are escaped."""
    source = "def handler(event, context):\n    return 'é'\n"
    _, payload, _ = start(source, AWS_EXECUTION_ENV="AWS_Lambda_python3.11").invoke()
    assert payload == b'"\\u00e9"'


def test_bytes_returned_pass_through_untouched(start: Any) -> None:
    """A handler returning bytes has them as the payload, not JSON."""
    _, payload, _ = start("def handler(event, context):\n    return b'\\x00raw'\n").invoke()
    assert payload == b"\x00raw"


def test_the_context_carries_the_request_s_facts(start: Any) -> None:
    """context: the request id, the invoked ARN, the function's name and the time left."""
    source = """
    def handler(event, context):
        return [context.aws_request_id, context.invoked_function_arn, context.function_name,
                context.get_remaining_time_in_millis()]
    """
    _, payload, _ = start(textwrap.dedent(source)).invoke(request_id="req-ctx")
    request_id, arn, name, remaining = json.loads(payload)
    assert (request_id, arn, name) == ("req-ctx", ARN, "fn")
    assert 0 < remaining <= 10_000


def test_each_printed_line_is_a_log_line(start: Any) -> None:
    """print() output arrives line by line; a last line without newline comes with the invoke."""
    source = "import sys\ndef handler(event, context):\n"
    source += "    print('one\\ntwo')\n    sys.stdout.write('partial')\n"
    _, _, logs = start(source).invoke()
    assert logs == ["one", "two", "partial"]


def test_logging_is_at_warning_one_line_per_record_in_aws_format(start: Any) -> None:
    """INFO is dropped; a WARNING, even on two lines, is one `[WARNING]\\t...Z\\tid\\t` line."""
    source = """
    import logging
    def handler(event, context):
        logging.getLogger().info("not shown")
        logging.getLogger().warning("two\\nlines")
    """
    _, _, logs = start(textwrap.dedent(source)).invoke(request_id="req-log")
    [line] = logs
    level, stamp, request_id, message = line.split("\t")
    assert (level, request_id, message) == ("[WARNING]", "req-log", "two\nlines")
    assert stamp.endswith("Z")


def test_an_exception_is_aws_s_error_payload_and_error_log(start: Any) -> None:
    """failed: AWS's errorMessage, errorType, requestId and a stack that starts in the handler."""
    source = "def handler(event, context):\n    raise ValueError('boom')\n"
    message, payload, logs = start(source).invoke(request_id="req-err")
    error = json.loads(payload)
    assert message["failed"] is True
    assert (error["errorMessage"], error["errorType"], error["requestId"]) == (
        "boom",
        "ValueError",
        "req-err",
    )
    assert "app.py" in error["stackTrace"][0] and "raise ValueError" in error["stackTrace"][0]
    first, second, *trace = logs[-1].split("\n")
    assert (first, second) == ("[ERROR] ValueError: boom", "Traceback (most recent call last):")
    assert trace[0].startswith(NO_BREAK_SPACE * 2 + "File ")


def test_a_value_json_cannot_hold_is_a_marshal_error(start: Any) -> None:
    """A handler returning an object() fails with Runtime.MarshalError."""
    _, payload, _ = start("def handler(event, context):\n    return object()\n").invoke()
    assert json.loads(payload)["errorType"] == "Runtime.MarshalError"


def test_an_event_that_is_no_json_is_an_unmarshal_error(start: Any) -> None:
    """An event body that does not parse fails with Runtime.UnmarshalError."""
    _, payload, _ = start("def handler(event, context):\n    return 1\n").invoke(b"{nope")
    assert json.loads(payload)["errorType"] == "Runtime.UnmarshalError"


@pytest.mark.parametrize(
    ("source", "handler", "error_type"),
    [
        ("def handler(e, c):\n    pass\n", "nodot", "Runtime.MalformedHandlerName"),
        ("def handler(e, c):\n    pass\n", "missing.handler", "Runtime.ImportModuleError"),
        ("def handler(e, c):\n    pass\n", "app.absent", "Runtime.HandlerNotFound"),
        ("def handler(e, c)\n    pass\n", "app.handler", "Runtime.UserCodeSyntaxError"),
        ("def handler(e, c):\n    pass\n", "sys.handler", "Runtime.BuiltInModuleConflict"),
    ],
    ids=["malformed-name", "no-module", "no-function", "syntax-error", "built-in-module"],
)
def test_a_handler_that_cannot_be_loaded_is_an_init_error(
    start: Any, source: str, handler: str, error_type: str
) -> None:
    """init_error with AWS's Runtime.* type and an [ERROR] log line; then the process exits 1."""
    worker = start(source, handler, ready=False)
    assert worker.message()["type"] == "started"
    message, body, logs = worker.until_final()
    assert message["type"] == "init_error"
    assert json.loads(body)["errorType"] == error_type
    assert logs[-1].startswith(f"[ERROR] {error_type}: ")
    assert worker.process.wait(10) == 1


def test_sys_exit_in_a_handler_ends_the_environment_with_its_status(start: Any) -> None:
    """sys.exit(3) inside an invoke ends the process with status 3, sending no result."""
    worker = start("import sys\ndef handler(event, context):\n    sys.exit(3)\n")
    request = {"request_id": "r", "invoked_function_arn": ARN, "deadline_ms": 0}
    worker.requests.send_bytes(json.dumps(request).encode())
    worker.requests.send_bytes(b"{}")
    assert worker.process.wait(10) == 3


def test_it_exits_when_the_parent_closes_the_request_pipe(start: Any) -> None:
    """The parent gone (its end of the request pipe closed): the worker exits with 0."""
    worker = start("def handler(event, context):\n    return 1\n")
    assert worker.invoke()[0]["type"] == "result"
    assert worker.close() == 0
