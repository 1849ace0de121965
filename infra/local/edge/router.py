"""Where each HTTP request goes: the edge's own endpoints, @connections, Lambda Invoke, or moto.

@connections never waits behind AWS API traffic: a stage's configuration is cached and the post
itself is a write to a socket on this loop. Quick data-plane calls into moto (DynamoDB items,
stream reads, log reads) run right on the loop when the backends' lock is free; everything else
queues on the backends' own thread, so a slow control-plane call never stalls the WebSockets.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from ..access.guard import Guard
from ..aws.backends import Backends
from ..aws.bridge import MotoBridge
from ..gateway.connections import ConnectionRegistry
from ..gateway.server import StageConfig
from ..invoker import Invoker
from ..logs import LogSink
from ..runtime.redirect import REQUEST_ID_HEADER
from ..trace import TraceHub
from ..vocabulary import ForbiddenException, HttpReply, HttpRequest, json_reply
from .invoke import invoke_api

HEALTH_PATH = "/_workshop/health"
CONNECTIONS_PATH = re.compile(r"^/(?P<api>[^/]+)/(?P<stage>[^/]+)/@connections/(?P<id>[^/?]+)$")
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
# Calls quick enough to run on the loop (when nobody else holds the backends' lock).
INLINE_TARGETS = {
    f"DynamoDB_20120810.{operation}"
    for operation in (
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
        "DescribeTable",
    )
} | {
    "DynamoDBStreams_20120810.GetRecords",
    "DynamoDBStreams_20120810.GetShardIterator",
    "Logs_20140328.FilterLogEvents",
    "Logs_20140328.GetLogEvents",
}
LOGS_READ = "Logs_20140328."


class Router:
    """Sends each request to the part of the local cloud that answers it."""

    def __init__(
        self,
        backends: Backends,
        bridge: MotoBridge,
        guard: Guard,
        registry: ConnectionRegistry,
        invoker: Invoker,
        stage_config: StageConfig,
        trace: TraceHub,
        logs: LogSink,
    ) -> None:
        self.backends = backends  # moto's, each call under their lock
        self.bridge = bridge  # the way into moto
        self.guard = guard  # who may call what
        self.registry = registry  # the open WebSockets, for @connections
        self.invoker = invoker  # Lambda's Invoke API
        self.stage_config = stage_config  # @connections exists only on a stage that does
        self.trace = trace  # @connections calls are a hop of the trace
        self.logs = logs  # flushed before a log read, which then misses no invocation

    async def handle(self, request: HttpRequest) -> HttpReply:
        path = request.path
        if path == HEALTH_PATH:
            return json_reply(200, {"status": "ok"})
        if match := CONNECTIONS_PATH.match(path):
            return await self.connections(request, match["api"], match["stage"], match["id"])
        refused = await self.backends.call(self.guard.check_aws_call, request)
        if refused is not None:
            return refused
        if request.method == "POST" and (match := INVOKE_PATH.match(path)):
            return await invoke_api(self.invoker, unquote(match["name"]), request)
        return await self.moto(request)

    async def connections(
        self, request: HttpRequest, api_id: str, stage: str, raw_id: str
    ) -> HttpReply:
        """`/{apiId}/{stage}/@connections/{connectionId}`: POST, GET or DELETE."""
        if await self.stage_config(api_id, stage) is None:
            return ForbiddenException("Forbidden").reply()
        refused = await self.backends.call(
            self.guard.check_connections, request, api_id, stage, unquote(raw_id)
        )
        if refused is not None:
            return refused
        reply = await self.registry.handle(
            request.method, api_id, stage, raw_id, request.headers, request.body
        )
        caller = request.headers.get(REQUEST_ID_HEADER.lower(), "")
        self.trace.publish(
            {"POST": "post", "DELETE": "delete"}.get(request.method, "get"),
            apiId=api_id,
            stage=stage,
            connectionId=unquote(raw_id),
            status=reply.status,
            requestId=self.invoker.causes.get(caller, caller) or None,
        )
        return reply

    async def moto(self, request: HttpRequest) -> HttpReply:
        """Everything else is an AWS API call that moto answers."""
        target = request.headers.get("x-amz-target", "")
        if target.startswith(LOGS_READ) and self.logs.pending:
            await self.backends.call(self.logs.flush)  # a read sees every finished invocation
        inline = target in INLINE_TARGETS
        return await self.backends.call(self.bridge.handle, request, inline=inline)
