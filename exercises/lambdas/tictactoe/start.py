"""start: {"type": "start"} creates a game; the caller plays X and waits for an opponent.

The reply travels through the route response (the route needs a `$default` route response).
"""

import json
import secrets
from typing import Any

import common
import game
from botocore.exceptions import ClientError

# No 0/O or 1/I: the id is read aloud and typed in by the second player.
ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ID_LENGTH = 6


def new_game_id() -> str:
    """A short random id such as "K7QX2M"."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def create_game(table: Any, player_x: str) -> str:
    """Store a new waiting game for player X; retry in the unlikely case the id is taken."""
    while True:
        game_id = new_game_id()
        item = {
            "GameId": game_id,
            "playerX": player_x,
            "board": game.new_board(),
            "turn": "X",
            "winner": None,
            "status": common.WAITING,
            "ttl": common.expires_at(),
        }
        try:
            table.put_item(Item=item, ConditionExpression="attribute_not_exists(GameId)")
        except ClientError as error:
            if not common.is_condition_failure(error):
                raise
            continue
        return game_id


def on_start(event: dict, table: Any) -> dict:
    """Create the game and answer {"type": "started", "gameId", "mark": "X"}."""
    game_id = create_game(table, common.connection_id(event))
    return {
        "statusCode": 200,
        "body": json.dumps({"type": "started", "gameId": game_id, "mark": "X"}),
    }


def lambda_handler(event: dict, context: Any) -> dict:
    return on_start(event, common.table())
