"""AccessDenied and bad-credential answers, in each service's own error shape.

botocore reads errors differently per protocol (a JSON `__type`, a REST `x-amzn-ErrorType`
header, a query API's XML `Code`), so each answer is built the way that service sends it and
boto3 raises the same exception, with the same message, as on AWS.
"""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

from ..vocabulary import HttpReply
from .policy import Verdict

JSON_SERVICES = {"dynamodb", "logs", "events", "states", "sqs"}
QUERY_SERVICES = {"sts", "iam", "sns"}
INVALID_TOKEN = "The security token included in the request is invalid."
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)


def denied_message(principal: str, action: str, resource: str, verdict: Verdict) -> str:
    """AWS's AccessDenied text for an identity-policy decision."""
    on = "" if resource == "*" else f" on resource: {resource}"
    return f"User: {principal} is not authorized to perform: {action}{on} {verdict.reason(action)}"


def access_denied(service: str, message: str) -> HttpReply:
    """The service's AccessDenied answer."""
    if service in QUERY_SERVICES:
        return _query_error(403, "AccessDenied", message)
    if service in JSON_SERVICES:
        return _json_error(400, "AccessDeniedException", message)
    if service == "execute-api":  # @connections: boto3 raises its modeled ForbiddenException
        return _rest_error(403, "ForbiddenException", message, key="Message")
    return _rest_error(403, "AccessDeniedException", message, key="Message")


def unrecognized_client(service: str) -> HttpReply:
    """An access key nobody issued."""
    if service in QUERY_SERVICES:
        return _query_error(403, "InvalidClientTokenId", INVALID_TOKEN)
    if service in JSON_SERVICES:
        return _json_error(400, "UnrecognizedClientException", INVALID_TOKEN)
    return _rest_error(403, "UnrecognizedClientException", INVALID_TOKEN)


def invalid_signature(service: str) -> HttpReply:
    """A known key whose signature does not match (the wrong secret, or a changed request)."""
    if service in QUERY_SERVICES:
        return _query_error(403, "SignatureDoesNotMatch", BAD_SIGNATURE)
    if service in JSON_SERVICES:
        return _json_error(400, "InvalidSignatureException", BAD_SIGNATURE)
    return _rest_error(403, "InvalidSignatureException", BAD_SIGNATURE)


def missing_authentication(service: str) -> HttpReply:
    """An unsigned request where AWS wants one signed."""
    if service in QUERY_SERVICES:
        return _query_error(
            403, "MissingAuthenticationToken", "Request is missing Authentication Token"
        )
    if service in JSON_SERVICES:
        return _json_error(
            400, "MissingAuthenticationTokenException", "Missing Authentication Token"
        )
    return _rest_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")


def _json_error(status: int, code: str, message: str) -> HttpReply:
    body = json.dumps({"__type": f"com.amazon.coral.service#{code}", "Message": message})
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", _id())]
    return HttpReply(status, headers, body.encode())


def _rest_error(status: int, code: str, message: str, key: str = "message") -> HttpReply:
    body = json.dumps({key: message, "Type": "User"} if key == "Message" else {key: message})
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", code),
        ("x-amzn-RequestId", _id()),
    ]
    return HttpReply(status, headers, body.encode())


def _query_error(status: int, code: str, message: str) -> HttpReply:
    request_id = _id()
    body = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return HttpReply(
        status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()
    )


def _id() -> str:
    return str(uuid.uuid4())
