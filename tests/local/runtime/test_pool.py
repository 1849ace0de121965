"""LambdaRuntime: real zips in warm workers, with AWS's results, errors and logs."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from infra.local.runtime import LambdaRuntime

from .conftest import BASE_ENV, Rendezvous, make_spec

COUNTER = """
import os
INITS = 0
INITS += 1
CALLS = 0

def handler(event, context):
    global CALLS
    CALLS += 1
    return {"pid": os.getpid(), "inits": INITS, "calls": CALLS}
"""

MEETS = """
import os, socket

def handler(event, context):
    with socket.create_connection(tuple(event["address"])) as connection:
        connection.recv(2)
    return os.getpid()
"""

REQUEST_ID = "2f1c9e0e-6f7a-4a61-9e6b-6f1f2d0c8a11"


def test_returns_the_handlers_value(runtime: LambdaRuntime) -> None:
    """The handler's return value is the JSON payload of a successful invoke."""
    spec = make_spec("returns", "def handler(event, context):\n    return {'got': event}\n")
    result = runtime.invoke(spec, {"a": 1})
    assert result.ok
    assert result.function_error is None
    assert result.json() == {"got": {"a": 1}}


def test_uses_the_given_request_id(runtime: LambdaRuntime) -> None:
    """A caller-chosen request id is the one the handler and the logs see."""
    spec = make_spec(
        "request-id", "def handler(event, context):\n    return context.aws_request_id\n"
    )
    result = runtime.invoke(spec, {}, request_id=REQUEST_ID)
    assert result.request_id == REQUEST_ID
    assert result.json() == REQUEST_ID
    assert f"END RequestId: {REQUEST_ID}" in result.logs


def test_reads_its_environment_variables(runtime: LambdaRuntime) -> None:
    """The function's Environment variables are in os.environ."""
    source = "import os\ndef handler(event, context):\n    return os.environ['TABLE_NAME']\n"
    spec = make_spec("reads-env", source, environment={"TABLE_NAME": "chat"})
    assert runtime.invoke(spec, {}).json() == "chat"


def test_init_runs_once_per_warm_worker(runtime: LambdaRuntime) -> None:
    """Module code runs once; later invokes reuse the same warm process."""
    spec = make_spec("warm", COUNTER)
    first = runtime.invoke(spec, {})
    second = runtime.invoke(spec, {})
    assert first.json()["pid"] == second.json()["pid"]
    assert second.json() == {**first.json(), "calls": 2}
    assert first.init_duration_ms is not None
    assert second.init_duration_ms is None


def test_concurrent_invokes_use_separate_workers(runtime: LambdaRuntime) -> None:
    """Two invokes at once run in two workers, each with its own init."""
    spec = make_spec("concurrent", MEETS)
    rendezvous = Rendezvous(parties=2)
    event = {"address": list(rendezvous.address)}
    with ThreadPoolExecutor(2) as executor:
        results = list(executor.map(lambda _: runtime.invoke(spec, event), range(2)))
    assert rendezvous.met
    assert all(result.init_duration_ms is not None for result in results)
    assert results[0].json() != results[1].json()


def test_callers_beyond_the_limit_wait_for_a_worker() -> None:
    """With one worker allowed, concurrent invokes queue up for the same process."""
    spec = make_spec("limited", COUNTER)
    with (
        LambdaRuntime(BASE_ENV, max_workers_per_function=1) as runtime,
        ThreadPoolExecutor(3) as executor,
    ):
        results = list(executor.map(lambda _: runtime.invoke(spec, {}), range(3)))
    assert {result.json()["pid"] for result in results} == {results[0].json()["pid"]}
    assert sorted(result.json()["calls"] for result in results) == [1, 2, 3]


def test_logs_are_framed_by_start_end_and_report(runtime: LambdaRuntime) -> None:
    """Prints and logging records come back between AWS's START, END and REPORT lines."""
    source = """
    import logging
    print("loading")
    logger = logging.getLogger()
    logger.setLevel(logging.INFO)

    def handler(event, context):
        print("hello")
        logging.getLogger("app").info("working on %s", event["job"])
        logging.debug("hidden: the root logger is at INFO")
        return None
    """
    spec = make_spec("logs", source, memory_mb=256)
    logs = runtime.invoke(spec, {"job": 7}, request_id=REQUEST_ID).logs
    # A cold start: INIT_START and the init output come before START, as Lambda writes them.
    assert re.fullmatch(
        r"INIT_START Runtime Version: python:3\.12\.v1\t"
        r"Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}",
        logs[0],
    )
    assert logs[1:4] == ["loading", f"START RequestId: {REQUEST_ID} Version: $LATEST", "hello"]
    assert re.fullmatch(
        rf"\[INFO\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{REQUEST_ID}\tworking on 7",
        logs[4],
    )
    assert logs[5] == f"END RequestId: {REQUEST_ID}"
    assert re.fullmatch(
        rf"REPORT RequestId: {REQUEST_ID}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms",
        logs[6],
    )
    assert len(logs) == 7


def test_warm_report_has_no_init_duration(runtime: LambdaRuntime) -> None:
    """Only a cold start's REPORT line carries an Init Duration."""
    spec = make_spec("warm-report", COUNTER)
    runtime.invoke(spec, {})
    report = runtime.invoke(spec, {}).logs[-1]
    assert report.startswith("REPORT RequestId:")
    assert "Init Duration" not in report


def test_prints_do_not_corrupt_the_protocol(runtime: LambdaRuntime) -> None:
    """Handler output, even protocol-looking text without a newline, stays in the logs."""
    source = """
    import sys

    def handler(event, context):
        sys.stdout.write('{"type": "result"}')
        print("to stderr", file=sys.stderr)
        return "fine"
    """
    result = runtime.invoke(make_spec("noisy", source), {})
    assert result.json() == "fine"
    assert '{"type": "result"}' in result.logs
    assert "to stderr" in result.logs


def test_exception_gives_awss_error_payload(runtime: LambdaRuntime) -> None:
    """An exception becomes errorMessage/errorType/requestId/stackTrace, FunctionError Unhandled."""
    source = "def handler(event, context):\n    raise ValueError('boom')\n"
    result = runtime.invoke(make_spec("raises", source), {}, request_id=REQUEST_ID)
    assert result.function_error == "Unhandled"
    error = result.json()
    assert {key: error[key] for key in ("errorMessage", "errorType", "requestId")} == {
        "errorMessage": "boom",
        "errorType": "ValueError",
        "requestId": REQUEST_ID,
    }
    assert len(error["stackTrace"]) == 1
    assert 'app.py", line 2, in handler' in error["stackTrace"][0]
    assert any(line.startswith("[ERROR] ValueError: boom\n") for line in result.logs)


def test_timeout_kills_the_worker_and_reports_awss_message(runtime: LambdaRuntime) -> None:
    """Past its timeout an invoke fails with "Task timed out after 1.00 seconds"."""
    source = (
        "import time\ndef handler(event, context):\n    print('sleeping')\n    time.sleep(30)\n"
    )
    result = runtime.invoke(make_spec("sleeps", source, timeout=1), {}, request_id=REQUEST_ID)
    assert result.function_error == "Unhandled"
    pattern = rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {REQUEST_ID} Task timed out after 1\.00 seconds"
    assert list(result.json()) == ["errorMessage"]
    assert re.fullmatch(pattern, result.json()["errorMessage"])
    assert "sleeping" in result.logs
    assert re.fullmatch(pattern, result.logs[-1])


def test_invoke_after_a_timeout_gets_a_fresh_worker(runtime: LambdaRuntime) -> None:
    """The timed-out worker is replaced: the next invoke runs normally."""
    source = """
    import os, time

    def handler(event, context):
        if event.get("sleep"):
            time.sleep(30)
        return os.getpid()
    """
    spec = make_spec("recovers", source, timeout=1)
    first_pid = runtime.invoke(spec, {}).json()
    assert not runtime.invoke(spec, {"sleep": True}).ok
    after = runtime.invoke(spec, {})
    assert after.ok
    assert after.json() != first_pid
    assert after.init_duration_ms is not None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("import sys\n    sys.exit(1)", "Runtime exited with error: exit status 1"),
        ("import os\n    os._exit(3)", "Runtime exited with error: exit status 3"),
        (
            "import ctypes\n    ctypes.string_at(0)",
            "Runtime exited with error: signal: segmentation fault",
        ),
        ("import sys\n    sys.exit(0)", "Runtime exited without providing a reason"),
    ],
    ids=["sys-exit", "os-exit", "segfault", "clean-exit"],
)
def test_process_exit_gives_runtime_exit_error(
    runtime: LambdaRuntime, body: str, reason: str
) -> None:
    """A handler that ends its process fails the invoke with Runtime.ExitError."""
    source = f"def handler(event, context):\n    print('bye')\n    {body}\n"
    spec = make_spec(f"exits-{abs(hash(body))}", source)
    result = runtime.invoke(spec, {}, request_id=REQUEST_ID)
    assert result.function_error == "Unhandled"
    assert result.json() == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {REQUEST_ID} Error: {reason}",
    }
    assert "bye" in result.logs


def test_invoke_after_a_crash_gets_a_fresh_worker(runtime: LambdaRuntime) -> None:
    """A worker that exited is replaced on the next invoke."""
    source = """
    import os

    def handler(event, context):
        if event.get("exit"):
            os._exit(1)
        return "alive"
    """
    spec = make_spec("crash-recovers", source)
    assert not runtime.invoke(spec, {"exit": True}).ok
    assert runtime.invoke(spec, {}).json() == "alive"


def test_non_serialisable_result_is_a_marshal_error(runtime: LambdaRuntime) -> None:
    """Returning a set fails with Runtime.MarshalError, as on AWS."""
    spec = make_spec("returns-set", "def handler(event, context):\n    return {1, 2}\n")
    result = runtime.invoke(spec, {}, request_id=REQUEST_ID)
    assert result.function_error == "Unhandled"
    assert result.json() == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": REQUEST_ID,
        "stackTrace": [],
    }


def test_decimals_are_returned_as_numbers(runtime: LambdaRuntime) -> None:
    """DynamoDB's Decimals serialise as JSON numbers, like AWS's runtime does."""
    source = "from decimal import Decimal\ndef handler(event, context):\n    return [Decimal('3'), Decimal('0.5')]\n"
    result = runtime.invoke(make_spec("decimals", source), {})
    assert result.payload == b"[3, 0.5]"


def test_bytes_event_is_passed_as_raw_json(runtime: LambdaRuntime) -> None:
    """An event given as bytes is the invoke's raw JSON payload."""
    spec = make_spec("raw-event", "def handler(event, context):\n    return event\n")
    assert runtime.invoke(spec, b'{"k": [1]}').json() == {"k": [1]}


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        (
            "missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        ("app.nothing", "Runtime.HandlerNotFound", "Handler 'nothing' missing on module 'app'"),
        (
            "app",
            "Runtime.MalformedHandlerName",
            "Bad handler 'app': not enough values to unpack (expected 2, got 1)",
        ),
    ],
    ids=["no-module", "no-function", "malformed"],
)
def test_bad_handler_string_gives_awss_init_error(
    runtime: LambdaRuntime, handler: str, error_type: str, message: str
) -> None:
    """A handler that cannot be loaded fails the invoke with AWS's Runtime.* init error."""
    spec = make_spec(f"bad-{error_type}", COUNTER, handler=handler)
    result = runtime.invoke(spec, {})
    assert result.function_error == "Unhandled"
    assert result.json() == {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": "",
        "stackTrace": [],
    }
    assert any(line.startswith(f"[ERROR] {error_type}: ") for line in result.logs)
    assert result.logs[-1].startswith("REPORT RequestId:")


def test_exception_at_import_is_an_init_error(runtime: LambdaRuntime) -> None:
    """An exception raised by module code is reported with its own type."""
    spec = make_spec(
        "init-raises", "raise KeyError('TABLE')\ndef handler(event, context):\n    pass\n"
    )
    error = runtime.invoke(spec, {}).json()
    assert (error["errorType"], error["errorMessage"]) == ("KeyError", "'TABLE'")


def test_context_has_awss_fields(runtime: LambdaRuntime) -> None:
    """The context object carries the same fields as AWS's Python runtime."""
    source = """
    def handler(event, context):
        return {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
        }
    """
    spec = make_spec("context", source, timeout=5, memory_mb=512)
    fields = runtime.invoke(spec, {}, request_id=REQUEST_ID).json()
    assert fields.pop("log_stream_name").startswith(tuple(f"20{n}" for n in range(10)))
    assert 4000 < fields.pop("remaining") <= 5000
    assert fields == {
        "aws_request_id": REQUEST_ID,
        "function_name": "context",
        "function_version": "$LATEST",
        "invoked_function_arn": spec.arn,
        "memory_limit_in_mb": "512",
        "log_group_name": "/aws/lambda/context",
    }


def test_environment_is_isolated_between_functions(runtime: LambdaRuntime) -> None:
    """One function's variables and module state are invisible to another."""
    source = """
    import os
    def handler(event, context):
        os.environ["TOUCHED"] = "yes"
        return {key: os.environ.get(key) for key in ("ONLY_A", "ONLY_B")}
    """
    a = make_spec("isolated-a", source, environment={"ONLY_A": "a"})
    b = make_spec("isolated-b", source, environment={"ONLY_B": "b"})
    assert runtime.invoke(a, {}).json() == {"ONLY_A": "a", "ONLY_B": None}
    assert runtime.invoke(b, {}).json() == {"ONLY_A": None, "ONLY_B": "b"}


def test_worker_has_awss_reserved_variables_and_base_env(runtime: LambdaRuntime) -> None:
    """Reserved variables, the cloud's base env and the task root are set up as on AWS."""
    source = """
    import os, sys
    def handler(event, context):
        return {"env": dict(os.environ), "cwd": os.getcwd(), "path0": sys.path[0]}
    """
    spec = make_spec("reserved", source, environment={"AWS_REGION": "eu-west-1", "MINE": "1"})
    seen = runtime.invoke(spec, {}).json()
    env = seen["env"]
    assert env["LAMBDA_TASK_ROOT"] == seen["cwd"] == seen["path0"]
    assert env["_HANDLER"] == "app.handler"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "reserved"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/reserved"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"  # reserved wins
    assert {key: env[key] for key in BASE_ENV} == BASE_ENV
    assert env["MINE"] == "1"


def test_kit_modules_do_not_shadow_function_modules(runtime: LambdaRuntime) -> None:
    """A function's own `context.py` is imported, not the runtime's file of that name."""
    files = {
        "app.py": "import context\ndef handler(event, context_):\n    return context.VALUE\n",
        "context.py": "VALUE = 42\n",
    }
    assert runtime.invoke(make_spec("shadow", files), {}).json() == 42


def test_parent_python_path_does_not_leak(
    runtime: LambdaRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's sys.path is the task root plus the interpreter's own, never PYTHONPATH."""
    monkeypatch.setenv("PYTHONPATH", "/leaky")
    source = "import os, sys\ndef handler(event, context):\n    return [sys.path, 'PYTHONPATH' in os.environ]\n"
    path, has_python_path = runtime.invoke(make_spec("no-leak", source), {}).json()
    assert "/leaky" not in path
    assert not has_python_path
    assert not any(entry.endswith("infra/local/runtime") for entry in path)


def test_boto3_is_importable_in_workers(runtime: LambdaRuntime) -> None:
    """boto3 is available to handler code, as on AWS."""
    source = "import boto3\ndef handler(event, context):\n    return boto3.__name__\n"
    assert runtime.invoke(make_spec("has-boto3", source), {}).json() == "boto3"


def test_evict_starts_new_workers(runtime: LambdaRuntime) -> None:
    """After evict, the function's next invoke is a cold start in a new process."""
    spec = make_spec("evicted", COUNTER)
    before = runtime.invoke(spec, {}).json()["pid"]
    runtime.evict("evicted")
    after = runtime.invoke(spec, {})
    assert after.init_duration_ms is not None
    assert after.json()["pid"] != before


def test_new_configuration_gets_new_workers(runtime: LambdaRuntime) -> None:
    """Changed Environment variables reach a fresh worker; the old one is retired."""
    source = "import os\nVALUE = os.environ['V']\ndef handler(event, context):\n    return VALUE\n"
    first = make_spec("reconfigured", source, environment={"V": "1"})
    second = make_spec("reconfigured", source, environment={"V": "2"})
    assert runtime.invoke(first, {}).json() == "1"
    assert runtime.invoke(second, {}).json() == "2"


def test_close_stops_the_workers() -> None:
    """close() ends every worker process."""
    runtime = LambdaRuntime(BASE_ENV)
    pid = runtime.invoke(make_spec("closing", COUNTER), {}).json()["pid"]
    runtime.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(RuntimeError):
        runtime.invoke(make_spec("closing", COUNTER), {})


def test_workers_exit_when_the_parent_dies() -> None:
    """A worker whose parent vanished without close() sees its pipe close and exits."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(20)
    source = """
    import socket
    KEPT = []
    def handler(event, context):
        KEPT.append(socket.create_connection(tuple(event["address"])))
    """
    script = textwrap.dedent(
        f"""
        import os
        from infra.local.runtime import LambdaRuntime
        from tests.local.runtime.conftest import make_spec
        runtime = LambdaRuntime({{}})
        runtime.invoke(make_spec("orphan", {source!r}), {{"address": {list(listener.getsockname())}}})
        os._exit(0)
        """
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    subprocess.run([sys.executable, "-c", script], cwd=root, check=True, timeout=30)
    connection, _ = listener.accept()
    connection.settimeout(20)
    assert connection.recv(1) == b""  # the worker's socket closed: the worker has exited
    connection.close()
    listener.close()


def test_redirects_execute_api_calls_to_the_local_cloud(runtime: LambdaRuntime) -> None:
    """boto3's @connections client aimed at AWS's execute-api host reaches WORKSHOP_CLOUD_URL."""
    from .test_redirect import RecordingServer

    source = """
    import boto3
    def handler(event, context):
        client = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=f"https://{event['domainName']}/{event['stage']}",
        )
        client.post_to_connection(ConnectionId="conn-1=", Data=b"hi")
        return "sent"
    """
    with RecordingServer() as server:
        spec = make_spec("pushes", source, environment={"WORKSHOP_CLOUD_URL": server.url})
        event = {"domainName": "abc123.execute-api.us-east-1.amazonaws.com", "stage": "prod"}
        result = runtime.invoke(spec, event)
    assert result.json() == "sent", json.dumps(result.json())
    path, headers, body = server.requests[0]
    assert path == "/abc123/prod/@connections/conn-1%3D"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 ")
    assert body == b"hi"


def test_info_logs_are_hidden_until_the_function_sets_a_level(runtime: LambdaRuntime) -> None:
    """logging.info without setLevel is dropped, as Lambda's root logger stays at WARNING."""
    source = """
    import logging

    def handler(event, context):
        logging.info("quiet")
        logging.warning("loud")
    """
    logs = runtime.invoke(make_spec("levels", source), {}, request_id=REQUEST_ID).logs
    assert not any("quiet" in line for line in logs)
    assert any(line.startswith("[WARNING]") and line.endswith("\tloud") for line in logs)


FROZEN = """
import gc

def handler(event, context):
    garbage = []
    garbage.append(garbage)  # a cycle only the collector frees
    del garbage
    return {"frozen": gc.get_freeze_count(), "enabled": gc.isenabled()}
"""


def test_a_warm_worker_keeps_its_long_lived_objects_out_of_collections(
    runtime: LambdaRuntime,
) -> None:
    """After its first invocation the worker's heap is frozen; the collector stays on."""
    spec = make_spec("frozen", FROZEN)
    runtime.invoke(spec, {})
    second = runtime.invoke(spec, {}).json()  # same warm worker: invokes here are sequential
    assert second["frozen"] > 10_000  # boto3 was imported before the handler
    assert second["enabled"] is True
    for _ in range(4):
        later = runtime.invoke(spec, {}).json()
    assert later["frozen"] >= second["frozen"]
