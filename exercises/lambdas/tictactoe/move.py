"""move: {"type": "move", "gameId", "row", "col"} plays the caller's mark; both get "state"."""

from typing import Any

import common
import game
from botocore.exceptions import ClientError


def refusal(item: dict | None, game_id: Any, mark: str | None) -> str | None:
    """Why this connection cannot move in this game at all, or None."""
    if item is None:
        return f"no game called {game_id}"
    if mark is None:
        return "you are not playing in this game"
    if item["status"] == common.WAITING:
        return "wait for an opponent to join"
    if item["status"] == common.OVER:
        return "the game is over"
    return None


def save_move(table: Any, item: dict, board: str, winner: str | None) -> bool:
    """Store the new board unless the game changed since we read it (a double click, a race)."""
    try:
        table.update_item(
            Key={"GameId": item["GameId"]},
            UpdateExpression="SET board = :board, turn = :turn, winner = :winner, #status = :status",
            ConditionExpression="board = :old_board AND #status = :playing",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":board": board,
                ":turn": game.other(item["turn"]),
                ":winner": winner,
                ":status": common.PLAYING if winner is None else common.OVER,
                ":old_board": item["board"],
                ":playing": common.PLAYING,
            },
        )
    except ClientError as error:
        if not common.is_condition_failure(error):
            raise
        return False
    return True


def on_move(event: dict, table: Any, api: Any) -> dict:
    """Validate the move; if legal, store it and send both players the new state."""
    mover = common.connection_id(event)
    body = common.message_body(event)
    game_id: Any = body.get("gameId")  # any JSON value: the checks below say if it will do
    row: Any = body.get("row")
    col: Any = body.get("col")
    item = common.load_game(table, game_id)
    mark = common.mark_of(item, mover) if item else None
    problem = refusal(item, game_id, mark)
    if problem is None:
        assert item is not None and mark is not None  # refusal() found the game and the mark
        problem = game.validate_move(item["board"], item["turn"], mark, row, col)
        if problem is None:
            board = game.place(item["board"], row, col, mark)
            winner = game.winner(board)
            if save_move(table, item, board, winner):
                state = {
                    "type": "state",
                    "gameId": game_id,
                    "board": game.rows(board),
                    "turn": game.other(item["turn"]),
                    "winner": winner,
                    "last": {"row": row, "col": col, "mark": mark},
                }
                for player in (item["playerX"], item["playerO"]):
                    common.send(api, player, state)
                return {"statusCode": 200}
            problem = "the game changed meanwhile; try again"
    common.send_error(api, mover, problem)
    return {"statusCode": 200}


def lambda_handler(event: dict, context: Any) -> dict:
    api = common.management_api(common.connections_url(event))
    return on_move(event, common.table(), api)
