"""Where each HTTP request goes (`edge/router.py`), seen from outside a running local cloud: the
health endpoint, @connections, Lambda's Invoke API and, for everything else, moto."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

import pytest

from infra.local.cloud import LocalCloud
from tests.conftest import create_function
from tests.local.gateway.helpers import Deployed, management_client

DOUBLE = "def handler(event, context):\n    print('doubling')\n    return event['n'] * 2\n"


def unsigned(cloud: LocalCloud, method: str, path: str, body: bytes | None = None) -> Any:
    """(status, error type header, body) of a plain HTTP request to the cloud's port."""
    request = urllib.request.Request(cloud.url + path, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.headers.get("x-amzn-ErrorType"), reply.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers.get("x-amzn-ErrorType"), refused.read()


@pytest.fixture(scope="module")
def function_arn(cloud: LocalCloud, aws: Any) -> str:
    return create_function(aws, "router-double", DOUBLE)


@pytest.fixture(scope="module")
def stage(cloud: LocalCloud, aws: Any) -> Deployed:
    """A WebSocket API with an auto-deployed stage (no routes are needed for @connections)."""
    apigw = aws("apigatewayv2")
    api = apigw.create_api(
        Name="router", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    apigw.create_stage(ApiId=api["ApiId"], StageName="dev", AutoDeploy=True)
    return Deployed(api["ApiId"], "dev", api["ApiEndpoint"])


def test_the_health_endpoint_answers_unsigned(cloud: LocalCloud) -> None:
    """GET /_workshop/health is the edge's own: 200 {"status": "ok"}, no signature needed."""
    status, _, body = unsigned(cloud, "GET", "/_workshop/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})


def test_connections_of_a_stage_that_does_not_exist_are_forbidden(cloud: LocalCloud) -> None:
    """@connections under an unknown API or stage: 403 ForbiddenException, as API Gateway says."""
    status, error_type, _ = unsigned(cloud, "POST", "/nosuchapi/dev/@connections/abc%3D", b"hi")
    assert (status, error_type) == (403, "ForbiddenException")


def test_connections_of_a_served_stage_reach_its_connections(stage: Deployed) -> None:
    """@connections under a stage that is served: an unknown connection is GoneException (410)."""
    connections = management_client(stage)
    with pytest.raises(connections.exceptions.GoneException) as gone:
        connections.post_to_connection(ConnectionId="nobodyHere=", Data=b"hi")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_an_invoke_by_arn_reaches_the_function(aws: Any, function_arn: str) -> None:
    """Invoke with the ARN, percent-encoded in the path, runs the function in the local runtime."""
    assert quote(function_arn, safe="") != function_arn  # boto3 sends it encoded
    response = aws("lambda").invoke(FunctionName=function_arn, Payload=b'{"n": 21}')
    assert (response["StatusCode"], json.loads(response["Payload"].read())) == (200, 42)


def test_a_log_read_sees_the_invocations_finished_before_it(aws: Any, function_arn: str) -> None:
    """A CloudWatch Logs read right after an invoke finds that invocation's lines."""
    request_id = aws("lambda").invoke(FunctionName="router-double", Payload=b'{"n": 1}')[
        "ResponseMetadata"
    ]["RequestId"]
    events = aws("logs").filter_log_events(logGroupName="/aws/lambda/router-double")["events"]
    assert f"START RequestId: {request_id} Version: $LATEST" in [e["message"] for e in events]


def test_every_other_request_is_an_aws_call_moto_answers(aws: Any) -> None:
    """What is neither the edge's, @connections nor Invoke is moto's: a table made is listed."""
    dynamodb = aws("dynamodb")
    dynamodb.create_table(
        TableName="router-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert "router-table" in dynamodb.list_tables()["TableNames"]
