"""AWS's answers to requests wrong in themselves, made before moto reads them (`refusals.py`):
an HttpRequest in, the HttpReply AWS's front end gives out (or None: moto may have it)."""

from __future__ import annotations

import json

import pytest

from infra.local.aws import refusals
from infra.local.vocabulary import HttpReply, HttpRequest


def signed(service: str) -> str:
    """A SigV4 Authorization header scoped to `service` (refusals read the scope, not the key)."""
    return (
        f"AWS4-HMAC-SHA256 Credential=testing/20261206/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0000"
    )


def request(
    service: str,
    body: bytes = b"",
    method: str = "POST",
    target: str = "/",
    **headers: str,
) -> HttpRequest:
    """A request signed for `service`; header names are given with _ for - (x_amz_target)."""
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return HttpRequest(method, target, {"authorization": signed(service), **named}, body)


def dynamodb(body: bytes, content_type: str = "application/x-amz-json-1.0") -> HttpRequest:
    return request(
        "dynamodb", body, x_amz_target="DynamoDB_20120810.ListTables", content_type=content_type
    )


def error_of(reply: HttpReply | None) -> tuple[int, str, str]:
    """(status, error type, message) of a JSON error reply, whichever way it names its type."""
    assert reply is not None
    document = json.loads(reply.body)
    headers = {name.lower(): value for name, value in reply.headers}
    kind = document.get("__type", headers.get("x-amzn-errortype", "")).rpartition("#")[2]
    return reply.status, kind, document.get("message", "")


def test_dynamodb_with_another_content_type_gets_a_bare_404() -> None:
    """DynamoDB answers a body that is not application/x-amz-json-1.0 with 404 UnknownOperation."""
    reply = refusals.refused(dynamodb(b"{}", content_type="text/plain"))
    assert reply == HttpReply(404, [], b"<UnknownOperationException/>\n")


def test_dynamodb_over_16_mb_gets_413() -> None:
    """A DynamoDB body over 16 MB is refused with 413 before anything reads it."""
    reply = refusals.refused(dynamodb(b" " * (16 * 1024 * 1024 + 1)))
    assert reply is not None and reply.status == 413


def test_a_well_formed_request_is_left_to_moto() -> None:
    """A DynamoDB request with its own Content-Type, and any non-DynamoDB one, are not refused."""
    assert refusals.refused(dynamodb(b"{}")) is None
    assert refusals.refused(dynamodb(b"{}", content_type="application/json; charset=utf-8")) is None
    logs = request("logs", b"{}", x_amz_target="Logs_20140328.DescribeLogGroups")
    assert refusals.refused(logs) is None


def test_a_form_sent_to_lambda_is_refused_as_no_json() -> None:
    """A form body (what `curl -d` sends) to Lambda: 400 InvalidRequestContentException."""
    form = request("lambda", b"a=1", content_type="application/x-www-form-urlencoded")
    status, kind, message = error_of(refusals.refused(form))
    assert (status, kind) == (400, "InvalidRequestContentException")
    assert message.startswith("Could not parse request body into json: ")


def test_a_query_request_without_an_action_is_missing_action() -> None:
    """IAM with a form that names no Action: 400 MissingAction in AWS's XML."""
    form = request("iam", b"Version=2010-05-08", content_type="application/x-www-form-urlencoded")
    reply = refusals.refused(form)
    assert reply is not None and reply.status == 400
    assert b"<Code>MissingAction</Code>" in reply.body
    assert ("Content-Type", "text/xml") in reply.headers


def test_a_query_request_with_an_unknown_action_is_invalid_action() -> None:
    """IAM with an Action its model does not have: 400 InvalidAction."""
    form = request("iam", b"Action=MakeCoffee", content_type="application/x-www-form-urlencoded")
    reply = refusals.refused(form)
    assert reply is not None and reply.status == 400
    assert b"<Code>InvalidAction</Code>" in reply.body


def test_a_query_request_missing_a_required_member_is_a_validation_error() -> None:
    """IAM CreateRole without RoleName: 400 ValidationError naming the member as AWS does."""
    body = b"Action=CreateRole&AssumeRolePolicyDocument=%7B%7D"
    form = request("iam", body, content_type="application/x-www-form-urlencoded")
    reply = refusals.refused(form)
    assert reply is not None and reply.status == 400
    assert b"<Code>ValidationError</Code>" in reply.body
    assert b"Value null at 'roleName' failed to satisfy constraint" in reply.body


def test_signed_service_reads_the_credential_scope() -> None:
    """The service is the fourth part of the credential scope; anything else gives ""."""
    assert refusals.signed_service(signed("apigateway")) == "apigateway"
    assert refusals.signed_service("") == ""
    assert refusals.signed_service("Bearer token") == ""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "Could not parse request body: "),
        (b"[1, 2]", "Start of list found where an object was expected"),
        (b"[" * 100_000, "Could not parse request body: nesting too deep"),
        (b"\xff{}", "Could not parse request body: "),
    ],
    ids=["not-json", "a-list", "too-deep", "not-utf8"],
)
def test_json_object_refuses_what_is_no_json_object(body: bytes, message: str) -> None:
    """A JSON-protocol body that is no JSON object raises SerializationException, worded as AWS."""
    with pytest.raises(refusals.SerializationException) as raised:
        refusals.json_object(body)
    assert raised.value.message.startswith(message)


def test_json_object_returns_the_object() -> None:
    """A JSON object comes back parsed."""
    assert refusals.json_object(b'{"TableName": "chat"}') == {"TableName": "chat"}


def test_an_operation_the_service_lacks_is_unknown() -> None:
    """After moto failed: an X-Amz-Target naming no operation of its service, UnknownOperation."""
    bad = request("dynamodb", b"{}", x_amz_target="DynamoDB_20120810.MakeCoffee")
    assert error_of(refusals.client_fault(bad, "dynamodb"))[:2] == (
        400,
        "UnknownOperationException",
    )


def test_a_json_protocol_request_without_a_target_names_no_operation() -> None:
    """After moto failed: a JSON-protocol request with no X-Amz-Target, UnknownOperation."""
    bad = request("logs", b"{}")
    assert error_of(refusals.client_fault(bad, "logs"))[:2] == (400, "UnknownOperationException")


def test_a_required_member_left_out_is_a_validation_exception() -> None:
    """After moto failed: DescribeTable without TableName, AWS's "Value null at" message."""
    bad = request("dynamodb", b"{}", x_amz_target="DynamoDB_20120810.DescribeTable")
    assert error_of(refusals.client_fault(bad, "dynamodb")) == (
        400,
        "ValidationException",
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint:"
        " Member must not be null",
    )


def test_a_well_formed_request_moto_failed_on_is_no_client_fault() -> None:
    """When the request itself was right, client_fault says None: the failure is the cloud's."""
    good = request(
        "dynamodb", b'{"TableName": "t"}', x_amz_target="DynamoDB_20120810.DescribeTable"
    )
    assert refusals.client_fault(good, "dynamodb") is None


def test_api_gateway_words_a_body_that_is_no_json_as_a_bad_request() -> None:
    """API Gateway (REST-JSON) with a body that does not parse: 400 BadRequestException."""
    bad = request("apigateway", b"{nope", target="/v2/apis")
    status, kind, message = error_of(refusals.client_fault(bad, "apigateway"))
    assert (status, kind) == (400, "BadRequestException")
    assert message.startswith("Could not parse request body into json: ")


def test_s3_words_a_body_that_is_no_xml_as_malformed_xml() -> None:
    """S3 (REST-XML) with a body that is not well-formed XML: 400 MalformedXML."""
    bad = request("s3", b"<not-closed>", method="PUT", target="/bucket?tagging")
    reply = refusals.client_fault(bad, "s3")
    assert reply is not None and reply.status == 400
    assert b"<Code>MalformedXML</Code>" in reply.body


def test_a_path_no_rest_operation_has_is_an_unknown_operation() -> None:
    """A REST request moto found no route for: 404 UnknownOperationException."""
    lost = request("lambda", method="GET", target="/2015-03-31/no-such-thing")
    status, kind, _ = error_of(refusals.unrouted(lost, "lambda"))
    assert (status, kind) == (404, "UnknownOperationException")


def test_a_rest_json_request_missing_a_member_is_a_validation_exception() -> None:
    """Lambda CreateFunction without Role: ValidationException naming `role`."""
    body = {"FunctionName": "f", "Runtime": "python3.12", "Handler": "app.handler", "Code": {}}
    create = request("lambda", json.dumps(body).encode(), target="/2015-03-31/functions")
    status, kind, message = error_of(refusals.missing_members(create, "lambda", body))
    assert (status, kind) == (400, "ValidationException")
    assert "Value null at 'role'" in message
