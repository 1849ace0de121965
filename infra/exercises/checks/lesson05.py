"""Lesson 05's exercise (`solutions/05-live-chat-exercises.ipynb`): who is online.

- `chat-who`: `check_chat_who`, the chat's `$default` answering `{"action": "who"}`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import boto3

from .common import Frame, chat_client, deployed, fail_on_gateway_error, unique


def check_chat_who(folder: str | Path, same_name: int = 1) -> Frame:
    """$default answers {"action": "who"} with every connected nickname once, sorted.

    `same_name` clients share each name; a frame no route knows still gets the help frame.
    """
    url = deployed("chat", folder)
    names = sorted([unique("zoe"), unique("ada"), unique("mo")])
    table = boto3.resource("dynamodb").Table("chat-connections")
    with contextlib.ExitStack() as stack:
        for name in names:
            for _ in range(same_name):
                stack.enter_context(chat_client(url, name))
        asker = stack.enter_context(chat_client(url, unique("asker")))
        asker.send({"action": "who"})
        reply = asker.wait_for(lambda answer: isinstance(answer, dict))
        online = {row["name"] for row in table.scan()["Items"]}
        asker.send({"action": "dance"})
        help_frame = asker.wait_for(lambda f: isinstance(f, dict) and f.get("type") == "help")
    fail_on_gateway_error(reply, "$default", "default.py's who_is_online")
    assert isinstance(reply, dict) and reply.get("type") == "who", (
        f"{{'action': 'who'}} got {reply!r} back, not a who frame: who_is_online(table) should"
        " return {'type': 'who', 'names': [...]} (on_default sends it back as the body)"
    )
    listed = reply.get("names")
    assert isinstance(listed, list), f"'names' should be a list of nicknames, got {listed!r}"
    missing = [name for name in names if name not in listed]
    assert not missing, (
        f"{missing[0]!r} is connected but not in {listed!r}: list the name of every row of the"
        " table (hint: common.scan_connections(table) reads every page)"
    )
    assert len(listed) == len(set(listed)), (
        f"A name is listed twice in {listed!r}: two connections may share a nickname; list each"
        " name once (a set)"
    )
    assert listed == sorted(listed), f"Sort the names: {listed!r} is not in alphabetical order"
    strangers = [name for name in listed if name not in online]
    assert not strangers, f"{strangers[0]!r} is listed but nobody of that name is connected"
    assert help_frame is not None, (
        "After a who, {'action': 'dance'} got no help frame: keep on_default's help reply"
    )
    return reply
