"""Reading a function's resource policy, for the checks of lessons that call `add_permission`."""

from __future__ import annotations

import json
from typing import Any

import boto3


def statements(function: str) -> list[dict[str, Any]]:
    """The statements of the function's resource policy (none when it has no policy)."""
    lambda_ = boto3.client("lambda")
    try:
        policy = lambda_.get_policy(FunctionName=function)["Policy"]
    except lambda_.exceptions.ResourceNotFoundException:
        return []
    return list(json.loads(policy).get("Statement", []))


def source_arn(statement: dict[str, Any]) -> str | None:
    """The SourceArn a statement is limited to (None: any source)."""
    condition = statement.get("Condition") or {}
    for test in ("ArnLike", "ArnEquals"):
        arn = (condition.get(test) or {}).get("AWS:SourceArn")
        if arn:
            return str(arn)
    return None


def service(statement: dict[str, Any]) -> str:
    """The service principal a statement lets in."""
    principal = statement.get("Principal")
    return str(principal.get("Service") if isinstance(principal, dict) else principal)
