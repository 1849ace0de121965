"""Least-privilege IAM documents for the apps' Lambda functions (pure functions, no AWS calls)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

TABLE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:DeleteItem",
    "dynamodb:UpdateItem",
    "dynamodb:Scan",
    "dynamodb:Query",
)
STREAM_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)


def trust_policy() -> dict[str, Any]:
    """Who may assume the role: the Lambda service, nobody else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def execute_api_arn(region: str, account: str, api_id: str, stage: str = "*") -> str:
    """The ARN of a WebSocket API stage, the prefix of its @connections resources."""
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}"


def log_group_arn(region: str, account: str, function_name: str) -> str:
    """The ARN covering the function's log group ``/aws/lambda/<name>`` and its streams."""
    return f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{function_name}:*"


def lambda_policy(
    table_arn: str,
    *,
    table_actions: Iterable[str] = TABLE_ACTIONS,
    stream: bool = False,
    api_arn: str | None = None,
    connection_methods: Iterable[str] = ("POST",),
    log_group_arns: Iterable[str] = (),
) -> dict[str, Any]:
    """The inline policy an app's functions need, each statement scoped to one resource.

    - ``table_actions`` on the table ARN (and the stream actions on ``{table}/stream/*`` if ``stream``);
    - ``execute-api:ManageConnections`` on ``{api_arn}/{METHOD}/@connections/*`` for each method
      (``api_arn`` from ``execute_api_arn``: POST sends, GET reads, DELETE disconnects);
    - ``logs:CreateLogGroup`` in the account and region, and writing to each log group given.
    """
    _, partition, _, region, account, _ = table_arn.split(":", 5)
    statements: list[dict[str, Any]] = [
        {"Sid": "Table", "Effect": "Allow", "Action": list(table_actions), "Resource": table_arn}
    ]
    if stream:
        statements.append(
            {
                "Sid": "TableStream",
                "Effect": "Allow",
                "Action": list(STREAM_ACTIONS),
                "Resource": f"{table_arn}/stream/*",
            }
        )
    if api_arn:
        resources = [f"{api_arn}/{method}/@connections/*" for method in connection_methods]
        statements.append(
            {
                "Sid": "ManageConnections",
                "Effect": "Allow",
                "Action": "execute-api:ManageConnections",
                "Resource": resources,
            }
        )
    statements.append(
        {
            "Sid": "CreateLogGroup",
            "Effect": "Allow",
            "Action": "logs:CreateLogGroup",
            "Resource": f"arn:{partition}:logs:{region}:{account}:*",
        }
    )
    log_groups = list(log_group_arns)
    if log_groups:
        statements.append(
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": log_groups,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def check_least_privilege(
    policy: dict[str, Any], managed_policy_arns: Iterable[str] = ()
) -> list[str]:
    """The problems that make ``policy`` broader than it needs to be (empty list: looks fine).

    Flags wildcard actions (``*``, ``dynamodb:*``, ``dynamodb:Get*``), ``NotAction``/``NotResource``,
    ``Resource: "*"`` outside CloudWatch Logs statements, and any ``*FullAccess`` managed policy.
    """
    problems: list[str] = []
    for index, statement in enumerate(_as_list(policy.get("Statement"))):
        if statement.get("Effect") != "Allow":
            continue
        label = statement.get("Sid") or f"statement {index + 1}"
        actions = [str(action) for action in _as_list(statement.get("Action"))]
        for action in actions:
            if "*" in action:
                problems.append(f"{label}: wildcard action {action!r}")
            if "FullAccess" in action:
                problems.append(f"{label}: FullAccess in action {action!r}")
        for key in ("NotAction", "NotResource"):
            if key in statement:
                problems.append(f"{label}: {key} allows everything not listed")
        resources = [str(resource) for resource in _as_list(statement.get("Resource"))]
        logs_only = bool(actions) and all(action.startswith("logs:") for action in actions)
        if "*" in resources and not logs_only:
            problems.append(f"{label}: Resource '*' on {', '.join(actions) or 'no actions'}")
    for arn in managed_policy_arns:
        if "FullAccess" in arn:
            problems.append(f"managed policy {arn.rsplit('/', 1)[-1]} grants full access")
    if "FullAccess" in json.dumps(policy) and not any("FullAccess" in p for p in problems):
        problems.append("policy mentions a FullAccess policy")
    return problems


def _as_list(value: Any) -> list[Any]:
    """IAM allows a single value or a list in most places; always give a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
