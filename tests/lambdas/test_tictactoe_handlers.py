"""Noughts and crosses handlers (seed 001): start, join, move and $disconnect over a games table."""

import json
import time

import pytest

XAVIER, OLIVIA, EVE = "xavier-conn=", "olivia-conn=", "eve-conn="
EMPTY_ROWS = [["", "", ""], ["", "", ""], ["", "", ""]]


@pytest.fixture
def table(make_table):
    return make_table("GameId", name="Games")


@pytest.fixture
def frame(ws_event):
    """A MESSAGE event for a {"type": ...} frame (the API selects routes on $request.body.type)."""

    def make(connection, body):
        return ws_event("message", connection, route_key=body["type"], body=body)

    return make


def start(tictactoe, table, frame, connection=XAVIER):
    response = tictactoe.start.on_start(frame(connection, {"type": "start"}), table)
    assert response["statusCode"] == 200
    return json.loads(response["body"])


@pytest.fixture
def game_id(tictactoe, table, api, frame):
    """Xavier started a game and Olivia joined it; the begin frames are cleared."""
    started = start(tictactoe, table, frame)
    tictactoe.join.on_join(frame(OLIVIA, {"type": "join", "gameId": started["gameId"]}), table, api)
    api.posts.clear()
    return started["gameId"]


def play(tictactoe, table, api, frame, game_id, connection, row, col):
    body = {"type": "move", "gameId": game_id, "row": row, "col": col}
    return tictactoe.move.on_move(frame(connection, body), table, api)


def play_all(tictactoe, table, api, frame, game_id, moves):
    """Alternate Xavier and Olivia through (row, col) moves."""
    for number, (row, col) in enumerate(moves):
        player = XAVIER if number % 2 == 0 else OLIVIA
        play(tictactoe, table, api, frame, game_id, player, row, col)


def game(table, game_id):
    return table.get_item(Key={"GameId": game_id})["Item"]


def test_start_replies_started_as_x(tictactoe, table, frame):
    """start answers {"type": "started", "gameId", "mark": "X"} in the route response."""
    started = start(tictactoe, table, frame)
    assert started["type"] == "started"
    assert started["mark"] == "X"
    assert len(started["gameId"]) == 6


def test_start_stores_waiting_game_with_ttl(tictactoe, table, frame):
    """The new game holds player X, an empty board, X to play and a ttl about two hours ahead."""
    item = game(table, start(tictactoe, table, frame)["gameId"])
    assert (item["playerX"], item["board"], item["turn"], item["status"]) == (
        XAVIER,
        ".........",
        "X",
        "waiting",
    )
    assert abs(int(item["ttl"]) - (time.time() + 7200)) < 60


def test_join_sends_begin_to_both_with_own_mark(tictactoe, table, api, frame):
    """join seats O and sends each player a begin frame carrying their own mark."""
    game_id = start(tictactoe, table, frame)["gameId"]
    response = tictactoe.join.on_join(
        frame(OLIVIA, {"type": "join", "gameId": game_id}), table, api
    )
    assert response == {"statusCode": 200}
    begin = {"type": "begin", "gameId": game_id, "board": EMPTY_ROWS, "turn": "X"}
    assert api.frames_to(XAVIER) == [{**begin, "mark": "X"}]
    assert api.frames_to(OLIVIA) == [{**begin, "mark": "O"}]
    assert game(table, game_id)["playerO"] == OLIVIA


def test_join_unknown_game_is_error(tictactoe, table, api, frame):
    """Joining a game that does not exist sends the joiner an error."""
    tictactoe.join.on_join(frame(OLIVIA, {"type": "join", "gameId": "NOPE42"}), table, api)
    assert api.posts == [(OLIVIA, {"type": "error", "message": "no game called NOPE42"})]


def test_join_without_game_id_is_error(tictactoe, table, api, frame):
    """A join frame without a gameId sends the joiner an error."""
    tictactoe.join.on_join(frame(OLIVIA, {"type": "join"}), table, api)
    assert [kind["type"] for kind in api.frames_to(OLIVIA)] == ["error"]


def test_join_full_game_is_error(tictactoe, table, api, frame, game_id):
    """A third player cannot join, and the game is unchanged."""
    tictactoe.join.on_join(frame(EVE, {"type": "join", "gameId": game_id}), table, api)
    assert api.posts == [(EVE, {"type": "error", "message": f"game {game_id} is full"})]
    assert game(table, game_id)["playerO"] == OLIVIA


def test_join_abandoned_game_is_error(tictactoe, table, api, frame, ws_event):
    """A game whose starter already left cannot be joined."""
    game_id = start(tictactoe, table, frame)["gameId"]
    tictactoe.disconnect.on_disconnect(ws_event("disconnect", XAVIER), table, api)
    tictactoe.join.on_join(frame(OLIVIA, {"type": "join", "gameId": game_id}), table, api)
    assert api.posts == [(OLIVIA, {"type": "error", "message": f"game {game_id} is over"})]


def test_join_own_game_is_error(tictactoe, table, api, frame):
    """The starter cannot also be their own opponent."""
    game_id = start(tictactoe, table, frame)["gameId"]
    tictactoe.join.on_join(frame(XAVIER, {"type": "join", "gameId": game_id}), table, api)
    assert [f["type"] for f in api.frames_to(XAVIER)] == ["error"]
    assert "playerO" not in game(table, game_id)


def test_move_sends_state_to_both(tictactoe, table, api, frame, game_id):
    """A legal move sends both players the new board, next turn and last move."""
    assert play(tictactoe, table, api, frame, game_id, XAVIER, 1, 1) == {"statusCode": 200}
    state = {
        "type": "state",
        "gameId": game_id,
        "board": [["", "", ""], ["", "X", ""], ["", "", ""]],
        "turn": "O",
        "winner": None,
        "last": {"row": 1, "col": 1, "mark": "X"},
    }
    assert api.posts == [(XAVIER, state), (OLIVIA, state)]


def test_full_game_to_win(tictactoe, table, api, frame, game_id):
    """X takes the left column: the last state names X the winner and the game is over."""
    play_all(tictactoe, table, api, frame, game_id, [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)])
    last = api.frames_to(OLIVIA)[-1]
    assert (last["winner"], last["last"]) == ("X", {"row": 2, "col": 0, "mark": "X"})
    assert game(table, game_id)["status"] == "over"


def test_full_game_to_draw(tictactoe, table, api, frame, game_id):
    """Nine moves without a line end with winner "draw"."""
    moves = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 0), (1, 2), (2, 1), (2, 0), (2, 2)]
    play_all(tictactoe, table, api, frame, game_id, moves)
    last = api.frames_to(XAVIER)[-1]
    assert last["winner"] == "draw"
    assert last["board"] == [["X", "O", "X"], ["X", "O", "O"], ["O", "X", "X"]]


def test_move_after_win_is_error(tictactoe, table, api, frame, game_id):
    """Once the game is won, further moves are refused."""
    play_all(tictactoe, table, api, frame, game_id, [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)])
    api.posts.clear()
    play(tictactoe, table, api, frame, game_id, OLIVIA, 2, 2)
    assert api.posts == [(OLIVIA, {"type": "error", "message": "the game is over"})]


@pytest.mark.parametrize(
    ("connection", "row", "col", "message"),
    [
        (OLIVIA, 0, 0, "it is not your turn"),
        (EVE, 0, 0, "you are not playing in this game"),
        (XAVIER, 3, 0, "row and col must be whole numbers from 0 to 2"),
        (XAVIER, "a", 0, "row and col must be whole numbers from 0 to 2"),
    ],
)
def test_invalid_move_tells_only_the_mover(
    tictactoe, table, api, frame, game_id, connection, row, col, message
):
    """An invalid move sends an error to the mover only and leaves the board alone."""
    play(tictactoe, table, api, frame, game_id, connection, row, col)
    assert api.posts == [(connection, {"type": "error", "message": message})]
    assert game(table, game_id)["board"] == "........."


def test_move_on_taken_cell_is_error(tictactoe, table, api, frame, game_id):
    """Playing on a taken cell is refused."""
    play(tictactoe, table, api, frame, game_id, XAVIER, 0, 0)
    api.posts.clear()
    play(tictactoe, table, api, frame, game_id, OLIVIA, 0, 0)
    assert api.posts == [(OLIVIA, {"type": "error", "message": "that cell is taken"})]


def test_move_in_unknown_game_is_error(tictactoe, table, api, frame):
    """A move in a game that does not exist is refused."""
    play(tictactoe, table, api, frame, "NOPE42", XAVIER, 0, 0)
    assert api.posts == [(XAVIER, {"type": "error", "message": "no game called NOPE42"})]


def test_move_before_opponent_joins_is_error(tictactoe, table, api, frame):
    """X cannot play until O has joined."""
    game_id = start(tictactoe, table, frame)["gameId"]
    play(tictactoe, table, api, frame, game_id, XAVIER, 0, 0)
    assert api.posts == [(XAVIER, {"type": "error", "message": "wait for an opponent to join"})]


def test_disconnect_tells_opponent_and_ends_game(tictactoe, table, api, ws_event, game_id):
    """$disconnect sends opponent_left to the other player and marks the game over."""
    tictactoe.disconnect.on_disconnect(ws_event("disconnect", OLIVIA), table, api)
    assert api.posts == [(XAVIER, {"type": "opponent_left", "gameId": game_id})]
    assert game(table, game_id)["status"] == "over"


def test_move_after_opponent_left_is_error(tictactoe, table, api, frame, ws_event, game_id):
    """After the opponent left, moves are refused."""
    tictactoe.disconnect.on_disconnect(ws_event("disconnect", OLIVIA), table, api)
    api.posts.clear()
    play(tictactoe, table, api, frame, game_id, XAVIER, 0, 0)
    assert api.posts == [(XAVIER, {"type": "error", "message": "the game is over"})]


def test_disconnect_of_waiting_player_ends_game_quietly(tictactoe, table, api, frame, ws_event):
    """A starter leaving before anyone joined ends the game; nobody is told."""
    game_id = start(tictactoe, table, frame)["gameId"]
    tictactoe.disconnect.on_disconnect(ws_event("disconnect", XAVIER), table, api)
    assert api.posts == []
    assert game(table, game_id)["status"] == "over"


def test_disconnect_after_finished_game_sends_nothing(
    tictactoe, table, api, frame, ws_event, game_id
):
    """Leaving after the game ended does not send opponent_left."""
    play_all(tictactoe, table, api, frame, game_id, [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)])
    api.posts.clear()
    tictactoe.disconnect.on_disconnect(ws_event("disconnect", XAVIER), table, api)
    assert api.posts == []


def test_gone_opponent_does_not_break_move(tictactoe, table, api, frame, game_id):
    """If the opponent's connection is gone, the mover still gets the state."""
    api.gone.add(OLIVIA)
    play(tictactoe, table, api, frame, game_id, XAVIER, 0, 0)
    assert api.recipients() == [XAVIER]


def test_lambda_handlers_use_table_name_and_event_endpoint(
    tictactoe, table, frame, ws_event, monkeypatch, moto_posts
):
    """Entry points: the table from TABLE_NAME, @connections from the event."""
    monkeypatch.setenv("TABLE_NAME", table.name)
    response = tictactoe.start.lambda_handler(frame(XAVIER, {"type": "start"}), None)
    game_id = json.loads(response["body"])["gameId"]
    tictactoe.join.lambda_handler(frame(OLIVIA, {"type": "join", "gameId": game_id}), None)
    body = {"type": "move", "gameId": game_id, "row": 0, "col": 0}
    tictactoe.move.lambda_handler(frame(XAVIER, body), None)
    tictactoe.disconnect.lambda_handler(ws_event("disconnect", XAVIER), None)
    assert [f["type"] for f in moto_posts()[OLIVIA]] == ["begin", "state", "opponent_left"]


def expire(table, game_id):
    """Set the game's ttl a minute in the past: expired, but not deleted yet (as on AWS for days)."""
    table.update_item(
        Key={"GameId": game_id},
        UpdateExpression="SET #ttl = :past",
        ExpressionAttributeNames={"#ttl": "ttl"},
        ExpressionAttributeValues={":past": int(time.time()) - 60},
    )


def test_join_expired_game_is_error(tictactoe, table, api, frame):
    """A game whose ttl has passed is not joined, though DynamoDB has not deleted it yet."""
    game_id = start(tictactoe, table, frame)["gameId"]
    expire(table, game_id)
    tictactoe.join.on_join(frame(OLIVIA, {"type": "join", "gameId": game_id}), table, api)
    assert api.posts == [(OLIVIA, {"type": "error", "message": f"no game called {game_id}"})]
    assert "playerO" not in game(table, game_id)


def test_move_in_expired_game_is_error(tictactoe, table, api, frame, game_id):
    """A move in a game whose ttl has passed is refused as in a game that does not exist."""
    expire(table, game_id)
    play(tictactoe, table, api, frame, game_id, XAVIER, 0, 0)
    assert [f["type"] for f in api.frames_to(XAVIER)] == ["error"]
    assert game(table, game_id)["board"] == "........."


def test_disconnect_leaves_expired_games_alone(tictactoe, table, api, ws_event, game_id):
    """$disconnect reads unfinished games with a ttl > now filter: an expired one is not told."""
    expire(table, game_id)
    tictactoe.disconnect.on_disconnect(ws_event("disconnect", OLIVIA), table, api)
    assert api.posts == []
    assert game(table, game_id)["status"] != "over"


def test_is_expired_compares_ttl_with_the_clock(tictactoe):
    """No ttl never expires; a ttl in the past has; a ttl in the future has not."""
    assert not tictactoe.common.is_expired({"GameId": "A"})
    assert tictactoe.common.is_expired({"ttl": 100}, now=100)
    assert not tictactoe.common.is_expired({"ttl": 101}, now=100)
