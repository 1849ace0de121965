"""Deploy WebSocket APIs in one call, and watch the events their Lambda functions receive.

`GatewayLab(aws, cloud).deploy({"$connect": SOURCE, "echo": SOURCE})` creates (or reuses) one
function per handler source, AWS_PROXY integrations, the routes, the apigateway invoke
permission and a stage, and returns where to connect.

To see the events a handler got, its source calls `record(event)` (prepended to every handler):
that posts the event over @connections to the test's observer, a WebSocket client of a separate
"observer" API whose $connect handler registers it in DynamoDB. So tests wait for events with
`await observer.event("$disconnect")` instead of polling.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import boto3
import websockets
from websockets.asyncio.client import ClientConnection

from infra.local.cloud import LocalCloud
from tests import waits
from tests.conftest import create_function

CONNECTION_ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")  # 16 URL-safe base64 chars ending in "="
CLF_TIME = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")
OBSERVERS_TABLE = "gateway-observers"
TIMEOUT = 10.0

RECORDER = f'''
import json as _json

import boto3 as _boto3

_observers = _boto3.resource("dynamodb").Table("{OBSERVERS_TABLE}")


def record(event, **extra):
    """Post the event (plus `extra` fields) to the registered observer connection, if any."""
    item = _observers.get_item(Key={{"name": "observer"}}).get("Item")
    if not item or item["connectionId"] == event["requestContext"].get("connectionId"):
        return
    api = _boto3.client("apigatewaymanagementapi", endpoint_url=item["endpoint"])
    try:
        api.post_to_connection(
            ConnectionId=item["connectionId"], Data=_json.dumps({{**event, **extra}}).encode()
        )
    except api.exceptions.GoneException:
        pass

'''

REGISTER_OBSERVER = f'''
import boto3


def handler(event, context):
    ctx = event["requestContext"]
    boto3.resource("dynamodb").Table("{OBSERVERS_TABLE}").put_item(
        Item={{
            "name": "observer",
            "connectionId": ctx["connectionId"],
            "endpoint": f"https://{{ctx['domainName']}}/{{ctx['stage']}}",
        }}
    )
    return {{"statusCode": 200}}
'''

# The handlers most tests need.
RECORD = """
def handler(event, context):
    record(event)
    return {"statusCode": 200}
"""

ECHO = """
import json


def handler(event, context):
    record(event)
    return {"statusCode": 200, "body": json.dumps({"route": event["requestContext"]["routeKey"],
                                                   "body": event.get("body")})}
"""

RAISE = """
def handler(event, context):
    record(event)
    raise RuntimeError("boom")
"""


@dataclass(frozen=True)
class Deployed:
    """A deployed WebSocket API stage."""

    api_id: str
    stage: str
    endpoint: str  # the API's ApiEndpoint, ws://HOST:PORT/{apiId}

    @property
    def url(self) -> str:
        """Where clients connect: `{ApiEndpoint}/{stage}`."""
        return f"{self.endpoint}/{self.stage}"

    @property
    def management_url(self) -> str:
        """The @connections endpoint_url: ApiEndpoint with ws -> http, plus the stage."""
        return "http" + self.endpoint[len("ws") :] + f"/{self.stage}"


class GatewayLab:
    """Deploys test APIs on one local cloud, reusing a function per distinct handler source."""

    def __init__(self, aws: Any, cloud: LocalCloud) -> None:
        self.aws = aws
        self.cloud = cloud
        self.apigw = aws("apigatewayv2")
        self._functions: dict[tuple[str, bool], str] = {}
        self._observer_api: Deployed | None = None
        dynamodb = aws("dynamodb")
        if OBSERVERS_TABLE not in dynamodb.list_tables()["TableNames"]:
            waits.create_table(
                dynamodb,
                TableName=OBSERVERS_TABLE,
                KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )

    # ------------------------------------------------------------ functions

    def function(self, source: str, *, permission: bool = True) -> str:
        """The ARN of a function running `record` + `source` (created once per source)."""
        key = (source, permission)
        if key not in self._functions:
            digest = hashlib.sha1(source.encode()).hexdigest()[:12]
            name = f"gw-{digest}" if permission else f"gw-{digest}-noperm"
            lambda_ = self.aws("lambda")
            try:
                arn = create_function(self.aws, name, RECORDER + source)
            except lambda_.exceptions.ResourceConflictException:
                # moto's backends are process-wide: an earlier module's cloud made it already.
                self._functions[key] = lambda_.get_function(FunctionName=name)["Configuration"][
                    "FunctionArn"
                ]
                return self._functions[key]
            if permission:
                lambda_.add_permission(
                    FunctionName=name,
                    StatementId="apigateway",
                    Action="lambda:InvokeFunction",
                    Principal="apigateway.amazonaws.com",
                    SourceArn=(
                        f"arn:aws:execute-api:{self.cloud.region}:{self.cloud.account_id}:*/*"
                    ),
                )
            self._functions[key] = arn
        return self._functions[key]

    def invocation_uri(self, function_arn: str) -> str:
        return (
            f"arn:aws:apigateway:{self.cloud.region}:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations"
        )

    # ------------------------------------------------------------ APIs

    def deploy(
        self,
        routes: Mapping[str, str],
        *,
        selection: str = "$request.body.action",
        two_way: Collection[str] = (),
        authorizer: str | None = None,
        identity_source: tuple[str, ...] = ("route.request.querystring.token",),
        auto_deploy: bool = True,
        permission: bool = True,
        stage: str = "dev",
    ) -> Deployed:
        """Create an API with one Lambda route per (route key -> handler source), and a stage.

        `two_way` route keys get RouteResponseSelectionExpression "$default" and a "$default"
        route response. `authorizer` (a handler source) guards $connect as a REQUEST authorizer.
        Without `auto_deploy`, a deployment is created and the stage points at it.
        """
        api = self.apigw.create_api(
            Name="gateway-test", ProtocolType="WEBSOCKET", RouteSelectionExpression=selection
        )
        api_id = api["ApiId"]
        authorizer_id = None
        if authorizer is not None:
            authorizer_id = self.apigw.create_authorizer(
                ApiId=api_id,
                Name="gate",
                AuthorizerType="REQUEST",
                AuthorizerUri=self.invocation_uri(self.function(authorizer)),
                IdentitySource=list(identity_source),
            )["AuthorizerId"]
        for route_key, source in routes.items():
            self.add_route(
                api_id,
                route_key,
                source,
                two_way=route_key in two_way,
                permission=permission,
                authorizer_id=authorizer_id if route_key == "$connect" else None,
            )
        if auto_deploy:
            self.apigw.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
        else:
            deployment = self.apigw.create_deployment(ApiId=api_id)
            self.apigw.create_stage(
                ApiId=api_id, StageName=stage, DeploymentId=deployment["DeploymentId"]
            )
        endpoint = self.apigw.get_api(ApiId=api_id)["ApiEndpoint"]
        return Deployed(api_id, stage, endpoint)

    def add_route(
        self,
        api_id: str,
        route_key: str,
        source: str,
        *,
        two_way: bool = False,
        permission: bool = True,
        authorizer_id: str | None = None,
    ) -> str:
        """Add a Lambda proxy route to an existing API; returns the route id."""
        integration = self.apigw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=self.invocation_uri(self.function(source, permission=permission)),
        )
        extra: dict[str, Any] = {}
        if two_way:
            extra["RouteResponseSelectionExpression"] = "$default"
        if authorizer_id is not None:
            extra.update(AuthorizationType="CUSTOM", AuthorizerId=authorizer_id)
        route_id = self.apigw.create_route(
            ApiId=api_id,
            RouteKey=route_key,
            Target=f"integrations/{integration['IntegrationId']}",
            **extra,
        )["RouteId"]
        if two_way:
            self.apigw.create_route_response(
                ApiId=api_id, RouteId=route_id, RouteResponseKey="$default"
            )
        return route_id

    # ------------------------------------------------------------ observing

    def observer(self) -> Observer:
        """A client that receives every event `record`ed from now on (use `async with`)."""
        if self._observer_api is None:
            self._observer_api = self.deploy({"$connect": REGISTER_OBSERVER}, stage="observe")
        return Observer(self._observer_api.url)


class Observer:
    """The receiving end of `record(event)`: events arrive as text frames, in order.

    Only connections opened since the observer count: an earlier test's `$disconnect` can
    still be running when the next test starts observing.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws: ClientConnection | None = None
        self.since_ms = 0

    async def __aenter__(self) -> Observer:
        self.since_ms = int(time.time() * 1000)  # the gateway stamps connectedAt by this clock
        self.ws = await websockets.connect(self.url)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self.ws is not None
        await self.ws.close()

    async def event(
        self, route_key: str | None = None, connection_id: str | None = None
    ) -> dict[str, Any]:
        """The next recorded event, skipping those of other routes or connections when given.

        With a `route_key`, authorizer inputs (which also say "$connect") are skipped too.
        """
        assert self.ws is not None
        while True:
            event: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            context = event["requestContext"]
            if context.get("connectedAt", self.since_ms) < self.since_ms:
                continue  # a connection of an earlier test
            if route_key is not None and (context["routeKey"] != route_key or "methodArn" in event):
                continue
            if connection_id is not None and context["connectionId"] != connection_id:
                continue
            return event


async def recv_text(ws: ClientConnection) -> str:
    """The next text frame, or a timeout error after TIMEOUT seconds."""
    message = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert isinstance(message, str)
    return message


async def nothing_arrives(ws: ClientConnection, wait: float = 0.5) -> None:
    """Assert that no frame arrives within `wait` seconds (for one-way routes)."""
    try:
        frame = await asyncio.wait_for(ws.recv(), wait)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected frame {frame!r}")


def run(coroutine: Any) -> Any:
    """Run a test scenario on a fresh event loop."""
    return asyncio.run(asyncio.wait_for(coroutine, 60))


def management_client(deployed: Deployed, stage: str | None = None) -> Any:
    """boto3's @connections client for a stage, as a learner builds it from ApiEndpoint."""
    url = deployed.management_url
    if stage is not None:
        url = url.rsplit("/", 1)[0] + f"/{stage}"
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


WHOAMI = """
def handler(event, context):
    return {"statusCode": 200, "body": event["requestContext"]["connectionId"]}
"""


async def whoami(ws: ClientConnection) -> str:
    """The connection id of a client of an API with a two-way "whoami" route (WHOAMI)."""
    await ws.send('{"action": "whoami"}')
    return await recv_text(ws)


def assert_request_context(
    event: dict[str, Any], deployed: Deployed, route_key: str, event_type: str
) -> None:
    """What every event's requestContext carries."""
    context = event["requestContext"]
    assert context["routeKey"] == route_key
    assert context["eventType"] == event_type
    assert CONNECTION_ID.match(context["connectionId"])
    assert context["requestId"] == context["extendedRequestId"]
    assert context["apiId"] == deployed.api_id
    assert context["stage"] == deployed.stage
    assert context["domainName"] == f"{deployed.api_id}.execute-api.us-east-1.amazonaws.com"
    assert context["connectedAt"] > 1_600_000_000_000  # milliseconds
    assert context["requestTimeEpoch"] >= context["connectedAt"]
    assert CLF_TIME.match(context["requestTime"])
    assert context["identity"]["sourceIp"] == "127.0.0.1"
