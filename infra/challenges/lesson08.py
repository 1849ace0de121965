"""The checks of lesson 08's challenges: the role EventBridge Scheduler assumes, and the schedule
that runs the broadcast with it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError

from infra.deploy.aws import APP_TAG, error_code
from infra.deploy.schedules import (
    SCHEDULER_PRINCIPAL,
    create_scheduler_role,
    schedule_function,
)

from . import check, not_done, passed, require
from .lesson01 import require_no_near_name

SCHEDULE = "push-schedule"
ROLE = "push-scheduler-role"
FUNCTION = "push-broadcast"
EXPRESSION = "rate(1 minute)"


def _function_arn(function: str = FUNCTION) -> str:
    config = boto3.client("lambda").get_function_configuration(FunctionName=function)
    return str(config["FunctionArn"])


def _document(document: Any) -> dict[str, Any]:
    """A policy document as a dict (boto3 decodes it; some servers leave it URL-encoded text)."""
    return json.loads(unquote(document)) if isinstance(document, str) else dict(document)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows_invoke(document: dict[str, Any], function_arn: str) -> bool:
    """Whether one of the document's Allow statements grants lambda:InvokeFunction on it."""
    for statement in _listed(document.get("Statement", [])):
        actions = _listed(statement.get("Action", []))
        resources = _listed(statement.get("Resource", []))
        if statement.get("Effect") != "Allow":
            continue
        if not {"lambda:InvokeFunction", "lambda:*", "*"} & set(actions):
            continue
        if function_arn in resources or f"{function_arn}:*" in resources:
            return True
    return False


@check
def scheduler_role(role: str = ROLE, function: str = FUNCTION) -> None:
    """`push-scheduler-role`: trusted by scheduler.amazonaws.com only, tagged, allowed to invoke
    the function and nothing more."""
    iam = boto3.client("iam")
    function_arn = _function_arn(function)
    try:
        found = iam.get_role(RoleName=role)["Role"]
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        names = [
            r["RoleName"]
            for page in iam.get_paginator("list_roles").paginate()
            for r in page["Roles"]
        ]
        require_no_near_name("role", role, names, "iam.delete_role(RoleName=...)")
        return not_done(
            f"there is no role {role}",
            "push-scheduler-role",
            lambda: create_scheduler_role("push", function_arn, role),
            f"iam.create_role(RoleName={role!r}, ...) and iam.put_role_policy(RoleName={role!r}, ...)",
        )
    trust = _document(found["AssumeRolePolicyDocument"])
    principals = [
        _listed(statement.get("Principal", {}).get("Service", []))
        for statement in _listed(trust.get("Statement", []))
        if statement.get("Effect") == "Allow"
    ]
    require(
        principals == [[SCHEDULER_PRINCIPAL]],
        f"{role}'s trust policy lets {principals} assume it: Scheduler assumes it, so its one"
        f" statement is Allow, Principal {{'Service': '{SCHEDULER_PRINCIPAL}'}},"
        f" sts:AssumeRole (iam.update_assume_role_policy(RoleName={role!r}, PolicyDocument=...))",
    )
    tags = iam.list_role_tags(RoleName=role)["Tags"]
    require(
        {"Key": APP_TAG, "Value": "push"} in tags,
        f"{role} has no tag {APP_TAG}=push, so teardown('push') would leave it behind:"
        f" iam.tag_role(RoleName={role!r}, Tags=[{{'Key': '{APP_TAG}', 'Value': 'push'}}])",
    )
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    if not names:
        return not_done(
            f"{role} has no policy",
            "push-scheduler-role",
            lambda: create_scheduler_role("push", function_arn, role),
            f"iam.put_role_policy(RoleName={role!r}, PolicyName=..., PolicyDocument=...)",
        )
    documents = {
        name: _document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
        for name in names
    }
    require(
        any(_allows_invoke(document, function_arn) for document in documents.values()),
        f"{role}'s policies {sorted(documents)} do not allow lambda:InvokeFunction on"
        f" {function}: a statement with Effect 'Allow', Action 'lambda:InvokeFunction' and"
        " Resource function_arn",
    )
    broad = [
        name
        for name, document in documents.items()
        for statement in _listed(document.get("Statement", []))
        if "*" in _listed(statement.get("Resource", [])) or "*" in _listed(statement.get("Action"))
    ]
    require(
        not broad,
        f"{role}'s policy {broad[0] if broad else ''!r} names '*': Scheduler needs"
        f" lambda:InvokeFunction on {function} only (least privilege, lesson 09)",
    )
    passed(f"{role}: Scheduler may assume it, and it may invoke {function} and nothing else")


@check
def schedule(name: str = SCHEDULE, role: str = ROLE, function: str = FUNCTION) -> None:
    """`push-schedule`: every minute, enabled, its target the function, run with the role."""
    scheduler = boto3.client("scheduler")
    function_arn = _function_arn(function)
    try:
        described = scheduler.get_schedule(Name=name)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        names = [
            s["Name"]
            for page in scheduler.get_paginator("list_schedules").paginate()
            for s in page["Schedules"]
        ]
        require_no_near_name("schedule", name, names, "scheduler.delete_schedule(Name=...)")
        return not_done(
            f"there is no schedule {name}",
            "push-schedule",
            lambda: schedule_function("push", name, EXPRESSION, function),
            f"scheduler.create_schedule(Name={name!r}, ...)",
        )
    expression = described.get("ScheduleExpression")
    require(
        expression == EXPRESSION,
        f"{name} runs on {expression!r}, not {EXPRESSION!r}: scheduler.update_schedule(...) with"
        f" ScheduleExpression={EXPRESSION!r} (it replaces every setting, so give them all)",
    )
    require(
        described.get("State") == "ENABLED",
        f"{name} is {described.get('State')}: State='ENABLED'",
    )
    window = described.get("FlexibleTimeWindow", {})
    require(
        window.get("Mode") == "OFF",
        f"{name}'s FlexibleTimeWindow is {window}: the push is on the minute, so"
        " FlexibleTimeWindow={'Mode': 'OFF'}",
    )
    target = described.get("Target", {})
    require(
        target.get("Arn") == function_arn,
        f"{name}'s target is {target.get('Arn')!r}, not {function}:"
        " Target={'Arn': function_arn, 'RoleArn': role_arn}",
    )
    role_arn = boto3.client("iam").get_role(RoleName=role)["Role"]["Arn"]
    require(
        target.get("RoleArn") == role_arn,
        f"{name} runs with {target.get('RoleArn')!r}, not {role}: Scheduler assumes the target's"
        " RoleArn to invoke the function, so give it role_arn",
    )
    passed(f"{name} invokes {function} every minute, with the role {role}")
