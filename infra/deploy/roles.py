"""Step: the IAM role the app's Lambda functions run as, with its least-privilege inline policy."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError

from infra.deploy.aws import app_tags, client, error_code, report, wait_for
from infra.deploy.policies import trust_policy

ROLE_PATH = "/workshop/"
POLICY_NAME = "least-privilege"


def create_lambda_role(
    app: str,
    policy: dict[str, Any],
    name: str | None = None,
    *,
    session: boto3.Session | None = None,
) -> str:
    """Create (or reuse) the role ``{app}-lambda-role`` trusted by Lambda; return its ARN.

    ``policy`` (see ``lambda_policy``) becomes the role's only permissions, as an inline policy.
    Re-running replaces the inline policy when it changed. No managed policies are attached.
    """
    name = name or f"{app}-lambda-role"
    iam = client("iam", session)
    try:
        role = iam.get_role(RoleName=name)["Role"]
        outcome = "exists"
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        role = iam.create_role(
            RoleName=name,
            Path=ROLE_PATH,
            AssumeRolePolicyDocument=json.dumps(trust_policy()),
            Description=f"Runs the {app} workshop functions",
            Tags=[{"Key": k, "Value": v} for k, v in app_tags(app).items()],
        )["Role"]
        # IAM can read the role now; Lambda may not assume it for a few seconds more, so
        # CreateFunction retries (see infra.deploy.aws.once_role_assumable).
        wait_for(iam, "role_exists", RoleName=name)
        outcome = "created"
    if _inline_policy(iam, name) != policy:
        iam.put_role_policy(
            RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy)
        )
        outcome = "updated" if outcome == "exists" else outcome
    report("role", name, outcome)
    return role["Arn"]


def _inline_policy(iam: Any, role: str) -> dict[str, Any] | None:
    """The role's current inline policy document, or None."""
    try:
        document = iam.get_role_policy(RoleName=role, PolicyName=POLICY_NAME)["PolicyDocument"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        raise
    # boto3 decodes the URL-encoded JSON into a dict; some servers leave it a string.
    return json.loads(unquote(document)) if isinstance(document, str) else document
