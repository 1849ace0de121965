"""Step: create or update a Lambda function, and let a service invoke it."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.deploy.aws import (
    app_tags,
    client,
    error_code,
    once_role_assumable,
    report,
    wait_for,
)
from infra.deploy.packaging import code_sha256

RUNTIME = "python3.12"


def create_or_update_function(
    app: str,
    name: str,
    handler: str,
    role_arn: str,
    code: bytes,
    *,
    environment: dict[str, str] | None = None,
    timeout: int = 10,
    memory_size: int = 128,
    runtime: str = RUNTIME,
    session: boto3.Session | None = None,
) -> str:
    """Create the function ``name`` running ``handler`` (``module.function``) from the zip ``code``.

    When it exists, upload the code only if its SHA-256 changed and update the configuration only if
    it differs, waiting until Lambda has applied each change. Returns the function ARN.
    """
    lambda_ = client("lambda", session)
    config = {
        "Role": role_arn,
        "Handler": handler,
        "Runtime": runtime,
        "Timeout": timeout,
        "MemorySize": memory_size,
        "Environment": {"Variables": dict(environment or {})},
    }
    current = _configuration(lambda_, name)
    if current is None:
        created = once_role_assumable(
            lambda: lambda_.create_function(
                FunctionName=name,
                Code={"ZipFile": code},
                Tags=app_tags(app),
                Description=f"{app} workshop app",
                **config,
            )
        )
        wait_for(lambda_, "function_active_v2", FunctionName=name)
        report("function", name, "created")
        return created["FunctionArn"]
    changed = False
    # A function still Pending, or still applying an earlier update, refuses another update.
    wait_for(lambda_, "function_active_v2", FunctionName=name)
    wait_for(lambda_, "function_updated_v2", FunctionName=name)
    if current.get("CodeSha256") != code_sha256(code):
        lambda_.update_function_code(FunctionName=name, ZipFile=code)
        wait_for(lambda_, "function_updated_v2", FunctionName=name)
        changed = True
    if _differs(current, config):
        once_role_assumable(
            lambda: lambda_.update_function_configuration(FunctionName=name, **config)
        )
        wait_for(lambda_, "function_updated_v2", FunctionName=name)
        changed = True
    arn = current["FunctionArn"]
    tags = lambda_.list_tags(Resource=arn).get("Tags", {})
    if any(tags.get(key) != value for key, value in app_tags(app).items()):
        lambda_.tag_resource(Resource=arn, Tags=app_tags(app))
    report("function", name, "updated" if changed else "unchanged")
    return arn


def allow_invoke(
    function_name: str,
    principal: str,
    source_arn: str,
    statement_id: str,
    *,
    session: boto3.Session | None = None,
) -> bool:
    """Let ``principal`` (e.g. ``apigateway.amazonaws.com``) invoke the function for ``source_arn``.

    Returns False when the statement already exists (re-running adds nothing).
    """
    lambda_ = client("lambda", session)
    sid = statement_id_for(statement_id)
    if sid in _statement_ids(lambda_, function_name):
        return False
    try:
        lambda_.add_permission(
            FunctionName=function_name,
            StatementId=sid,
            Action="lambda:InvokeFunction",
            Principal=principal,
            SourceArn=source_arn,
        )
    except ClientError as error:
        if error_code(error) == "ResourceConflictException":  # added meanwhile
            return False
        raise
    return True


def statement_id_for(text: str) -> str:
    """A valid policy statement id (letters, digits, ``-`` and ``_``) made from ``text``."""
    return re.sub(r"[^A-Za-z0-9_-]", "", text.replace("/", "-"))[:100]


def _statement_ids(lambda_: Any, function_name: str) -> set[str]:
    """The Sids in the function's resource-based policy (empty when it has none)."""
    try:
        policy = json.loads(lambda_.get_policy(FunctionName=function_name)["Policy"])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return set()
        raise
    return {statement.get("Sid", "") for statement in policy.get("Statement", [])}


def _configuration(lambda_: Any, name: str) -> dict[str, Any] | None:
    """The function's configuration, or None when there is no such function."""
    try:
        return lambda_.get_function_configuration(FunctionName=name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def _differs(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """True if any wanted setting differs from the function's current configuration."""
    for key, value in wanted.items():
        have = current.get(key)
        if key == "Environment":
            have = {"Variables": (have or {}).get("Variables", {})}
        if have != value:
            return True
    return False
