"""$disconnect: end the games of the leaving player and tell their opponents."""

from typing import Any

import common
import game
from boto3.dynamodb.conditions import Attr


def games_of(table: Any, connection: str) -> list[dict]:
    """Unfinished games this connection plays in (a filtered scan: fine for a workshop-sized table).

    Expired games are left out: DynamoDB may not have deleted them yet.
    """
    in_game = Attr("playerX").eq(connection) | Attr("playerO").eq(connection)
    unfinished = in_game & Attr("status").ne(common.OVER) & common.not_expired()
    options: dict[str, Any] = {"FilterExpression": unfinished}
    games = []
    while True:
        page = table.scan(**options)
        games.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return games
        options["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def on_disconnect(event: dict, table: Any, api: Any) -> dict:
    """Mark each unfinished game over and send the opponent {"type": "opponent_left", "gameId"}."""
    leaver = common.connection_id(event)
    for item in games_of(table, leaver):
        table.update_item(
            Key={"GameId": item["GameId"]},
            UpdateExpression="SET #status = :over",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":over": common.OVER},
        )
        mark = common.mark_of(item, leaver)  # games_of() found them in this game: not None
        opponent = item.get(f"player{game.other(mark)}") if mark else None
        if opponent:
            common.send(api, opponent, {"type": "opponent_left", "gameId": item["GameId"]})
    return {"statusCode": 200}


def lambda_handler(event: dict, context: Any) -> dict:
    api = common.management_api(common.connections_url(event))
    return on_disconnect(event, common.table(), api)
