"""The checks of lesson 10's challenges: the first stack, created with its capabilities and
waited for; and the update that gives the `Deployment` a new logical id, so the stage serves
the whisper route."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import yaml

from infra.deploy.aws import APP_TAG
from infra.deploy.stacks import Template, create_stack, stack_exists, update_stack

from . import check, not_done, passed, require

DEPLOYMENT_TYPE = "AWS::ApiGatewayV2::Deployment"
NEW_DEPLOYMENT = "DeploymentWithWhisper"
STAGE = "dev"


def _stack(name: str) -> dict[str, Any]:
    return boto3.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]


def _resources(name: str) -> dict[str, dict[str, Any]]:
    """The stack's resources by logical id."""
    paginator = boto3.client("cloudformation").get_paginator("list_stack_resources")
    return {
        resource["LogicalResourceId"]: resource
        for page in paginator.paginate(StackName=name)
        for resource in page["StackResourceSummaries"]
    }


@check
def stack_created(name: str, first: Template) -> None:
    """`stack-create`: the stack of the first version (no whisper), complete, on the `dev`
    stage, tagged `workshop:app=<name>`."""
    if not stack_exists(name):
        return not_done(
            f"there is no stack {name}",
            "stack-create",
            lambda: create_stack(
                name, first, parameters={"StageName": STAGE}, tags={APP_TAG: name}
            ),
            f"create_stack({name!r}, first, ...) from infra.deploy.stacks, and its waiter",
        )
    stack = _stack(name)
    status = stack["StackStatus"]
    require(
        not status.endswith("IN_PROGRESS"),
        f"{name} is still {status}: wait for it, cloudformation.get_waiter("
        f"'stack_create_complete').wait(StackName={name!r})",
    )
    require(
        status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"),
        f"{name} is {status}: its creation failed (describe_stack_events says which resource"
        f" and why); delete it (cloudformation.delete_stack(StackName={name!r}) and its waiter"
        " stack_delete_complete), then create it again",
    )
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    require(
        parameters.get("StageName") == STAGE,
        f"{name}'s StageName is {parameters.get('StageName')!r}: pass Parameters=[{{"
        f"'ParameterKey': 'StageName', 'ParameterValue': '{STAGE}'}}] (delete the stack and"
        " create it again)",
    )
    tags = {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])}
    require(
        tags.get(APP_TAG) == name,
        f"{name} is not tagged {APP_TAG}={name}, so its resources are not either: pass"
        f" Tags=[{{'Key': '{APP_TAG}', 'Value': STACK}}] (delete the stack and create it again)",
    )
    if status == "CREATE_COMPLETE":
        whisper = [logical for logical in _resources(name) if logical.startswith("Whisper")]
        require(
            not whisper,
            f"{name} has {', '.join(whisper)}: the first version is the template without"
            " whisper, TemplateBody=json.dumps(first) (delete the stack and create it again)",
        )
    passed(f"{name} is {status}, on the stage {STAGE}, tagged {APP_TAG}={name}")


def redeployed(template: Template) -> Template:
    """The template with its `Deployment` under a new logical id, which the `Stage` refers to."""
    second = copy.deepcopy(template)
    second["Resources"][NEW_DEPLOYMENT] = second["Resources"].pop("Deployment")
    second["Resources"]["Stage"]["Properties"]["DeploymentId"] = {"Ref": NEW_DEPLOYMENT}
    return second


def _template_of(name: str) -> dict[str, Any]:
    body = boto3.client("cloudformation").get_template(StackName=name)["TemplateBody"]
    if isinstance(body, str):
        body = yaml.safe_load(body) if not body.lstrip().startswith("{") else json.loads(body)
    return body if isinstance(body, dict) else {}


def _redeploy(name: str, packaged: Template) -> None:
    """The kit's step for `stack-redeploy`, and a look that it took."""
    update_stack(name, redeployed(packaged), parameters={"StageName": STAGE}, tags={APP_TAG: name})
    require(
        NEW_DEPLOYMENT in _resources(name),
        f"the kit's update_stack left {name} without {NEW_DEPLOYMENT}: its events say why",
    )


@check
def stage_serves_whisper(name: str, packaged: Template) -> None:
    """`stack-redeploy`: the stack's stage serves a deployment made after `WhisperRoute`."""
    resources = _resources(name)
    deployments = [
        logical for logical, r in resources.items() if r["ResourceType"] == DEPLOYMENT_TYPE
    ]
    require("WhisperRoute" in resources, f"{name} has no WhisperRoute: run the update cell above")
    if deployments == ["Deployment"]:
        return not_done(
            f"{name}'s deployment is still the logical id Deployment, made before WhisperRoute",
            "stack-redeploy",
            lambda: _redeploy(name, packaged),
            f"update_stack({name!r}, a copy of packaged whose Deployment is {NEW_DEPLOYMENT})",
        )
    status = _stack(name)["StackStatus"]
    require(
        status == "UPDATE_COMPLETE",
        f"{name} is {status}: update_stack waits until it is UPDATE_COMPLETE; if the update"
        " rolled back, its events say which resource failed and why",
    )
    require(
        len(deployments) == 1,
        f"{name} has the deployments {deployments}: send a template with one (rename"
        " Deployment, do not add a second)",
    )
    logical = deployments[0]
    resource = _template_of(name).get("Resources", {}).get(logical, {})
    depends = resource.get("DependsOn", [])
    depends = [depends] if isinstance(depends, str) else depends
    require(
        "WhisperRoute" in depends,
        f"{logical}'s DependsOn lacks WhisperRoute, so it may be made before the route: keep"
        " the DependsOn list of packaged's Deployment",
    )
    api_id = resources["ChatApi"]["PhysicalResourceId"]
    stage = boto3.client("apigatewayv2").get_stage(ApiId=api_id, StageName=STAGE)
    require(
        stage.get("DeploymentId") == resources[logical]["PhysicalResourceId"],
        f"the stage {STAGE} does not serve {logical}: the Stage's DeploymentId should be"
        f" {{'Ref': {logical!r}}}",
    )
    passed(f"the stage {STAGE} serves {logical}, made after WhisperRoute")
