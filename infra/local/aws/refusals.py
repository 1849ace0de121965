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
from typing import Any

import botocore.session
from moto.core.exceptions import JsonRESTError

from ..edge.messages import HttpReply, HttpRequest
from ..errors import AwsError, InvalidRequestContentException

DYNAMODB_TARGETS = ("DynamoDB_20120810.", "DynamoDBStreams_20120810.")
DYNAMODB_CONTENT_TYPES = ("application/x-amz-json-1.0", "application/json")
DYNAMODB_MAX_REQUEST_BYTES = 16 * 1024 * 1024
# Signing names of the JSON-protocol services the kit uses: their operation is X-Amz-Target.
JSON_PROTOCOL_SERVICES = {"dynamodb", "logs", "events"}
REST_JSON_SERVICES = {"lambda", "apigateway"}
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
            return client_fault(request, service) if service in REST_JSON_SERVICES else None
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
    """After moto failed on a request: AWS's 400 when the request itself was at fault.

    `service` is the one the request was signed for. None when the request was well-formed:
    then the failure is the local cloud's own.
    """
    target = request.headers.get("x-amz-target")
    if target:
        return _json_protocol_fault(target, request.body)
    if service in JSON_PROTOCOL_SERVICES:  # no X-Amz-Target: no operation named
        return _coral("UnknownOperationException", "An unknown operation was requested.")
    if not request.body:
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


def _json_protocol_fault(target: str, body: bytes) -> HttpReply | None:
    """A JSON-protocol request moto failed on: an operation its service lacks, or a body that
    is no JSON object (moto may read the body before `json_object` does)."""
    prefix, _, operation = target.partition(".")
    model = _service_model(prefix)
    if model is not None and operation not in model.operation_names:
        return _coral("UnknownOperationException", "An unknown operation was requested.")
    try:
        json_object(body or b"{}")
    except SerializationException as error:
        return _coral("SerializationException", error.message)
    return None


# The JSON-protocol services by their X-Amz-Target prefix, for telling an unknown operation.
TARGET_SERVICES = {
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodbstreams",
    "Logs_20140328": "logs",
    "AWSEvents": "events",
    "AmazonEventBridgeScheduler": "scheduler",
}


@functools.cache
def _service_model(prefix: str) -> Any:
    name = TARGET_SERVICES.get(prefix)
    return None if name is None else botocore.session.get_session().get_service_model(name)


# REST-JSON operations whose required members moto does not check (it fails on their absence).
REQUIRED_MEMBERS = {
    ("lambda", "POST", "/2015-03-31/functions"): ("FunctionName", "Role", "Code"),
}


def missing_members(request: HttpRequest, service: str, body: dict) -> HttpReply | None:
    """AWS's ValidationException for a request that leaves out a required member."""
    required = REQUIRED_MEMBERS.get((service, request.method, request.path.rstrip("/")), ())
    missing = [name for name in required if body.get(name) is None]
    if not missing:
        return None
    problems = "; ".join(
        f"Value null at '{name[0].lower() + name[1:]}' failed to satisfy constraint: Member"
        " must not be null"
        for name in missing
    )
    count = len(missing)
    return ValidationException(
        f"{count} validation error{'s' if count > 1 else ''} detected: {problems}"
    ).reply()


def _why(error: Exception) -> str:
    return "nesting too deep" if isinstance(error, RecursionError) else str(error)


def _coral(error: str, message: str) -> HttpReply:
    body = json.dumps({"__type": f"com.amazon.coral.service#{error}", "message": message})
    return HttpReply(400, [("Content-Type", "application/x-amz-json-1.0")], body.encode())
