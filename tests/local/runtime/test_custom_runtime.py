"""Custom runtimes end to end: `provided.al2023` functions whose `bootstrap` is a shell script
using curl against the Lambda Runtime API, created and invoked through boto3 on a local cloud."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import shutil
import textwrap
import zipfile
from typing import Any

import pytest

from infra.local.cloud import LocalCloud
from infra.local.runtime import FunctionSpec, LambdaRuntime
from tests import waits
from tests.conftest import lambda_role
from tests.local.edge.test_invoke import messages

from .conftest import BASE_ENV, make_spec, make_zip

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None, reason="the bootstraps under test use curl, not on this machine"
)

API = 'API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"'

# AWS's tutorial bootstrap, shortened: ask for an event, answer it, forever.
ECHO = f"""\
    #!/bin/sh
    set -eu
    {API}
    echo "bootstrap started"
    while true; do
      HEADERS="$(mktemp)"
      EVENT="$(curl -sS -D "$HEADERS" "$API/invocation/next")"
      REQUEST_ID="$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d' ' -f2 | tr -d '\\r\\n')"
      echo "got $EVENT"
      RESPONSE="{{\\"event\\": $EVENT, \\"pid\\": $$, \\"api\\": \\"$AWS_LAMBDA_RUNTIME_API\\"}}"
      curl -sS -o /dev/null --data-binary "$RESPONSE" "$API/invocation/$REQUEST_ID/response"
    done
"""

INIT_ERROR = f"""\
    #!/bin/sh
    {API}
    echo "no configuration"
    curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Runtime.ConfigError" \\
      --data-binary '{{"errorMessage": "no configuration", "errorType": "Runtime.ConfigError"}}' \\
      "$API/init/error"
    exit 1
"""

EXITS = """\
    #!/bin/sh
    echo "leaving at once"
    exit 3
"""

FAILS = f"""\
    #!/bin/sh
    set -eu
    {API}
    while true; do
      HEADERS="$(mktemp)"
      curl -sS -o /dev/null -D "$HEADERS" "$API/invocation/next"
      REQUEST_ID="$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d' ' -f2 | tr -d '\\r\\n')"
      curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Unhandled" \\
        --data-binary '{{"errorMessage": "no luck", "errorType": "LuckError", "stackTrace": []}}' \\
        "$API/invocation/$REQUEST_ID/error"
    done
"""

SLOW = f"""\
    #!/bin/sh
    {API}
    while true; do
      curl -sS -o /dev/null "$API/invocation/next"
      sleep 30
    done
"""

# Holds 150 MB in the bootstrap's own shell: past a MemorySize of 128.
GREEDY = f"""\
    #!/bin/sh
    {API}
    curl -sS -o /dev/null "$API/invocation/next"
    HELD="$(head -c 150000000 /dev/zero | tr '\\0' a)"
    sleep 30
"""


def bootstrap_zip(script: str) -> bytes:
    """A deployment package whose executable `bootstrap` is `script` (dedented)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        entry = zipfile.ZipInfo("bootstrap")
        entry.create_system = 3  # Unix: the mode bits below are kept
        entry.external_attr = 0o755 << 16
        archive.writestr(entry, textwrap.dedent(script))
    return buffer.getvalue()


def create(
    aws: Any, name: str, script: str, runtime: str = "provided.al2023", **extra: Any
) -> None:
    waits.create_function(
        aws("lambda"),
        FunctionName=name,
        Runtime=runtime,
        Role=lambda_role(aws("iam")),
        Handler="function.handler",
        Code={"ZipFile": bootstrap_zip(script)},
        **extra,
    )


def invoke(aws: Any, name: str, event: Any) -> dict[str, Any]:
    """Invoke and read the payload as JSON."""
    response = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(event))
    return {**response, "Payload": json.loads(response["Payload"].read())}


@pytest.fixture(scope="module")
def echo(cloud: LocalCloud, aws: Any) -> str:
    create(aws, "custom-echo", ECHO)
    return "custom-echo"


def test_a_bootstrap_echoes_its_events_in_one_warm_process(aws: Any, echo: str) -> None:
    """Two invokes get their own events back from the same bootstrap process (warm reuse)."""
    first = invoke(aws, echo, {"n": 1})
    second = invoke(aws, echo, {"n": 2})
    assert "FunctionError" not in first and "FunctionError" not in second
    assert first["Payload"]["event"] == {"n": 1}
    assert second["Payload"]["event"] == {"n": 2}
    assert first["Payload"]["pid"] == second["Payload"]["pid"]


def test_the_runtime_api_is_on_loopback(aws: Any, echo: str) -> None:
    """AWS_LAMBDA_RUNTIME_API is a 127.0.0.1 address: it carries every event."""
    api = invoke(aws, echo, {"n": 3})["Payload"]["api"]
    host, _, port = api.partition(":")
    assert host == "127.0.0.1"
    assert int(port) > 0


def test_the_bootstraps_output_goes_to_cloudwatch_logs(aws: Any, echo: str) -> None:
    """Its printed lines are log events as printed: the init's before START, the invoke's inside."""
    request_id = invoke(aws, echo, {"n": 4})["ResponseMetadata"]["RequestId"]
    lines = messages(aws, echo)
    assert lines[0].startswith("INIT_START ")
    assert lines[1] == "bootstrap started"
    start = lines.index(f"START RequestId: {request_id} Version: $LATEST")
    end = lines.index(f"END RequestId: {request_id}")
    assert lines[start + 1 : end] == ['got {"n": 4}']


def test_an_init_error_comes_back_as_the_bootstrap_posted_it(aws: Any) -> None:
    """POST /init/error fails the invoke with the posted error, as Lambda reports it."""
    create(aws, "custom-init-error", INIT_ERROR)
    response = invoke(aws, "custom-init-error", {})
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"] == {
        "errorMessage": "no configuration",
        "errorType": "Runtime.ConfigError",
    }


def test_a_bootstrap_that_exits_before_asking_for_work_is_a_runtime_exit_error(aws: Any) -> None:
    """A provided.al2 bootstrap that exits at once: Runtime.ExitError with its exit status."""
    create(aws, "custom-exits", EXITS, runtime="provided.al2")
    response = invoke(aws, "custom-exits", {})
    request_id = response["ResponseMetadata"]["RequestId"]
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"] == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 3",
    }


def test_an_error_posted_for_an_invoke_comes_back_as_lambda_formats_it(aws: Any) -> None:
    """POST /invocation/{id}/error: FunctionError Unhandled, the posted error as the payload."""
    create(aws, "custom-fails", FAILS)
    response = invoke(aws, "custom-fails", {})
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"] == {
        "errorMessage": "no luck",
        "errorType": "LuckError",
        "stackTrace": [],
    }


def test_a_bootstrap_that_does_not_answer_in_time_times_out(aws: Any) -> None:
    """No answer within the function's Timeout: Lambda's "Task timed out" error."""
    create(aws, "custom-slow", SLOW, Timeout=1)
    response = invoke(aws, "custom-slow", {})
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"]["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_a_bootstrap_past_its_memory_size_is_killed_as_lambda_reports_it(aws: Any) -> None:
    """The bootstrap's memory counts against MemorySize: past it, "signal: killed"."""
    create(aws, "custom-greedy", GREEDY, MemorySize=128, Timeout=20)
    response = invoke(aws, "custom-greedy", {})
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"]["errorType"] == "Runtime.ExitError"
    assert response["Payload"]["errorMessage"].endswith(
        "Error: Runtime exited with error: signal: killed"
    )


def test_a_runtime_client_named_by_the_parent_runs_instead_of_the_bootstrap() -> None:
    """_WORKSHOP_BOOTSTRAP's command runs in place of the zip's bootstrap and is not passed on."""
    client = f"""\
        {API}
        HEADERS="$(mktemp)"
        curl -sS -o /dev/null -D "$HEADERS" "$API/invocation/next"
        REQUEST_ID="$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d' ' -f2 | tr -d '\\r\\n')"
        curl -sS -o /dev/null --data-binary "\\"${{_WORKSHOP_BOOTSTRAP:-hidden}} $1\\"" \\
          "$API/invocation/$REQUEST_ID/response"
        sleep 30
    """
    command = json.dumps(["/bin/sh", "client.sh", "argument"])
    spec = make_spec(
        "custom-client", {"client.sh": client}, environment={"_WORKSHOP_BOOTSTRAP": command}
    )
    spec = dataclasses.replace(spec, runtime="provided.al2023")
    with LambdaRuntime(BASE_ENV) as runtime:
        result = runtime.invoke(spec, {})
    assert result.ok
    assert result.json() == "hidden argument"


def custom_spec(name: str, code: bytes) -> FunctionSpec:
    """A provided.al2023 function whose deployment package is `code`."""
    spec = make_spec(name, {"unused.txt": ""})
    digest = base64.b64encode(hashlib.sha256(code).digest()).decode()
    return dataclasses.replace(spec, runtime="provided.al2023", code_zip=code, code_sha256=digest)


def test_a_zip_without_a_bootstrap_is_an_invalid_entrypoint() -> None:
    """No bootstrap in the zip: Runtime.InvalidEntrypoint, "Couldn't find valid bootstrap(s)"."""
    spec = custom_spec("custom-missing", make_zip({"README": "no bootstrap here"}))
    with LambdaRuntime(BASE_ENV) as runtime:
        result = runtime.invoke(spec, {})
    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "Runtime.InvalidEntrypoint"
    assert result.json()["errorMessage"].startswith("Error: Couldn't find valid bootstrap(s): [")


def test_a_bootstrap_without_its_executable_bit_is_an_invalid_entrypoint() -> None:
    """A bootstrap the zip does not mark executable: "permission denied", as on Lambda."""
    spec = custom_spec("custom-not-executable", make_zip({"bootstrap": EXITS}))
    with LambdaRuntime(BASE_ENV) as runtime:
        result = runtime.invoke(spec, {})
    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "Runtime.InvalidEntrypoint"
    assert result.json()["errorMessage"].endswith("/bootstrap: permission denied")
