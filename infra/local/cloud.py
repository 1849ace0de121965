"""The local cloud: one process, one port, AWS's APIs plus WebSocket APIs that really run.

`LocalCloud` holds the settings, starts and stops the pieces and wires them together, handing
each the collaborators it uses:
- the edge (`edge/`) accepts every connection and routes it: WebSocket upgrades to the gateway,
  @connections to the connection registry, Lambda Invoke to the invoker, the rest to moto;
- moto (`aws/`, the only package that touches moto) holds the control-plane state;
- the gateway (`gateway/`) serves the WebSocket APIs; the invoker (`invoker.py`) runs functions
  in the runtime's (`runtime/`) warm worker processes; the event sources (`sources/`) feed
  streams, TTL and schedules to it; the guard (`access/`) decides who may do what.

Start it in the foreground (`workshop cloud`) or in a background thread (`LocalCloud().start()`).
With `state_dir`, the state is restored from that folder before anything is served and saved
there as it changes (`state/`); without it, the cloud starts empty and forgets everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from infra.endpoints import LOCAL_KEYS, cloud_environment, local_client

from . import aws
from .access.guard import Guard
from .aws import Backends
from .aws.apigatewayv2 import StageConfigs
from .aws.backends import DEFAULT_ACCOUNT_ID
from .aws.bridge import MotoBridge
from .aws.lambda_ import Functions
from .edge.router import Router
from .edge.server import Edge
from .edge.trace_feed import serve_trace
from .gateway.connections import ConnectionRegistry
from .gateway.server import CLOSE_TIMEOUT, Gateway, GatewayLimits
from .heap import HeapKeeper
from .invoker import Invoker
from .logs import LogSink
from .runtime import LambdaRuntime
from .sources import Source
from .sources.retention import Retention
from .sources.schedules import Scheduler
from .sources.streams import StreamPoller
from .sources.ttl import TtlSweeper
from .state.lifecycle import CloudState
from .timing import Timing, timing_named
from .trace import TraceHub

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

    def gateway_limits(self) -> GatewayLimits:
        """The gateway's timeouts; a function is busy when all its workers are."""
        return GatewayLimits(
            idle_timeout=self.idle_timeout,
            max_connection_age=self.max_connection_age,
            busy_at=self.max_workers_per_function,
        )


class LocalCloud:
    """AWS on one port: moto for the control plane, our gateway and runtime for the data plane."""

    def __init__(self, settings: CloudSettings | None = None, **overrides: Any) -> None:
        if isinstance(overrides.get("timing"), str):
            overrides["timing"] = timing_named(overrides["timing"])
        settings = replace(settings, **overrides) if settings else CloudSettings(**overrides)
        self.settings, self.region, self.account_id = settings, settings.region, settings.account_id
        self.port = settings.port
        self.backends = Backends(self.account_id, self.region)
        self.bridge = MotoBridge(self.backends)
        self.guard = Guard(
            self.backends,
            enforce=settings.iam,
            admin_keys={LOCAL_KEYS["AWS_ACCESS_KEY_ID"]: LOCAL_KEYS["AWS_SECRET_ACCESS_KEY"]},
            room_key=settings.room_key,
            trusted_peers=settings.trusted_peers,
        )
        # moto is process-wide: it runs at this cloud's pace until the cloud stops.
        self._give_back_moto = aws.take_over(
            self.backends, settings.timing, settings.iam, self.guard.stream_readable
        )
        self.stages = StageConfigs(self.backends)
        self.functions = Functions(self.backends)
        self.logs = LogSink(self.backends)
        self.trace = TraceHub()
        self.registry = ConnectionRegistry()
        self.edge = Edge()
        # Made on the cloud's loop (`_main`), where the runtime reads its workers' pipes.
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runtime: LambdaRuntime | None = None
        self.invoker: Invoker | None = None
        self.gateway: Gateway | None = None
        self.scheduler: Scheduler | None = None
        self.sources: list[Source] = []
        self.state: CloudState | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._heap_keeper: HeapKeeper | None = None  # with settings.keep_heap
        self._stopped: asyncio.Event | None = None
        self._start_error: BaseException | None = None

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

    # ------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 30.0) -> LocalCloud:
        """Serve in a background thread; returns once the port is bound.

        Raises `StateError` (before serving anything) when the state folder cannot be used.
        """
        self._open_state()
        self._thread = threading.Thread(target=self._run, name="local-cloud", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the local cloud did not start in time")
        if self._start_error is not None:
            raise RuntimeError("the local cloud failed to start") from self._start_error
        return self

    def serve_forever(self, on_ready: Callable[[LocalCloud], None] | None = None) -> None:
        """Serve in the calling thread until `stop()` or Ctrl-C (`StateError` as `start`)."""
        self._open_state()
        try:
            asyncio.run(self._main(on_ready))
        except KeyboardInterrupt:
            pass
        finally:
            self._shutdown_sync()

    def stop(self) -> None:
        loop, stopped = self.loop, self._stopped
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
        settings, backends, guard, trace = self.settings, self.backends, self.guard, self.trace
        self.loop = loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        trace.bind(loop)
        # Listen first (the port goes in the workers' environment); serve once all is wired.
        self.port = self.bridge.port = await self.edge.listen(settings.host, settings.port)
        self.runtime = runtime = LambdaRuntime(
            {**self.env(), "WORKSHOP_CLOUD_URL": self.url},
            max_workers_per_function=settings.max_workers_per_function,
            loop=loop,
            credentials=guard.worker_credentials if settings.iam else None,
        )
        self.invoker = invoker = Invoker(backends, self.functions, runtime, self.logs, trace, loop)
        if settings.iam:  # Lambda writes a function's logs with its role, or not at all
            invoker.may_log = lambda spec: guard.may_log(spec.role, spec.name)
        stage_config = functools.partial(backends.call, self.stages.lookup)
        self.gateway = gateway = Gateway(
            stage_config,
            invoker.integration,
            self.registry,
            trace,
            settings.gateway_limits(),
            region=self.region,
            account_id=self.account_id,
        )
        router = Router(
            backends, self.bridge, guard, self.registry, invoker, stage_config, trace, self.logs
        )
        await self.edge.serve(router.handle, gateway.handle, functools.partial(serve_trace, trace))
        self.scheduler = Scheduler(backends, invoker.invoke_blocking, check_roles=settings.iam)
        backends.on_change(self.scheduler.on_change)
        self.sources = [
            StreamPoller(backends, invoker.invoke, readable=guard.stream_readable, loop=loop),
            TtlSweeper(
                backends, settings.ttl_interval, delete_delay=settings.timing.ttl_delete_delay
            ),
            Retention(backends),
            self.scheduler,
        ]
        for source in self.sources:
            source.start()
        threading.Thread(target=_warm_up, name="moto-warm-up", daemon=True).start()
        if settings.keep_heap:
            self._heap_keeper = HeapKeeper().start()
        self._ready.set()
        if on_ready is not None:
            on_ready(self)
        try:
            await self._stopped.wait()
        finally:
            gateway.closing = True  # new WebSocket clients are turned away from now on
            for connection in self.registry.all():
                await connection.close(1001, "Going away")
            # Their $disconnect runs, as on AWS, while the edge still serves its AWS calls.
            await gateway.drain(CLOSE_TIMEOUT + 1)
            self.edge.close()
            await asyncio.sleep(0)
            await invoker.stop()
            runtime.close()
            if self._heap_keeper is not None:
                self._heap_keeper.stop()

    def _open_state(self) -> None:
        """The saved state, restored before the edge accepts anything (`_restored`). Refused,
        moto's pace goes back as at a stop (a test's later moto-only calls would otherwise
        settle at this cloud's)."""
        if self.settings.state_dir is None or self.state is not None:
            return
        try:
            self.state = _restored(self.settings, self.backends, self.logs)
        except BaseException:
            self._shutdown_sync()
            raise

    def _shutdown_sync(self) -> None:
        self._give_back_moto()
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


def _restored(settings: CloudSettings, backends: Backends, logs: LogSink) -> CloudState:
    """The state folder of `settings`, restored into `backends` (or set aside with
    `fresh_state`) and saved as it changes. A start refused for a port in use creates no state
    folder first."""
    assert settings.state_dir is not None
    if settings.port:
        _check_port_free(settings.host, settings.port)
    return CloudState(
        backends,
        settings.state_dir,
        fresh=settings.fresh_state,
        interval=settings.save_interval,
        before_save=logs.flush,  # what the log sink holds is saved with the rest
    ).open()


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
