"""Steps: deploy a WebSocket API to a stage, the URL clients connect to."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.deploy.aws import client, error_code, report


def deploy_stage(api_id: str, stage: str = "dev", *, session: boto3.Session | None = None) -> str:
    """Snapshot the API's routes in a new deployment and point ``stage`` at it; return the stage URL.

    Routes only take effect once deployed: re-run this after changing routes or integrations.
    """
    apis = client("apigatewayv2", session)
    api = apis.get_api(ApiId=api_id)
    deployment_id = apis.create_deployment(ApiId=api_id, Description=f"workshop deploy to {stage}")[
        "DeploymentId"
    ]
    if _stage(apis, api_id, stage) is None:
        apis.create_stage(
            ApiId=api_id, StageName=stage, DeploymentId=deployment_id, Tags=api.get("Tags", {})
        )
        outcome = "created"
    else:
        apis.update_stage(ApiId=api_id, StageName=stage, DeploymentId=deployment_id)
        outcome = "updated"
    url = stage_url(api, stage)
    report("stage", stage, outcome, f"deployment {deployment_id} → {url}")
    return url


def create_auto_deploy_stage(
    api_id: str, stage: str = "dev", *, session: boto3.Session | None = None
) -> str:
    """Create (or switch to) a stage that redeploys by itself on every API change; return its URL."""
    apis = client("apigatewayv2", session)
    api = apis.get_api(ApiId=api_id)
    current = _stage(apis, api_id, stage)
    if current is None:
        apis.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True, Tags=api.get("Tags", {}))
        outcome = "created"
    elif not current.get("AutoDeploy"):
        apis.update_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
        outcome = "updated"
    else:
        outcome = "exists"
    url = stage_url(api, stage)
    report("stage", stage, outcome, f"auto-deploy → {url}")
    return url


def stage_url(api: dict[str, Any], stage: str) -> str:
    """The WebSocket URL of a stage: the API's endpoint (``wss://`` on AWS, ``ws://`` locally) + stage."""
    return f"{api['ApiEndpoint']}/{stage}"


def _stage(apis: Any, api_id: str, stage: str) -> dict[str, Any] | None:
    """The stage, or None when it does not exist yet."""
    try:
        return apis.get_stage(ApiId=api_id, StageName=stage)
    except ClientError as error:
        if error_code(error) == "NotFoundException":
            return None
        raise
