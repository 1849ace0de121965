"""The invoker on its own: fakes for moto's backends, the functions and the runtime."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from infra.local.invoker import IntegrationError, Invoker
from infra.local.runtime import PoolRetired
from infra.local.vocabulary import (
    ApiSnapshot,
    FunctionSpec,
    InvokeResult,
    ResourceConflictException,
)

ACCOUNT = "123456789012"
ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:echo"
URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{ARN}/invocations"
API = ApiSnapshot("api1", "$request.body.action", {}, {}, {})


def spec(name: str = "echo") -> FunctionSpec:
    return FunctionSpec(name, ARN, "app.handler", b"", "sha", {}, 3.0, 128)


class FakeBackends:
    """moto's backends as the invoker calls them: `call` runs the function right away."""

    region, account_id = "us-east-1", ACCOUNT

    async def call(self, function: Callable[..., Any], *args: Any) -> Any:
        return function(*args)


class FakeFunctions:
    """Lambda's functions: `echo` exists, may be Pending, and grants API Gateway or not."""

    def __init__(self, *, granted: bool = True, pending: bool = False) -> None:
        self.granted, self.pending = granted, pending
        self.source_arns: list[str] = []

    def invocable(self, name_or_arn: str) -> FunctionSpec | None:
        if name_or_arn not in ("echo", ARN):
            return None
        if self.pending:
            raise ResourceConflictException("The function is currently in the Pending state")
        return spec()

    def apigateway_may_invoke(self, function_arn: str, source_arn: str) -> bool:
        self.source_arns.append(source_arn)
        return self.granted


class FakeRuntime:
    """Runs nothing: answers each invoke with `payload` (a failure with `error`)."""

    def __init__(self, payload: Any = None, error: str | None = None, retired: int = 0) -> None:
        self.payload, self.error, self.retired = payload, error, retired
        self.events: list[Any] = []

    async def invoke_async(
        self, spec: FunctionSpec, event: Any, request_id: str | None = None
    ) -> InvokeResult:
        if self.retired:
            self.retired -= 1
            raise PoolRetired(spec.name)
        self.events.append(event)
        body = json.dumps(self.payload).encode()
        return InvokeResult(request_id or "lambda-1", body, self.error, [], 4.04, None)


class FakeLogs:
    def __init__(self) -> None:
        self.added: list[str] = []

    def add(self, name: str, result: InvokeResult) -> None:
        self.added.append(name)

    def flush(self) -> None:
        pass


class Hops:
    """A trace hub keeping what was published."""

    def __init__(self) -> None:
        self.hops: list[dict[str, Any]] = []

    def publish(self, hop: str, **fields: Any) -> None:
        self.hops.append({"hop": hop, **fields})

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [hop for hop in self.hops if hop["hop"] == kind]


def run_with(
    scenario: Callable[[Invoker], Awaitable[Any]],
    *,
    functions: FakeFunctions | None = None,
    runtime: FakeRuntime | None = None,
    trace: Hops | None = None,
) -> Any:
    """Run `scenario(invoker)` on a fresh event loop, the invoker built from the fakes."""

    async def main() -> Any:
        invoker = Invoker(
            FakeBackends(),  # type: ignore[arg-type]
            functions or FakeFunctions(),  # type: ignore[arg-type]
            runtime or FakeRuntime(),  # type: ignore[arg-type]
            FakeLogs(),  # type: ignore[arg-type]
            trace or Hops(),  # type: ignore[arg-type]
            asyncio.get_running_loop(),
        )
        return await scenario(invoker)

    return asyncio.run(main())


def message(request_id: str = "gw-req-1") -> dict[str, Any]:
    """The parts of a MESSAGE event the invoker reads."""
    return {"requestContext": {"requestId": request_id, "connectionId": "c1"}, "body": "{}"}


def integrate(invoker: Invoker, request_id: str | None = "gw-req-1") -> Awaitable[InvokeResult]:
    return invoker.integration(API, "dev", "sendmessage", URI, message(), request_id)


# ---------------------------------------------------------------- invoke


def test_invoke_runs_the_function_with_the_event() -> None:
    """The runtime gets the event and the invoke returns what it answered."""
    runtime = FakeRuntime({"ok": True})
    result = run_with(lambda invoker: invoker.invoke("echo", {"n": 1}), runtime=runtime)
    assert runtime.events == [{"n": 1}] and result.json() == {"ok": True}


def test_invoke_of_a_missing_function_raises_lookup_error() -> None:
    """No such function: LookupError, nothing runs."""
    with pytest.raises(LookupError, match="Function not found: nope"):
        run_with(lambda invoker: invoker.invoke("nope", {}))


def test_invoke_looks_the_function_up_again_when_its_pool_retires() -> None:
    """A function updated while its invoke waited is looked up again and run."""
    runtime = FakeRuntime({"ok": True}, retired=2)
    result = run_with(lambda invoker: invoker.invoke("echo", {}), runtime=runtime)
    assert result.ok and len(runtime.events) == 1


def test_invoke_traces_one_lambda_hop_with_its_source() -> None:
    """A direct invoke publishes one Lambda hop: function, duration, source, Lambda request id."""
    trace = Hops()
    run_with(lambda invoker: invoker.invoke("echo", {}, source="stream"), trace=trace)
    assert trace.of("lambda") == [
        {
            "hop": "lambda",
            "requestId": "lambda-1",
            "function": "echo",
            "durationMs": 4.0,
            "error": None,
            "source": "stream",
        }
    ]


def test_a_failed_invoke_traces_its_error_message() -> None:
    """A function that raised: its hop carries Lambda's errorMessage."""
    trace = Hops()
    runtime = FakeRuntime({"errorMessage": "boom", "errorType": "RuntimeError"}, "Unhandled")
    run_with(lambda invoker: invoker.invoke("echo", {}), runtime=runtime, trace=trace)
    [hop] = trace.of("lambda")
    assert hop["error"] == "boom"


# ---------------------------------------------------------------- integration


def test_integration_traces_one_gateway_hop_tied_to_its_connection() -> None:
    """Through API Gateway: one Lambda hop, with the connection and the gateway's request id."""
    trace = Hops()
    run_with(integrate, trace=trace)
    assert trace.of("lambda") == [
        {
            "hop": "lambda",
            "apiId": "api1",
            "stage": "dev",
            "connectionId": "c1",
            "requestId": "gw-req-1",
            "function": "echo",
            "durationMs": 4.0,
            "error": None,
            "source": "gateway",
        }
    ]


def test_integration_for_connect_traces_no_request_id() -> None:
    """$connect, its authorizer and $disconnect: the hop has no request id (tied by connection)."""
    trace = Hops()
    run_with(lambda invoker: integrate(invoker, request_id=None), trace=trace)
    [hop] = trace.of("lambda")
    assert hop["requestId"] is None and hop["connectionId"] == "c1"


def test_integration_asks_the_policy_for_the_route_source_arn() -> None:
    """The function's policy is asked about `execute-api:{region}:{account}:{api}/{stage}/{route}`."""
    functions = FakeFunctions()
    run_with(integrate, functions=functions)
    assert functions.source_arns == [
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:api1/dev/sendmessage"
    ]


def test_integration_without_permission_is_an_integration_error() -> None:
    """No apigateway permission: IntegrationError saying what to add, and nothing runs."""
    runtime, trace = FakeRuntime(), Hops()
    with pytest.raises(IntegrationError, match="add_permission for apigateway.amazonaws.com"):
        run_with(integrate, functions=FakeFunctions(granted=False), runtime=runtime, trace=trace)
    assert runtime.events == [] and trace.of("lambda") == []


def test_integration_of_a_missing_function_is_an_integration_error() -> None:
    """A URI naming no function: IntegrationError (the client sees a failed integration)."""
    missing = URI.replace(":function:echo", ":function:nope")
    with pytest.raises(IntegrationError, match="Function not found"):
        run_with(lambda invoker: invoker.integration(API, "dev", "sendmessage", missing, message()))


def test_integration_of_a_pending_function_is_an_integration_error() -> None:
    """A Pending function: IntegrationError with Lambda's ResourceConflictException message."""
    with pytest.raises(IntegrationError, match="Pending"):
        run_with(integrate, functions=FakeFunctions(pending=True))


def test_integration_ties_the_lambda_request_to_the_gateway_request_while_it_runs() -> None:
    """While the function runs, its Lambda request id leads to the message's; then it is gone."""

    class Watching(FakeRuntime):
        invoker: Invoker

        def __init__(self) -> None:
            super().__init__()
            self.seen: list[dict[str, str]] = []

        async def invoke_async(
            self, spec: FunctionSpec, event: Any, request_id: str | None = None
        ) -> InvokeResult:
            self.seen.append(dict(self.invoker.causes))
            return await super().invoke_async(spec, event, request_id)

    runtime = Watching()

    async def scenario(invoker: Invoker) -> dict[str, str]:
        runtime.invoker = invoker
        await integrate(invoker)
        return invoker.causes

    assert run_with(scenario, runtime=runtime) == {}
    assert [list(causes.values()) for causes in runtime.seen] == [["gw-req-1"]]
