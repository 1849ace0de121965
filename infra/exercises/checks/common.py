"""What every check uses: a WebSocket client, unique names, a recorder of boto3 calls, probes,
the learner's app deployed from their folder, their Python file imported afresh.

A check raises AssertionError whose first line says what went wrong and hints at the fix: only
that line reaches the grading table. Every wait is bounded, so a stub that never answers fails
after seconds instead of hanging.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import secrets
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import boto3
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from botocore.waiter import Waiter
from websockets.exceptions import InvalidStatus

from infra.deploy import create_lambda_role, create_or_update_function, deploy_app, find_api
from infra.deploy.aws import account_of, region_of
from infra.deploy.packaging import PackagingError
from infra.widgets.connection import Connection, Frame, with_query

TIMEOUT = 8.0  # seconds a frame may take before a check gives up
QUIET = 1.0  # seconds of silence that count as "nothing (else) was sent"
T = TypeVar("T")
KIT_LAMBDAS = Path(__file__).resolve().parents[3] / "lambdas"  # the finished apps, not the stubs
PROBE_APP = "checks"  # what the checks' own helper functions and role are tagged with


class Client:
    """The kit's WebSocket client for checks: a failure to connect is an AssertionError with a
    hint, and `wait_for` searches every frame read so far, giving None when nothing matches."""

    def __init__(self, url: str, name: str | None = None, *, connect_hint: str = "") -> None:
        self.url = with_query(url, name=name)
        self.connection = Connection(self.url)
        if self.connection.open(TIMEOUT):
            return
        error = self.connection.error
        if isinstance(error, InvalidStatus):
            status = error.response.status_code
            raise AssertionError(
                f"Could not connect to {url}: $connect answered HTTP {status} instead of 101."
                " Did the $connect function raise (a stub still says NotImplementedError)?"
                f" (hint: {connect_hint or 'the function logs show the error'})"
            )
        raise AssertionError(f"Could not connect to {url}: {error or self.connection.status}")

    @property
    def frames(self) -> list[Frame]:
        """Every frame received so far, oldest first."""
        return self.connection.received

    def send(self, frame: dict[str, Any]) -> None:
        """Send one JSON text frame."""
        self.connection.send_json(frame)

    def wait_for(self, wanted: Callable[[Frame], bool], timeout: float = TIMEOUT) -> Frame | None:
        """The first frame read so far or within `timeout` for which `wanted` is true, else None."""
        try:
            return self.connection.wait_for(wanted, timeout)
        except (TimeoutError, ConnectionError):
            return None

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def answer(function: Callable[..., T], *args: Any) -> T:
    """Call the learner's function; an exception from it is a failed check that says which call.

    (A stub's NotImplementedError passes through: the grader reports it as "not done yet".)
    """
    try:
        return function(*args)
    except (AssertionError, NotImplementedError):
        raise
    except Exception as error:
        call = f"{getattr(function, '__name__', 'your function')}({', '.join(map(repr, args))})"
        first = next(iter(str(error).splitlines()), "")
        hint = next((hint for said, hint in TIMING_HINTS if said in first), "")
        raise AssertionError(f"{call} raised {type(error).__name__}: {first}{hint}") from error


# What AWS says when code skips a wait, and what to do about it.
TIMING_HINTS = (
    (
        "cannot be assumed by Lambda",
        " (hint: IAM takes a few seconds to tell Lambda of a new role: retry create_function"
        " while it says so, as lesson 02 does)",
    ),
    (
        "The operation cannot be performed at this time",
        " (hint: the function is still Pending or being updated: wait with"
        " lambda_.get_waiter('function_active_v2') or ('function_updated_v2') first)",
    ),
)


def unique(prefix: str) -> str:
    """A name no earlier run left behind: `prefix` and six hex digits (hidden variants use it)."""
    return f"{prefix}-{secrets.token_hex(3)}"


# -- what the learner's code called ------------------------------------------------------------


@dataclass
class Call:
    """One boto3 call (or one waiter) made while recording."""

    service: str  # "dynamodb", "lambda", "apigatewayv2", ...
    operation: str  # "CreateTable", or "waiter:TableExists" for a waiter (service "")
    params: dict[str, Any]
    response: Any = None  # what the call returned (None when it raised, or for a waiter)


@dataclass
class Calls:
    """The calls recorded so far, in order, from every thread of this process."""

    made: list[Call] = field(default_factory=list)

    def of(self, service: str, operation: str) -> list[Call]:
        """The calls of one operation (`"waiter:TableExists"` for a waiter), in order."""
        return [c for c in self.made if (c.service, c.operation) == (service, operation)]

    def waited(self, waiter: str) -> bool:
        """Whether the waiter (`"TableExists"`, `"FunctionActiveV2"`, ...) was used."""
        return any(c.operation == f"waiter:{waiter}" for c in self.made)


_recording = threading.Lock()  # one recorder at a time: it patches botocore process-wide


@contextlib.contextmanager
def recorded_calls() -> Iterator[Calls]:
    """Record every boto3 API call and waiter made meanwhile, whichever client makes it.

    Checks use it to see *how* the learner's code got there: the waiter it used, an update
    instead of a delete and create. The patch is undone on the way out.
    """
    calls = Calls()
    make_api_call, wait = BaseClient._make_api_call, Waiter.wait

    def recording_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        call = Call(client.meta.service_model.service_name, operation, dict(params))
        calls.made.append(call)
        call.response = make_api_call(client, operation, params)
        return call.response

    def recording_wait(waiter: Waiter, **kwargs: Any) -> None:
        calls.made.append(Call("", f"waiter:{waiter.name}", kwargs))
        wait(waiter, **kwargs)

    with _recording:
        BaseClient._make_api_call = recording_call
        Waiter.wait = recording_wait
        try:
            yield calls
        finally:
            BaseClient._make_api_call = make_api_call
            Waiter.wait = wait


# -- the checks' own helpers: quiet kit steps, probe functions ----------------------------------


@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """Run kit deploy steps without their progress lines: a passing check prints nothing."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def probe_role() -> str:
    """The role the checks' probe functions run as: writing their logs, nothing else."""
    with quietly():
        return create_lambda_role(PROBE_APP, probe_role_policy())


def probe_role_policy() -> dict[str, Any]:
    """Writing the probe functions' logs, nothing else."""
    region, account = region_of(), account_of()
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{PROBE_APP}-*",
            }
        ],
    }


def zip_of(files: dict[str, str]) -> bytes:
    """A deployment package holding the given files (name -> source) at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in sorted(files.items()):
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), source)
    return buffer.getvalue()


ECHO = '''def handler(event, context):
    """Send the frame back: a probe that shows which route a frame took."""
    return {"statusCode": 200, "body": event.get("body") or ""}
'''


def echo_function(name: str = f"{PROBE_APP}-echo") -> str:
    """A probe function that returns the frame it got (behind a two-way route, an echo)."""
    with quietly():
        create_or_update_function(
            PROBE_APP, name, "echo.handler", probe_role(), zip_of({"echo.py": ECHO})
        )
    return name


def invoke(function_name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Invoke synchronously: {"FunctionError": ..., "Payload": the parsed reply (or its text)}."""
    reply = boto3.client("lambda").invoke(
        FunctionName=function_name, Payload=json.dumps(event).encode()
    )
    text = reply["Payload"].read()
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = text.decode(errors="replace")
    return {"FunctionError": reply.get("FunctionError"), "Payload": payload}


def failure(result: dict[str, Any]) -> str:
    """What a failed invocation said: "ErrorType: message"."""
    return describe(result.get("Payload"))


def describe(payload: Any) -> str:
    """A Lambda error payload as "ErrorType: message", anything else as its repr."""
    if isinstance(payload, dict) and "errorType" in payload:
        return f"{payload['errorType']}: {payload.get('errorMessage', '')}".rstrip(": ")
    return repr(payload)


def is_gateway_error(frame: Frame) -> bool:
    """API Gateway's own reply when the route's function raised."""
    return isinstance(frame, dict) and frame.get("message") == "Internal server error"


def fail_on_gateway_error(frame: Frame, route: str, function: str) -> None:
    if is_gateway_error(frame):
        raise AssertionError(
            f"The {route} route answered 'Internal server error': {function} raised an exception"
            " (a stub raises NotImplementedError; the function's logs show the traceback)"
        )


def api_id_of(app: str) -> str:
    """The id of the app's API (named `<app>-api` by the deploy steps)."""
    api = find_api(app, f"{app}-api")
    assert api is not None, f"The {app} API is not deployed: run the cells above first"
    return api["ApiId"]


def message_event(url: str, app: str, body: dict[str, Any]) -> dict[str, Any]:
    """A MESSAGE event like API Gateway's, from a connection that has no row in the table."""
    region, api_id = region_of(), api_id_of(app)
    return {
        "requestContext": {
            "routeKey": str(body.get("action")),
            "eventType": "MESSAGE",
            "connectionId": unique("checkSender"),
            "domainName": f"{api_id}.execute-api.{region}.amazonaws.com",
            "stage": url.rstrip("/").rsplit("/", 1)[-1].split("?")[0],
            "apiId": api_id,
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def as_list(value: Any) -> list[Any]:
    """IAM allows a single value or a list in most places; always give a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# -- the learner's code: their app deployed, their file imported ------------------------------


CHAT_CONNECT_HINT = "chat's $connect calls nickname() in common.py: do chat-nickname first"


def deployed(app: str, folder: str | Path) -> str:
    """Deploy the app from the learner's folder (only what changed is uploaded); its URL.

    A folder that cannot be deployed (a handler's module deleted, say) fails the check, saying
    which file is missing.
    """
    with quietly():
        try:
            return deploy_app(app, folder=folder)
        except PackagingError as error:
            raise AssertionError(str(error)) from None


def chat_client(url: str, name: str | None = None) -> Client:
    """A client of the chat, whose failure to connect points at the nickname exercise."""
    return Client(url, name, connect_hint=CHAT_CONNECT_HINT)


def load_module(path: str | Path) -> ModuleType:
    """Import a Python file afresh (a learner's edit is picked up without restarting)."""
    path = Path(path)
    name = f"_exercise_{path.stem}_{secrets.token_hex(4)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"Cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


# -- resource policies -------------------------------------------------------------------------


def statement_source(statement: dict[str, Any]) -> str | None:
    """The SourceArn a resource policy statement is limited to (None: any source)."""
    condition = statement.get("Condition") or {}
    for test in ("ArnLike", "ArnEquals"):
        arn = (condition.get(test) or {}).get("AWS:SourceArn")
        if arn:
            return str(arn)
    return None
