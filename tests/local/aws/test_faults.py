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
    if "x-amzn-errortype" not in headers and body.startswith(b'{"message"'):
        return None
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


# -- the fuzz: each kind of bad request to each service the kit uses ----------------------------

BAD_UTF8 = b'{"Name": "caf\xe9 \xff"}'
JSON_11 = "application/x-amz-json-1.1"
APPLICATION_JSON = {"Content-Type": "application/json"}


def _target(target: str) -> dict[str, str]:
    return {"X-Amz-Target": target, "Content-Type": JSON_11}


def _form(body: str) -> bytes:
    return body.encode()


# (service, kind, method, path, body, headers, status, error type)
FUZZ = [
    ("dynamodb", "deep JSON", "POST", "/", DEEP, DYNAMODB, 400, "SerializationException"),
    ("dynamodb", "invalid UTF-8", "POST", "/", BAD_UTF8, DYNAMODB, 400, "SerializationException"),
    ("dynamodb", "unknown operation", "POST", "/", b"{}",
     {**DYNAMODB, "X-Amz-Target": "DynamoDB_20120810.Nope"}, 400, "UnknownOperationException"),
    ("dynamodb", "missing fields", "POST", "/", b"{}",
     {**DYNAMODB, "X-Amz-Target": "DynamoDB_20120810.CreateTable"}, 400, "ValidationException"),
    ("logs", "deep JSON", "POST", "/", DEEP, _target("Logs_20140328.CreateLogGroup"), 400,
     "SerializationException"),
    ("logs", "invalid UTF-8", "POST", "/", BAD_UTF8, _target("Logs_20140328.CreateLogGroup"),
     400, "SerializationException"),
    ("logs", "unknown operation", "POST", "/", b"{}", _target("Logs_20140328.Nope"), 400,
     "UnknownOperationException"),
    ("logs", "missing fields", "POST", "/", b"{}", _target("Logs_20140328.CreateLogGroup"), 400,
     "ValidationException"),
    ("events", "deep JSON", "POST", "/", DEEP, _target("AWSEvents.PutRule"), 400,
     "SerializationException"),
    ("events", "invalid UTF-8", "POST", "/", BAD_UTF8, _target("AWSEvents.PutRule"), 400,
     "SerializationException"),
    ("events", "unknown operation", "POST", "/", b"{}", _target("AWSEvents.Nope"), 400,
     "UnknownOperationException"),
    ("events", "missing fields", "POST", "/", b"{}", _target("AWSEvents.PutTargets"), 400,
     "ValidationException"),
    ("scheduler", "deep JSON", "POST", "/schedules/s", DEEP, APPLICATION_JSON, 400,
     "BadRequestException"),
    ("scheduler", "invalid UTF-8", "POST", "/schedules/s", BAD_UTF8, APPLICATION_JSON, 400,
     "BadRequestException"),
    ("scheduler", "unknown operation", "POST", "/nope/s", b"{}", APPLICATION_JSON, 404,
     "UnknownOperationException"),
    ("scheduler", "missing fields", "POST", "/schedules/s", b"{}", APPLICATION_JSON, 400,
     "ValidationException"),
    ("lambda", "deep JSON", "POST", "/2015-03-31/event-source-mappings/", DEEP,
     APPLICATION_JSON, 400, "InvalidRequestContentException"),
    ("lambda", "invalid UTF-8", "POST", "/2015-03-31/functions", BAD_UTF8, APPLICATION_JSON,
     400, "InvalidRequestContentException"),
    ("lambda", "unknown operation", "POST", "/2015-03-31/nope", b"{}", APPLICATION_JSON, 404,
     "UnknownOperationException"),
    ("lambda", "missing fields", "POST", "/2015-03-31/functions", b"{}", APPLICATION_JSON, 400,
     "ValidationException"),
    ("apigateway", "deep JSON", "POST", "/v2/apis", DEEP, APPLICATION_JSON, 400,
     "BadRequestException"),
    ("apigateway", "invalid UTF-8", "POST", "/v2/apis", BAD_UTF8, APPLICATION_JSON, 400,
     "BadRequestException"),
    ("apigateway", "unknown operation", "POST", "/v2/nope", b"{}", APPLICATION_JSON, 404,
     "UnknownOperationException"),
    ("apigateway", "missing fields", "POST", "/v2/apis", b"{}", APPLICATION_JSON, 400,
     "BadRequestException"),
    ("iam", "deep JSON", "POST", "/",
     _form("Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument="
           + "%7B%22a%22%3A" * 5000 + "1" + "%7D" * 5000), IAM_FORM, 400,
     "MalformedPolicyDocument"),
    ("iam", "invalid UTF-8", "POST", "/", b"Action=CreateRole&RoleName=\xff", IAM_FORM, 404,
     "MalformedQueryString"),
    ("iam", "unknown operation", "POST", "/", _form("Action=Nope&Version=2010-05-08"),
     IAM_FORM, 400, "InvalidAction"),
    ("iam", "missing fields", "POST", "/", _form("Action=CreateUser&Version=2010-05-08"),
     IAM_FORM, 400, "ValidationError"),
    ("iam", "malformed policy", "POST", "/",
     _form("Action=CreateRole&Version=2010-05-08&RoleName=n&AssumeRolePolicyDocument=%5B%5D"),
     IAM_FORM, 400, "MalformedPolicyDocument"),
    ("sts", "invalid UTF-8", "POST", "/", b"Action=AssumeRole&RoleArn=\xff", IAM_FORM, 404,
     "MalformedQueryString"),
    ("sts", "unknown operation", "POST", "/", _form("Action=Nope&Version=2011-06-15"), IAM_FORM,
     400, "InvalidAction"),
    ("sts", "missing fields", "POST", "/", _form("Action=AssumeRole&Version=2011-06-15"),
     IAM_FORM, 400, "ValidationError"),
    ("cloudformation", "deep JSON", "POST", "/",
     _form("Action=CreateStack&Version=2010-05-15&StackName=s&TemplateBody="
           + "%7B%22a%22%3A" * 5000 + "1" + "%7D" * 5000), IAM_FORM, 400, "ValidationError"),
    ("cloudformation", "invalid UTF-8", "POST", "/", b"Action=CreateStack&StackName=\xff",
     IAM_FORM, 404, "MalformedQueryString"),
    ("cloudformation", "unknown operation", "POST", "/", _form("Action=Nope&Version=2010-05-15"),
     IAM_FORM, 400, "InvalidAction"),
    ("cloudformation", "missing fields", "POST", "/",
     _form("Action=CreateStack&Version=2010-05-15"), IAM_FORM, 400, "ValidationError"),
    ("s3", "not XML", "PUT", "/fuzz-bucket-new", b"{not xml", {}, 400, "MalformedXML"),
    ("s3", "malformed policy", "PUT", "/fuzz-bucket?policy", b"[[[1]]]", {}, 400,
     "MalformedPolicy"),
    ("s3", "deep JSON policy", "PUT", "/fuzz-bucket?policy", DEEP, {}, 400, "MalformedPolicy"),
]  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_bucket(cloud: LocalCloud, aws: Any) -> str:
    aws("s3").create_bucket(Bucket="fuzz-bucket")
    return "fuzz-bucket"


@pytest.mark.parametrize("case", FUZZ, ids=[f"{case[0]}: {case[1]}" for case in FUZZ])
def test_each_kind_of_bad_request_gets_each_services_4xx(
    cloud: LocalCloud, fuzz_bucket: str, case: tuple
) -> None:
    """Deep JSON, invalid UTF-8, unknown operations, missing fields and malformed policies get
    the service's own 4xx and error type, in its protocol: never a 500 or a dropped connection."""
    service, _, method, path, body, headers, status, expected_type = case
    got_status, got_headers, got_body = send(cloud, service, method, path, body, headers)
    assert (got_status, error_type(got_headers, got_body)) == (status, expected_type), got_body[
        :300
    ]


def test_the_cloud_keeps_serving_after_the_fuzz(cloud: LocalCloud, aws: Any) -> None:
    """After every fuzz case, a call to each service still works."""
    for case in FUZZ:
        send(cloud, *case[0:1], *case[2:6])
    assert aws("logs").describe_log_groups()["logGroups"] is not None
    assert aws("iam").list_roles()["Roles"] is not None
    assert aws("s3").list_buckets()["Buckets"] is not None
