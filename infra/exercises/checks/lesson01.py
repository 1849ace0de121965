"""Lesson 01's exercise (`solutions/01-connections-table-exercises.ipynb`): the table.

- `table-create`: `check_create_table`, an on-demand table with a global secondary index.
"""

from __future__ import annotations

from collections.abc import Callable

import boto3
from boto3.dynamodb.conditions import Key

from infra.deploy.tables import delete_table

from .common import answer, recorded_calls, unique


def check_create_table(
    create_table: Callable[[str, str, str, str], str],
    name: str,
    key: str,
    index: str,
    index_key: str,
) -> None:
    """`create_table(name, key, index, index_key)`: on demand, keyed by `key`, with an index."""
    dynamodb = boto3.client("dynamodb")
    delete_table(name)
    with recorded_calls() as calls:
        arn = answer(create_table, name, key, index, index_key)
    created = calls.of("dynamodb", "CreateTable")
    assert created, (
        f"create_table({name!r}, ...) never called create_table: call"
        " boto3.client('dynamodb').create_table(TableName=name, ...)"
    )
    made = created[-1].params.get("TableName")
    assert made == name, f"create_table({name!r}, ...) created {made!r}: use the `name` parameter"
    table = dynamodb.describe_table(TableName=name)["Table"]
    wanted = [{"AttributeName": key, "KeyType": "HASH"}]
    assert table["KeySchema"] == wanted, (
        f"The table's key schema is {table['KeySchema']}, expected {wanted} (hint: the table's"
        " own key is the `key` parameter alone; the index has its own KeySchema)"
    )
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    for attribute in (key, index_key):
        assert types.get(attribute) == "S", (
            f"{attribute!r} should be a string key: AttributeDefinitions lists every attribute a"
            f" key or an index's key uses, here {{'AttributeName': {attribute!r},"
            f" 'AttributeType': 'S'}} (got {table['AttributeDefinitions']})"
        )
    billing = table.get("BillingModeSummary", {}).get("BillingMode")
    assert billing == "PAY_PER_REQUEST", (
        f"The table's billing mode is {billing!r}: make it on demand with"
        " BillingMode='PAY_PER_REQUEST' (no capacity to plan, pay per request)"
    )
    indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    assert index in indexes, (
        f"The table has no global secondary index {index!r} (it has {sorted(indexes) or 'none'}):"
        " GlobalSecondaryIndexes=[{'IndexName': index, 'KeySchema': [...], 'Projection': {...}}]"
    )
    made_index = indexes[index]
    index_schema = [{"AttributeName": index_key, "KeyType": "HASH"}]
    assert made_index["KeySchema"] == index_schema, (
        f"The index {index!r} is keyed by {made_index['KeySchema']}, expected {index_schema}"
    )
    projection = made_index.get("Projection", {}).get("ProjectionType")
    assert projection == "ALL", (
        f"The index projects {projection!r}: a query on it should return whole rows,"
        " Projection={'ProjectionType': 'ALL'}"
    )
    assert calls.waited("TableExists"), (
        "create_table returned without waiting for the table: on AWS a new table is CREATING for"
        " a while (hint: dynamodb.get_waiter('table_exists').wait(TableName=name))"
    )
    assert arn == table["TableArn"], (
        f"create_table returned {arn!r}, expected the table's ARN {table['TableArn']!r}"
        " (hint: describe_table(TableName=name)['Table']['TableArn'])"
    )
    player, other = unique("ada"), unique("bob")
    rows = [
        {key: unique("game"), index_key: player},
        {key: unique("game"), index_key: other},
        {key: unique("game"), index_key: player},
    ]
    stored = boto3.resource("dynamodb").Table(name)
    for row in rows:
        stored.put_item(Item=row)
    found = stored.query(IndexName=index, KeyConditionExpression=Key(index_key).eq(player))["Items"]
    expected = sorted(row[key] for row in rows if row[index_key] == player)
    assert sorted(item[key] for item in found) == expected, (
        f"A query on {index!r} for one {index_key} found {found}, expected the rows {expected}"
    )
