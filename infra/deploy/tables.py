"""Step: the DynamoDB table that holds an app's connections (or games)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.deploy.aws import app_tags, client, error_code, report, wait_for

STREAM_VIEW = "NEW_AND_OLD_IMAGES"


def create_connections_table(
    app: str,
    name: str | None = None,
    *,
    key: str = "connectionId",
    ttl_attribute: str | None = None,
    stream: bool = False,
    session: boto3.Session | None = None,
) -> str:
    """Create (or reuse) the on-demand table ``{app}-connections`` keyed by ``key``; return its ARN.

    ``ttl_attribute`` turns on Time to Live; ``stream`` turns on a NEW_AND_OLD_IMAGES stream.
    Re-running reuses the table and only switches on what is missing.
    """
    name = name or f"{app}-connections"
    dynamodb = client("dynamodb", session)
    table = _describe(dynamodb, name)
    if table is None:
        spec = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW} if stream else None
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": k, "Value": v} for k, v in app_tags(app).items()],
            **({"StreamSpecification": spec} if spec else {}),
        )
        wait_for(dynamodb, "table_exists", TableName=name)  # CREATING, then ACTIVE
        outcome = "created"
    else:
        if table["TableStatus"] != "ACTIVE":  # made a moment ago: CREATING, or UPDATING
            wait_for(dynamodb, "table_exists", TableName=name)
        changed = stream and enable_stream(name, session=session, quiet=True)
        outcome = "updated" if changed else "exists"
    if ttl_attribute and _enable_ttl(dynamodb, name, ttl_attribute) and outcome == "exists":
        outcome = "updated"
    report("table", name, outcome)
    return dynamodb.describe_table(TableName=name)["Table"]["TableArn"]


def enable_stream(name: str, *, session: boto3.Session | None = None, quiet: bool = False) -> bool:
    """Switch on the table's NEW_AND_OLD_IMAGES stream; return True if it was off."""
    dynamodb = client("dynamodb", session)
    table = dynamodb.describe_table(TableName=name)["Table"]
    if table["TableStatus"] != "ACTIVE":  # UpdateTable refuses a table CREATING or UPDATING
        wait_for(dynamodb, "table_exists", TableName=name)
    if table.get("StreamSpecification", {}).get("StreamEnabled"):
        changed = False
    else:
        dynamodb.update_table(
            TableName=name,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": STREAM_VIEW},
        )
        # UPDATING until the stream is on; the waiter waits for ACTIVE again.
        wait_for(dynamodb, "table_exists", TableName=name)
        changed = True
    if not quiet:
        report("stream", name, "enabled" if changed else "exists")
    return changed


def delete_table(name: str, *, session: boto3.Session | None = None) -> bool:
    """Delete the table and wait until it is gone; return False when there was none.

    A table still CREATING or UPDATING refuses DeleteTable (ResourceInUseException), so this
    waits for it to be ACTIVE first.
    """
    dynamodb = client("dynamodb", session)
    table = _describe(dynamodb, name)
    if table is None:
        return False
    if table["TableStatus"] != "DELETING":
        if table["TableStatus"] != "ACTIVE":
            wait_for(dynamodb, "table_exists", TableName=name)
        dynamodb.delete_table(TableName=name)
    wait_for(dynamodb, "table_not_exists", TableName=name)  # DELETING, then gone
    return True


def has_stream(name: str, *, session: boto3.Session | None = None) -> bool:
    """Whether the table exists and its stream is on."""
    table = _describe(client("dynamodb", session), name)
    return bool(table and table.get("StreamSpecification", {}).get("StreamEnabled"))


def stream_arn(name: str, *, session: boto3.Session | None = None) -> str:
    """The ARN of the table's latest stream (enable the stream first)."""
    return client("dynamodb", session).describe_table(TableName=name)["Table"]["LatestStreamArn"]


def _describe(dynamodb: Any, name: str) -> dict | None:
    """The table description, or None when there is no such table."""
    try:
        return dynamodb.describe_table(TableName=name)["Table"]
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def _enable_ttl(dynamodb: Any, name: str, attribute: str) -> bool:
    """Switch Time to Live on for ``attribute``; return True if it was off."""
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if (
        ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        and ttl.get("AttributeName") == attribute
    ):
        return False
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
    )
    return True
