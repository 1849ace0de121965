"""IAM identity-policy evaluation: Deny over Allow, wildcards, resources, conditions."""

from __future__ import annotations

from typing import Any

from infra.local.access.policy import Decision, evaluate

TABLE_A = "arn:aws:dynamodb:us-east-1:123456789012:table/a"
TABLE_B = "arn:aws:dynamodb:us-east-1:123456789012:table/b"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_an_allowed_action_on_its_resource_is_allowed() -> None:
    """An Allow naming the action and the resource allows."""
    assert evaluate(
        [policy(allow("dynamodb:GetItem", TABLE_A))], "dynamodb:GetItem", TABLE_A
    ).allowed


def test_another_action_is_implicitly_denied() -> None:
    """GetItem only: PutItem is denied because no policy allows it."""
    verdict = evaluate([policy(allow("dynamodb:GetItem", TABLE_A))], "dynamodb:PutItem", TABLE_A)
    assert verdict.decision is Decision.IMPLICIT_DENY
    assert verdict.reason("dynamodb:PutItem") == (
        "because no identity-based policy allows the dynamodb:PutItem action"
    )


def test_a_resource_for_table_a_does_not_allow_table_b() -> None:
    """The Resource ARN scopes the Allow."""
    assert not evaluate([policy(allow("dynamodb:*", TABLE_A))], "dynamodb:GetItem", TABLE_B).allowed


def test_an_explicit_deny_wins_over_an_allow() -> None:
    """Deny beats Allow, in the same policy or another one."""
    documents = [policy(allow("dynamodb:*")), policy(deny("dynamodb:DeleteItem", TABLE_A))]
    verdict = evaluate(documents, "dynamodb:DeleteItem", TABLE_A)
    assert verdict.decision is Decision.EXPLICIT_DENY
    assert verdict.reason("x") == "with an explicit deny in an identity-based policy"
    assert evaluate(documents, "dynamodb:DeleteItem", TABLE_B).allowed


def test_actions_match_case_insensitively_with_wildcards() -> None:
    """`DynamoDB:get*` covers dynamodb:GetItem; `?` is one character."""
    assert evaluate([policy(allow("DynamoDB:get*"))], "dynamodb:GetItem", TABLE_A).allowed
    assert evaluate([policy(allow("dynamodb:?etItem"))], "dynamodb:GetItem", TABLE_A).allowed
    assert not evaluate([policy(allow("dynamodb:?Item"))], "dynamodb:GetItem", TABLE_A).allowed


def test_resources_match_case_sensitively() -> None:
    """ARNs are compared as written: table/A is not table/a."""
    upper = TABLE_A.replace("table/a", "table/A")
    assert not evaluate(
        [policy(allow("dynamodb:GetItem", upper))], "dynamodb:GetItem", TABLE_A
    ).allowed


def test_not_action_and_not_resource_invert_the_match() -> None:
    """NotAction allows everything but the listed; NotResource everything but the listed."""
    not_action = {"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"}
    assert evaluate([policy(not_action)], "dynamodb:GetItem", TABLE_A).allowed
    assert not evaluate([policy(not_action)], "dynamodb:DeleteItem", TABLE_A).allowed
    not_resource = {"Effect": "Allow", "Action": "dynamodb:*", "NotResource": TABLE_B}
    assert evaluate([policy(not_resource)], "dynamodb:GetItem", TABLE_A).allowed
    assert not evaluate([policy(not_resource)], "dynamodb:GetItem", TABLE_B).allowed


def test_a_single_statement_may_be_an_object_and_lists_may_be_strings() -> None:
    """`Statement` as one object and `Action`/`Resource` as strings are both valid IAM."""
    document = {"Statement": allow("logs:PutLogEvents", "arn:aws:logs:*")}
    assert evaluate([document], "logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:g").allowed


def test_conditions_use_the_request_context() -> None:
    """A condition holds only with the matching context value; IfExists tolerates absence."""
    region = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    statement = allow("dynamodb:GetItem", Condition=region)
    assert evaluate(
        [policy(statement)], "dynamodb:GetItem", TABLE_A, {"aws:RequestedRegion": "us-east-1"}
    ).allowed
    assert not evaluate(
        [policy(statement)], "dynamodb:GetItem", TABLE_A, {"aws:RequestedRegion": "eu-west-1"}
    ).allowed
    assert not evaluate([policy(statement)], "dynamodb:GetItem", TABLE_A, {}).allowed
    lenient = allow(
        "dynamodb:GetItem", Condition={"StringEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}
    )
    assert evaluate([policy(lenient)], "dynamodb:GetItem", TABLE_A, {}).allowed


def test_a_deny_with_an_unmet_condition_does_not_deny() -> None:
    """A Deny applies only when its condition holds."""
    documents = [
        policy(allow("dynamodb:*")),
        policy(deny("dynamodb:*", Condition={"Bool": {"aws:SecureTransport": "false"}})),
    ]
    assert not evaluate(
        documents, "dynamodb:GetItem", TABLE_A, {"aws:SecureTransport": "false"}
    ).allowed
    assert evaluate(documents, "dynamodb:GetItem", TABLE_A, {"aws:SecureTransport": "true"}).allowed


def test_set_qualifiers_and_null() -> None:
    """ForAllValues needs every value listed; ForAnyValue one; Null tests presence."""
    every = allow(
        "dynamodb:Query",
        Condition={"ForAllValues:StringEquals": {"dynamodb:Attributes": ["a", "b"]}},
    )
    assert evaluate(
        [policy(every)], "dynamodb:Query", TABLE_A, {"dynamodb:Attributes": ["a"]}
    ).allowed
    assert not evaluate(
        [policy(every)], "dynamodb:Query", TABLE_A, {"dynamodb:Attributes": ["a", "c"]}
    ).allowed
    present = allow("dynamodb:Query", Condition={"Null": {"dynamodb:Select": "false"}})
    assert evaluate(
        [policy(present)], "dynamodb:Query", TABLE_A, {"dynamodb:Select": "COUNT"}
    ).allowed
    assert not evaluate([policy(present)], "dynamodb:Query", TABLE_A, {}).allowed


def test_brackets_in_a_resource_are_literal() -> None:
    """IAM has no character classes: `[` matches itself."""
    assert evaluate(
        [policy(allow("s3:GetObject", "arn:aws:s3:::b/[x]"))], "s3:GetObject", "arn:aws:s3:::b/[x]"
    ).allowed
    assert not evaluate(
        [policy(allow("s3:GetObject", "arn:aws:s3:::b/[x]"))], "s3:GetObject", "arn:aws:s3:::b/x"
    ).allowed
