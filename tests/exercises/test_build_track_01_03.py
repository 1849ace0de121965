"""Exercises 01-03's checks against a local cloud: what the first line says for a plausible
wrong answer (the right answers pass in the solutions' grading)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import boto3
import pytest

from infra.deploy import add_route, deploy_stage
from infra.deploy.policies import trust_policy
from infra.exercises import checks
from infra.local.cloud import LocalCloud


def create_api_every_time(name: str, route_selection: str) -> str:
    """Right the first time only: a second call makes a second API."""
    apis = boto3.client("apigatewayv2")
    return apis.create_api(
        Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression=route_selection
    )["ApiId"]


def create_api_never_updating(name: str, route_selection: str) -> str:
    """Reuses an API of that name, but leaves its route selection expression as it was."""
    for api in boto3.client("apigatewayv2").get_apis()["Items"]:
        if api["Name"] == name:
            return str(api["ApiId"])
    return create_api_every_time(name, route_selection)


def test_an_api_created_twice_fails_saying_to_look_first(cloud: LocalCloud) -> None:
    """Names need not be unique: a second API of the name is the mistake named."""
    with pytest.raises(AssertionError, match="^A second create_api\\('game-api', ...\\) made a"):
        checks.check_create_api(create_api_every_time, "game-api", "$request.body.type")


def test_an_api_left_with_its_old_expression_fails_saying_update_api(cloud: LocalCloud) -> None:
    """An API that exists with another expression must be updated, not only reused."""
    with pytest.raises(AssertionError, match="update_api"):
        checks.check_create_api(create_api_never_updating, "game-api", "$request.body.type")


def test_a_one_way_route_fails_naming_the_route_response(cloud: LocalCloud) -> None:
    """A route wired as in lesson 03 (one-way) fails: the reply needs a route response."""

    def wire_one_way(api_id: str, route_key: str, function_name: str) -> str:
        return add_route(api_id, route_key, function_name)

    with pytest.raises(AssertionError, match="has no RouteResponseSelectionExpression"):
        checks.check_wire_routes(wire_one_way, "game", "openGames")


def test_promoting_by_a_new_deployment_fails(cloud: LocalCloud) -> None:
    """Deploying the API as it is now to the target is not promoting what dev serves."""

    def deploy_again(api_id: str, source: str, target: str) -> str:
        return deploy_stage(api_id, target)

    with pytest.raises(AssertionError, match="^promote\\(\\) made a new deployment"):
        checks.check_deploy_stage(deploy_again, "game", "prod")


def test_a_lobby_role_allowed_query_on_the_table_only_fails_naming_the_index_arn(
    cloud: LocalCloud,
) -> None:
    """The table's ARN does not cover its indexes: the message gives the index's ARN."""

    def create_role(name: str, table_arn: str, index: str) -> str:
        iam = boto3.client("iam")
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy()))
        statement = {
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:Query"],
            "Resource": table_arn,
        }
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        iam.put_role_policy(RoleName=name, PolicyName="lobby", PolicyDocument=json.dumps(policy))
        return str(role["Role"]["Arn"])

    with pytest.raises(AssertionError, match="table/lobby-games/index/by-host"):
        checks.check_create_role(create_role, "lobby-role", "lobby-games", "by-host")


def test_a_redeploy_that_forgets_the_settings_fails_naming_update_function_configuration(
    cloud: LocalCloud,
) -> None:
    """Uploading the new code but not the new environment is the mistake named."""

    def deploy_code_only(
        name: str, handler: str, role_arn: str, folder: str, environment: dict[str, str]
    ) -> str:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in sorted(Path(folder).glob("*.py")):
                archive.write(path, arcname=path.name)
        lambda_ = boto3.client("lambda")
        try:
            lambda_.get_function(FunctionName=name)
        except lambda_.exceptions.ResourceNotFoundException:
            created = lambda_.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Handler=handler,
                Role=role_arn,
                Code={"ZipFile": buffer.getvalue()},
                Environment={"Variables": environment},
            )
            lambda_.get_waiter("function_active_v2").wait(FunctionName=name)
            return str(created["FunctionArn"])
        updated = lambda_.update_function_code(FunctionName=name, ZipFile=buffer.getvalue())
        lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
        return str(updated["FunctionArn"])

    with pytest.raises(AssertionError, match="never updated the configuration"):
        checks.check_deploy_function(deploy_code_only, "hello-check")
