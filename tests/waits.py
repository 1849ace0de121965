"""The tests wait as AWS requires: for a table to be ACTIVE, a function Active, a role assumable.

The tests' clouds run at the `short` timing (a fifth of the defaults, never zero), so a test that
skips a wait fails as the same code would on AWS. boto3's waiters poll at AWS's pace (DynamoDB's
`table_exists` every 20 s), far longer than a state lasts here: these poll every `POLL` seconds.
Each `create_*`/`update_*` makes the call as boto3 would and returns its answer once it has settled.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

POLL = 0.1  # seconds between two looks at a resource's state
PATIENCE = 60.0  # seconds a state may take at most, even on a busy machine
WAITER = {"Delay": POLL, "MaxAttempts": int(PATIENCE / POLL)}
ROLE_NOT_READY = "cannot be assumed by Lambda"  # AWS's words while a new role propagates


def table_active(dynamodb: Any, name: str) -> None:
    """Wait until the table is ACTIVE (created, or done updating)."""
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAITER)


def create_table(dynamodb: Any, **params: Any) -> dict[str, Any]:
    """CreateTable, then wait until the table is ACTIVE."""
    created: dict[str, Any] = dynamodb.create_table(**params)
    table_active(dynamodb, params["TableName"])
    return created


def update_table(dynamodb: Any, **params: Any) -> dict[str, Any]:
    """UpdateTable (a stream, an index), then wait until the table is ACTIVE again."""
    updated: dict[str, Any] = dynamodb.update_table(**params)
    table_active(dynamodb, params["TableName"])
    return updated


def delete_table(dynamodb: Any, name: str) -> None:
    """DeleteTable, then wait until it is gone (DELETING is over)."""
    dynamodb.delete_table(TableName=name)
    dynamodb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=WAITER)


def ttl_settled(dynamodb: Any, name: str) -> str:
    """Wait until the table's TTL is ENABLED or DISABLED (not ENABLING/DISABLING); its status."""
    status = ""
    for _ in _polls():
        described = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        status = described["TimeToLiveStatus"]
        if status in ("ENABLED", "DISABLED"):
            return str(status)
    raise TimeoutError(f"table {name}'s TTL is still {status} after {PATIENCE:.0f} s")


def update_time_to_live(dynamodb: Any, **params: Any) -> dict[str, Any]:
    """UpdateTimeToLive, then wait until the change has taken."""
    changed: dict[str, Any] = dynamodb.update_time_to_live(**params)
    ttl_settled(dynamodb, params["TableName"])
    return changed


def function_active(lambda_: Any, name: str) -> None:
    """Wait until the function is Active (no longer Pending)."""
    lambda_.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAITER)


def function_updated(lambda_: Any, name: str) -> None:
    """Wait until the function's last update is Successful (no longer InProgress)."""
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAITER)


def create_function(lambda_: Any, **params: Any) -> dict[str, Any]:
    """CreateFunction, retried while its new role propagates, then wait until it is Active."""
    for _ in _polls():
        try:
            created: dict[str, Any] = lambda_.create_function(**params)
            break
        except ClientError as error:
            if ROLE_NOT_READY not in str(error):
                raise
    else:
        raise TimeoutError(f"role {params.get('Role')} never became assumable by Lambda")
    function_active(lambda_, params["FunctionName"])
    return created


def update_function_code(lambda_: Any, **params: Any) -> dict[str, Any]:
    """UpdateFunctionCode, then wait until the update is done."""
    updated: dict[str, Any] = lambda_.update_function_code(**params)
    function_updated(lambda_, params["FunctionName"])
    return updated


def update_function_configuration(lambda_: Any, **params: Any) -> dict[str, Any]:
    """UpdateFunctionConfiguration, then wait until the update is done."""
    updated: dict[str, Any] = lambda_.update_function_configuration(**params)
    function_updated(lambda_, params["FunctionName"])
    return updated


def mapping_settled(lambda_: Any, uuid: str) -> str:
    """Wait until the event source mapping is Enabled or Disabled; its state."""
    state = ""
    for _ in _polls():
        state = lambda_.get_event_source_mapping(UUID=uuid)["State"]
        if state in ("Enabled", "Disabled"):
            return str(state)
    raise TimeoutError(f"event source mapping {uuid} is still {state} after {PATIENCE:.0f} s")


def create_event_source_mapping(lambda_: Any, **params: Any) -> dict[str, Any]:
    """CreateEventSourceMapping, then wait until it is Enabled (or Disabled, if asked)."""
    created: dict[str, Any] = lambda_.create_event_source_mapping(**params)
    mapping_settled(lambda_, created["UUID"])
    return created


def update_event_source_mapping(lambda_: Any, **params: Any) -> dict[str, Any]:
    """UpdateEventSourceMapping, then wait until it is Enabled or Disabled again."""
    updated: dict[str, Any] = lambda_.update_event_source_mapping(**params)
    mapping_settled(lambda_, params["UUID"])
    return updated


def delete_event_source_mapping(lambda_: Any, uuid: str) -> None:
    """DeleteEventSourceMapping, then wait until it is gone (Deleting is over)."""
    lambda_.delete_event_source_mapping(UUID=uuid)
    for _ in _polls():
        try:
            lambda_.get_event_source_mapping(UUID=uuid)
        except lambda_.exceptions.ResourceNotFoundException:
            return
    raise TimeoutError(f"event source mapping {uuid} is still there after {PATIENCE:.0f} s")


def _polls() -> Any:
    """Yield until PATIENCE has passed, sleeping POLL between two yields."""
    deadline = time.monotonic() + PATIENCE
    while True:
        yield
        if time.monotonic() >= deadline:
            return
        time.sleep(POLL)
