"""Step: run a Lambda function on every change to a table (a DynamoDB stream mapping)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.waiter import WaiterModel, create_waiter_with_client

from infra.deploy.aws import client, report, retry_while, wait_with
from infra.deploy.tables import enable_stream, stream_arn

# Lambda has no built-in waiter for mappings; this one polls GetEventSourceMapping like the others.
# A mapping is Creating (or Updating) first; records written before it is Enabled are not delivered
# from LATEST, so callers wait for Enabled before relying on it.
_MAPPING_WAITERS = WaiterModel(
    {
        "version": 2,
        "waiters": {
            "EventSourceMappingEnabled": {
                "operation": "GetEventSourceMapping",
                "delay": 1,
                "maxAttempts": 120,
                "acceptors": [
                    {
                        "matcher": "path",
                        "argument": "State",
                        "expected": "Enabled",
                        "state": "success",
                    },
                    {
                        "matcher": "path",
                        "argument": "State",
                        "expected": "Disabled",
                        "state": "failure",
                    },
                ],
            }
        },
    }
)
STREAM_NOT_READABLE = "Please ensure the role can perform"


def map_stream(
    table_name: str,
    function_name: str,
    *,
    batch_size: int = 100,
    batching_window_seconds: int = 0,
    session: boto3.Session | None = None,
) -> str:
    """Invoke ``function_name`` with batches of the table's stream records; return the mapping UUID.

    Turns the table's NEW_AND_OLD_IMAGES stream on if needed and starts reading at LATEST (changes
    made before the mapping is Enabled are not delivered). Re-running reuses the mapping.
    """
    lambda_ = client("lambda", session)
    enable_stream(table_name, session=session, quiet=True)
    source_arn = stream_arn(table_name, session=session)
    settings = {"BatchSize": batch_size, "MaximumBatchingWindowInSeconds": batching_window_seconds}
    mapping = _find_mapping(lambda_, source_arn, function_name)
    if mapping is None:
        mapping = retry_while(
            lambda: lambda_.create_event_source_mapping(
                EventSourceArn=source_arn,
                FunctionName=function_name,
                StartingPosition="LATEST",
                **settings,
            ),
            "InvalidParameterValueException",
            STREAM_NOT_READABLE,
        )
        outcome = "created"
    elif any(mapping.get(key) != value for key, value in settings.items()):
        lambda_.update_event_source_mapping(UUID=mapping["UUID"], **settings)
        outcome = "updated"
    else:
        outcome = "exists"
    waiter = create_waiter_with_client("EventSourceMappingEnabled", _MAPPING_WAITERS, lambda_)
    wait_with(waiter, UUID=mapping["UUID"])
    report("stream mapping", f"{table_name} → {function_name}", outcome)
    return mapping["UUID"]


def _find_mapping(lambda_: Any, source_arn: str, function_name: str) -> dict[str, Any] | None:
    """The existing mapping from this stream to this function, or None."""
    paginator = lambda_.get_paginator("list_event_source_mappings")
    for page in paginator.paginate(EventSourceArn=source_arn, FunctionName=function_name):
        for mapping in page["EventSourceMappings"]:
            return mapping
    return None
