"""The checks of lesson 01's challenges: the connections table, and a row written by hand."""

from __future__ import annotations

import boto3

from infra.deploy import create_connections_table

from . import check, not_done, passed, require

TABLE = "chat-connections"
KEY = [{"AttributeName": "connectionId", "KeyType": "HASH"}]
ROW = {"connectionId": "handMadeRow", "name": "test"}


@check
def connections_table(name: str = TABLE) -> None:
    """`connections-table`: the on-demand table keyed by the string `connectionId`, ACTIVE."""
    dynamodb = boto3.client("dynamodb")
    try:
        table = dynamodb.describe_table(TableName=name)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        return not_done(
            f"there is no table {name}",
            "connections-table",
            lambda: create_connections_table("chat", name),
            f'create_connections_table("chat", {name!r})',
        )
    require(
        table["KeySchema"] == KEY,
        f"{name} is keyed by {table['KeySchema']}, not connectionId alone: delete it"
        f" (dynamodb.delete_table(TableName={name!r})), then create it again",
    )
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    require(
        types.get("connectionId") == "S",
        f"connectionId is of type {types.get('connectionId')!r}: ids are strings, AttributeType"
        " 'S' (delete the table and create it again)",
    )
    mode = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    require(
        mode == "PAY_PER_REQUEST",
        f"{name} is billed {mode}: pass BillingMode='PAY_PER_REQUEST' (on demand)",
    )
    require(
        table["TableStatus"] == "ACTIVE",
        f"{name} is {table['TableStatus']}: wait with"
        " dynamodb.get_waiter('table_exists').wait(TableName=...) before using it",
    )
    passed(f"{name} is ACTIVE, keyed by the string connectionId, billed on demand")


@check
def row_by_hand(name: str = TABLE) -> None:
    """`row-by-hand`: the row {"connectionId": "handMadeRow", "name": "test"} is in the table."""
    table = boto3.resource("dynamodb").Table(name)
    item = table.get_item(Key={"connectionId": ROW["connectionId"]}, ConsistentRead=True)
    found = item.get("Item")
    if found is None:
        return not_done(
            f"{name} has no row with connectionId 'handMadeRow'",
            "row-by-hand",
            lambda: table.put_item(Item=ROW),
            f"table.put_item(Item={ROW})",
        )
    require(found == ROW, f"the row is {found}, not {ROW}: put_item it again with both fields")
    passed(f"{name} holds {ROW}")
