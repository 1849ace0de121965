"""Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`), answered as AWS does.

moto would run the function in Docker; the local cloud runs it in its warm workers instead:
RequestResponse returns the handler's result, Event queues it (202), DryRun checks and
answers 204, and `X-Amz-Log-Type: Tail` returns the last 4 KB of the invocation's log. A
`Pending` function gets ResourceConflictException, whatever the invocation type.
"""

from __future__ import annotations

import base64
import json
import uuid

from ..invoker import Invoker
from ..vocabulary import (
    HttpReply,
    HttpRequest,
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
)

TAIL_BYTES = 4096
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda's quota for a synchronous invoke's payload


async def invoke_api(invoker: Invoker, name: str, request: HttpRequest) -> HttpReply:
    """One Invoke request: RequestResponse (the default), Event or DryRun."""
    invocation_type = request.headers.get("x-amz-invocation-type", "RequestResponse")
    if invocation_type != "Event" and len(request.body) > MAX_PAYLOAD_BYTES:
        return RequestEntityTooLargeException(
            f"Request must be smaller than {MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation"
        ).reply()
    try:
        spec = await invoker.spec(name)
    except ResourceConflictException as error:  # Pending: Lambda invokes nothing yet
        return error.reply()
    if spec is None:
        where = invoker.backends  # the cloud's account and region
        arn = f"arn:aws:lambda:{where.region}:{where.account_id}:function:{name}"
        return ResourceNotFoundException(f"Function not found: {arn}").reply()
    try:
        event = json.loads(request.body) if request.body else {}
    except (ValueError, RecursionError):
        return InvalidRequestContentException(
            "Could not parse request body into json: Unexpected character"
        ).reply()
    if invocation_type == "DryRun":
        return HttpReply(204, [], b"")
    if invocation_type == "Event":
        invoker.invoke_later(spec.name, event)
        return HttpReply(202, [("x-amzn-RequestId", str(uuid.uuid4()))], b"")
    try:
        result = await invoker.invoke(spec.name, event)
    except ResourceConflictException as error:
        return error.reply()
    headers = [
        ("Content-Type", "application/json"),
        ("X-Amz-Executed-Version", "$LATEST"),
        ("x-amzn-RequestId", result.request_id),
    ]
    if result.function_error:
        headers.append(("X-Amz-Function-Error", result.function_error))
    if request.headers.get("x-amz-log-type") == "Tail":
        tail = "\n".join(result.logs).encode()[-TAIL_BYTES:]
        headers.append(("X-Amz-Log-Result", base64.b64encode(tail).decode()))
    return HttpReply(200, headers, result.payload)
