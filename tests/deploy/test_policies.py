"""lambda_policy and check_least_privilege: exact, scoped permissions."""

from __future__ import annotations

from infra.deploy import (
    check_least_privilege,
    execute_api_arn,
    lambda_policy,
    log_group_arn,
    trust_policy,
)

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/chat-connections"
API = execute_api_arn("us-east-1", "123456789012", "abc123", "dev")
LOGS = log_group_arn("us-east-1", "123456789012", "chat-connect")


def statement(policy: dict, sid: str) -> dict:
    return next(s for s in policy["Statement"] if s["Sid"] == sid)


def test_table_statement_is_scoped_to_the_table() -> None:
    """The DynamoDB actions apply to the table ARN only."""
    table = statement(lambda_policy(TABLE), "Table")
    assert table["Resource"] == TABLE
    assert table["Action"] == [
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "dynamodb:Scan",
        "dynamodb:Query",
    ]


def test_stream_statement_only_when_asked() -> None:
    """Stream reading is granted on {table}/stream/* only with stream=True."""
    assert "TableStream" not in {s["Sid"] for s in lambda_policy(TABLE)["Statement"]}
    stream = statement(lambda_policy(TABLE, stream=True), "TableStream")
    assert stream["Resource"] == f"{TABLE}/stream/*"
    assert sorted(stream["Action"]) == [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ]


def test_manage_connections_is_scoped_to_the_stage() -> None:
    """ManageConnections covers the stage's @connections, per HTTP method."""
    manage = statement(
        lambda_policy(TABLE, api_arn=API, connection_methods=("POST", "DELETE")),
        "ManageConnections",
    )
    assert manage["Action"] == "execute-api:ManageConnections"
    assert manage["Resource"] == [
        "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/POST/@connections/*",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/DELETE/@connections/*",
    ]


def test_logs_statements_are_scoped_to_account_and_log_group() -> None:
    """CreateLogGroup in the account/region; writes only to the function's log group."""
    policy = lambda_policy(TABLE, log_group_arns=[LOGS])
    assert statement(policy, "CreateLogGroup")["Resource"] == (
        "arn:aws:logs:us-east-1:123456789012:*"
    )
    write = statement(policy, "WriteLogs")
    assert write["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert write["Resource"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/chat-connect:*"
    ]


def test_trust_policy_trusts_lambda_only() -> None:
    """Only the Lambda service may assume the role."""
    (only,) = trust_policy()["Statement"]
    assert only["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert only["Action"] == "sts:AssumeRole"


def test_built_policy_passes_the_check() -> None:
    """The policy lambda_policy builds has no least-privilege problems."""
    policy = lambda_policy(TABLE, stream=True, api_arn=API, log_group_arns=[LOGS])
    assert check_least_privilege(policy) == []


def allow(action: object, resource: object) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }


def test_check_flags_service_wildcard_action() -> None:
    """'dynamodb:*' is reported as a wildcard action."""
    assert check_least_privilege(allow("dynamodb:*", TABLE)) == [
        "statement 1: wildcard action 'dynamodb:*'"
    ]


def test_check_flags_star_action() -> None:
    """'*' is reported as a wildcard action."""
    assert any("wildcard action '*'" in p for p in check_least_privilege(allow("*", TABLE)))


def test_check_flags_resource_star_outside_logs() -> None:
    """Resource '*' on DynamoDB actions is reported."""
    problems = check_least_privilege(allow(["dynamodb:GetItem"], "*"))
    assert problems == ["statement 1: Resource '*' on dynamodb:GetItem"]


def test_check_allows_resource_star_for_logs() -> None:
    """Resource '*' on CloudWatch Logs actions is tolerated."""
    assert check_least_privilege(allow(["logs:CreateLogGroup"], "*")) == []


def test_check_flags_full_access_managed_policy() -> None:
    """An attached *FullAccess managed policy is reported."""
    problems = check_least_privilege(
        lambda_policy(TABLE),
        managed_policy_arns=["arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"],
    )
    assert problems == ["managed policy AmazonDynamoDBFullAccess grants full access"]


def test_check_ignores_deny_statements() -> None:
    """A Deny with wildcards restricts rather than grants, so it is not reported."""
    policy = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    assert check_least_privilege(policy) == []
