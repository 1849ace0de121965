"""The local cloud: one process, one port, AWS's APIs plus WebSocket APIs that really run.

`LocalCloud` holds the settings, starts and stops the pieces and wires them together:
- the edge (`edge/`) accepts every connection and routes it: WebSocket upgrades to the gateway,
  @connections to the connection registry, Lambda Invoke to the invoker, the rest to moto;
- moto (`aws/`, the only package that touches moto) holds the control-plane state;
- the gateway (`gateway/`) serves the WebSocket APIs; the runtime (`runtime/`) runs functions in
  warm worker processes; the event sources (`sources/`) feed streams, TTL and schedules to them.

Start it in the foreground (`workshop cloud`) or in a background thread (`LocalCloud().start()`).
With `state_dir`, the state is restored from that folder before anything is served and saved
there as it changes (`state/`); without it, the cloud starts empty and forgets everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from infra.endpoints import LOCAL_KEYS, cloud_environment, local_client

from .access.guard import Guard
from .aws import Backends
from .aws import dynamodb as aws_dynamodb
from .aws import iam as aws_iam
from .aws import states as aws_states
from .aws.apigatewayv2 import StageConfigs
from .aws.backends import DEFAULT_ACCOUNT_ID
from .aws.bridge import MotoBridge
from .aws.cloudformation import engine as aws_stacks
from .aws.lambda_ import Functions
from .edge.router import Router
from .edge.server import Edge
from .edge.trace_feed import serve_trace
from .gateway.connections import ConnectionRegistry
from .gateway.server import CLOSE_TIMEOUT, Gateway, GatewayLimits
from .invoker import Invoker
from .logs import LogSink
from .runtime import LambdaRuntime
from .state.lifecycle import CloudState
from .timing import Timing, timing_named
from .trace import TraceHub
from .vocabulary import ApiSnapshot, FunctionSpec, InvokeResult

log = logging.getLogger(__name__)


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
    iam: bool = True  # roles' permissions enforced (`workshop cloud --no-iam`: off)
    room_key: tuple[str, str] | None = None  # (access key, secret) other machines must sign with
    trusted_peers: tuple[str, ...] | None = None  # addresses that count as this machine (loopback)
    state_dir: str | None = None  # restore from and save to this folder (None: neither)
    fresh_state: bool = False  # start empty, moving any saved state to state_dir/previous
    save_interval: float = 0.5  # seconds between saves at most (a change waits no longer)
    keep_heap: bool = False  # collect and freeze the heap now and then (a process of its own)
    # How long resources take to settle (`workshop cloud --timing`; WORKSHOP_TIMING, else default).
    # LocalCloud also takes a mode's name: LocalCloud(timing="short").
    timing: Timing = field(default_factory=timing_named)


class LocalCloud:
    """AWS on one port: moto for the control plane, our gateway and runtime for the data plane."""

    def __init__(self, settings: CloudSettings | None = None, **overrides: Any) -> None:
        if isinstance(overrides.get("timing"), str):
            overrides["timing"] = timing_named(overrides["timing"])
        self.settings = replace(settings, **overrides) if settings else CloudSettings(**overrides)
        self.region = self.settings.region
        self.account_id = self.settings.account_id
        self.port = self.settings.port
        self.backends = Backends(self.account_id, self.region)
        self.bridge = MotoBridge(self.backends)
        aws_iam.enforcing = self.settings.iam
        # moto is process-wide: so is its states' clock, given back when this cloud stops.
        self._timing_before = aws_states.current()
        aws_states.use(self.settings.timing)
        aws_stacks.use(self.backends)  # stacks wait for their resources, under this lock
        self.guard = Guard(
            self.backends,
            enforce=self.settings.iam,
            admin_keys={LOCAL_KEYS["AWS_ACCESS_KEY_ID"]: LOCAL_KEYS["AWS_SECRET_ACCESS_KEY"]},
            room_key=self.settings.room_key,
            trusted_peers=self.settings.trusted_peers,
        )
        # A new mapping's role must be able to read its stream: the guard says (moto-wide too).
        self._stream_readers_before = aws_dynamodb.check_stream_readers(self.guard.stream_readable)
        self.stages = StageConfigs(self.backends)
        self.functions = Functions(self.backends)
        self.logs = LogSink(self.backends)
        self.trace = TraceHub()
        self.registry = ConnectionRegistry()
        limits = GatewayLimits(
            idle_timeout=self.settings.idle_timeout,
            max_connection_age=self.settings.max_connection_age,
            busy_at=self.settings.max_workers_per_function,
        )
        self.gateway = Gateway(
            lambda api_id, stage: self.backends.call(self.stages.lookup, api_id, stage),
            lambda *call: self._invoker().integration(*call),  # the invoker is made in _main
            self.registry,
            self.trace,
            limits,
            region=self.region,
            account_id=self.account_id,
        )
        self.router = Router(self)
        self.edge = Edge(self.router.handle, self.gateway.handle, self._serve_trace)
        self.runtime: LambdaRuntime | None = None
        self.invoker: Invoker | None = None
        self.sources: list[Any] = []
        self.scheduler: Any = None
        self.state: CloudState | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._heap_keeper: Any = None  # a HeapKeeper with settings.keep_heap
        self._stopped: asyncio.Event | None = None
        self._start_error: BaseException | None = None

    @property
    def backend_lock(self) -> threading.RLock:
        """The lock around moto's backends (see `infra.local.aws.Backends`)."""
        return self.backends.lock

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop the edge, the gateway, the runtime and the stream pollers run on."""
        return self._loop

    @property
    def causes(self) -> dict[str, str]:
        return self.invoker.causes if self.invoker is not None else {}

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
        return cloud_environment(self.url, self.region)

    def client(self, service: str, **options: Any) -> Any:
        """A boto3 client for this cloud, with the learner's keys."""
        return local_client(self.url, service, self.region, **options)

    def start(self, timeout: float = 30.0) -> LocalCloud:
        """Serve in a background thread; returns once the port is bound.

        Raises `StateError` (before serving anything) when the state folder cannot be used.
        """
        self._open_state_or_give_back()
        self._thread = threading.Thread(target=self._run, name="local-cloud", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the local cloud did not start in time")
        if self._start_error is not None:
            raise RuntimeError("the local cloud failed to start") from self._start_error
        return self

    def serve_forever(self, on_ready: Callable[[LocalCloud], None] | None = None) -> None:
        """Serve in the calling thread until `stop()` or Ctrl-C (`StateError` as `start`)."""
        self._open_state_or_give_back()
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
        self._stopped = asyncio.Event()
        self.trace.bind(self._loop)
        self.port = self.bridge.port = await self.edge.start(self.settings.host, self.settings.port)
        self.runtime = LambdaRuntime(
            {**self.env(), "WORKSHOP_CLOUD_URL": self.url},
            max_workers_per_function=self.settings.max_workers_per_function,
            loop=self._loop,
            credentials=self._credentials if self.settings.iam else None,
        )
        self.invoker = Invoker(
            self.backends, self.functions, self.runtime, self.logs, self.trace, self._loop
        )
        if self.settings.iam:
            self.invoker.may_log = lambda spec: self.guard.may_log(spec.role, spec.name)
        self._start_sources()
        threading.Thread(target=_warm_up, name="moto-warm-up", daemon=True).start()
        if self.settings.keep_heap:
            from .heap import HeapKeeper

            self._heap_keeper = HeapKeeper().start()
        self._ready.set()
        if on_ready is not None:
            on_ready(self)
        try:
            await self._stopped.wait()
        finally:
            self.gateway.closing = True  # new WebSocket clients are turned away from now on
            for connection in list(self.registry._connections.values()):
                await connection.close(1001, "Going away")
            # Their $disconnect runs, as on AWS, while the edge still serves its AWS calls.
            await self.gateway.drain(CLOSE_TIMEOUT + 1)
            self.edge.close()
            await asyncio.sleep(0)
            await self.invoker.stop()
            self.runtime.close()
            if self._heap_keeper is not None:
                self._heap_keeper.stop()

    def _open_state_or_give_back(self) -> None:
        """`_open_state`; refused (a port in use, a bad folder), moto's clock goes back as at a
        stop (a test's later moto-only calls would otherwise settle at this cloud's pace)."""
        try:
            self._open_state()
        except BaseException:
            self._shutdown_sync()
            raise

    def _open_state(self) -> None:
        """Restore the saved state (or set it aside) before the edge accepts anything; a start
        refused for a port in use creates no state folder first."""
        if self.settings.state_dir is None or self.state is not None:
            return
        if self.settings.port:
            _check_port_free(self.settings.host, self.settings.port)
        self.state = CloudState(
            self.backends,
            self.settings.state_dir,
            fresh=self.settings.fresh_state,
            interval=self.settings.save_interval,
            before_save=self.logs.flush,
        ).open()

    def _start_sources(self) -> None:
        from .sources.retention import Retention
        from .sources.schedules import Scheduler
        from .sources.streams import StreamPoller
        from .sources.ttl import TtlSweeper

        self.scheduler = Scheduler(self, check_roles=self.settings.iam)
        self.backends.on_change(self._on_change)
        self.sources = [
            StreamPoller(self),
            TtlSweeper(
                self, self.settings.ttl_interval, delete_delay=self.settings.timing.ttl_delete_delay
            ),
            Retention(self),
            self.scheduler,
        ]
        for source in self.sources:
            source.start()

    def _on_change(self, service: str) -> None:
        if service in ("events", "scheduler", "*") and self.scheduler is not None:
            self.scheduler.notify_changed()

    def _shutdown_sync(self) -> None:
        if aws_states.current() is self.settings.timing:
            aws_states.use(self._timing_before)  # at first INSTANT: moto without a cloud
            aws_stacks.use(None)
        if aws_dynamodb.stream_readers_check() == self.guard.stream_readable:
            aws_dynamodb.check_stream_readers(self._stream_readers_before)
        for source in self.sources:
            try:
                source.stop()
            except Exception:
                log.exception("stopping %s", source)
        self.sources = []
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None
        if self.state is not None:
            self.state.close()  # the last changes, then the folder is free for the next start
            self.state = None
        self.backends.close()

    async def _serve_trace(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        await serve_trace(self.trace, reader, writer, head)

    # ------------------------------------------------------------ what the pieces ask

    def lookup_stage(self, api_id: str, stage: str) -> ApiSnapshot | None:
        """The configuration a stage serves now, or None when there is no such stage."""
        return self.stages.lookup(api_id, stage)

    async def stage_config(self, api_id: str, stage: str) -> ApiSnapshot | None:
        return await self.backends.call(self.stages.lookup, api_id, stage)

    async def function_spec(self, name_or_arn: str) -> FunctionSpec | None:
        return await self._invoker().spec(name_or_arn)

    async def invoke_async(self, name_or_arn: str, event: Any) -> InvokeResult:
        return await self._invoker().invoke(name_or_arn, event)

    def invoke(self, function_name_or_arn: str, event: Any, source: str = "invoke") -> InvokeResult:
        """Run a function's real code in a warm worker (blocking; not from the cloud's loop)."""
        return self._invoker().invoke_blocking(function_name_or_arn, event, source)

    def invoke_later(self, name_or_arn: str, event: Any, source: str = "invoke") -> None:
        """Queue an invocation (InvocationType=Event); errors are logged, never raised."""
        self._invoker().invoke_later(name_or_arn, event, source)

    async def invoke_integration(
        self,
        snapshot: ApiSnapshot,
        stage: str,
        route_key: str,
        uri: str,
        event: dict[str, Any],
    ) -> InvokeResult:
        return await self._invoker().integration(snapshot, stage, route_key, uri, event)

    async def _credentials(self, spec: FunctionSpec) -> dict[str, str]:
        """The execution role's temporary credentials, for a new worker of `spec`."""
        if not spec.role:
            return {}
        return await self.guard.credentials_for(spec.name, spec.role)

    def stream_problem(self, function_arn: str, stream_arn: str) -> str | None:
        """Why a mapping cannot read its stream with the function's role, or None."""
        if not self.settings.iam:
            return None
        spec = self.functions.spec(function_arn)
        if spec is None or self.guard.stream_readable(spec.role, stream_arn):
            return None
        return aws_dynamodb.cannot_access_stream(stream_arn)

    def _invoker(self) -> Invoker:
        if self.invoker is None:
            raise RuntimeError("the local cloud is not running")
        return self.invoker


def _check_port_free(host: str, port: int) -> None:
    """OSError (EADDRINUSE) when the edge could not bind `port`, found before anything is made."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
        probe.bind((host, port))


def _warm_up() -> None:
    """Import moto's slowest modules (API Gateway pulls in OpenAPI validation) ahead of need.

    Without it the first API Gateway call of a session takes seconds; with it that cost is
    paid while the learner reads the notebook.
    """
    from .aws.bridge import warm_up

    warm_up()
