"""Deployments as on AWS: a stage serves its deployment's snapshot until it is redeployed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import websockets
from botocore.exceptions import ClientError

from tests.local.gateway.helpers import (
    ECHO,
    RECORD,
    GatewayLab,
    nothing_arrives,
    recv_text,
    run,
)

FORBIDDEN = re.compile(r'^\{"message": "Forbidden", "connectionId":"[^"]+", "requestId":"[^"]+"\}$')

# A second handler, to tell two integrations of the same route apart.
SHOUT = """
def handler(event, context):
    return {"statusCode": 200, "body": "SHOUTED"}
"""


@pytest.fixture(scope="module")
def apigw(aws: Any) -> Any:
    return aws("apigatewayv2")


def reply_to(url: str, message: str) -> str:
    """The first frame the server sends back to one message on a fresh connection."""

    async def scenario() -> str:
        async with websockets.connect(url) as ws:
            await ws.send(message)
            return await recv_text(ws)

    return str(run(scenario()))


def test_create_deployment_is_deployed(lab: GatewayLab, apigw: Any) -> None:
    """CreateDeployment returns an id with status DEPLOYED and the description given."""
    deployed = lab.deploy({"echo": ECHO}, auto_deploy=False)
    created = apigw.create_deployment(ApiId=deployed.api_id, Description="first")
    assert created["DeploymentStatus"] == "DEPLOYED"
    assert created["Description"] == "first"
    assert created["AutoDeployed"] is False


def test_get_deployment_and_get_deployments(lab: GatewayLab, apigw: Any) -> None:
    """GetDeployment returns one deployment and GetDeployments lists all of them."""
    deployed = lab.deploy({"echo": ECHO}, auto_deploy=False)
    created = apigw.create_deployment(ApiId=deployed.api_id)
    got = apigw.get_deployment(ApiId=deployed.api_id, DeploymentId=created["DeploymentId"])
    listed = apigw.get_deployments(ApiId=deployed.api_id)["Items"]
    assert got["DeploymentId"] == created["DeploymentId"]
    assert created["DeploymentId"] in {item["DeploymentId"] for item in listed}
    assert len(listed) == 2  # the one deploy() made for the stage, and this one


def test_delete_deployment(lab: GatewayLab, apigw: Any) -> None:
    """DeleteDeployment removes it: GetDeployment then raises NotFoundException."""
    deployed = lab.deploy({"echo": ECHO}, auto_deploy=False)
    deployment_id = apigw.create_deployment(ApiId=deployed.api_id)["DeploymentId"]
    apigw.delete_deployment(ApiId=deployed.api_id, DeploymentId=deployment_id)
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_deployment(ApiId=deployed.api_id, DeploymentId=deployment_id)


def test_deployment_in_use_cannot_be_deleted(lab: GatewayLab, apigw: Any) -> None:
    """Deleting the deployment a stage serves is refused with BadRequestException."""
    deployed = lab.deploy({"echo": ECHO}, auto_deploy=False)
    in_use = apigw.get_stage(ApiId=deployed.api_id, StageName="dev")["DeploymentId"]
    with pytest.raises(apigw.exceptions.BadRequestException):
        apigw.delete_deployment(ApiId=deployed.api_id, DeploymentId=in_use)


def test_unknown_deployment_is_not_found(lab: GatewayLab, apigw: Any) -> None:
    """GetDeployment of an unknown id raises NotFoundException."""
    deployed = lab.deploy({"echo": ECHO}, auto_deploy=False)
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_deployment(ApiId=deployed.api_id, DeploymentId="nope00")


def test_stage_serves_its_deployment(lab: GatewayLab) -> None:
    """A stage created with a DeploymentId serves that deployment's routes."""
    deployed = lab.deploy({"echo": ECHO}, two_way=("echo",), auto_deploy=False)
    assert json.loads(reply_to(deployed.url, '{"action": "echo"}'))["route"] == "echo"


def test_route_added_later_is_forbidden_until_redeployed(lab: GatewayLab) -> None:
    """A route created after the deployment gets the Forbidden frame (no $default)."""
    deployed = lab.deploy({"echo": ECHO}, two_way=("echo",), auto_deploy=False)
    lab.add_route(deployed.api_id, "later", ECHO, two_way=True)
    assert FORBIDDEN.match(reply_to(deployed.url, '{"action": "later"}'))


def test_route_added_later_is_served_after_redeploy(lab: GatewayLab, apigw: Any) -> None:
    """create_deployment + update_stage(DeploymentId) serves the new route."""
    deployed = lab.deploy({"echo": ECHO}, two_way=("echo",), auto_deploy=False)
    lab.add_route(deployed.api_id, "later", ECHO, two_way=True)
    deployment_id = apigw.create_deployment(ApiId=deployed.api_id)["DeploymentId"]
    apigw.update_stage(ApiId=deployed.api_id, StageName="dev", DeploymentId=deployment_id)
    assert json.loads(reply_to(deployed.url, '{"action": "later"}'))["route"] == "later"
    stage = apigw.get_stage(ApiId=deployed.api_id, StageName="dev")
    assert stage["DeploymentId"] == deployment_id


def test_create_deployment_with_stage_name_redeploys_that_stage(
    lab: GatewayLab, apigw: Any
) -> None:
    """CreateDeployment(StageName=...) points the stage at the new deployment."""
    deployed = lab.deploy({"echo": ECHO}, two_way=("echo",), auto_deploy=False)
    lab.add_route(deployed.api_id, "later", ECHO, two_way=True)
    apigw.create_deployment(ApiId=deployed.api_id, StageName="dev")
    assert json.loads(reply_to(deployed.url, '{"action": "later"}'))["route"] == "later"


def test_integration_changed_later_is_not_served_until_redeployed(
    lab: GatewayLab, apigw: Any
) -> None:
    """Pointing an integration at another function changes nothing until redeployed."""
    deployed = lab.deploy({"echo": ECHO}, two_way=("echo",), auto_deploy=False)
    integration = apigw.get_integrations(ApiId=deployed.api_id)["Items"][0]
    apigw.update_integration(
        ApiId=deployed.api_id,
        IntegrationId=integration["IntegrationId"],
        IntegrationUri=lab.invocation_uri(lab.function(SHOUT)),
    )
    assert json.loads(reply_to(deployed.url, '{"action": "echo"}'))["route"] == "echo"
    apigw.create_deployment(ApiId=deployed.api_id, StageName="dev")
    assert reply_to(deployed.url, '{"action": "echo"}') == "SHOUTED"


def test_route_response_added_later_is_not_served_until_redeployed(
    lab: GatewayLab, apigw: Any
) -> None:
    """Making a route two-way takes effect only with the next deployment."""
    deployed = lab.deploy({"echo": ECHO, "$default": RECORD}, two_way=(), auto_deploy=False)
    route = next(
        r for r in apigw.get_routes(ApiId=deployed.api_id)["Items"] if r["RouteKey"] == "echo"
    )
    apigw.update_route(
        ApiId=deployed.api_id, RouteId=route["RouteId"], RouteResponseSelectionExpression="$default"
    )
    apigw.create_route_response(
        ApiId=deployed.api_id, RouteId=route["RouteId"], RouteResponseKey="$default"
    )

    async def one_way_still() -> None:
        async with websockets.connect(deployed.url) as ws:
            await ws.send('{"action": "echo"}')
            await nothing_arrives(ws)

    run(one_way_still())
    apigw.create_deployment(ApiId=deployed.api_id, StageName="dev")
    assert json.loads(reply_to(deployed.url, '{"action": "echo"}'))["route"] == "echo"


def test_auto_deploy_serves_the_latest_configuration(lab: GatewayLab) -> None:
    """With AutoDeploy=True a route added after the stage is served at once."""
    deployed = lab.deploy({"echo": ECHO}, two_way=("echo",), auto_deploy=True)
    lab.add_route(deployed.api_id, "later", ECHO, two_way=True)
    assert json.loads(reply_to(deployed.url, '{"action": "later"}'))["route"] == "later"


def test_stage_without_deployment_refuses_connections(lab: GatewayLab, apigw: Any) -> None:
    """A stage that has never been deployed refuses the handshake with 403."""
    deployed = lab.deploy({"echo": ECHO}, auto_deploy=False)
    apigw.create_stage(ApiId=deployed.api_id, StageName="empty")

    async def scenario() -> int:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(f"{deployed.endpoint}/empty")
        return refused.value.response.status_code

    assert run(scenario()) == 403


def test_deploying_an_api_without_routes_is_refused(apigw: Any) -> None:
    """CreateDeployment of a WebSocket API with no routes raises BadRequestException."""
    api_id = apigw.create_api(
        Name="empty", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    with pytest.raises(ClientError) as refused:
        apigw.create_deployment(ApiId=api_id)
    assert refused.value.response["Error"]["Code"] == "BadRequestException"


def test_turning_auto_deploy_off_keeps_the_latest_configuration(
    lab: GatewayLab, apigw: Any
) -> None:
    """After UpdateStage(AutoDeploy=False) the stage still serves what it served, frozen."""
    deployed = lab.deploy({"echo": ECHO}, two_way=("echo",), auto_deploy=True)
    apigw.update_stage(ApiId=deployed.api_id, StageName="dev", AutoDeploy=False)
    lab.add_route(deployed.api_id, "later", ECHO, two_way=True)
    assert json.loads(reply_to(deployed.url, '{"action": "echo"}'))["route"] == "echo"
    assert FORBIDDEN.match(reply_to(deployed.url, '{"action": "later"}'))


def test_creating_an_existing_stage_is_a_conflict(lab: GatewayLab, apigw: Any) -> None:
    """CreateStage for a stage name that exists raises ConflictException (HTTP 409)."""
    deployed = lab.deploy({"echo": ECHO})
    with pytest.raises(apigw.exceptions.ConflictException) as refused:
        apigw.create_stage(ApiId=deployed.api_id, StageName=deployed.stage)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
