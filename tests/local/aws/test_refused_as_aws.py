"""Requests AWS refuses and moto let through: refused here with AWS's own error type and words."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests import waits

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response: dict[str, Any] = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def a_function(session: boto3.Session, name: str = "fn") -> Any:
    """A Lambda client and a function called `name` to grant permissions on."""
    role = session.client("iam").create_role(
        RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    lambda_ = session.client("lambda")
    waits.create_function(
        lambda_,
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": package.getvalue()},
    )
    return lambda_


def grant(lambda_: Any, statement_id: str) -> dict[str, Any]:
    return lambda_.add_permission(
        FunctionName="fn",
        StatementId=statement_id,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )


# ---------------------------------------------------------------- Lambda AddPermission


def test_a_statement_id_the_policy_has_already_is_a_conflict(moto_session: boto3.Session) -> None:
    """A second AddPermission with the same StatementId: 409 ResourceConflictException."""
    lambda_ = a_function(moto_session)
    grant(lambda_, "apigw-connect")
    with pytest.raises(ClientError) as raised:
        grant(lambda_, "apigw-connect")
    assert error_of(raised) == (
        409,
        "ResourceConflictException",
        "The statement id (apigw-connect) provided already exists. Please provide a new"
        " statement id, or remove the existing statement.",
    )
    policy = json.loads(lambda_.get_policy(FunctionName="fn")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["apigw-connect"]


def test_a_removed_statement_id_can_be_used_again(moto_session: boto3.Session) -> None:
    """RemovePermission frees the StatementId, as the conflict's message says."""
    lambda_ = a_function(moto_session)
    grant(lambda_, "apigw-connect")
    lambda_.remove_permission(FunctionName="fn", StatementId="apigw-connect")
    grant(lambda_, "apigw-connect")


@pytest.mark.parametrize("statement_id", ["apigw-$connect", "assets.example.com", "a b"])
def test_a_statement_id_outside_the_pattern_is_a_validation_error(
    moto_session: boto3.Session, statement_id: str
) -> None:
    """A StatementId not matching ([a-zA-Z0-9-_]+) is refused with Lambda's ValidationException."""
    lambda_ = a_function(moto_session)
    with pytest.raises(ClientError) as raised:
        grant(lambda_, statement_id)
    assert error_of(raised) == (
        400,
        "ValidationException",
        f"1 validation error detected: Value '{statement_id}' at 'statementId' failed to satisfy"
        " constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)",
    )
    with pytest.raises(ClientError):  # nothing was added
        lambda_.get_policy(FunctionName="fn")


# ---------------------------------------------------------------- EventBridge PutRule


@pytest.mark.parametrize(
    "expression", ["rate(1 minutes)", "rate(2 minute)", "rate(1 days)", "rate(0 minutes)"]
)
def test_a_rate_whose_unit_does_not_agree_with_its_value_is_refused(
    moto_session: boto3.Session, expression: str
) -> None:
    """rate(1 minutes) and rate(2 minute) are ValidationException, as EventBridge documents."""
    events = moto_session.client("events")
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name="tick", ScheduleExpression=expression)
    assert error_of(raised) == (
        400,
        "ValidationException",
        "Parameter ScheduleExpression is not valid.",
    )
    assert events.list_rules()["Rules"] == []


@pytest.mark.parametrize("expression", ["rate(1 minute)", "rate(2 minutes)", "rate(1 hour)"])
def test_a_rate_whose_unit_agrees_with_its_value_is_accepted(
    moto_session: boto3.Session, expression: str
) -> None:
    """One singular, more than one plural: accepted."""
    events = moto_session.client("events")
    events.put_rule(Name="tick", ScheduleExpression=expression)
    assert events.describe_rule(Name="tick")["ScheduleExpression"] == expression


def test_put_rule_on_an_existing_rule_ignores_its_tags(moto_session: boto3.Session) -> None:
    """Tags apply when PutRule creates the rule; on an update AWS ignores them."""
    events = moto_session.client("events")
    arn = events.put_rule(
        Name="tick", ScheduleExpression="rate(1 minute)", Tags=[{"Key": "app", "Value": "chat"}]
    )["RuleArn"]
    events.put_rule(
        Name="tick", ScheduleExpression="rate(5 minutes)", Tags=[{"Key": "app", "Value": "push"}]
    )
    assert events.describe_rule(Name="tick")["ScheduleExpression"] == "rate(5 minutes)"
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "app", "Value": "chat"}
    ]


# ---------------------------------------------------------------- API Gateway v2


def test_a_second_route_response_with_the_same_key_is_a_conflict(
    moto_session: boto3.Session,
) -> None:
    """CreateRouteResponse with a RouteResponseKey the route has: 409 ConflictException."""
    apis = moto_session.client("apigatewayv2")
    api = apis.create_api(
        Name="demo", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    route = apis.create_route(ApiId=api, RouteKey="list")["RouteId"]
    other = apis.create_route(ApiId=api, RouteKey="move")["RouteId"]
    apis.create_route_response(ApiId=api, RouteId=route, RouteResponseKey="$default")
    with pytest.raises(ClientError) as raised:
        apis.create_route_response(ApiId=api, RouteId=route, RouteResponseKey="$default")
    status, code, _ = error_of(raised)
    assert (status, code) == (409, "ConflictException")
    apis.create_route_response(ApiId=api, RouteId=other, RouteResponseKey="$default")
    items = apis.get_route_responses(ApiId=api, RouteId=route)["Items"]
    assert [item["RouteResponseKey"] for item in items] == ["$default"]
