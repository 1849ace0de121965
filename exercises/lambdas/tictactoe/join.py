"""join: {"type": "join", "gameId": "..."} makes the caller player O; both players get "begin"."""

from typing import Any

import common
import game
from botocore.exceptions import ClientError


def claim_seat_o(table: Any, game_id: str, player_o: str) -> bool:
    """Take the O seat unless someone else got there first."""
    try:
        table.update_item(
            Key={"GameId": game_id},
            UpdateExpression="SET playerO = :o, #status = :playing",
            ConditionExpression="attribute_not_exists(playerO) AND #status = :waiting",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":o": player_o,
                ":playing": common.PLAYING,
                ":waiting": common.WAITING,
            },
        )
    except ClientError as error:
        if not common.is_condition_failure(error):
            raise
        return False
    return True


def refusal(item: dict | None, game_id: Any, joiner: str) -> str | None:
    """Why the joiner cannot take seat O, or None if they can."""
    if item is None:
        return f"no game called {game_id}"
    if item["playerX"] == joiner:
        return "you cannot join your own game"
    if item["status"] == common.OVER:
        return f"game {game_id} is over"
    if "playerO" in item or item["status"] != common.WAITING:
        return f"game {game_id} is full"
    return None


def on_join(event: dict, table: Any, api: Any) -> dict:
    """Seat the joiner as O and send each player {"type": "begin", ..., "mark": their mark}."""
    joiner = common.connection_id(event)
    game_id: Any = common.message_body(event).get("gameId")  # any JSON value: refusal() checks it
    item = common.load_game(table, game_id)
    problem = refusal(item, game_id, joiner)
    if problem is None and not claim_seat_o(table, game_id, joiner):
        problem = f"game {game_id} is full"
    if problem is not None:
        common.send_error(api, joiner, problem)
        return {"statusCode": 200}
    assert item is not None  # refusal() found the game
    begin = {"type": "begin", "gameId": game_id, "board": game.rows(item["board"]), "turn": "X"}
    common.send(api, item["playerX"], {**begin, "mark": "X"})
    common.send(api, joiner, {**begin, "mark": "O"})
    return {"statusCode": 200}


def lambda_handler(event: dict, context: Any) -> dict:
    api = common.management_api(common.connections_url(event))
    return on_join(event, common.table(), api)
