"""The local cloud: one process, one port, AWS's APIs plus WebSocket APIs that really run.

`LocalCloud` owns the pieces and the edge that sorts each TCP connection:
- WebSocket upgrades -> the gateway (`/{apiId}/{stage}`) or the trace feed (`/_workshop/trace`);
- `/{apiId}/{stage}/@connections/{id}` -> the connection registry;
- Lambda Invoke -> the warm worker runtime (moto would need Docker);
- everything else -> moto's server app, one request at a time under `backend_lock`.

Start it in the foreground (`workshop cloud`) or in a background thread (`LocalCloud().start()`).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import fnmatch
import functools
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import h11
from moto.apigatewayv2.models import apigatewayv2_backends
from moto.awslambda.models import lambda_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from . import moto_ext
from .gateway.connections import ConnectionRegistry, HttpReply, error_reply
from .gateway.server import Gateway, GatewayLimits, IntegrationError
from .logs import write_invocation_logs
from .runtime import FunctionSpec, InvokeResult, LambdaRuntime
from .runtime.redirect import REQUEST_ID_HEADER
from .trace import TraceHub

log = logging.getLogger(__name__)

HEAD_LIMIT = 64 * 1024
HEAD_TIMEOUT = 30.0
CONNECTIONS_PATH = re.compile(r"^/(?P<api>[^/]+)/(?P<stage>[^/]+)/@connections/(?P<id>[^/?]+)$")
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
CREATE_FUNCTION_PATH = "/2015-03-31/functions"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class CloudSettings:
    """How a local cloud behaves; the defaults are AWS's, tests shorten the timeouts."""

    host: str = "127.0.0.1"
    port: int = 0
    region: str = "us-east-1"
    account_id: str = DEFAULT_ACCOUNT_ID
    idle_timeout: float = 600.0
    max_connection_age: float = 7200.0
    ttl_interval: float = 5.0
    max_workers_per_function: int = 4


class LocalCloud:
    """AWS on one port: moto for the control plane, our gateway and runtime for the data plane."""

    def __init__(self, settings: CloudSettings | None = None, **overrides: Any) -> None:
        base = settings or CloudSettings()
        self.settings = CloudSettings(**{**base.__dict__, **overrides})
        self.region = self.settings.region
        self.account_id = self.settings.account_id
        self.backend_lock = threading.RLock()
        self.trace = TraceHub()
        self.registry = ConnectionRegistry()
        self.gateway = Gateway(
            self,
            self.registry,
            self.trace,
            GatewayLimits(
                idle_timeout=self.settings.idle_timeout,
                max_connection_age=self.settings.max_connection_age,
            ),
        )
        moto_ext.install()
        self._moto_app = _streams_fixed(_Dispatcher(create_backend_app))
        self._moto_thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="moto")
        self._invokers = concurrent.futures.ThreadPoolExecutor(64, thread_name_prefix="invoke")
        self.runtime: LambdaRuntime | None = None
        self.sources: list[Any] = []
        self.scheduler: Any = None
        self._causes: dict[str, str] = {}  # Lambda request id -> the gateway request behind it
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._start_error: BaseException | None = None
        self.port = self.settings.port

    # ------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """The AWS endpoint, e.g. `http://127.0.0.1:4566` (what AWS_ENDPOINT_URL is set to)."""
        host = self.settings.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment that points boto3 at this cloud."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            **DUMMY_CREDENTIALS,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def start(self, timeout: float = 30.0) -> LocalCloud:
        """Serve in a background thread; returns once the port is bound."""
        self._thread = threading.Thread(target=self._run, name="local-cloud", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the local cloud did not start in time")
        if self._start_error is not None:
            raise RuntimeError("the local cloud failed to start") from self._start_error
        return self

    def serve_forever(self, on_ready: Callable[[LocalCloud], None] | None = None) -> None:
        """Serve in the calling thread until `stop()` or Ctrl-C."""
        try:
            asyncio.run(self._main(on_ready))
        except KeyboardInterrupt:
            pass
        finally:
            self._shutdown_sync()

    def stop(self) -> None:
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stopped.set)
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._main(None))
        except BaseException as error:  # surfaced by start()
            self._start_error = error
            self._ready.set()
        finally:
            self._shutdown_sync()

    async def _main(self, on_ready: Callable[[LocalCloud], None] | None) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.set_default_executor(self._invokers)
        self._stopped = asyncio.Event()
        self.trace.bind(self._loop)
        self._server = await asyncio.start_server(
            self._on_client, self.settings.host, self.settings.port, limit=HEAD_LIMIT
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.runtime = LambdaRuntime(
            {**self.env(), "WORKSHOP_CLOUD_URL": self.url},
            max_workers_per_function=self.settings.max_workers_per_function,
        )
        self._start_sources()
        threading.Thread(target=_warm_up, name="moto-warm-up", daemon=True).start()
        self._ready.set()
        if on_ready is not None:
            on_ready(self)
        try:
            await self._stopped.wait()
        finally:
            self._server.close()
            for connection in list(self.registry._connections.values()):
                await connection.close(1001, "Going away")
            await asyncio.sleep(0)

    def _start_sources(self) -> None:
        from .sources.schedules import Scheduler
        from .sources.streams import StreamPoller
        from .sources.ttl import TtlSweeper

        self.scheduler = Scheduler(self)
        self.sources = [
            StreamPoller(self),
            TtlSweeper(self, self.settings.ttl_interval),
            self.scheduler,
        ]
        for source in self.sources:
            source.start()

    def _shutdown_sync(self) -> None:
        for source in self.sources:
            try:
                source.stop()
            except Exception:
                log.exception("stopping %s", source)
        self.sources = []
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None
        self._invokers.shutdown(wait=False, cancel_futures=True)
        self._moto_thread.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ the edge

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        except asyncio.LimitOverrunError:
            writer.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            writer.close()
            return
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            writer.close()  # a client that never finishes its request head is dropped
            return
        except asyncio.CancelledError:  # the cloud is stopping
            writer.close()
            return
        try:
            if _is_websocket_upgrade(head):
                if head.split(b" ", 2)[1].startswith(b"/_workshop/trace"):
                    await self._serve_trace(reader, writer, head)
                else:
                    await self.gateway.handle(reader, writer, head)
            else:
                await self._serve_http(reader, writer, head)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the cloud is stopping
        except Exception:  # one bad client never takes the edge down
            log.exception("edge connection failed")
        finally:
            writer.close()

    async def _serve_http(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=HEAD_LIMIT)
        conn.receive_data(head)
        request: h11.Request | None = None
        body = bytearray()
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Request):
                request, body = event, bytearray()
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                reply = await self._dispatch(request, bytes(body), str(peer[0]))
                headers = [(k, v) for k, v in reply.headers if k.lower() != "content-length"]
                headers.append(("Content-Length", str(len(reply.body))))
                writer.write(conn.send(h11.Response(status_code=reply.status, headers=headers)))
                if reply.body and request.method != b"HEAD":
                    writer.write(conn.send(h11.Data(data=reply.body)))
                writer.write(conn.send(h11.EndOfMessage()))
                await writer.drain()
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return

    async def _dispatch(self, request: h11.Request, body: bytes, peer: str) -> HttpReply:
        target = request.target.decode("latin-1")
        path, _, query = target.partition("?")
        method = request.method.decode()
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in request.headers}
        if path == "/_workshop/health":
            return HttpReply(200, [("Content-Type", "application/json")], b'{"status": "ok"}')
        if match := CONNECTIONS_PATH.match(path):
            if await asyncio.to_thread(self.lookup_stage, match["api"], match["stage"]) is None:
                return error_reply(403, "ForbiddenException", "Forbidden")
            reply = await self.registry.handle(
                method, match["api"], match["stage"], match["id"], headers, body
            )
            caller = headers.get(REQUEST_ID_HEADER.lower(), "")
            self.trace.publish(
                {"POST": "post", "DELETE": "delete"}.get(method, "get"),
                apiId=match["api"],
                stage=match["stage"],
                connectionId=unquote(match["id"]),
                status=reply.status,
                requestId=self._causes.get(caller, caller) or None,
            )
            return reply
        if method == "POST" and (match := INVOKE_PATH.match(path)):
            return await asyncio.to_thread(
                self._invoke_http, unquote(match["name"]), headers, body, query
            )
        if method == "POST" and path.rstrip("/") == CREATE_FUNCTION_PATH:
            refusal = _refuse_runtime(body)
            if refusal is not None:
                return refusal
        reply = await asyncio.get_running_loop().run_in_executor(
            self._moto_thread, self._call_moto, method, path, query, headers, body, peer
        )
        if self.scheduler is not None and "awsevents" in headers.get("x-amz-target", "").lower():
            self.scheduler.notify_changed()
        return reply

    def _call_moto(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        peer: str,
    ) -> HttpReply:
        import io

        host = headers.get("host", f"127.0.0.1:{self.port}")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, encoding="latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": host.split(":")[0],
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": peer,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        status_holder: list[Any] = []

        def start_response(status: str, response_headers: list[Any], exc_info: Any = None) -> None:
            status_holder[:] = [int(status.split()[0]), list(response_headers)]

        with self.backend_lock:
            moto_ext.set_public_base(f"ws://{host}")
            try:
                chunks = self._moto_app(environ, start_response)
                try:
                    data = b"".join(chunks)
                finally:
                    close = getattr(chunks, "close", None)
                    if close:
                        close()
            except Exception as error:  # a moto bug answers 500, it never kills the edge
                log.exception("moto failed on %s %s", method, path)
                return error_reply(500, "InternalFailure", f"local cloud error: {error}")
            finally:
                moto_ext.set_public_base(None)
        status, response_headers = status_holder
        return HttpReply(status, response_headers, data)

    async def _serve_trace(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        """Stream trace hops to a subscriber (the Trace widget) until it goes away."""
        protocol = ServerProtocol()
        protocol.receive_data(head)
        events = protocol.events_received()
        if not events or not isinstance(events[0], Request):
            return
        api_filter = None
        if "apiId=" in events[0].path:
            api_filter = events[0].path.split("apiId=", 1)[1].split("&")[0]
        protocol.send_response(protocol.accept(events[0]))
        queue = self.trace.subscribe()

        def flush() -> None:
            for chunk in protocol.data_to_send():
                writer.write(chunk)

        async def receive() -> None:  # answers pings and the close handshake
            while not protocol.close_expected():
                data = await reader.read(65536)
                if not data:
                    protocol.receive_eof()
                    return
                protocol.receive_data(data)
                protocol.events_received()
                flush()

        async def send() -> None:
            while protocol.state is State.OPEN:
                hop = await queue.get()
                if api_filter and hop.get("apiId") not in (None, api_filter):
                    continue
                protocol.send_text(json.dumps(hop).encode())
                flush()
                await writer.drain()

        flush()
        tasks = {asyncio.ensure_future(receive()), asyncio.ensure_future(send())}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            self.trace.unsubscribe(queue)

    # ------------------------------------------------------------ Lambda

    def function_spec(self, function_name_or_arn: str) -> FunctionSpec | None:
        """The runnable description of a function, or None when it does not exist."""
        name = function_name_or_arn.split(":function:")[-1].split(":")[0]
        with self.backend_lock:
            backend = lambda_backends[self.account_id][self.region]
            try:
                fn = backend.get_function(name)
            except Exception:
                return None
            return FunctionSpec(
                name=fn.function_name,
                arn=fn.function_arn,
                handler=fn.handler,
                code_zip=fn.code_bytes,
                code_sha256=fn.code_sha_256,
                environment=dict(fn.environment_vars or {}),
                timeout=float(fn.timeout or 3),
                memory_mb=int(fn.memory_size or 128),
                runtime=fn.run_time or "python3.12",
            )

    def invoke(
        self,
        function_name_or_arn: str,
        event: Any,
        source: str = "invoke",
        request_id: str | None = None,
    ) -> InvokeResult:
        """Run a function's real code in a warm worker; writes its CloudWatch logs."""
        spec = self.function_spec(function_name_or_arn)
        if spec is None:
            raise LookupError(f"Function not found: {function_name_or_arn}")
        runtime = self.runtime
        if runtime is None:
            raise RuntimeError("the local cloud is not running")
        result = runtime.invoke(spec, event, request_id=request_id)
        try:
            write_invocation_logs(self, spec.name, result)
        except Exception:
            log.exception("writing logs for %s", spec.name)
        if source != "gateway":
            error = None if result.ok else (_parse(result.payload) or {}).get("errorMessage")
            self.trace.publish(
                "lambda",
                function=spec.name,
                durationMs=round(result.duration_ms, 1),
                error=error,
                source=source,
                requestId=result.request_id,
            )
        return result

    def invoke_async(self, function_name_or_arn: str, event: Any, source: str = "invoke") -> None:
        """Queue an invocation (InvocationType=Event); errors are logged, never raised."""

        def run() -> None:
            try:
                self.invoke(function_name_or_arn, event, source)
            except Exception:
                log.exception("async invoke of %s failed", function_name_or_arn)

        self._invokers.submit(run)

    def _invoke_http(
        self, name: str, headers: dict[str, str], body: bytes, query: str
    ) -> HttpReply:
        """lambda:Invoke as AWS answers it (RequestResponse, Event, DryRun)."""
        spec = self.function_spec(name)
        if spec is None:
            arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
            return error_reply(404, "ResourceNotFoundException", f"Function not found: {arn}")
        invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
        try:
            event = json.loads(body) if body else {}
        except ValueError:
            return error_reply(
                400,
                "InvalidRequestContentException",
                "Could not parse request body into json: Unexpected character",
            )
        if invocation_type == "DryRun":
            return HttpReply(204, [], b"")
        if invocation_type == "Event":
            self.invoke_async(spec.name, event)
            return HttpReply(202, [("x-amzn-RequestId", new_request_id())], b"")
        result = self.invoke(spec.name, event)
        reply_headers = [
            ("Content-Type", "application/json"),
            ("X-Amz-Executed-Version", "$LATEST"),
            ("x-amzn-RequestId", result.request_id),
        ]
        if result.function_error:
            reply_headers.append(("X-Amz-Function-Error", result.function_error))
        if headers.get("x-amz-log-type") == "Tail":
            tail = "\n".join(result.logs).encode()[-4096:]
            reply_headers.append(("X-Amz-Log-Result", base64.b64encode(tail).decode()))
        return HttpReply(200, reply_headers, result.payload)

    # ------------------------------------------------------------ what the gateway asks

    def lookup_stage(self, api_id: str, stage: str) -> moto_ext.ApiSnapshot | None:
        """The configuration a stage serves now, or None when there is no such stage."""
        with self.backend_lock:
            backend = apigatewayv2_backends[self.account_id][self.region]
            api = backend.apis.get(api_id)
            if api is None or api.protocol_type != "WEBSOCKET":
                return None
            found = api.stages.get(stage)
            return moto_ext.served_snapshot(api, found) if found else None

    def invoke_integration(
        self,
        snapshot: moto_ext.ApiSnapshot,
        stage: str,
        route_key: str,
        uri: str,
        event: dict[str, Any],
    ) -> InvokeResult:
        """Invoke a Lambda integration, if API Gateway is allowed to (lambda add_permission)."""
        function_arn = uri.split("/functions/")[-1].split("/invocations")[0]
        source_arn = (
            f"arn:aws:execute-api:{self.region}:{self.account_id}:"
            f"{snapshot.api_id}/{stage}/{route_key}"
        )
        if not self._apigateway_may_invoke(function_arn, source_arn):
            raise IntegrationError(
                f"API Gateway has no permission to invoke {function_arn} "
                f"(lambda add_permission for apigateway.amazonaws.com, SourceArn {source_arn})"
            )
        # The trace ties the function's @connections calls to the message that caused them.
        lambda_request_id = new_request_id()
        self._causes[lambda_request_id] = event["requestContext"]["requestId"]
        try:
            return self.invoke(function_arn, event, "gateway", lambda_request_id)
        except LookupError as error:
            raise IntegrationError(str(error)) from error
        finally:
            self._causes.pop(lambda_request_id, None)

    def _apigateway_may_invoke(self, function_arn: str, source_arn: str) -> bool:
        name = function_arn.split(":function:")[-1].split(":")[0]
        with self.backend_lock:
            backend = lambda_backends[self.account_id][self.region]
            try:
                statements = list(backend.get_function(name).policy.statements)
            except Exception:
                return False
        for statement in statements:
            principal = statement.get("Principal", {})
            service = principal.get("Service") if isinstance(principal, dict) else principal
            if service not in ("apigateway.amazonaws.com", "*"):
                continue
            if statement.get("Effect", "Allow") != "Allow":
                continue
            condition = statement.get("Condition", {}).get("ArnLike", {})
            pattern = condition.get("AWS:SourceArn") or condition.get("aws:SourceArn")
            if pattern is None or fnmatch.fnmatchcase(source_arn, pattern):
                return True
        return False


class _Dispatcher(DomainDispatcherApplication):
    """moto's host-based dispatcher, remembering which backend serves each Host.

    moto answers that question by listing its package directory and trying every service's
    URL patterns, on every request; the answer never changes while the cloud runs.
    """

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one dispatcher per cloud, kept for its life
    def get_backend_for_host(self, host: str | None) -> Any:
        return super().get_backend_for_host(host)


def _warm_up() -> None:
    """Import moto's slowest modules (API Gateway pulls in OpenAPI validation) ahead of need.

    Without it the first API Gateway call of a session takes seconds; with it that cost is
    paid while the learner reads the notebook.
    """
    from moto.backends import get_backend

    for service in ("apigateway", "apigatewayv2"):
        try:
            get_backend(service)
        except Exception:  # only an optimisation: the real request will report any problem
            log.debug("warm-up of %s failed", service, exc_info=True)


def _is_websocket_upgrade(head: bytes) -> bool:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"upgrade" and b"websocket" in value.lower():
            return True
    return False


def _refuse_runtime(body: bytes) -> HttpReply | None:
    try:
        runtime = json.loads(body or b"{}").get("Runtime")
    except (ValueError, AttributeError):
        return None
    message = moto_ext.unsupported_runtime_message(runtime)
    if message is None:
        return None
    return error_reply(400, "InvalidParameterValueException", message)


def _parse(payload: bytes) -> Any:
    try:
        return json.loads(payload or b"null")
    except ValueError:
        return None


def _streams_fixed(app: Any) -> Any:
    """Route DynamoDB Streams calls that current botocore sends to an account-based host."""
    from .streams_api import fix_streams_routing

    return fix_streams_routing(app)


def new_request_id() -> str:
    return str(uuid.uuid4())
