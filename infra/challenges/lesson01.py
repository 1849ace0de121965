"""The checks of lesson 01's challenges: the connections table, and a row written by hand."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import boto3

from infra.deploy import create_connections_table

from . import check, not_done, passed, require

TABLE = "chat-connections"
KEY = [{"AttributeName": "connectionId", "KeyType": "HASH"}]
TAG = {"Key": "workshop:app", "Value": "chat"}
ROW = {"connectionId": "handMadeRow", "name": "test"}


def near_names(name: str, names: Iterable[str]) -> list[str]:
    """Names that look like a slip for `name` (chat_connections, chat-connection...)."""
    others = [other for other in names if other != name]
    return difflib.get_close_matches(name, others, n=3, cutoff=0.85)


def require_no_near_name(kind: str, name: str, names: Iterable[str], remove: str) -> None:
    """Fail when the learner made `name` under another, similar name (an attempt, not a stub)."""
    near = near_names(name, names)
    require(
        not near,
        f"there is no {kind} {name}, but there is {near[0] if near else ''!r}: the lesson's"
        f" later cells use the name {name!r}. Remove yours ({remove}) and make it again as"
        f" {name!r}",
    )


@check
def connections_table(name: str = TABLE) -> None:
    """`connections-table`: the on-demand table keyed by the string `connectionId`, ACTIVE."""
    dynamodb = boto3.client("dynamodb")
    try:
        table = dynamodb.describe_table(TableName=name)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        tables = [
            t
            for page in dynamodb.get_paginator("list_tables").paginate()
            for t in page["TableNames"]
        ]
        require_no_near_name("table", name, tables, "dynamodb.delete_table(TableName=...)")
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
        " dynamodb.get_waiter('table_exists').wait(TableName=..., WaiterConfig={'Delay': 1})"
        " before using it",
    )
    tags = dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])
    require(
        TAG in tags,
        f"{name} has no tag {TAG['Key']}={TAG['Value']}, so teardown('chat') would leave it"
        " behind: add it with dynamodb.tag_resource(ResourceArn=table_arn, Tags=[{'Key':"
        f" '{TAG['Key']}', 'Value': '{TAG['Value']}'}}]) (table_arn: describe_table's"
        " ['Table']['TableArn'])",
    )
    passed(f"{name} is ACTIVE, keyed by the string connectionId, billed on demand, tagged")


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
