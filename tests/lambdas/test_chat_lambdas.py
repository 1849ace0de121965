"""Chat (seeds 002 + 003): connect with a nickname, broadcast to all but the sender, whisper."""

import json

import pytest

ALICE, BOB, CAROL = "alice-conn=", "bob-conn=", "carol-conn="


@pytest.fixture
def table(make_table):
    return make_table("connectionId")


@pytest.fixture
def room(chat, table, ws_event):
    """alice, bob and carol are connected."""
    for connection, name in [(ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")]:
        chat.connect.on_connect(ws_event("connect", connection, query={"name": name}), table)
    return table


def names(table):
    return {item["connectionId"]: item["name"] for item in table.scan()["Items"]}


def send(chat, table, api, ws_event, sender, body):
    event = ws_event("message", sender, route_key=body.get("action", "$default"), body=body)
    handler = (
        chat.whisper.on_whisper
        if body.get("action") == "whisper"
        else chat.send_message.on_send_message
    )
    return handler(event, table, api)


def test_connect_stores_nickname(chat, table, ws_event):
    """$connect stores the connection id with the ?name= nickname and accepts the connection."""
    response = chat.connect.on_connect(ws_event("connect", ALICE, query={"name": "alice"}), table)
    assert response == {"statusCode": 200}
    assert names(table) == {ALICE: "alice"}


def test_connect_without_name_is_guest(chat, table, ws_event):
    """Without a query string the nickname defaults to "guest"."""
    chat.connect.on_connect(ws_event("connect", ALICE, query=None), table)
    assert names(table) == {ALICE: "guest"}


def test_connect_blank_name_is_guest(chat, table, ws_event):
    """A blank ?name= also becomes "guest"."""
    chat.connect.on_connect(ws_event("connect", ALICE, query={"name": "   "}), table)
    assert names(table) == {ALICE: "guest"}


def test_connect_trims_and_truncates_name(chat, table, ws_event):
    """Nicknames are trimmed and cut to 20 characters."""
    long_name = "  " + "x" * 30 + "  "
    chat.connect.on_connect(ws_event("connect", ALICE, query={"name": long_name}), table)
    assert names(table) == {ALICE: "x" * 20}


def test_disconnect_deletes_row(chat, room, ws_event):
    """$disconnect removes the connection's row."""
    response = chat.disconnect.on_disconnect(ws_event("disconnect", BOB), room)
    assert response == {"statusCode": 200}
    assert set(names(room)) == {ALICE, CAROL}


def test_send_message_reaches_everyone_but_sender(chat, room, api, ws_event):
    """sendMessage posts the message frame to every other connection, not the sender."""
    response = send(chat, room, api, ws_event, ALICE, {"action": "sendMessage", "data": "hello"})
    assert response == {"statusCode": 200}
    assert sorted(api.recipients()) == sorted([BOB, CAROL])
    assert api.frames_to(BOB) == [{"type": "message", "from": "alice", "text": "hello"}]


def test_send_message_prunes_gone_connections(chat, room, api, ws_event):
    """A GoneException deletes the stale row and the others still get the message."""
    api.gone.add(BOB)
    send(chat, room, api, ws_event, ALICE, {"action": "sendMessage", "data": "hello"})
    assert api.recipients() == [CAROL]
    assert set(names(room)) == {ALICE, CAROL}


def test_send_message_other_errors_propagate(chat, room, api, ws_event):
    """Errors other than GoneException are not swallowed."""

    def fail(**kwargs):
        raise RuntimeError("boom")

    api.post_to_connection = fail
    with pytest.raises(RuntimeError):
        send(chat, room, api, ws_event, ALICE, {"action": "sendMessage", "data": "hello"})
    assert len(names(room)) == 3


def test_send_message_alone_posts_nothing(chat, table, api, ws_event):
    """A sender alone in the room gets no echo."""
    chat.connect.on_connect(ws_event("connect", ALICE, query={"name": "alice"}), table)
    send(chat, table, api, ws_event, ALICE, {"action": "sendMessage", "data": "hello"})
    assert api.posts == []


def test_send_message_non_string_data_is_json_text(chat, room, api, ws_event):
    """Non-string data is relayed as its JSON text."""
    send(chat, room, api, ws_event, ALICE, {"action": "sendMessage", "data": {"n": 1}})
    assert api.frames_to(BOB)[0]["text"] == '{"n": 1}'


def test_default_returns_help_body(chat, ws_event):
    """$default answers with a help frame in the route response body."""
    response = chat.default.on_default(ws_event("message", ALICE, route_key="$default", body="hi"))
    assert response["statusCode"] == 200
    help_frame = json.loads(response["body"])
    assert help_frame["type"] == "help"
    assert "sendMessage" in help_frame["text"]


def test_who_lists_every_name_once_sorted(chat, room, ws_event):
    """`who` names everyone connected, each name once (two bobs are one), in alphabetical order."""
    chat.connect.on_connect(ws_event("connect", "bob-2=", query={"name": "bob"}), room)
    assert chat.default.who_is_online(room) == {"type": "who", "names": ["alice", "bob", "carol"]}


def test_whisper_reaches_only_the_named(chat, room, api, ws_event):
    """whisper posts only to the connections with that nickname."""
    send(chat, room, api, ws_event, ALICE, {"action": "whisper", "to": "bob", "data": "psst"})
    assert api.posts == [(BOB, {"type": "whisper", "from": "alice", "text": "psst"})]


def test_whisper_reaches_every_connection_with_the_name(chat, room, api, ws_event):
    """Two tabs named bob both get the whisper."""
    chat.connect.on_connect(ws_event("connect", "bob-2=", query={"name": "bob"}), room)
    send(chat, room, api, ws_event, ALICE, {"action": "whisper", "to": "bob", "data": "psst"})
    assert sorted(api.recipients()) == sorted([BOB, "bob-2="])


def test_whisper_to_unknown_name_tells_sender(chat, room, api, ws_event):
    """An unknown nickname sends an error frame back to the sender only."""
    send(chat, room, api, ws_event, ALICE, {"action": "whisper", "to": "dave", "data": "psst"})
    assert api.posts == [(ALICE, {"type": "error", "text": "no one called dave"})]


def test_whisper_to_gone_name_prunes_and_tells_sender(chat, room, api, ws_event):
    """If every bob is gone, the rows are pruned and the sender hears no one is there."""
    api.gone.add(BOB)
    send(chat, room, api, ws_event, ALICE, {"action": "whisper", "to": "bob", "data": "psst"})
    assert api.posts == [(ALICE, {"type": "error", "text": "no one called bob"})]
    assert BOB not in names(room)


def test_lambda_handlers_use_table_name_and_event_endpoint(
    chat, table, ws_event, monkeypatch, moto_posts
):
    """The deployed entry points find the table from TABLE_NAME and post via the event's endpoint."""
    monkeypatch.setenv("TABLE_NAME", table.name)
    chat.connect.lambda_handler(ws_event("connect", ALICE, query={"name": "alice"}), None)
    chat.connect.lambda_handler(ws_event("connect", BOB, query={"name": "bob"}), None)
    event = ws_event("message", ALICE, body={"action": "sendMessage", "data": "hi"})
    assert chat.send_message.lambda_handler(event, None) == {"statusCode": 200}
    assert moto_posts() == {BOB: [{"type": "message", "from": "alice", "text": "hi"}]}
    chat.disconnect.lambda_handler(ws_event("disconnect", BOB), None)
    assert names(table) == {ALICE: "alice"}
