"""What AWS's front ends answer to a request that is wrong in itself, before a service reads it.

moto trusts its callers (boto3 always sends well-formed requests), so garbage reached its
handlers and came back as a 500. AWS answers:

- a JSON-protocol body (DynamoDB, Streams, Logs, EventBridge) that is not a JSON object:
  400 `SerializationException`, raised while the body is parsed (`json_protocol.py`);
- a JSON-protocol request naming no operation (no `X-Amz-Target`): 400
  `UnknownOperationException`;
- a REST-JSON body (Lambda, API Gateway) that is not JSON: 400 `InvalidRequestContentException`
  from Lambda and `BadRequestException` from API Gateway, "Could not parse request body into
  json: ...", found here when moto fails on such a body;
- DynamoDB with a Content-Type other than `application/x-amz-json-1.0` or `application/json`:
  404 `<UnknownOperationException/>`, and a body over 16 MB: 413 (as recorded by dynalite,
  whose answers were taken from DynamoDB itself).

Bodies over the edge's own limit get 413 from `edge/http.py`, Invoke payloads over 6 MB from
`edge/invoke.py`.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import botocore.session
from moto.core.exceptions import JsonRESTError

from ..vocabulary import AwsError, HttpReply, HttpRequest, InvalidRequestContentException

DYNAMODB_TARGETS = ("DynamoDB_20120810.", "DynamoDBStreams_20120810.")
DYNAMODB_CONTENT_TYPES = ("application/x-amz-json-1.0", "application/json")
DYNAMODB_MAX_REQUEST_BYTES = 16 * 1024 * 1024
# Signing names of the JSON-protocol services the kit uses: their operation is X-Amz-Target.
JSON_PROTOCOL_SERVICES = {"dynamodb", "logs", "events"}
REST_JSON_SERVICES = {"lambda", "apigateway"}
QUERY_SERVICES = {"iam", "sts", "cloudformation"}  # checked before moto: none of them is hot
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class SerializationException(JsonRESTError):
    """A JSON-protocol body that does not parse as a JSON object (moto answers it as AWS does)."""

    def __init__(self, detail: str) -> None:
        super().__init__("com.amazon.coral.service#SerializationException", detail)


class BadRequestException(AwsError):
    status, error_type = 400, "BadRequestException"


class ValidationException(AwsError):
    status, error_type = 400, "ValidationException"


def refused(request: HttpRequest) -> HttpReply | None:
    """AWS's answer to a request its front end refuses before the service reads it; else None.

    DynamoDB refuses the wrong Content-Type and bodies over 16 MB. Lambda and API Gateway read
    any body as JSON: a form (what `curl -d` sends) is refused as not JSON, where moto would
    look for a query-protocol Action in it and answer 404.
    """
    target = request.headers.get("x-amz-target")
    if target is None:
        if request.body and request.headers.get("content-type", "").startswith(FORM_TYPES):
            service = signed_service(request.headers.get("authorization", ""))
            if service in REST_JSON_SERVICES:
                return client_fault(request, service)
            if service in QUERY_SERVICES:  # moto would act on a request missing its members
                return _query_fault(request, service)
        return None
    if not target.startswith(DYNAMODB_TARGETS):
        return None
    if len(request.body) > DYNAMODB_MAX_REQUEST_BYTES:
        return HttpReply(413, [], b"")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.body and content_type not in DYNAMODB_CONTENT_TYPES:
        return HttpReply(404, [], b"<UnknownOperationException/>\n")
    return None


def signed_service(authorization: str) -> str:
    """The service a SigV4 Authorization header is scoped to ("lambda", "apigateway"...), or ""."""
    try:
        return authorization.split(",")[0].split("/")[3].lower()
    except IndexError:
        return ""


def json_object(text: str | bytes) -> dict:
    """The body of a JSON-protocol request, or SerializationException as AWS words it
    (invalid UTF-8 and nesting deeper than the parser goes included)."""
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise SerializationException(f"Could not parse request body: {_why(error)}") from None
    if not isinstance(parsed, dict):
        found = type(parsed).__name__
        raise SerializationException(f"Start of {found} found where an object was expected")
    return parsed


def client_fault(request: HttpRequest, service: str) -> HttpReply | None:
    """After moto failed on a request: AWS's 4xx when the request itself was at fault, in the
    protocol of the service it was signed for (`service`). None when the request was
    well-formed: then the failure is the local cloud's own.
    """
    target = request.headers.get("x-amz-target")
    if target:
        return _json_protocol_fault(target, request.body)
    protocol = _protocol(service)
    if protocol == "json":  # no X-Amz-Target: no operation named
        return _coral("UnknownOperationException", "An unknown operation was requested.")
    if protocol == "query":
        return _query_fault(request, service)
    if protocol == "rest-xml":
        return _rest_xml_fault(request)
    if protocol != "rest-json" or not request.body:
        return None
    try:
        parsed = json.loads(request.body)
    except (ValueError, RecursionError) as error:
        message = f"Could not parse request body into json: {_why(error)}"
    else:
        if isinstance(parsed, dict):
            return missing_members(request, service, parsed)
        message = "Could not parse request body into json: expected an object"
    if service == "lambda":
        return InvalidRequestContentException(message).reply()
    return BadRequestException(message).reply()


def unrouted(request: HttpRequest, service: str) -> HttpReply | None:
    """AWS's answer to a request moto found no operation for (its bare 404), else None."""
    protocol = _protocol(service)
    if protocol == "query":
        return _query_fault(request, service)
    if protocol in ("rest-json", "rest-xml"):
        return UnknownOperation("The requested operation is not recognized by the service.").reply()
    return None


def _json_protocol_fault(target: str, body: bytes) -> HttpReply | None:
    """A JSON-protocol request moto failed on: an operation its service lacks, a body that is
    no JSON object (moto may read the body before `json_object` does), or a required member
    left out."""
    prefix, _, operation = target.partition(".")
    model = _service_model(TARGET_SERVICES.get(prefix, ""))
    if model is not None and operation not in model.operation_names:
        return _coral("UnknownOperationException", "An unknown operation was requested.")
    try:
        parsed = json_object(body or b"{}")
    except SerializationException as error:
        return _coral("SerializationException", error.message)
    if model is None:
        return None
    missing = _missing(model.operation_model(operation).input_shape, parsed)
    if not missing:
        return None
    text = json.dumps(
        {"__type": "com.amazon.coral.validate#ValidationException", "message": _nulls(missing)}
    )
    return HttpReply(400, [("Content-Type", "application/x-amz-json-1.0")], text.encode())


def _query_fault(request: HttpRequest, service: str) -> HttpReply | None:
    """A query-protocol request (IAM, STS, CloudFormation) wrong in itself, answered in XML
    with the codes of AWS's common errors."""
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _query_error(
            404, "MalformedQueryString", "The query string contains a syntax error."
        )
    params = dict(parse_qsl(request.query, keep_blank_values=True))
    params.update(parse_qsl(text, keep_blank_values=True))
    action = params.get("Action")
    if not action:
        return _query_error(
            400, "MissingAction", "The request is missing an action or a required parameter."
        )
    model = _service_model(SIGNING_SERVICES.get(service, service))
    if model is None:
        return None
    if action not in model.operation_names:
        return _query_error(
            400,
            "InvalidAction",
            "The action or operation requested is invalid. Verify that the action is typed"
            " correctly.",
        )
    missing = [
        name
        for name in model.operation_model(action).input_shape.required_members
        if not any(key == name or key.startswith(f"{name}.") for key in params)
    ]
    if missing:
        return _query_error(400, "ValidationError", _nulls(missing))
    for name, value in params.items():
        if value.lstrip().startswith(("{", "[")):
            try:
                json.loads(value)
            except RecursionError as error:  # other JSON errors are the service's to word
                if service == "iam" and "PolicyDocument" in name:
                    return _query_error(400, "MalformedPolicyDocument", _why(error))
                return _query_error(400, "ValidationError", f"{name}: {_why(error)}")
            except ValueError:
                pass
    return None


def _rest_xml_fault(request: HttpRequest) -> HttpReply | None:
    """S3: a body that is no well-formed XML where moto expected XML (it failed on it)."""
    if not request.body:
        return None
    try:
        ElementTree.fromstring(request.body)
    except ElementTree.ParseError:
        return _s3_error(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published"
            " schema",
        )
    return None


class UnknownOperation(AwsError):
    status, error_type = 404, "UnknownOperationException"


# The JSON-protocol services by their X-Amz-Target prefix, for telling an unknown operation.
TARGET_SERVICES = {
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodbstreams",
    "Logs_20140328": "logs",
    "AWSEvents": "events",
}
# Signing names whose botocore model has another name.
SIGNING_SERVICES = {"apigateway": "apigatewayv2"}


@functools.cache
def _service_model(name: str) -> Any:
    """botocore's model of a service, or None for a name it does not know."""
    if not name:
        return None
    try:
        return botocore.session.get_session().get_service_model(name)
    except Exception:
        return None


def _protocol(service: str) -> str | None:
    if service in REST_JSON_SERVICES:
        return "rest-json"
    model = _service_model(SIGNING_SERVICES.get(service, service))
    return None if model is None else str(model.metadata.get("protocol"))


def missing_members(request: HttpRequest, service: str, body: dict) -> HttpReply | None:
    """AWS's ValidationException for a REST-JSON request that leaves out a required member."""
    operation = _rest_operation(service, request.method, request.path)
    missing = _missing(operation.input_shape, body) if operation is not None else []
    return ValidationException(_nulls(missing)).reply() if missing else None


def _rest_operation(service: str, method: str, path: str) -> Any:
    """The operation of a REST service whose method and URI template match the request."""
    for operation_method, pattern, operation in _rest_routes(service):
        if operation_method == method and pattern.match(path):
            return operation
    return None


@functools.cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], Any]]:
    """Each operation's method and URI template (`{Name}` matching one path segment)."""
    model = _service_model(SIGNING_SERVICES.get(service, service))
    routes = []
    for name in model.operation_names if model is not None else []:
        operation = model.operation_model(name)
        uri = operation.http.get("requestUri", "/").split("?")[0].rstrip("/") or "/"
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(uri))
        method = operation.http.get("method", "POST")
        routes.append((method, re.compile(f"^{pattern}/?$"), operation))
    return routes


def _missing(shape: Any, body: dict[str, Any]) -> list[str]:
    """The required members of an input shape that live in the body and are not there."""
    members = getattr(shape, "members", {})
    return [
        name
        for name in getattr(shape, "required_members", [])
        if "location" not in members[name].serialization and body.get(name) is None
    ]


def _nulls(names: list[str]) -> str:
    """AWS's validation message for members left out."""
    problems = "; ".join(
        f"Value null at '{name[0].lower() + name[1:]}' failed to satisfy constraint: Member"
        " must not be null"
        for name in names
    )
    count = len(names)
    return f"{count} validation error{'s' if count > 1 else ''} detected: {problems}"


def _why(error: Exception) -> str:
    return "nesting too deep" if isinstance(error, RecursionError) else str(error)


def _coral(error: str, message: str) -> HttpReply:
    body = json.dumps({"__type": f"com.amazon.coral.service#{error}", "message": message})
    return HttpReply(400, [("Content-Type", "application/x-amz-json-1.0")], body.encode())


def _query_error(status: int, code: str, message: str) -> HttpReply:
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return HttpReply(status, [("Content-Type", "text/xml")], body.encode())


def _s3_error(status: int, code: str, message: str) -> HttpReply:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message><RequestId>{uuid.uuid4()}</RequestId></Error>"
    )
    return HttpReply(status, [("Content-Type", "application/xml")], body.encode())
