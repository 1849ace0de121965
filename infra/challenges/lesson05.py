"""The checks of lesson 05's challenges: a chat frame from your own client, and the `$default`
reply, deployed as the chat's own `on_default`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from infra.lessons import LAMBDAS, WsCat, wait_until

from . import CheckFailed, check, not_done, passed, require
from .lambda_code import deploy_chat_function
from .lesson04 import written


def _help_frame() -> dict[str, Any]:
    """The chat's help frame, as `lambdas/chat/default.py` defines it."""
    text = (LAMBDAS / "chat" / "default.py").read_text()
    namespace: dict[str, Any] = {}
    start = text.index("HELP = {")
    end = text.index("}\n", start) + 1
    exec(text[start:end], namespace)  # only the constant: the module imports `common`
    return namespace["HELP"]


HELP = _help_frame()
KIT_FRAME = {"action": "sendMessage", "data": "hi, I am carol"}


def _from_carol(bob: Any) -> list[str]:
    """What bob shows carol saying, oldest first."""
    return [text for sender, text in bob.messages if sender == "carol"]


@check
def own_client_frame(carol: WsCat, bob: Any) -> None:
    """`own-client-frame`: carol's latest chat message (a frame sent with her WsCat) reached bob
    with its text: an earlier wrong frame does not count once a right one followed it."""
    if not wait_until(lambda: bool(_from_carol(bob)), timeout=3.0):
        answers = [frame for frame in carol.connection.received if isinstance(frame, dict)]
        helped = [frame for frame in answers if frame.get("type") == "help"]
        require(
            not helped,
            "carol's frame matched no route, so $default answered with help: the route key is"
            " the frame's `action`, spelled exactly sendMessage",
        )
        refused = [frame for frame in answers if "message" in frame and "type" not in frame]
        if refused:
            raise CheckFailed(f"API Gateway answered carol: {refused[-1]}")

        def kit_step() -> None:
            carol.send(KIT_FRAME)
            require(
                wait_until(lambda: bool(_from_carol(bob)), timeout=5.0),
                f"the kit's carol.send({KIT_FRAME}) did not reach bob either: is chat-sendMessage"
                ' deployed? Its log says why: lessons.recent_logs("chat-sendMessage")',
            )

        return not_done(
            "bob has no message from carol",
            "own-client-frame",
            kit_step,
            f"carol.send({KIT_FRAME})",
        )
    _settle(lambda: len(_from_carol(bob)))  # a frame sent just now may still be on its way
    text = _from_carol(bob)[-1]
    require(
        text.strip() != "" and not text.startswith("{"),
        f"bob shows carol's latest message as {text!r}: put the text itself in `data`, then"
        " send again",
    )
    passed(f"bob received carol's {text!r}: her frame's action chose the sendMessage route")


def _settle(count: Callable[[], int], quiet: float = 0.5, timeout: float = 3.0) -> None:
    """Wait until `count()` has not changed for `quiet` seconds (or `timeout` passed)."""
    deadline = time.monotonic() + timeout
    last, since = count(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.05)
        now = count()
        if now != last:
            last, since = now, time.monotonic()


def _default_event(body: str) -> dict[str, Any]:
    """A `$default` MESSAGE event, as API Gateway builds it for a frame no route matched."""
    return {
        "requestContext": {
            "routeKey": "$default",
            "eventType": "MESSAGE",
            "connectionId": "checkConnection=",
            "domainName": "example.execute-api.localhost",
            "stage": "dev",
        },
        "body": body,
        "isBase64Encoded": False,
    }


@check
def default_reply(on_default: Callable[[dict[str, Any]], Any], url: str) -> None:
    """`default-reply`: `on_default(event)` returns status 200 and the HELP frame as JSON text;
    then chat-default runs it."""
    reply = on_default(_default_event(json.dumps({"action": "dance"})))
    if reply is None:
        require(
            not written(on_default),
            "your on_default returned None: return a dict, {'statusCode': 200, 'body':"
            " json.dumps(HELP)}",
        )
        return not_done(
            "on_default returns nothing yet",
            "default-reply",
            lambda: deploy_chat_function("$default"),
            "chat-default deployed with the kit's own on_default",
        )
    require(
        isinstance(reply, dict),
        f"on_default returned {reply!r}: return a dict with statusCode and body",
    )
    require(
        reply.get("statusCode") == 200,
        f"on_default returned statusCode {reply.get('statusCode')!r}: 200 lets the reply go back",
    )
    body = reply.get("body")
    require(
        isinstance(body, str),
        f"body is {type(body).__name__}, not text: API Gateway sends `body` as the frame's text,"
        " so make it JSON text with json.dumps(HELP)",
    )
    try:
        frame = json.loads(body)
    except json.JSONDecodeError:
        frame = body
    require(frame == HELP, f"body is {body!r}: it should be the HELP frame, json.dumps(HELP)")
    plain = on_default(_default_event("just some text"))
    require(
        isinstance(plain, dict) and plain.get("body") == body,
        f"a frame that is not JSON got {plain!r}: every unknown frame gets the same help",
    )
    deploy_chat_function("$default", "default.py", on_default, "on_default")
    with WsCat(url + "?name=checker", quiet=True) as client:
        client.send({"action": "dance"})
        answer = client.receive()
    require(
        answer == HELP,
        f"deployed, your on_default answered {answer}: its log says why,"
        ' lessons.recent_logs("chat-default")',
    )
    passed("on_default replies with HELP; chat-default runs your on_default")
