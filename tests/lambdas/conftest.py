"""Fixtures for the Lambda unit tests: moto tables, a fake @connections API, events, app loading.

Each app folder is the root of its own deployment zip, so its modules import each other as
top-level modules (`import common`). `load_app` imports one folder that way and then takes
those names out of sys.modules again, so the four apps' `common` modules never collide.
"""

import copy
import functools
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from moto import mock_aws

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
EVENTS = Path(__file__).resolve().parents[1] / "events"
REGION = "us-east-1"


def _app_module_names() -> set[str]:
    """Top-level module names used by any app folder (they must not leak between apps)."""
    return {path.stem for path in LAMBDAS.glob("*/*.py")}


def load_app(app: str) -> SimpleNamespace:
    """Import every module of lambdas/<app>/ as the Lambda runtime would; return them by name."""
    names = _app_module_names()
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    sys.path.insert(0, str(LAMBDAS / app))
    try:
        modules = {
            path.stem: importlib.import_module(path.stem)
            for path in sorted((LAMBDAS / app).glob("*.py"))
        }
    finally:
        sys.path.remove(str(LAMBDAS / app))
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
    return SimpleNamespace(**modules)


@functools.cache
def _management_api_model() -> Any:
    """A real management API client, used only for its exception classes."""
    return boto3.client(
        "apigatewaymanagementapi",
        region_name=REGION,
        endpoint_url="https://x.execute-api.us-east-1.amazonaws.com/dev",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def gone_exception() -> Exception:
    """The real botocore GoneException (HTTP 410) that post_to_connection raises."""
    return _management_api_model().exceptions.GoneException(
        {
            "Error": {"Code": "GoneException", "Message": ""},
            "ResponseMetadata": {"HTTPStatusCode": 410},
        },
        "PostToConnection",
    )


class FakeManagementApi:
    """Records post_to_connection calls; connections listed in `gone` raise GoneException."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, Any]] = []
        self.gone: set[str] = set()

    def post_to_connection(self, ConnectionId: str, Data: bytes | str) -> dict:  # noqa: N803
        if ConnectionId in self.gone:
            raise gone_exception()
        self.posts.append((ConnectionId, json.loads(Data)))
        return {}

    def frames_to(self, connection_id: str) -> list[Any]:
        """The decoded frames posted to one connection, in order."""
        return [frame for to, frame in self.posts if to == connection_id]

    def recipients(self) -> list[str]:
        """Who received something, in posting order."""
        return [to for to, _ in self.posts]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, no custom endpoint, and moto's in-memory AWS."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def dynamodb() -> Any:
    """One boto3 DynamoDB resource for the whole run (building one costs ~0.15 s).

    moto intercepts every botocore client once moto is imported, so this resource talks to the
    in-memory backend of whichever test's mock is active; its settings are explicit so that the
    environment of other tests cannot leak in.
    """
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return session.resource("dynamodb", endpoint_url=f"https://dynamodb.{REGION}.amazonaws.com")


@pytest.fixture
def make_table(aws: None, dynamodb: Any) -> Callable[..., Any]:
    """Create a moto DynamoDB table: make_table(hash_key, name=..., stream=False) -> boto3 Table."""

    def make(
        hash_key: str = "connectionId", *, name: str = "Connections", stream: bool = False
    ) -> Any:
        options: dict[str, Any] = {}
        if stream:
            options["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            }
        return dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": hash_key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            **options,
        )

    return make


@pytest.fixture
def api() -> FakeManagementApi:
    """A fake API Gateway Management API client."""
    return FakeManagementApi()


def _load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


@pytest.fixture
def ws_event() -> Callable[..., dict]:
    """Build a WebSocket event from the gateway fixtures tests/events/websocket_{kind}.json.

    ws_event("connect" | "message" | "disconnect", connection_id, body=..., route_key=..., query=...)
    """

    def make(
        kind: str,
        connection_id: str,
        *,
        body: Any = None,
        route_key: str | None = None,
        query: dict[str, str] | None = None,
    ) -> dict:
        event = copy.deepcopy(_load_event(f"websocket_{kind}"))
        event["requestContext"]["connectionId"] = connection_id
        if route_key is not None:
            event["requestContext"]["routeKey"] = route_key
        if body is not None:
            event["body"] = body if isinstance(body, str) else json.dumps(body)
        if kind == "connect":
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = (
                {key: [value] for key, value in query.items()} if query else None
            )
        return event

    return make


@pytest.fixture
def load_event() -> Callable[[str], dict]:
    """A fresh copy of tests/events/<name>.json."""
    return _load_event


@pytest.fixture
def chat() -> SimpleNamespace:
    """The modules of lambdas/chat, freshly imported (so cached clients never outlive a test)."""
    return load_app("chat")


@pytest.fixture
def arena() -> SimpleNamespace:
    """The modules of lambdas/arena."""
    return load_app("arena")


@pytest.fixture
def tictactoe() -> SimpleNamespace:
    """The modules of lambdas/tictactoe."""
    return load_app("tictactoe")


@pytest.fixture
def push() -> SimpleNamespace:
    """The modules of lambdas/push."""
    return load_app("push")


@pytest.fixture
def moto_posts(aws: None) -> Callable[[], dict[str, list[Any]]]:
    """What reached moto's own @connections backend: {connectionId: [decoded frames]}.

    Lets a test run a real `lambda_handler` (real boto3 clients) without any patching.
    """
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    def posts() -> dict[str, list[Any]]:
        backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION]
        decoded = {}
        for connection_id, connection in backend.connections.items():
            text, frames, decoder = connection.data.decode(), [], json.JSONDecoder()
            while text:
                frame, end = decoder.raw_decode(text)
                frames.append(frame)
                text = text[end:]
            if frames:
                decoded[unquote(connection_id)] = frames  # moto keeps the %-encoding
        return decoded

    return posts
