"""The words every room of the local cloud speaks: its ground floor, which imports nothing else
of the kit, so that any package may import it and none has to climb into another for a type.

- `messages.py`: an HTTP request and its reply, as the edge, the guard and moto's bridge pass
  them around;
- `errors.py`: the AWS-shaped errors the local cloud answers itself (a status and an error type);
- `apis.py`: what a WebSocket API's stage serves (`ApiSnapshot`), as a deployment froze it;
- `functions.py`: a function to run (`FunctionSpec`) and what one invoke gave back
  (`InvokeResult`).
"""

from __future__ import annotations

from .apis import ApiSnapshot, RouteSnapshot
from .errors import (
    AwsError,
    ForbiddenException,
    GoneException,
    InternalFailure,
    InvalidRequestContentException,
    MethodNotAllowed,
    MissingAuthenticationToken,
    PayloadTooLargeException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from .functions import FunctionSpec, InvokeResult
from .messages import JSON_HEADERS, HttpReply, HttpRequest, json_reply

__all__ = [
    "JSON_HEADERS",
    "ApiSnapshot",
    "AwsError",
    "ForbiddenException",
    "FunctionSpec",
    "GoneException",
    "HttpReply",
    "HttpRequest",
    "InternalFailure",
    "InvalidRequestContentException",
    "InvokeResult",
    "MethodNotAllowed",
    "MissingAuthenticationToken",
    "PayloadTooLargeException",
    "RequestEntityTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "RouteSnapshot",
    "json_reply",
]
