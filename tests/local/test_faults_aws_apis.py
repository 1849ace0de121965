"""Garbage to the AWS APIs: bodies that are not JSON, the wrong Content-Type, bodies too big.

Each gets the 4xx AWS answers (never the local cloud's 500), and the cloud goes on serving.
Figures: docs/local-cloud.md, "Faults and limits".
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from infra.local.cloud import LocalCloud
from tests.conftest import create_function

DYNAMODB = {
    "X-Amz-Target": "DynamoDB_20120810.PutItem",
    "Content-Type": "application/x-amz-json-1.0",
}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MB = 1024 * 1024
BIG = b'{"TableName": "t", "Item": {"k": {"S": "' + b"x" * (17 * MB) + b'"}}}'
DEEP = b'{"a": ' * 5000 + b"1" + b"}" * 5000  # deeper than Python's recursion limit
IAM_FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.fixture(scope="module")
def function(cloud: LocalCloud, aws: Any) -> str:
    """A function to invoke: returns its event."""
    create_function(aws, "faults-echo", "def handler(event, context):\n    return event\n")
    return "faults-echo"


def send(
    cloud: LocalCloud,
    service: str,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    *,
    sign: bool = True,
) -> tuple[int, dict[str, str], bytes]:
    """One raw request (SigV4-signed like boto3's, unless `sign` is False): status, headers, body."""
    headers = dict(headers)
    if sign:
        request = AWSRequest(method=method, url=f"{cloud.url}{path}", data=body, headers=headers)
        SigV4Auth(Credentials("testing", "testing"), service, cloud.region).add_auth(request)
        headers = dict(request.headers.items())
    connection = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def error_type(headers: dict[str, str], body: bytes) -> str | None:
    """The AWS error type, from x-amzn-ErrorType, the body's __type or a query protocol's
    <Code>, as botocore reads it."""
    if "x-amzn-errortype" in headers:
        return headers["x-amzn-errortype"].split(":")[0]
    if b"<Code>" in body:
        return body.split(b"<Code>")[1].split(b"</Code>")[0].decode()
    try:
        return str(json.loads(body)["__type"]).split("#")[-1]
    except (ValueError, KeyError, TypeError):
        return None


CASES = [
    # (name, service, method, path, body, headers, status, error type)
    ("dynamodb: not JSON", "dynamodb", "POST", "/", b"{not json", DYNAMODB, 400,
     "SerializationException"),
    ("dynamodb: a list, not an object", "dynamodb", "POST", "/", b"[1, 2]", DYNAMODB, 400,
     "SerializationException"),
    ("dynamodb: no operation named", "dynamodb", "POST", "/", b"{}",
     {"Content-Type": "application/x-amz-json-1.0"}, 400, "UnknownOperationException"),
    ("dynamodb: text/plain", "dynamodb", "POST", "/", b'{"TableName": "t"}',
     {**DYNAMODB, "Content-Type": "text/plain"}, 404, None),
    ("dynamodb: 17 MB", "dynamodb", "POST", "/", BIG, DYNAMODB, 413, None),
    ("lambda create: not JSON", "lambda", "POST", "/2015-03-31/functions", b"{not json",
     {"Content-Type": "application/json"}, 400, "InvalidRequestContentException"),
    ("lambda create: a form", "lambda", "POST", "/2015-03-31/functions", b"FunctionName=f",
     FORM, 400, "InvalidRequestContentException"),
    ("lambda invoke: not JSON", "lambda", "POST",
     "/2015-03-31/functions/faults-echo/invocations", b"{not json", {}, 400,
     "InvalidRequestContentException"),
    ("lambda invoke: a form", "lambda", "POST",
     "/2015-03-31/functions/faults-echo/invocations", b"a=1&b=2", FORM, 400,
     "InvalidRequestContentException"),
    ("lambda invoke: 7 MB", "lambda", "POST", "/2015-03-31/functions/faults-echo/invocations",
     b'"' + b"x" * (7 * MB) + b'"', {}, 413, "RequestEntityTooLargeException"),
    ("apigateway: not JSON", "apigateway", "POST", "/v2/apis", b"{not json",
     {"Content-Type": "application/json"}, 400, "BadRequestException"),
    ("apigateway: a form", "apigateway", "POST", "/v2/apis", b"name=x&protocolType=WEBSOCKET",
     FORM, 400, "BadRequestException"),
    ("dynamodb: 5,000 deep", "dynamodb", "POST", "/", DEEP, DYNAMODB, 400,
     "SerializationException"),
    ("dynamodb: invalid UTF-8", "dynamodb", "POST", "/", b'{"TableName": "\xff\xfe"}',
     DYNAMODB, 400, "SerializationException"),
    ("dynamodb: an unknown operation", "dynamodb", "POST", "/", b"{}",
     {**DYNAMODB, "X-Amz-Target": "DynamoDB_20120810.MakeCoffee"}, 400,
     "UnknownOperationException"),
    ("lambda create: 5,000 deep", "lambda", "POST", "/2015-03-31/functions", DEEP,
     {"Content-Type": "application/json"}, 400, "InvalidRequestContentException"),
    ("lambda create: no fields", "lambda", "POST", "/2015-03-31/functions", b"{}",
     {"Content-Type": "application/json"}, 400, "ValidationException"),
    ("lambda invoke: 5,000 deep", "lambda", "POST",
     "/2015-03-31/functions/faults-echo/invocations", DEEP, {}, 400,
     "InvalidRequestContentException"),
    ("apigateway: 5,000 deep", "apigateway", "POST", "/v2/apis", DEEP,
     {"Content-Type": "application/json"}, 400, "BadRequestException"),
    ("iam: a trust policy of nested lists", "iam", "POST", "/",
     b"Action=CreateRole&Version=2010-05-08&RoleName=nested&AssumeRolePolicyDocument=%5B%5B%5B1%5D%5D%5D",
     IAM_FORM, 400, "MalformedPolicyDocument"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_a_bad_request_gets_awss_4xx(cloud: LocalCloud, function: str, case: tuple) -> None:
    """Each bad request is answered with AWS's status and error type."""
    _, service, method, path, body, headers, status, expected_type = case
    got_status, got_headers, got_body = send(cloud, service, method, path, body, headers)
    assert got_status == status, got_body[:300]
    if expected_type is not None:
        assert error_type(got_headers, got_body) == expected_type, got_body[:300]


@pytest.mark.parametrize(
    "service, path",
    [("lambda", "/2015-03-31/functions"), ("apigateway", "/v2/apis")],
)
def test_a_body_over_the_edges_limit_gets_413_not_a_reset(
    cloud: LocalCloud, service: str, path: str
) -> None:
    """71 MB sent in full: the client reads 413 RequestEntityTooLargeException, not a reset."""
    body = b'{"Name": "' + b"x" * (71 * MB) + b'"}'
    status, headers, reply = send(
        cloud, service, "POST", path, body, {"Content-Type": "application/json"}, sign=False
    )
    assert status == 413
    assert error_type(headers, reply) == "RequestEntityTooLargeException"


def test_the_cloud_keeps_serving_after_bad_requests(
    cloud: LocalCloud, aws: Any, function: str
) -> None:
    """After every bad request above, boto3 calls to each API still work."""
    for case in CASES:
        send(cloud, *case[1:6])
    assert isinstance(aws("dynamodb").list_tables()["TableNames"], list)
    invoked = aws("lambda").invoke(FunctionName=function, Payload=b'{"still": "here"}')
    assert json.loads(invoked["Payload"].read()) == {"still": "here"}
    assert aws("apigatewayv2").create_api(Name="after", ProtocolType="WEBSOCKET",
                                          RouteSelectionExpression="$request.body.action")["ApiId"]  # fmt: skip
