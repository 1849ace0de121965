"""deploy_stage and create_auto_deploy_stage: the URL clients connect to."""

from __future__ import annotations

import boto3
import pytest

from infra.deploy import add_route, create_auto_deploy_stage, create_websocket_api, deploy_stage


@pytest.fixture
def api_id(moto_aws: boto3.Session, chat_function: str) -> str:
    api_id = create_websocket_api("chat")
    add_route(api_id, "$connect", chat_function)
    return api_id


def test_first_deploy_creates_the_stage(moto_aws: boto3.Session, api_id: str) -> None:
    """The stage points at a new deployment, is tagged, and its URL is ApiEndpoint/stage."""
    url = deploy_stage(api_id, "dev")
    apis = moto_aws.client("apigatewayv2")
    stage = apis.get_stage(ApiId=api_id, StageName="dev")
    assert stage["DeploymentId"] in {
        d["DeploymentId"] for d in apis.get_deployments(ApiId=api_id)["Items"]
    }
    assert stage["Tags"] == {"workshop:app": "chat"}
    assert url == f"{apis.get_api(ApiId=api_id)['ApiEndpoint']}/dev"


def test_redeploy_moves_the_stage_to_a_new_deployment(
    moto_aws: boto3.Session, api_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deploying again updates the existing stage to the newer deployment."""
    deploy_stage(api_id, "dev")
    first = moto_aws.client("apigatewayv2").get_stage(ApiId=api_id, StageName="dev")["DeploymentId"]
    deploy_stage(api_id, "dev")
    stage = moto_aws.client("apigatewayv2").get_stage(ApiId=api_id, StageName="dev")
    assert stage["DeploymentId"] != first
    assert "✓ stage dev (updated)" in capsys.readouterr().out.splitlines()[-1]


def test_auto_deploy_stage(moto_aws: boto3.Session, api_id: str) -> None:
    """An auto-deploy stage is created once and keeps AutoDeploy on."""
    url = create_auto_deploy_stage(api_id, "live")
    assert create_auto_deploy_stage(api_id, "live") == url
    stage = moto_aws.client("apigatewayv2").get_stage(ApiId=api_id, StageName="live")
    assert stage["AutoDeploy"] is True
    assert url.endswith("/live")
