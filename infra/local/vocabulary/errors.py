"""Errors the local cloud answers itself, typed as moto types its own: an HTTP status and an
AWS error type that boto3 maps to its modeled exceptions (`x-amzn-ErrorType`)."""

from __future__ import annotations

import json

from .messages import JSON_HEADERS, HttpReply


class AwsError(Exception):
    """An AWS-shaped error reply. Subclasses set `status` and `error_type`."""

    status = 400
    error_type = "BadRequestException"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.error_type)
        self.message = message

    def reply(self) -> HttpReply:
        headers = [*JSON_HEADERS, ("x-amzn-ErrorType", self.error_type)]
        return HttpReply(self.status, headers, json.dumps({"message": self.message}).encode())


# ---------------------------------------------------------------- @connections


class GoneException(AwsError):
    """The connection is closed, unknown, or still in its $connect."""

    status, error_type = 410, "GoneException"


class ForbiddenException(AwsError):
    status, error_type = 403, "ForbiddenException"


class MissingAuthenticationToken(ForbiddenException):
    """API Gateway's answer to an unsigned request."""

    def __init__(self) -> None:
        super().__init__("Missing Authentication Token")


class PayloadTooLargeException(AwsError):
    status, error_type = 413, "PayloadTooLargeException"


class MethodNotAllowed(AwsError):
    status, error_type = 405, "MethodNotAllowedException"


# ---------------------------------------------------------------- Lambda


class ResourceNotFoundException(AwsError):
    status, error_type = 404, "ResourceNotFoundException"


class InvalidRequestContentException(AwsError):
    status, error_type = 400, "InvalidRequestContentException"


class RequestEntityTooLargeException(AwsError):
    status, error_type = 413, "RequestEntityTooLargeException"


class ResourceConflictException(AwsError):
    """The function is not ready for this yet (`Pending`, or an update in progress)."""

    status, error_type = 409, "ResourceConflictException"


# ---------------------------------------------------------------- any service


class InternalFailure(AwsError):
    """The local cloud itself failed (a moto bug, say): 500, and the edge keeps serving."""

    status, error_type = 500, "InternalFailure"
