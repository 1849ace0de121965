"""Node.js functions end to end: nodejs20.x, nodejs22.x and nodejs24.x handlers, CommonJS and ES
modules, created and invoked through boto3 on a local cloud, run by the kit's runtime client
(infra/local/runtime/node/runtime.mjs) behind the Lambda Runtime API."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.local.cloud import LocalCloud
from infra.local.runtime import node
from tests import waits
from tests.conftest import lambda_role, make_zip
from tests.local.edge.test_invoke import messages
from tests.local.runtime.test_node import fake_node

pytestmark = pytest.mark.skipif(
    node.find() is None, reason="no Node.js 20 or later on this machine (make workshop installs it)"
)

# A line of a Node.js function's log in Lambda's text format: time, request id, level, message.
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t(?P<id>[^\t]+)\t(?P<level>[A-Z]+)\t")

COUNTER = """\
let count = 0;
exports.handler = async (event) => {
  count += 1;
  return { event, count, pid: process.pid };
};
"""

ESM = """\
import { platform } from "node:os";
export const handler = async (event) => ({ module: "esm", platform: platform(), event });
"""

CONTEXT = """\
exports.handler = async (event, context) => ({
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  awsRequestId: context.awsRequestId,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remaining: context.getRemainingTimeInMillis(),
  waits: context.callbackWaitsForEmptyEventLoop,
  methods: ["done", "succeed", "fail"].filter((name) => typeof context[name] === "function"),
});
"""

CALLBACK = """\
exports.handler = (event, context, callback) => {
  setTimeout(() => callback(null, { called: "back", event }), 10);
};
"""

THROWS = """\
class LuckError extends Error {}
LuckError.prototype.name = "LuckError";
export const handler = async () => {
  throw new LuckError("no luck");
};
"""

LOGS = """\
exports.handler = async () => {
  console.log("plain %s", "words");
  console.warn("first line\\nsecond line");
  console.error({ nested: { deep: true } });
  return "logged";
};
"""

ENVIRONMENT = """\
export const handler = async (event) => ({
  mine: process.env.MINE ?? null,
  theirs: process.env.THEIRS ?? null,
  keyId: process.env.AWS_ACCESS_KEY_ID ?? null,
  token: Boolean(process.env.AWS_SESSION_TOKEN),
  handler: process.env._HANDLER,
  executionEnv: process.env.AWS_EXECUTION_ENV,
  hidden: ["_WORKSHOP_BOOTSTRAP", "_LAMBDA_TELEMETRY_LOG_FD"].filter((name) => name in process.env),
});
"""

SLOW = """\
export const handler = () => new Promise((resolve) => setTimeout(resolve, 30000));
"""

# Holds 200 MB outside V8's heap: past a MemorySize of 128.
GREEDY = """\
export const handler = async () => {
  globalThis.held = Buffer.alloc(200 * 1024 * 1024, 1);
  await new Promise((resolve) => setTimeout(resolve, 30000));
};
"""

LATE_THROW = """\
exports.handler = async () => {
  setTimeout(() => { throw new RangeError("late"); }, 10);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return process.pid;
};
"""

UNSETTLED = """\
export const handler = async () => new Promise(() => {});
"""

TMP = """\
import { readFileSync, writeFileSync } from "node:fs";
export const handler = async (event) => {
  if (event.write) writeFileSync("/tmp/kept.txt", event.write);
  return readFileSync("/tmp/kept.txt", "utf8");
};
"""


def create(
    aws: Any,
    name: str,
    files: dict[str, str],
    handler: str = "index.handler",
    runtime: str = "nodejs22.x",
    **extra: Any,
) -> str:
    """A Node.js function of these files, once it is Active; returns its name."""
    waits.create_function(
        aws("lambda"),
        FunctionName=name,
        Runtime=runtime,
        Role=lambda_role(aws("iam")),
        Handler=handler,
        Code={"ZipFile": make_zip(files)},
        **extra,
    )
    return name


def invoke(aws: Any, name: str, event: Any = None) -> dict[str, Any]:
    """Invoke and read the payload as JSON."""
    response = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(event or {}))
    return {**response, "Payload": json.loads(response["Payload"].read())}


@pytest.fixture(scope="module")
def counter(cloud: LocalCloud, aws: Any) -> str:
    return create(aws, "node-counter", {"index.js": COUNTER}, runtime="nodejs20.x")


def test_a_commonjs_handler_answers_its_event(aws: Any, counter: str) -> None:
    """exports.handler in index.js: its result is the invoke's payload."""
    response = invoke(aws, counter, {"n": 1})
    assert "FunctionError" not in response
    assert response["Payload"]["event"] == {"n": 1}


def test_a_warm_environment_keeps_its_module_state(aws: Any, counter: str) -> None:
    """Two invokes in a row reach the same Node.js process, whose module-level counter grows."""
    first = invoke(aws, counter)["Payload"]
    second = invoke(aws, counter)["Payload"]
    assert second["pid"] == first["pid"]
    assert second["count"] == first["count"] + 1


def test_an_mjs_handler_is_an_es_module(aws: Any) -> None:
    """export const handler in index.mjs runs as an ES module (its import statement works)."""
    create(aws, "node-esm", {"index.mjs": ESM}, runtime="nodejs24.x")
    payload = invoke(aws, "node-esm", {"n": 2})["Payload"]
    assert (payload["module"], payload["event"]) == ("esm", {"n": 2})


def test_a_js_file_under_type_module_in_a_nested_folder_is_an_es_module(aws: Any) -> None:
    """Handler "src/app.handler" with "type": "module" in src/package.json loads app.js as ESM."""
    files = {"src/app.js": ESM, "src/package.json": '{"type": "module"}'}
    create(aws, "node-type-module", files, handler="src/app.handler")
    assert invoke(aws, "node-type-module")["Payload"]["module"] == "esm"


def test_context_has_lambdas_fields_and_methods(aws: Any) -> None:
    """context: the function's names, ARN, memory, request id, log names, time left, callbacks."""
    create(aws, "node-context", {"index.js": CONTEXT}, MemorySize=256, Timeout=5)
    response = invoke(aws, "node-context")
    context = response["Payload"]
    arn = aws("lambda").get_function(FunctionName="node-context")["Configuration"]["FunctionArn"]
    assert context["functionName"] == "node-context"
    assert context["functionVersion"] == "$LATEST"
    assert context["invokedFunctionArn"] == arn
    assert context["memoryLimitInMB"] == "256"
    assert context["awsRequestId"] == response["ResponseMetadata"]["RequestId"]
    assert context["logGroupName"] == "/aws/lambda/node-context"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", context["logStreamName"])
    assert 0 < context["remaining"] <= 5000
    assert context["waits"] is True
    assert context["methods"] == ["done", "succeed", "fail"]


def test_nodejs24_has_no_callback_methods_in_its_context(aws: Any) -> None:
    """On nodejs24.x the context has no done/succeed/fail and no callbackWaitsForEmptyEventLoop."""
    create(aws, "node-context-24", {"index.js": CONTEXT}, runtime="nodejs24.x")
    context = invoke(aws, "node-context-24")["Payload"]
    assert context["methods"] == []
    assert "waits" not in context


@pytest.mark.parametrize("runtime", ["nodejs20.x", "nodejs22.x"])
def test_a_callback_handler_answers_on_nodejs_20_and_22(aws: Any, runtime: str) -> None:
    """(event, context, callback): callback(null, result) is the invoke's payload."""
    name = create(aws, f"node-callback-{runtime[6:8]}", {"index.js": CALLBACK}, runtime=runtime)
    assert invoke(aws, name, {"n": 3})["Payload"] == {"called": "back", "event": {"n": 3}}


def test_a_callback_handler_is_refused_on_nodejs24_as_aws_refuses_it(aws: Any) -> None:
    """On nodejs24.x a callback handler fails the init with Runtime.CallbackHandlerDeprecated."""
    create(aws, "node-callback-24", {"index.js": CALLBACK}, runtime="nodejs24.x")
    response = invoke(aws, "node-callback-24")
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"]["errorType"] == "Runtime.CallbackHandlerDeprecated"
    assert response["Payload"]["errorMessage"].startswith(
        "ERROR: AWS Lambda has removed support for callback-based function handlers starting"
        " with Node.js 24."
    )


def test_a_thrown_error_comes_back_as_lambda_formats_it(aws: Any) -> None:
    """errorType, errorMessage and the stack's lines as trace; the log gets Invoke Error's line."""
    create(aws, "node-throws", {"index.mjs": THROWS})
    response = invoke(aws, "node-throws")
    request_id = response["ResponseMetadata"]["RequestId"]
    error = response["Payload"]
    assert response["FunctionError"] == "Unhandled"
    assert (error["errorType"], error["errorMessage"]) == ("LuckError", "no luck")
    assert error["trace"][0] == "LuckError: no luck"
    assert error["trace"][1].strip().startswith("at ")
    line = next(line for line in messages(aws, "node-throws") if "\tERROR\t" in line)
    prefix = f"\t{request_id}\tERROR\tInvoke Error \t"
    assert prefix in line
    logged = json.loads(line.split(prefix, 1)[1])
    assert (logged["errorType"], logged["errorMessage"]) == ("LuckError", "no luck")
    assert logged["stack"] == error["trace"]


def test_console_lines_are_framed_as_lambda_frames_them(aws: Any) -> None:
    """Each console call is one event "<time>\\t<request id>\\t<LEVEL>\\t<message>", util.format'd."""
    create(aws, "node-logs", {"index.js": LOGS})
    request_id = invoke(aws, "node-logs")["ResponseMetadata"]["RequestId"]
    lines = messages(aws, "node-logs")
    start = lines.index(f"START RequestId: {request_id} Version: $LATEST")
    end = lines.index(f"END RequestId: {request_id}")
    logged = lines[start + 1 : end]
    assert [LINE.sub(r"\g<level> \g<id> ", line) for line in logged] == [
        f"INFO {request_id} plain words",
        f"WARN {request_id} first line\nsecond line",
        f"ERROR {request_id} {{ nested: {{ deep: true }} }}",
    ]


def test_an_import_error_fails_the_init_as_aws_reports_it(aws: Any) -> None:
    """A require of a missing module: Runtime.ImportModuleError, "Error: Cannot find module"."""
    create(aws, "node-missing", {"index.js": "require('not-installed');\nexports.handler = 1;"})
    error = invoke(aws, "node-missing")["Payload"]
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"].startswith("Error: Cannot find module 'not-installed'")


def test_a_handler_not_exported_is_handler_not_found(aws: Any) -> None:
    """_HANDLER names an export the module lacks: Runtime.HandlerNotFound, AWS's message."""
    create(aws, "node-no-export", {"index.js": "exports.other = async () => 1;"})
    error = invoke(aws, "node-no-export")["Payload"]
    assert error["errorType"] == "Runtime.HandlerNotFound"
    assert error["errorMessage"] == "index.handler is undefined or not exported"


def test_a_syntax_error_is_a_user_code_syntax_error(aws: Any) -> None:
    """A module that does not parse: Runtime.UserCodeSyntaxError."""
    create(aws, "node-syntax", {"index.mjs": "export const handler = async () => {"})
    error = invoke(aws, "node-syntax")["Payload"]
    assert error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert error["errorMessage"].startswith("SyntaxError: ")


def test_a_handler_past_its_timeout_gets_lambdas_timeout_error(aws: Any) -> None:
    """No answer within Timeout: "Task timed out after 1.00 seconds"."""
    create(aws, "node-slow", {"index.mjs": SLOW}, Timeout=1)
    response = invoke(aws, "node-slow")
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"]["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_a_handler_past_its_memory_size_is_killed_as_lambda_reports_it(aws: Any) -> None:
    """Node's memory counts against MemorySize: past it, Runtime.ExitError "signal: killed"."""
    create(aws, "node-greedy", {"index.mjs": GREEDY}, MemorySize=128, Timeout=20)
    response = invoke(aws, "node-greedy")
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"]["errorType"] == "Runtime.ExitError"
    assert response["Payload"]["errorMessage"].endswith(
        "Error: Runtime exited with error: signal: killed"
    )


def test_environments_are_isolated_and_carry_the_roles_credentials(aws: Any) -> None:
    """Each function sees its own Environment only, its role's session credentials, Lambda's
    reserved variables, and none of the kit's own."""
    create(aws, "node-env-a", {"index.mjs": ENVIRONMENT}, Environment={"Variables": {"MINE": "a"}})
    create(
        aws, "node-env-b", {"index.mjs": ENVIRONMENT}, Environment={"Variables": {"THEIRS": "b"}}
    )
    seen = invoke(aws, "node-env-a")["Payload"]
    assert (seen["mine"], seen["theirs"]) == ("a", None)
    assert invoke(aws, "node-env-b")["Payload"]["mine"] is None
    assert seen["token"] is True and seen["keyId"] not in (None, "testing")
    assert (seen["handler"], seen["executionEnv"]) == ("index.handler", "AWS_Lambda_nodejs22.x")
    assert seen["hidden"] == []


def test_tmp_is_writable_and_kept_while_warm(aws: Any) -> None:
    """A file written to /tmp is read back by the next invoke of the same environment."""
    create(aws, "node-tmp", {"index.mjs": TMP})
    assert invoke(aws, "node-tmp", {"write": "kept"})["Payload"] == "kept"
    assert invoke(aws, "node-tmp")["Payload"] == "kept"


def test_an_uncaught_exception_fails_its_invoke_and_the_next_starts_afresh(aws: Any) -> None:
    """A throw outside the handler's promise fails the invoke with that error; the runtime exits,
    so the next invoke gets a new environment, not the dying one."""
    create(aws, "node-late-throw", {"index.js": LATE_THROW})
    first = invoke(aws, "node-late-throw")
    second = invoke(aws, "node-late-throw")
    assert first["Payload"]["errorType"] == "RangeError"
    assert second["Payload"]["errorType"] == "RangeError"
    assert "Uncaught Exception \t" in "\n".join(messages(aws, "node-late-throw"))


@pytest.mark.parametrize("runtime", ["nodejs20.x", "nodejs24.x"])
def test_a_promise_that_never_settles_is_runtime_nodejs_exit(aws: Any, runtime: str) -> None:
    """The event loop empties while the handler's promise is pending: Runtime.NodeJsExit."""
    name = create(aws, f"node-unsettled-{runtime[6:8]}", {"index.mjs": UNSETTLED}, runtime=runtime)
    response = invoke(aws, name)
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"]["errorType"] == "Runtime.NodeJsExit"


def test_a_runtimes_own_major_version_of_node_is_preferred(tmp_path: Path) -> None:
    """`node22` on the PATH runs nodejs22.x; other runtimes get the PATH's `node`."""
    fake_node(tmp_path, "v24.1.0")
    node22 = fake_node(tmp_path / "22", "v22.3.0").rename(tmp_path / "node22")
    search = str(tmp_path)
    assert node.for_runtime("nodejs22.x", search) == node.Node(
        str(node22), (22, 3, 0), node.FROM_PATH
    )
    assert node.for_runtime("nodejs20.x", search) == node.find(search)
    assert node.for_runtime("nodejs20.x", search).version == (24, 1, 0)


def test_a_node_named_for_a_major_it_is_not_is_passed_over(tmp_path: Path) -> None:
    """`node20` that answers v22: not taken for nodejs20.x; the PATH's `node` is."""
    fake_node(tmp_path, "v24.1.0")
    fake_node(tmp_path / "x", "v22.3.0").rename(tmp_path / "node20")
    found = node.for_runtime("nodejs20.x", str(tmp_path))
    assert found is not None and found.executable == str(tmp_path / "node")
