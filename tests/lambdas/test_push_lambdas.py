"""Server push (seed 004): a scheduled Lambda posts to every connection and prunes gone ones."""

import re

import pytest

ALICE, BOB, CAROL = "alice-conn=", "bob-conn=", "carol-conn="
CONNECTIONS_URL = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/dev"
ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


@pytest.fixture
def table(make_table):
    return make_table("connectionId")


@pytest.fixture
def connected(push, table, ws_event):
    """alice, bob and carol are connected to the push API."""
    for connection, name in [(ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")]:
        push.connections.store_connection(
            ws_event("connect", connection, query={"name": name}), table
        )
    return table


def connection_ids(table):
    return {item["connectionId"] for item in table.scan()["Items"]}


def test_connect_stores_chat_shaped_row(push, table, ws_event):
    """$connect stores {connectionId, name} like the chat app."""
    event = ws_event("connect", ALICE, query={"name": " alice "})
    assert push.connections.store_connection(event, table) == {"statusCode": 200}
    assert table.scan()["Items"] == [{"connectionId": ALICE, "name": "alice"}]


def test_connect_without_name_is_guest(push, table, ws_event):
    """Without ?name= the nickname is "guest"."""
    push.connections.store_connection(ws_event("connect", ALICE), table)
    assert table.scan()["Items"] == [{"connectionId": ALICE, "name": "guest"}]


def test_disconnect_deletes_row(push, connected, ws_event):
    """$disconnect deletes the row."""
    push.connections.forget_connection(ws_event("disconnect", BOB), connected)
    assert connection_ids(connected) == {ALICE, CAROL}


def test_push_reaches_every_connection(push, connected, api):
    """push_to_all posts the same push frame to every connection."""
    result = push.push.push_to_all(connected, api, "stretch!", "2024-02-09T12:00:00Z")
    assert result == {"sent": 3, "pruned": 0}
    frame = {"type": "push", "text": "stretch!", "at": "2024-02-09T12:00:00Z"}
    assert sorted(api.posts) == sorted((c, frame) for c in (ALICE, BOB, CAROL))


def test_push_prunes_gone_connections(push, connected, api):
    """Gone connections are deleted from the table; the rest still get the push."""
    api.gone.add(BOB)
    result = push.push.push_to_all(connected, api, "stretch!")
    assert result == {"sent": 2, "pruned": 1}
    assert sorted(api.recipients()) == sorted([ALICE, CAROL])
    assert connection_ids(connected) == {ALICE, CAROL}


def test_push_to_empty_table_sends_nothing(push, table, api):
    """With nobody connected nothing is posted."""
    assert push.push.push_to_all(table, api, "anyone?") == {"sent": 0, "pruned": 0}
    assert api.posts == []


def test_push_without_time_stamps_now(push, connected, api):
    """Without a given time the frame carries the current UTC time."""
    push.push.push_to_all(connected, api, "hi")
    assert re.fullmatch(ISO_UTC, api.posts[0][1]["at"])


def test_send_to_one_posts_to_that_connection_only(push, api):
    """send_to_one posts one push frame to one connection."""
    assert push.push.send_to_one(api, BOB, "just you") is True
    [(to, frame)] = api.posts
    assert (to, frame["type"], frame["text"]) == (BOB, "push", "just you")
    assert re.fullmatch(ISO_UTC, frame["at"])


def test_send_to_one_reports_gone(push, api):
    """send_to_one returns False for a gone connection instead of raising."""
    api.gone.add(BOB)
    assert push.push.send_to_one(api, BOB, "hello?") is False


def test_text_comes_from_event_then_env(push, load_event, monkeypatch):
    """The event's own text wins; else PUSH_TEXT; else a default greeting."""
    monkeypatch.delenv("PUSH_TEXT", raising=False)
    scheduled = load_event("push_scheduled")
    assert push.push.text_of(scheduled) == push.push.DEFAULT_TEXT
    monkeypatch.setenv("PUSH_TEXT", "from env")
    assert push.push.text_of(scheduled) == "from env"
    assert push.push.text_of({"text": "from input"}) == "from input"


def test_lambda_handler_on_scheduled_event(push, connected, load_event, monkeypatch, moto_posts):
    """A scheduled event pushes to every connection via CONNECTIONS_URL, stamped with its time."""
    monkeypatch.setenv("TABLE_NAME", connected.name)
    monkeypatch.setenv("CONNECTIONS_URL", CONNECTIONS_URL)
    monkeypatch.setenv("PUSH_TEXT", "tick")
    assert push.push.lambda_handler(load_event("push_scheduled"), None) == {"sent": 3, "pruned": 0}
    frame = {"type": "push", "text": "tick", "at": "2019-10-08T16:53:06Z"}
    assert moto_posts() == {ALICE: [frame], BOB: [frame], CAROL: [frame]}


def test_connection_handlers_use_table_name(push, table, ws_event, monkeypatch):
    """connections.on_connect / on_disconnect are the deployable entry points."""
    monkeypatch.setenv("TABLE_NAME", table.name)
    push.connections.on_connect(ws_event("connect", ALICE, query={"name": "alice"}), None)
    push.connections.on_connect(ws_event("connect", BOB), None)
    push.connections.on_disconnect(ws_event("disconnect", ALICE), None)
    assert connection_ids(table) == {BOB}
