"""create_lambda_role: trusted by Lambda, one inline least-privilege policy, idempotent."""

from __future__ import annotations

import json

import boto3
import pytest

from infra.deploy import create_lambda_role, lambda_policy

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/chat-connections"


def test_role_is_trusted_by_lambda_and_tagged(moto_aws: boto3.Session) -> None:
    """The role's trust policy names lambda.amazonaws.com and it carries the app tag."""
    arn = create_lambda_role("chat", lambda_policy(TABLE))
    iam = moto_aws.client("iam")
    role = iam.get_role(RoleName="chat-lambda-role")["Role"]
    assert role["Arn"] == arn
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert iam.list_role_tags(RoleName="chat-lambda-role")["Tags"] == [
        {"Key": "workshop:app", "Value": "chat"}
    ]


def test_inline_policy_is_exactly_the_given_document(moto_aws: boto3.Session) -> None:
    """The only permissions are the inline policy; no managed policies are attached."""
    policy = lambda_policy(TABLE)
    create_lambda_role("chat", policy)
    iam = moto_aws.client("iam")
    (name,) = iam.list_role_policies(RoleName="chat-lambda-role")["PolicyNames"]
    document = iam.get_role_policy(RoleName="chat-lambda-role", PolicyName=name)["PolicyDocument"]
    assert (json.loads(document) if isinstance(document, str) else document) == policy
    assert iam.list_attached_role_policies(RoleName="chat-lambda-role")["AttachedPolicies"] == []


def test_rerun_reports_exists(moto_aws: boto3.Session, capsys: pytest.CaptureFixture[str]) -> None:
    """The same policy twice gives one role, reported as created then exists."""
    create_lambda_role("chat", lambda_policy(TABLE))
    create_lambda_role("chat", lambda_policy(TABLE))
    assert capsys.readouterr().out.splitlines() == [
        "✓ role chat-lambda-role (created)",
        "✓ role chat-lambda-role (exists)",
    ]
    assert len(moto_aws.client("iam").list_roles()["Roles"]) == 1


def test_changed_policy_is_replaced(
    moto_aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """A different policy document replaces the inline policy and reports an update."""
    create_lambda_role("chat", lambda_policy(TABLE))
    create_lambda_role("chat", lambda_policy(TABLE, stream=True))
    assert capsys.readouterr().out.splitlines()[-1] == "✓ role chat-lambda-role (updated)"
    iam = moto_aws.client("iam")
    assert len(iam.list_role_policies(RoleName="chat-lambda-role")["PolicyNames"]) == 1
