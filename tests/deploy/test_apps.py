"""deploy_app: each seed app stood up from its plan, idempotently."""

from __future__ import annotations

import json

import boto3
import pytest

from infra.deploy import check_least_privilege
from infra.deploy.apps import PLANS, deploy_app


def inline_policy(moto_aws: boto3.Session, role: str) -> dict:
    document = moto_aws.client("iam").get_role_policy(RoleName=role, PolicyName="least-privilege")
    policy = document["PolicyDocument"]
    return json.loads(policy) if isinstance(policy, str) else policy


@pytest.mark.parametrize("app", sorted(PLANS))
def test_every_route_has_its_function(moto_aws: boto3.Session, app: str) -> None:
    """Each planned route exists and targets an integration; each function exists."""
    url = deploy_app(app)
    plan = PLANS[app]
    apis = moto_aws.client("apigatewayv2")
    (api,) = apis.get_apis()["Items"]
    assert url == f"{api['ApiEndpoint']}/dev"
    routes = {r["RouteKey"]: r for r in apis.get_routes(ApiId=api["ApiId"])["Items"]}
    assert set(routes) == {route.key for route in plan.routes}
    assert all(route["Target"].startswith("integrations/") for route in routes.values())
    functions = {f["FunctionName"] for f in moto_aws.client("lambda").list_functions()["Functions"]}
    assert functions == set(plan.function_names)


@pytest.mark.parametrize("app", sorted(PLANS))
def test_role_policy_is_least_privilege(moto_aws: boto3.Session, app: str) -> None:
    """The deployed role's policy passes check_least_privilege."""
    deploy_app(app)
    assert check_least_privilege(inline_policy(moto_aws, f"{app}-lambda-role")) == []


def test_chat_policy_is_scoped_to_its_stage(moto_aws: boto3.Session) -> None:
    """Chat may post only to its own API's dev stage connections."""
    deploy_app("chat")
    (api,) = moto_aws.client("apigatewayv2").get_apis()["Items"]
    policy = inline_policy(moto_aws, "chat-lambda-role")
    (manage,) = [s for s in policy["Statement"] if s["Sid"] == "ManageConnections"]
    assert manage["Resource"] == [
        f"arn:aws:execute-api:us-east-1:123456789012:{api['ApiId']}/dev/POST/@connections/*"
    ]


def test_redeploy_creates_nothing_new(
    moto_aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second deploy reports every resource as existing or unchanged."""
    deploy_app("arena")
    capsys.readouterr()
    deploy_app("arena")
    lines = capsys.readouterr().out.splitlines()
    outcomes = [
        line.split("(")[1].split(")")[0] for line in lines if not line.startswith("✓ stage")
    ]
    assert set(outcomes) <= {"exists", "unchanged"}
    assert len(moto_aws.client("apigatewayv2").get_apis()["Items"]) == 1
    mappings = moto_aws.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert len(mappings) == 1


def test_stream_and_schedule_functions_get_the_connections_url(moto_aws: boto3.Session) -> None:
    """Functions without a requestContext learn the @connections endpoint from CONNECTIONS_URL."""
    deploy_app("push")
    (api,) = moto_aws.client("apigatewayv2").get_apis()["Items"]
    config = moto_aws.client("lambda").get_function_configuration(FunctionName="push-broadcast")
    assert config["Environment"]["Variables"] == {
        "TABLE_NAME": "push-connections",
        "CONNECTIONS_URL": f"https://{api['ApiId']}.execute-api.us-east-1.amazonaws.com/dev",
    }


def test_unknown_app_is_refused(moto_aws: boto3.Session) -> None:
    """deploy_app names the apps it knows when given another."""
    with pytest.raises(ValueError, match="chat"):
        deploy_app("snake")


def test_a_plan_can_leave_the_stream_and_the_schedule_to_the_learner(
    moto_aws: boto3.Session,
) -> None:
    """stream_mapped=False and schedule=None create the functions but no mapping and no
    schedule."""
    from dataclasses import replace

    from infra.deploy.apps import ARENA, PUSH, deploy_plan

    deploy_plan(replace(ARENA, stream_mapped=False))
    deploy_plan(replace(PUSH, schedule=None))
    functions = {f["FunctionName"] for f in moto_aws.client("lambda").list_functions()["Functions"]}
    assert {"arena-tableTriggers", "push-broadcast"} <= functions
    mappings = moto_aws.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert mappings == []
    assert moto_aws.client("scheduler").list_schedules()["Schedules"] == []
    assert moto_aws.client("events").list_rules()["Rules"] == []
    table = moto_aws.client("dynamodb").describe_table(TableName="arena-connections")["Table"]
    assert table["StreamSpecification"]["StreamEnabled"]  # ready for the learner's mapping
