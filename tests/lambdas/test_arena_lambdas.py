"""Arena (seed 000): pointers join, move, recolour and leave; the table stream fans changes out."""

import json
import re
import time

import boto3
import pytest
from botocore.config import Config

ALICE, BOB, CAROL = "alice-conn=", "bob-conn=", "carol-conn="


@pytest.fixture
def table(make_table):
    return make_table("connectionId", stream=True)


@pytest.fixture
def stream(table):
    """read() -> the stream records written since the last read, as a Lambda stream event."""
    # botocore 1.44 sends StreamArn calls to {account}.streams-ddb..., which moto 5.2.5 does not route.
    no_account_endpoint = Config(account_id_endpoint_mode="disabled")
    streams = boto3.client("dynamodbstreams", region_name="us-east-1", config=no_account_endpoint)
    shard = streams.describe_stream(StreamArn=table.latest_stream_arn)["StreamDescription"]
    iterator = streams.get_shard_iterator(
        StreamArn=table.latest_stream_arn,
        ShardId=shard["Shards"][0]["ShardId"],
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]

    class Reader:
        def read(self) -> dict:
            nonlocal iterator
            page = streams.get_records(ShardIterator=iterator)
            iterator = page["NextShardIterator"]
            return {"Records": page["Records"]}

    return Reader()


@pytest.fixture
def players(arena, table, ws_event):
    """alice, bob and carol are connected."""
    for connection in (ALICE, BOB, CAROL):
        arena.on_connect.on_connect(ws_event("connect", connection), table)
    return table


def row(table, connection):
    return table.get_item(Key={"connectionId": connection}).get("Item")


def move(arena, table, ws_event, connection, **body):
    event = ws_event("message", connection, route_key="move", body={"action": "move", **body})
    return arena.on_move.on_move(event, table)


def listing(arena, table, ws_event, connection):
    event = ws_event("message", connection, route_key="list", body={"action": "list"})
    response = arena.on_list.on_list(event, table)
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def test_connect_stores_public_identity(arena, table, ws_event):
    """$connect stores a short public id, a two-word name and a #rrggbb colour."""
    assert arena.on_connect.on_connect(ws_event("connect", ALICE), table) == {"statusCode": 200}
    item = row(table, ALICE)
    assert re.fullmatch(r"[0-9a-f]{8}", item["id"])
    assert len(item["name"].split()) == 2
    assert item["color"] in arena.on_connect.PALETTE


def test_connect_takes_the_name_from_the_query_string(arena, table, ws_event):
    """`?name=ada` names the pointer ada; without it the pointer gets a funny name."""
    named = ws_event("connect", ALICE)
    named["queryStringParameters"] = {"name": "  ada  "}
    arena.on_connect.on_connect(named, table)
    unnamed = ws_event("connect", BOB)
    unnamed.pop("queryStringParameters", None)
    arena.on_connect.on_connect(unnamed, table)
    assert row(table, ALICE)["name"] == "ada"
    assert len(row(table, BOB)["name"].split()) == 2


def test_disconnect_deletes_row(arena, players, ws_event):
    """$disconnect deletes the pointer."""
    arena.on_disconnect.on_disconnect(ws_event("disconnect", BOB), players)
    assert row(players, BOB) is None


def test_list_returns_you_and_others(arena, players, ws_event):
    """list answers with the caller as `you` and everyone else in `pointers`."""
    frame = listing(arena, players, ws_event, ALICE)
    alice = row(players, ALICE)
    assert frame["type"] == "list"
    assert frame["you"] == {"id": alice["id"], "name": alice["name"], "color": alice["color"]}
    assert {p["id"] for p in frame["pointers"]} == {row(players, c)["id"] for c in (BOB, CAROL)}


def test_list_never_exposes_connection_ids(arena, players, ws_event):
    """No connectionId appears anywhere in the list frame."""
    text = json.dumps(listing(arena, players, ws_event, ALICE))
    assert not any(connection in text for connection in (ALICE, BOB, CAROL))


def test_list_reports_positions(arena, players, ws_event):
    """Pointers that moved carry x, y; the others carry null."""
    move(arena, players, ws_event, BOB, clientX=0.25, clientY=1)
    pointers = {p["id"]: p for p in listing(arena, players, ws_event, ALICE)["pointers"]}
    assert (pointers[row(players, BOB)["id"]]["x"], pointers[row(players, BOB)["id"]]["y"]) == (
        0.25,
        1.0,
    )
    assert pointers[row(players, CAROL)["id"]]["x"] is None


def test_move_stores_position(arena, players, ws_event):
    """A valid move stores x and y."""
    assert move(arena, players, ws_event, ALICE, clientX=0.1, clientY=0.9) == {"statusCode": 200}
    item = row(players, ALICE)
    assert (float(item["x"]), float(item["y"])) == (0.1, 0.9)


@pytest.mark.parametrize(
    "body",
    [
        {"clientX": 1.5, "clientY": 0.5},
        {"clientX": -0.1, "clientY": 0.5},
        {"clientX": "0.5", "clientY": 0.5},
        {"clientX": True, "clientY": 0.5},
        {"clientX": 0.5},
        {"clientX": 0.5, "clientY": None},
    ],
)
def test_move_rejects_invalid_positions(arena, players, ws_event, body):
    """Out-of-range, non-numeric or missing coordinates get a 400 and store nothing."""
    response = move(arena, players, ws_event, ALICE, **body)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["type"] == "error"
    assert "x" not in row(players, ALICE)


def test_move_rejects_nan(arena, players, ws_event):
    """NaN (which Python's json accepts) is not a position."""
    event = ws_event("message", ALICE, body='{"action": "move", "clientX": NaN, "clientY": 0}')
    assert arena.on_move.on_move(event, players)["statusCode"] == 400


def test_move_of_unknown_connection_creates_nothing(arena, table, ws_event):
    """A late move after $disconnect does not resurrect the row."""
    assert move(arena, table, ws_event, ALICE, clientX=0.5, clientY=0.5)["statusCode"] == 404
    assert row(table, ALICE) is None


def test_color_stores_lower_case_hex(arena, players, ws_event):
    """color stores a valid #rrggbb in lower case."""
    event = ws_event("message", ALICE, body={"action": "color", "color": "#00FF00"})
    assert arena.on_color.on_color(event, players) == {"statusCode": 200}
    assert row(players, ALICE)["color"] == "#00ff00"


@pytest.mark.parametrize("color", ["green", "#0f0", "#00ff0g", "#00ff001", 65280, None])
def test_color_rejects_invalid(arena, players, ws_event, color):
    """Anything but #rrggbb gets a 400 and the colour stays."""
    before = row(players, ALICE)["color"]
    event = ws_event("message", ALICE, body={"action": "color", "color": color})
    assert arena.on_color.on_color(event, players)["statusCode"] == 400
    assert row(players, ALICE)["color"] == before


def test_triggers_turn_records_into_changes(arena, table, api, load_event, ws_event):
    """INSERT, MODIFY and REMOVE become join, move and leave in one frame."""
    arena.on_connect.on_connect(ws_event("connect", BOB), table)
    arena.table_triggers.on_stream(load_event("arena_stream"), table, api)
    assert api.frames_to(BOB) == [
        {
            "type": "changes",
            "changes": [
                {
                    "kind": "join",
                    "id": "c0ffee01",
                    "name": "Brave Otter",
                    "color": "#4363d8",
                    "x": None,
                    "y": None,
                },
                {
                    "kind": "move",
                    "id": "a11ce001",
                    "name": "Calm Heron",
                    "color": "#e6194b",
                    "x": 0.25,
                    "y": 0.75,
                },
                {"kind": "leave", "id": "da7e0001"},
            ],
        }
    ]


def test_triggers_send_one_frame_per_connection_per_batch(arena, players, api, stream, ws_event):
    """Joins, moves, a colour change and a leave from the real stream: one frame each."""
    move(arena, players, ws_event, ALICE, clientX=0.5, clientY=0.5)
    move(arena, players, ws_event, ALICE, clientX=0.6, clientY=0.4)
    event = ws_event("message", BOB, body={"action": "color", "color": "#123456"})
    arena.on_color.on_color(event, players)
    arena.on_disconnect.on_disconnect(ws_event("disconnect", CAROL), players)

    arena.table_triggers.on_stream(stream.read(), players, api)

    assert sorted(api.recipients()) == sorted([ALICE, BOB])
    frame = api.frames_to(ALICE)[0]
    assert frame == api.frames_to(BOB)[0]
    kinds = [change["kind"] for change in frame["changes"]]
    assert kinds == ["join", "join", "join", "move", "move", "move", "leave"]
    assert frame["changes"][4]["x"] == 0.6
    assert frame["changes"][5]["color"] == "#123456"


def test_triggers_prune_gone_connections(arena, players, api, stream):
    """A GoneException deletes that row; the others still get the frame."""
    api.gone.add(BOB)
    arena.table_triggers.on_stream(stream.read(), players, api)
    assert sorted(api.recipients()) == sorted([ALICE, CAROL])
    assert row(players, BOB) is None


def test_triggers_keep_a_gone_connection_that_is_still_connecting(
    arena, table, api, stream, ws_event
):
    """A 410 from a connection younger than $connect's timeout does not delete its row."""
    event = ws_event("connect", BOB)
    event["requestContext"]["connectedAt"] = int(time.time() * 1000)
    arena.on_connect.on_connect(event, table)
    api.gone.add(BOB)  # @connections answers 410 until $connect has returned
    arena.table_triggers.on_stream(stream.read(), table, api)
    assert row(table, BOB) is not None


def test_triggers_prune_shows_up_as_leave_next_batch(arena, players, api, stream):
    """Pruning deletes a row, so the following batch tells the others that pointer left."""
    bob_id = row(players, BOB)["id"]
    api.gone.add(BOB)
    arena.table_triggers.on_stream(stream.read(), players, api)
    api.posts.clear()
    arena.table_triggers.on_stream(stream.read(), players, api)
    assert api.frames_to(ALICE) == [
        {"type": "changes", "changes": [{"kind": "leave", "id": bob_id}]}
    ]


def test_triggers_ignore_empty_batches(arena, players, api):
    """An empty batch posts nothing."""
    arena.table_triggers.on_stream({"Records": []}, players, api)
    assert api.posts == []


def test_lambda_handlers_use_env(arena, table, ws_event, stream, monkeypatch, moto_posts):
    """Entry points: TABLE_NAME for the table, CONNECTIONS_URL for the stream's @connections."""
    monkeypatch.setenv("TABLE_NAME", table.name)
    monkeypatch.setenv(
        "CONNECTIONS_URL", "https://abcdef1234.execute-api.us-east-1.amazonaws.com/dev"
    )
    arena.on_connect.lambda_handler(ws_event("connect", ALICE), None)
    event = ws_event("message", ALICE, body={"action": "move", "clientX": 1, "clientY": 0})
    assert arena.on_move.lambda_handler(event, None) == {"statusCode": 200}
    arena.table_triggers.lambda_handler(stream.read(), None)
    [frame] = moto_posts()[ALICE]
    assert [change["kind"] for change in frame["changes"]] == ["join", "move"]
