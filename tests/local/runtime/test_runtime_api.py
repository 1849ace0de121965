"""The Lambda Runtime API's protocol (runtime_api.py), without sockets: requests in, the answers
and states of AWS's Runtime Interface Emulator out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.local.runtime.runtime_api import (
    CONTINUE,
    MAX_PAYLOAD,
    BadRequest,
    InitError,
    Invocation,
    InvocationError,
    Ready,
    Reply,
    Request,
    RequestParser,
    Response,
    RuntimeAPI,
    trace_id,
)

NEXT = "/2018-06-01/runtime/invocation/next"
INIT_ERROR = "/2018-06-01/runtime/init/error"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:custom"
REQUEST_ID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"


def invocation(request_id: str = REQUEST_ID, **extra: str) -> Invocation:
    return Invocation(request_id, b'{"n": 1}', 1542409706888, ARN, "Root=1-5bef4de7-ad49", **extra)


def get(path: str) -> Request:
    return Request("GET", path)


def post(path: str, body: bytes = b"", **headers: str) -> Request:
    return Request("POST", path, {k.replace("_", "-").lower(): v for k, v in headers.items()}, body)


def respond(request_id: str = REQUEST_ID, body: bytes = b'"ok"') -> Request:
    return post(f"/2018-06-01/runtime/invocation/{request_id}/response", body)


def fail(request_id: str = REQUEST_ID, body: bytes = b"", **headers: str) -> Request:
    return post(f"/2018-06-01/runtime/invocation/{request_id}/error", body, **headers)


def serving() -> RuntimeAPI:
    """A runtime API whose runtime has received one invoke (REQUEST_ID)."""
    api = RuntimeAPI()
    api.handle(get(NEXT))
    api.invoke(invocation())
    return api


def document(reply: Reply) -> Any:
    return json.loads(reply.body)


def test_the_first_next_ends_the_init_and_waits_for_an_event() -> None:
    """GET next before any invoke reports Ready and has no answer yet."""
    api = RuntimeAPI()
    outcome = api.handle(get(NEXT))
    assert outcome.reply is None
    assert outcome.event == Ready()
    assert api.state == "Ready"


def test_an_invoke_answers_the_waiting_next_with_lambdas_headers() -> None:
    """The event is the body; request id, deadline, ARN and trace id are headers."""
    api = RuntimeAPI()
    api.handle(get(NEXT))
    reply = api.invoke(invocation())
    assert reply is not None
    assert reply.status == 200
    assert reply.body == b'{"n": 1}'
    assert dict(reply.headers) == {
        "Content-Type": "application/json",
        "Lambda-Runtime-Aws-Request-Id": REQUEST_ID,
        "Lambda-Runtime-Deadline-Ms": "1542409706888",
        "Lambda-Runtime-Invoked-Function-Arn": ARN,
        "Lambda-Runtime-Trace-Id": "Root=1-5bef4de7-ad49",
    }


def test_client_context_and_cognito_identity_are_headers_when_present() -> None:
    """An invoke's client context and Cognito identity reach the runtime as headers."""
    given = invocation(client_context='{"custom":{}}', cognito_identity='{"cognitoIdentityId":"x"}')
    headers = dict(given.reply().headers)
    assert headers["Lambda-Runtime-Client-Context"] == '{"custom":{}}'
    assert headers["Lambda-Runtime-Cognito-Identity"] == '{"cognitoIdentityId":"x"}'


def test_an_invoke_before_the_next_is_handed_over_by_the_next() -> None:
    """An event that arrives while the runtime is busy is the answer to its next GET next."""
    api = RuntimeAPI()
    assert api.invoke(invocation()) is None
    outcome = api.handle(get(NEXT))
    assert outcome.reply is not None
    assert outcome.reply.body == b'{"n": 1}'


def test_a_next_whose_connection_closed_leaves_the_event_for_the_next_one() -> None:
    """After stop_waiting an invoke is not lost: the following GET next receives it."""
    api = RuntimeAPI()
    api.handle(get(NEXT))
    api.stop_waiting()
    assert api.invoke(invocation()) is None
    outcome = api.handle(get(NEXT))
    assert outcome.reply is not None
    assert outcome.event is None
    assert dict(outcome.reply.headers)["Lambda-Runtime-Aws-Request-Id"] == REQUEST_ID


def test_next_asked_again_before_answering_gets_the_same_event() -> None:
    """GET next twice for one invoke renders the same event again, as the emulator does."""
    api = serving()
    outcome = api.handle(get(NEXT))
    assert outcome.reply is not None
    assert dict(outcome.reply.headers)["Lambda-Runtime-Aws-Request-Id"] == REQUEST_ID


def test_a_response_is_accepted_and_passed_on() -> None:
    """POST response answers 202 {"status":"OK"} and gives the body as the invoke's result."""
    api = serving()
    outcome = api.handle(respond(body=b'{"echo": 1}'))
    assert outcome.reply is not None
    assert outcome.reply.status == 202
    assert outcome.reply.body == b'{"status":"OK"}\n'
    assert outcome.event == Response(REQUEST_ID, b'{"echo": 1}')
    assert api.state == "RuntimeResponseSentState"


def test_an_answer_for_another_request_id_is_a_400() -> None:
    """POST response for an id that is not the current invoke's: 400 InvalidRequestID."""
    outcome = serving().handle(respond("not-the-current-one"))
    assert outcome.reply is not None
    assert outcome.reply.status == 400
    assert document(outcome.reply) == {
        "errorMessage": "Invalid request ID",
        "errorType": "InvalidRequestID",
    }
    assert outcome.event is None


def test_an_answer_before_any_invoke_is_a_400() -> None:
    """With no invoke yet, no request id is valid."""
    api = RuntimeAPI()
    api.handle(get(NEXT))
    outcome = api.handle(respond())
    assert outcome.reply is not None
    assert outcome.reply.status == 400


def test_a_second_answer_is_a_403_state_transition() -> None:
    """Answering an invoke twice: 403 InvalidStateTransition in the emulator's words."""
    api = serving()
    api.handle(respond())
    outcome = api.handle(fail())
    assert outcome.reply is not None
    assert outcome.reply.status == 403
    assert document(outcome.reply) == {
        "errorMessage": "State transition from RuntimeResponseSentState to "
        "InvocationErrorResponse failed for runtime. Error: State transition is not allowed",
        "errorType": "InvalidStateTransition",
    }
    assert outcome.event is None


def test_an_error_is_accepted_with_its_type_and_body() -> None:
    """POST error answers 202; the posted body is the invoke's error payload."""
    body = b'{"errorMessage":"boom","errorType":"MyError"}'
    outcome = serving().handle(fail(body=body, Lambda_Runtime_Function_Error_Type="MyError"))
    assert outcome.reply is not None
    assert outcome.reply.status == 202
    assert outcome.event == InvocationError(REQUEST_ID, "MyError", body)


def test_an_error_without_a_body_is_made_from_its_type_header() -> None:
    """An empty error body: the payload is built from Lambda-Runtime-Function-Error-Type."""
    outcome = serving().handle(fail(Lambda_Runtime_Function_Error_Type="Runtime.Crash"))
    assert isinstance(outcome.event, InvocationError)
    assert json.loads(outcome.event.payload) == {"errorMessage": "", "errorType": "Runtime.Crash"}


def test_a_response_over_6_mb_is_a_413_and_fails_the_invoke() -> None:
    """Past Lambda's 6 MB: 413 to the runtime, Function.ResponseSizeTooLarge to the caller."""
    size = MAX_PAYLOAD + 1
    outcome = serving().handle(respond(body=b"x" * size))
    assert outcome.reply is not None
    assert outcome.reply.status == 413
    assert document(outcome.reply) == {
        "errorMessage": f"Exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes).",
        "errorType": "RequestEntityTooLarge",
    }
    assert isinstance(outcome.event, InvocationError)
    assert json.loads(outcome.event.payload) == {
        "errorMessage": f"Response payload size ({size} bytes) exceeded maximum allowed "
        f"payload size ({MAX_PAYLOAD} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


def test_an_init_error_is_accepted_before_the_first_next() -> None:
    """POST init/error while starting: 202, and the init fails with the posted body."""
    body = b'{"errorMessage":"no config","errorType":"Runtime.ConfigError"}'
    outcome = RuntimeAPI().handle(
        post(INIT_ERROR, body, Lambda_Runtime_Function_Error_Type="Runtime.ConfigError")
    )
    assert outcome.reply is not None
    assert outcome.reply.status == 202
    assert outcome.event == InitError("Runtime.ConfigError", body)


def test_next_after_an_init_error_is_a_403() -> None:
    """A runtime that reported an init error cannot ask for events."""
    api = RuntimeAPI()
    api.handle(post(INIT_ERROR, b"{}"))
    outcome = api.handle(get(NEXT))
    assert outcome.reply is not None
    assert outcome.reply.status == 403
    assert "from InitError to Ready failed for runtime" in document(outcome.reply)["errorMessage"]


def test_an_init_error_after_the_first_next_is_a_403() -> None:
    """Once the runtime has asked for events, its init is over: init/error is refused."""
    api = RuntimeAPI()
    api.handle(get(NEXT))
    outcome = api.handle(post(INIT_ERROR, b"{}"))
    assert outcome.reply is not None
    assert outcome.reply.status == 403
    assert outcome.event is None


def test_an_unknown_path_is_a_404_and_a_wrong_method_a_405() -> None:
    """Outside the API's routes: 404 "404 page not found"; a route's other method: 405."""
    api = RuntimeAPI()
    missing = api.handle(get("/2018-06-01/runtime/elsewhere"))
    assert missing.reply is not None
    assert (missing.reply.status, missing.reply.body) == (404, b"404 page not found\n")
    wrong = api.handle(post(NEXT))
    assert wrong.reply is not None
    assert wrong.reply.status == 405
    assert api.state == "Started"


def test_the_parser_joins_a_request_split_across_reads() -> None:
    """Headers and body arriving in pieces make one request once complete."""
    parser = RequestParser()
    assert parser.feed(b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nContent-Le") == []
    assert parser.feed(b"ngth: 4\r\nHost: x\r\n\r\nab") == []
    (request,) = parser.feed(b"cd")
    assert isinstance(request, Request)
    assert (request.method, request.path, request.body) == ("POST", INIT_ERROR, b"abcd")
    assert request.headers["host"] == "x"


def test_the_parser_reads_kept_alive_requests_in_order() -> None:
    """Two requests in one read on a kept-alive connection come out in order."""
    data = b"GET /a HTTP/1.1\r\n\r\nGET /b?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n"
    first, second = RequestParser().feed(data)
    assert isinstance(first, Request) and isinstance(second, Request)
    assert (first.path, first.keep_alive) == ("/a", True)
    assert (second.path, second.keep_alive) == ("/b", False)


def test_the_parser_reads_a_chunked_body() -> None:
    """Transfer-Encoding: chunked bodies (a streaming client's) are joined."""
    data = (
        b"POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"
    )
    (request,) = RequestParser().feed(data)
    assert isinstance(request, Request)
    assert request.body == b"hello world"


def test_the_parser_asks_for_100_continue_when_the_client_expects_it() -> None:
    """curl's Expect: 100-continue gets the interim answer before the body is sent."""
    parser = RequestParser()
    head = b"POST /r HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    assert parser.feed(head) == [CONTINUE]
    (request,) = parser.feed(b"ok")
    assert isinstance(request, Request)
    assert request.body == b"ok"


def test_the_parser_refuses_what_is_not_http() -> None:
    """A malformed request line raises BadRequest (the connection gets a 400 and is closed)."""
    with pytest.raises(BadRequest):
        RequestParser().feed(b"hello\r\n\r\n")


def test_a_reply_is_encoded_with_its_length_and_connection() -> None:
    """Replies carry Content-Length, and Connection: close when the connection ends."""
    reply = Reply(202, b"{}", [("Content-Type", "application/json")])
    assert reply.encode() == (
        b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    )
    assert b"\r\nConnection: close\r\n" in reply.encode(keep_alive=False)


def test_trace_ids_are_x_ray_headers_not_sampled() -> None:
    """The trace id has X-Ray's Root, Parent and Sampled fields."""
    root, parent, sampled = trace_id(0x5BEF4DE7).split(";")
    assert root.startswith("Root=1-5bef4de7-") and len(root) == len("Root=1-") + 8 + 1 + 24
    assert parent.startswith("Parent=") and len(parent) == len("Parent=") + 16
    assert sampled == "Sampled=0"
