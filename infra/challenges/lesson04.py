"""The checks of lesson 04's challenges: a post to ada from the notebook, and `send`, which posts
one frame and prunes a gone connection, deployed as the chat's own `send`."""

from __future__ import annotations

import ast
import inspect
import json
import secrets
import textwrap
from collections.abc import Callable
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from infra.lessons import WsCat

from . import check, not_done, passed, require
from .lambda_code import deploy_chat_function

TABLE = "chat-connections"
FROM_NOTEBOOK = {"text": "hi ada"}
SETTLE = 0.3  # seconds to wait for more frames after the expected one


def written(function: Callable[..., Any]) -> bool:
    """Whether the learner wrote anything in the function: its body is more than the stub's
    docstring and `pass` (a source that cannot be read counts as written)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return True
    definition = tree.body[0] if tree.body else None
    body = definition.body if isinstance(definition, ast.FunctionDef) else []
    return any(not (isinstance(node, ast.Pass) or _is_docstring(node)) for node in body)


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _next_frame(client: WsCat, timeout: float) -> Any:
    """The client's next frame, or None if none comes within `timeout` seconds."""
    try:
        return client.receive(timeout=timeout)
    except TimeoutError:
        return None


def _drain(client: WsCat) -> None:
    """Take any further frames (a cell run twice posts twice), so later cells see only theirs."""
    while _next_frame(client, SETTLE) is not None:
        pass


@check
def post_to_connection(ada: WsCat, ada_id: str, connections: Any) -> None:
    """`post-to-connection`: ada received {"text": "hi ada"}, posted from the notebook."""
    frame = _next_frame(ada, 2.0)
    if frame is None:

        def kit_step() -> None:
            data = json.dumps(FROM_NOTEBOOK).encode()
            connections.post_to_connection(ConnectionId=ada_id, Data=data)
            _next_frame(ada, 5.0)

        return not_done(
            "ada received nothing from your cell",
            "post-to-connection",
            kit_step,
            'connections.post_to_connection(ConnectionId=ada_id, Data=json.dumps({"text":'
            ' "hi ada"}).encode())',
        )
    _drain(ada)
    require(
        frame == FROM_NOTEBOOK,
        f"ada received {frame!r}, not {FROM_NOTEBOOK}: Data is the JSON text of that dict, as"
        " bytes (json.dumps(...).encode())",
    )
    passed("ada received {'text': 'hi ada'} from the notebook: the backend spoke first")


def _failing_client(endpoint_url: str, code: str, status: int) -> Any:
    """An @connections client whose every post fails with `code`, without a request sent; its
    `posts` list grows by one for each post tried with it."""
    api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint_url)
    api.posts = []

    def refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        api.posts.append(code)
        error = {"Error": {"Code": code, "Message": "the check's refusal"}}
        response = AWSResponse(endpoint_url, status, {}, None)
        return response, {**error, "ResponseMetadata": {"HTTPStatusCode": status}}

    service = api.meta.service_model.service_id.hyphenize()
    api.meta.events.register(f"before-call.{service}.PostToConnection", refuse)
    return api


@check
def send_and_prune(
    send: Callable[[Any, Any, str, dict[str, Any]], Any],
    connections: Any,
    ada: WsCat,
    ada_id: str,
) -> None:
    """`send-and-prune`: `send` posts a frame and returns True; on GoneException it deletes the
    row and returns False; other errors go up. Then chat-sendMessage runs with it."""
    table = boto3.resource("dynamodb").Table(TABLE)
    frame = {"type": "check", "text": f"from your send {secrets.token_hex(2)}"}
    result = send(connections, table, ada_id, frame)
    received = _next_frame(ada, 3.0)
    if received is None and result is None:
        require(
            not written(send),
            "your send posted nothing to ada and returned None: post"
            " json.dumps(frame).encode() to `connection` with api.post_to_connection, then"
            " return True",
        )
        return not_done(
            "send posts nothing yet",
            "send-and-prune",
            lambda: deploy_chat_function("sendMessage"),
            "chat-sendMessage deployed with the kit's own send",
        )
    _drain(ada)
    require(
        received == frame,
        f"send(..., ada_id, {frame}) made ada receive {received!r}: post"
        " json.dumps(frame).encode() to `connection`",
    )
    require(result is True, f"send returned {result!r} after a post that worked: return True")

    ghost = f"ghostCheck{secrets.token_hex(3)}"
    table.put_item(Item={"connectionId": ghost, "name": "ghost"})
    try:
        result = send(connections, table, ghost, frame)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        table.delete_item(Key={"connectionId": ghost})
        raise AssertionError(
            f"send let a {code} out for a gone connection: catch the ClientError, and when its"
            " code is GoneException delete the row and return False"
        ) from None
    left = table.get_item(Key={"connectionId": ghost}, ConsistentRead=True).get("Item")
    table.delete_item(Key={"connectionId": ghost})
    require(result is False, f"send returned {result!r} for a gone connection: return False")
    require(
        left is None,
        "the gone connection's row is still in the table: delete it with"
        ' table.delete_item(Key={"connectionId": connection})',
    )

    busy = f"busyCheck{secrets.token_hex(3)}"
    table.put_item(Item={"connectionId": busy, "name": "busy"})
    refusing = _failing_client(connections.meta.endpoint_url, "LimitExceededException", 429)
    try:
        result = send(refusing, table, busy, frame)
        swallowed = True
    except ClientError:
        swallowed = False
    kept = table.get_item(Key={"connectionId": busy}, ConsistentRead=True).get("Item")
    table.delete_item(Key={"connectionId": busy})
    require(
        refusing.posts,
        "send posted with another client than its `api` parameter (the notebook's"
        " `connections`?): chat-sendMessage passes its own client as `api`, so post with"
        " api.post_to_connection(...)",
    )
    require(
        kept is not None,
        "send deleted the row of a connection that is not gone (the post failed with"
        " LimitExceededException): delete only on GoneException",
    )
    require(
        not swallowed,
        f"send returned {result!r} when the post failed with LimitExceededException: only"
        " GoneException means gone; `raise` any other error again",
    )
    deploy_chat_function("sendMessage", "common.py", send, "send")
    passed("send posts, prunes a gone row and re-raises other errors; chat-sendMessage runs it")
