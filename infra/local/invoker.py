"""Running functions for whoever asks: the gateway, Lambda's Invoke API and the event sources.

Every invocation goes through `Invoker.invoke` on the cloud's event loop: look the function up
(cached per Lambda change), run it in a warm worker, queue its log lines for CloudWatch Logs,
and publish its Lambda hop on the trace, whoever asked. Threads (the event sources) use
`invoke_blocking`. A `Pending` function is not invoked (ResourceConflictException, as Lambda
answers); during an update the previous code and configuration run. API Gateway's integrations
go through `integration`, which checks the function's policy first and raises
`IntegrationError` when the gateway cannot call the function at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

from .aws.backends import Backends
from .aws.lambda_ import Functions
from .integration import error_message, function_in
from .logs import LogSink
from .runtime import LambdaRuntime, PoolRetired
from .trace import TraceHub
from .vocabulary import ApiSnapshot, FunctionSpec, InvokeResult, ResourceConflictException

log = logging.getLogger(__name__)

LOG_FLUSH_DELAY = 0.2  # seconds: invocation logs reach CloudWatch Logs in batches


class IntegrationError(Exception):
    """The integration could not be called (no permission, unknown function, bad type)."""


class Invoker:
    """Runs function code in the runtime's workers and records what each run logged."""

    def __init__(
        self,
        backends: Backends,
        functions: Functions,
        runtime: LambdaRuntime,
        logs: LogSink,
        trace: TraceHub,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.backends = backends
        self.functions = functions
        self.runtime = runtime
        self.logs = logs
        self.trace = trace
        self.loop = loop
        self.causes: dict[str, str] = {}  # Lambda request id -> the gateway request behind it
        self.may_log: Callable[[FunctionSpec], bool] = lambda spec: True
        self._flush_scheduled = False
        self._background: set[asyncio.Task[Any]] = set()

    async def spec(self, name_or_arn: str) -> FunctionSpec | None:
        """What an invocation of the function runs now; ResourceConflictException while it is
        `Pending` (Lambda invokes nothing then), None when there is no such function."""
        return await self.backends.call(self.functions.invocable, name_or_arn)

    async def invoke(
        self,
        name_or_arn: str,
        event: Any,
        *,
        source: str = "invoke",
        request_id: str | None = None,
        hop: dict[str, Any] | None = None,
    ) -> InvokeResult:
        """Run a function's real code once; LookupError when there is no such function,
        ResourceConflictException while it is `Pending`.

        The trace gets its Lambda hop, marked with `source` ("gateway", "stream", ...). `hop`
        holds the fields that tie it to what caused it (the gateway's connection and request);
        without it the hop carries the Lambda request id.
        """
        for _ in range(3):
            spec = await self.spec(name_or_arn)
            if spec is None:
                raise LookupError(f"Function not found: {name_or_arn}")
            try:
                result = await self.runtime.invoke_async(spec, event, request_id)
                break
            except PoolRetired:
                continue  # updated or deleted while this invoke waited: look it up again
        else:
            raise LookupError(f"Function {name_or_arn} keeps changing; try again")
        if self.may_log(spec):  # Lambda writes logs with the function's role, or not at all
            self.logs.add(spec.name, result)
            self._flush_later()
        self.trace.publish(
            "lambda",
            **(hop if hop is not None else {"requestId": result.request_id}),
            function=spec.name,
            durationMs=round(result.duration_ms, 1),
            error=None if result.ok else error_message(result.payload),
            source=source,
        )
        return result

    def invoke_blocking(self, name_or_arn: str, event: Any, source: str = "invoke") -> InvokeResult:
        """`invoke` from a thread that is not the loop's (the event sources)."""
        coroutine = self.invoke(name_or_arn, event, source=source)
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def invoke_later(self, name_or_arn: str, event: Any, source: str = "invoke") -> None:
        """Queue an invocation (InvocationType=Event); errors are logged, never raised."""

        async def run() -> None:
            try:
                await self.invoke(name_or_arn, event, source=source)
            except Exception:
                log.exception("async invoke of %s failed", name_or_arn)

        def start() -> None:
            task = self.loop.create_task(run())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        self.loop.call_soon_threadsafe(start)

    async def integration(
        self,
        snapshot: ApiSnapshot,
        stage: str,
        route_key: str,
        uri: str,
        event: dict[str, Any],
        request_id: str | None = None,
    ) -> InvokeResult:
        """API Gateway invoking a Lambda integration, if the function's policy lets it.

        `request_id` is the gateway request the trace hop belongs to (a message's; None for
        $connect, its authorizer and $disconnect, which the trace ties by connection).
        """
        function_arn = function_in(uri)
        region, account = self.backends.region, self.backends.account_id
        source_arn = f"arn:aws:execute-api:{region}:{account}:{snapshot.api_id}/{stage}/{route_key}"
        allowed = await self.backends.call(
            self.functions.apigateway_may_invoke, function_arn, source_arn
        )
        if not allowed:
            raise IntegrationError(
                f"API Gateway has no permission to invoke {function_arn} "
                f"(lambda add_permission for apigateway.amazonaws.com, SourceArn {source_arn})"
            )
        # The trace ties the function's @connections calls to the message that caused them.
        context = event["requestContext"]
        lambda_request_id = str(uuid.uuid4())
        self.causes[lambda_request_id] = context["requestId"]
        hop = {
            "apiId": snapshot.api_id,
            "stage": stage,
            "connectionId": context["connectionId"],
            "requestId": request_id,
        }
        try:
            return await self.invoke(
                function_arn, event, source="gateway", request_id=lambda_request_id, hop=hop
            )
        except (
            LookupError,
            ResourceConflictException,
        ) as error:  # the client sees a failed integration
            raise IntegrationError(str(error)) from error
        finally:
            self.causes.pop(lambda_request_id, None)

    # ------------------------------------------------------------ logs

    def _flush_later(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_later(LOG_FLUSH_DELAY, self._start_flush)

    def _start_flush(self) -> None:
        self._flush_scheduled = False
        task = self.loop.create_task(self.flush_logs())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def flush_logs(self) -> None:
        """Write the queued log lines to CloudWatch Logs now."""
        try:
            await self.backends.call(self.logs.flush)
        except Exception:
            log.exception("writing invocation logs failed")

    async def stop(self) -> None:
        """Let queued invocations finish their logging."""
        for task in list(self._background):
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, 1)
        self.logs.flush()
