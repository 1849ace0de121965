"""The way into moto: one AWS API request in, moto's answer out, under the backends' lock.

moto's server is a Flask app per service behind a host-based dispatcher. Going through Flask for
every call costs as much as the call itself (request contexts, signals, response objects), so the
bridge calls the service's handler directly: it finds the handler the way Flask would (the
service's URL map, cached per path) and hands it the same normalised request moto's server builds.
Requests that need something only Flask does (CORS preflights and headers, HEAD) take the full
Flask route. After every write the service's generation is bumped, so caches of derived state
(`StageConfigs`, `Functions`) know to re-read.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError
from moto.core.request import Request as MotoRequest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from ..vocabulary import HttpReply, HttpRequest, InternalFailure
from . import apigatewayv2, refusals
from .backends import ALL_SERVICES, Backends

log = logging.getLogger(__name__)

READ_PREFIXES = ("Get", "Describe", "List", "Scan", "Query", "BatchGet", "Filter", "Test")
# Services whose moto app depends on more than the signing scope and X-Amz-Target.
PATH_ROUTED = {"s3", "sagemaker", "bedrock", "bedrock-agentcore", "ses", "mediastore"}
FLASK_DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"
# moto serves API Gateway v1 and v2 from one app: a write to either may change a stage.
SERVICES_OF_APP = {"apigateway": ("apigateway", "apigatewayv2"), "awslambda": ("lambda",)}


class EdgeRequest(MotoRequest):
    """The request type moto's server hands its handlers (received by a real server).

    The body is known already, so werkzeug need not read it from a stream again; and a body
    that is not a form has no form fields to parse.
    """

    from_wsgi_server = True

    def __init__(self, environ: dict[str, Any], body: bytes) -> None:
        super().__init__(environ)
        if "gzip" not in environ.get("HTTP_CONTENT_ENCODING", ""):  # moto unzips those itself
            self._cached_data = body
        content_type = environ.get("CONTENT_TYPE", "")
        if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/")):
            self.__dict__["form"] = ImmutableMultiDict()
            self.__dict__["files"] = ImmutableMultiDict()


class _Dispatcher(DomainDispatcherApplication):
    """moto's host-based dispatcher, remembering which backend serves each Host.

    moto answers that question by listing its package directory and trying every service's
    URL patterns, on every request; the answer never changes while the cloud runs.
    """

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one dispatcher per bridge, kept for its life
    def get_backend_for_host(self, host: str | None) -> Any:
        return super().get_backend_for_host(host)


class MotoBridge:
    """Serves AWS API requests with moto, one at a time under the backends' lock."""

    def __init__(self, backends: Backends, port: int = 0) -> None:
        from . import install

        install()
        self.backends = backends
        self.port = port
        self._dispatcher = _Dispatcher(create_backend_app)
        self._apps: dict[tuple[str, ...], Any] = {}
        self._views: dict[tuple[int, str, str], Callable[..., Any] | None] = {}

    def handle(self, request: HttpRequest) -> HttpReply:
        """moto's answer to one request; a moto failure is a 500, never an exception."""
        refused = refusals.refused(request)
        if refused is not None:
            return refused
        environ = self._environ(request)
        with self.backends.lock:
            apigatewayv2.set_public_base(f"ws://{request.host or f'127.0.0.1:{self.port}'}")
            try:
                app = self._app_for(environ)
                view = self._view_for(app, environ)
                if view is None:
                    reply = self._through_flask(environ)
                else:
                    reply = self._direct(view, environ)
            except Exception as error:  # a moto bug answers 500; it never takes the edge down
                service = refusals.signed_service(environ.get("HTTP_AUTHORIZATION", ""))
                fault = refusals.client_fault(request, service)
                if fault is not None:
                    return fault  # the request itself was wrong: AWS's 4xx, not our failure
                log.exception("moto failed on %s %s", request.method, request.path)
                return InternalFailure(f"local cloud error: {error}").reply()
            finally:
                apigatewayv2.set_public_base(None)
            if reply.status == 404 and _bare(reply.body):  # moto found no operation for it
                service = refusals.signed_service(environ.get("HTTP_AUTHORIZATION", ""))
                return refusals.unrouted(request, service) or reply
            if not _is_read(request, environ):
                service = str(getattr(app, "service", "") or "")
                if service in ("", "cloudformation"):  # a stack can change any service
                    self.backends.changed(ALL_SERVICES)
                for changed in SERVICES_OF_APP.get(service, (service,)):
                    self.backends.changed(changed)
        return reply

    # ------------------------------------------------------------ routing

    def _environ(self, request: HttpRequest) -> dict[str, Any]:
        host = request.host or f"127.0.0.1:{self.port}"
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(request.path, encoding="latin-1"),
            "RAW_URI": request.target,
            "QUERY_STRING": request.query,
            "SERVER_NAME": host.split(":")[0],
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": request.peer,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(request.body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(request.body)),
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        return environ

    def _app_for(self, environ: dict[str, Any]) -> Any:
        """The service's Flask app, as moto's dispatcher picks it (cached by signing scope)."""
        key = _app_key(environ)
        if key is None:
            return self._dispatcher.get_application(environ)
        app = self._apps.get(key)
        if app is None:
            app = self._apps[key] = self._dispatcher.get_application(environ)
        return app

    def _view_for(self, app: Any, environ: dict[str, Any]) -> Callable[..., Any] | None:
        """The moto handler Flask would call, or None when only Flask can serve the request."""
        method = environ["REQUEST_METHOD"]
        if method in ("HEAD", "OPTIONS") or "HTTP_ORIGIN" in environ:
            return None  # Flask adds CORS headers and HEAD semantics
        key = (id(app), method, environ["PATH_INFO"])
        if key in self._views:
            return self._views[key]
        try:
            endpoint, _ = app.url_map.bind_to_environ(environ).match()
            view = app.view_functions[endpoint]
            callback = getattr(view, "callback", None)
        except HTTPException:
            callback = None  # 404s and 405s are Flask's to word
        if len(self._views) > 2048:
            self._views.clear()
        self._views[key] = callback
        return callback

    # ------------------------------------------------------------ calling moto

    def _direct(self, callback: Callable[..., Any], environ: dict[str, Any]) -> HttpReply:
        """Call the handler as moto's Flask wrapper does, minus Flask."""
        request = EdgeRequest(environ, environ["wsgi.input"].getvalue())
        host = environ.get("HTTP_HOST") or f"127.0.0.1:{self.port}"
        raw_url = f"http://{host}{environ['RAW_URI']}"  # what request.raw_url computes
        headers = {
            _header_name(key): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        if "CONTENT_TYPE" in environ:
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["Content-Length"] = environ["CONTENT_LENGTH"]
        try:
            result = callback(request, raw_url, headers)
        except ClientError as error:
            result = 400, {}, error.response["Error"]["Message"]
        except HTTPException as error:  # moto's RESTError and friends answer as Flask would
            headers = dict(error.get_headers(environ))
            return _reply(error.code or 500, headers, error.get_body(environ))
        if len(result) == 3:
            status, headers, body = result
        else:
            status, headers, body = 200, {}, result
        return _reply(int(status), dict(headers), body)

    def _through_flask(self, environ: dict[str, Any]) -> HttpReply:
        """The whole of moto's server app (dispatcher, Flask, CORS)."""
        captured: list[Any] = []

        def start_response(status: str, headers: list[Any], exc_info: Any = None) -> None:
            captured[:] = [int(status.split()[0]), list(headers)]

        chunks = self._dispatcher(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        status, headers = captured
        return HttpReply(status, [(str(k), str(v)) for k, v in headers], body)


def _bare(body: bytes) -> bool:
    """A 404 with no AWS error in it: Flask's page, or nothing."""
    return not body.strip() or body.lstrip()[:15].lower() == b"<!doctype html>"


@functools.lru_cache(maxsize=512)
def _header_name(environ_key: str) -> str:
    """`HTTP_X_AMZ_TARGET` -> `X-Amz-Target`, as werkzeug's EnvironHeaders names it."""
    return "-".join(part.capitalize() for part in environ_key[5:].split("_"))


def _reply(status: int, headers: dict[str, Any], body: Any) -> HttpReply:
    if body is None:
        data = b""
    elif isinstance(body, bytes):
        data = body
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:
        data = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
    pairs = [(str(k), str(v)) for k, v in headers.items() if str(k).lower() != "status"]
    if not any(k.lower() == "content-type" for k, _ in pairs):
        pairs.append(("Content-Type", FLASK_DEFAULT_CONTENT_TYPE))
    return HttpReply(status, pairs, data)


def _app_key(environ: dict[str, Any]) -> tuple[str, ...] | None:
    """What moto's dispatcher decides the service by, when that is all it looks at."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        _, _, region, service, _ = auth.split(",")[0].split()[1].split("/")
    except (IndexError, ValueError):
        return None
    if service.lower() in PATH_ROUTED:
        return None
    target = environ.get("HTTP_X_AMZ_TARGET", "").split(".")[0]
    connections = environ["PATH_INFO"].startswith("/@connections")
    return (service.lower(), region, target, str(connections))


def _action(request: HttpRequest, environ: dict[str, Any]) -> str:
    target = request.headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if "Action=" in request.query:
        return request.query.split("Action=", 1)[1].split("&", 1)[0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        body = request.body.decode("latin-1")
        if "Action=" in body:
            return body.split("Action=", 1)[1].split("&", 1)[0]
    return ""


def _is_read(request: HttpRequest, environ: dict[str, Any]) -> bool:
    """True for requests that cannot change state (so no cache needs to forget anything)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return True
    return _action(request, environ).startswith(READ_PREFIXES)


def warm_up() -> None:
    """Import moto's slowest modules (API Gateway pulls in OpenAPI validation) ahead of need."""
    from moto.backends import get_backend

    for service in ("apigateway", "apigatewayv2"):
        try:
            get_backend(service)
        except Exception:  # only an optimisation: the real request will report any problem
            log.debug("warm-up of %s failed", service, exc_info=True)
