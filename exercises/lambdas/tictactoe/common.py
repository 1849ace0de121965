"""Shared helpers for the tictactoe functions: the games table, @connections, frames.

In the deployment zip this folder is the root, so handlers import this file as `common`.
One item per game: GameId, playerX, playerO, board, turn, winner, status, ttl.
"""

import functools
import json
import os
import time
from typing import Any

import boto3
import game
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

GAME_LIFETIME_SECONDS = 2 * 60 * 60
WAITING, PLAYING, OVER = "waiting", "playing", "over"


@functools.cache
def table() -> Any:
    """The games table, created once per warm worker (TABLE_NAME comes from the environment)."""
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def connections_url(event: dict) -> str:
    """The @connections endpoint of the API and stage that invoked us."""
    context = event["requestContext"]
    return f"https://{context['domainName']}/{context['stage']}"


@functools.cache
def management_api(endpoint_url: str) -> Any:
    """An API Gateway Management API client for one endpoint, reused while the worker stays warm."""
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint_url)


def connection_id(event: dict) -> str:
    """The id API Gateway gave to the caller's connection."""
    return event["requestContext"]["connectionId"]


def message_body(event: dict) -> dict:
    """The JSON frame the client sent ({} if it is not a JSON object)."""
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def expires_at() -> int:
    """The `ttl` value: epoch seconds two hours from now, after which DynamoDB may delete the game."""
    return int(time.time()) + GAME_LIFETIME_SECONDS


def is_expired(item: dict, now: float | None = None) -> bool:
    """True once the item's `ttl` has passed.

    DynamoDB deletes an expired item some time later (within days), and reads return it until
    then, so code that must not use expired items compares `ttl` with the clock, as AWS advises.
    """
    expiry = item.get("ttl")
    return expiry is not None and int(expiry) <= (time.time() if now is None else now)


def not_expired() -> Any:
    """A filter for scans and queries that leaves out expired items (those with `ttl` passed)."""
    return Attr("ttl").gt(int(time.time()))


def load_game(table: Any, game_id: Any) -> dict | None:
    """The game's item, or None if there is no such game (or it has expired)."""
    if not isinstance(game_id, str) or not game_id:
        return None
    item = table.get_item(Key={"GameId": game_id}).get("Item")
    return None if item is None or is_expired(item) else item


def mark_of(item: dict, connection: str) -> str | None:
    """ "X" or "O" for a player of this game, None for anyone else."""
    for mark in game.MARKS:
        if item.get(f"player{mark}") == connection:
            return mark
    return None


def is_gone(error: ClientError) -> bool:
    """True when @connections says the client has disconnected (HTTP 410)."""
    return error.response.get("Error", {}).get("Code") == "GoneException"


def send(api: Any, connection: str, frame: dict) -> bool:
    """Post one JSON frame; False if the player is gone ($disconnect then ends their game)."""
    try:
        api.post_to_connection(ConnectionId=connection, Data=json.dumps(frame).encode())
    except ClientError as error:
        if not is_gone(error):
            raise
        print(f"Connection {connection} is gone")
        return False
    return True


def send_error(api: Any, connection: str, message: str) -> None:
    """Tell one player why their request was refused."""
    send(api, connection, {"type": "error", "message": message})


def is_condition_failure(error: ClientError) -> bool:
    """True when a conditional write lost a race (someone else changed the game first)."""
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"
