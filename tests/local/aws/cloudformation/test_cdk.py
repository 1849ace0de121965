"""A WebSocket chat template in the CDK's shape (tests/local/aws/cdk_chat.py) deployed with
boto3's create_stack: it chats over a real WebSocket and deletes with nothing left."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core.base_backend import BackendDict
from websockets.asyncio.client import connect

from infra.deploy.packaging import package_lambda
from infra.local.cloud import LocalCloud
from infra.local.state.lifecycle import CloudState
from tests.apps.helpers import extra_frames, receive
from tests.apps.stacks import settle
from tests.local.aws.cloudformation import cdk_chat

ACCOUNT, REGION = "123456789012", "us-east-1"
STACK = cdk_chat.STACK
WAIT = {"Delay": 1, "MaxAttempts": 120}  # boto3's default Delay for stacks is 30 s
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


def say(text: str) -> str:
    return json.dumps({"action": "sendMessage", "data": text})


def create(aws: Callable[..., Any], template: dict[str, Any]) -> None:
    aws("cloudformation").create_stack(
        StackName=STACK, TemplateBody=json.dumps(template), Capabilities=CAPABILITIES
    )


@pytest.fixture(scope="module")
def template(aws: Callable[..., Any]) -> dict[str, Any]:
    """The synthesized template, with its code asset in the bootstrap bucket (as `cdk deploy`
    uploads it) and no bootstrap version in SSM yet."""
    bucket = cdk_chat.ASSET_BUCKET.format(account=ACCOUNT, region=REGION)
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"{cdk_chat.ASSET_HASH}.zip", Body=package_lambda("chat"))
    return cdk_chat.template(ACCOUNT, REGION)


def test_an_unbootstrapped_account_is_refused_as_on_aws(
    aws: Callable[..., Any], template: dict[str, Any]
) -> None:
    """No /cdk-bootstrap/hnb659fds/version in SSM: CreateStack says so, and nothing is made."""
    with pytest.raises(ClientError) as refused:
        create(aws, template)
    assert refused.value.response["Error"]["Message"] == (
        "Unable to fetch parameters [/cdk-bootstrap/hnb659fds/version] from parameter store "
        "for this account."
    )


def test_an_old_bootstrap_fails_the_cdks_rule(
    aws: Callable[..., Any], template: dict[str, Any]
) -> None:
    """Bootstrap version 5: the rule CheckBootstrapVersion refuses the stack with its text."""
    aws("ssm").put_parameter(Name=cdk_chat.BOOTSTRAP_PARAMETER, Value="5", Type="String")
    with pytest.raises(ClientError) as refused:
        create(aws, template)
    assert refused.value.response["Error"]["Message"].startswith(
        "CDK bootstrap stack version 6 required."
    )


def test_it_deploys_chats_and_deletes_with_nothing_left(
    aws: Callable[..., Any], cloud: LocalCloud, template: dict[str, Any]
) -> None:
    """Bootstrapped (version 21): the stack is made, ada's message reaches bob, an unknown
    action gets help, and DeleteStack removes the tables, functions, roles and API."""
    aws("ssm").put_parameter(
        Name=cdk_chat.BOOTSTRAP_PARAMETER, Value="21", Type="String", Overwrite=True
    )
    cfn = aws("cloudformation")
    create(aws, template)
    cfn.get_waiter("stack_create_complete").wait(StackName=STACK, WaiterConfig=WAIT)
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    url = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "WebSocketURL")
    made = {
        r["LogicalResourceId"]: (r["ResourceType"], r["PhysicalResourceId"])
        for r in cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    }
    assert made["CDKMetadata"][0] == "AWS::CDK::Metadata"

    async def chat() -> tuple[dict, dict, list]:
        async with connect(f"{url}?name=ada") as ada, connect(f"{url}?name=bob") as bob:
            await ada.send(say("hello from the cdk"))
            message = await receive(bob)
            await bob.send(json.dumps({"action": "dance"}))
            return message, await receive(bob), await extra_frames(bob)

    message, helped, extra = asyncio.run(chat())
    assert message == {"type": "message", "from": "ada", "text": "hello from the cdk"}
    assert helped["type"] == "help"
    assert extra == []

    settle(cloud)
    cfn.delete_stack(StackName=STACK)
    cfn.get_waiter("stack_delete_complete").wait(StackName=STACK, WaiterConfig=WAIT)
    assert leftovers(aws, made) == []


def leftovers(aws: Callable[..., Any], made: dict[str, tuple[str, str]]) -> list[str]:
    """Which of the stack's tables, functions, roles, policies and APIs still exist."""
    found = []
    tables = set(aws("dynamodb").list_tables()["TableNames"])
    functions = {f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]}
    roles = {r["RoleName"] for r in aws("iam").list_roles()["Roles"]}
    apis = {a["ApiId"] for a in aws("apigatewayv2").get_apis()["Items"]}
    for logical_id, (kind, physical) in made.items():
        name = physical.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        gone = {
            "AWS::DynamoDB::Table": tables,
            "AWS::Lambda::Function": functions,
            "AWS::IAM::Role": roles,
            "AWS::ApiGatewayV2::Api": apis,
        }.get(kind)
        if gone is not None and name in gone:
            found.append(f"{kind} {logical_id} ({physical})")
    return found


def test_the_bootstrap_version_is_saved_with_the_state(
    aws: Callable[..., Any], cloud: LocalCloud, tmp_path: Path
) -> None:
    """SSM's parameters come back from a saved state: a restarted cloud stays bootstrapped."""
    aws("ssm").put_parameter(
        Name=cdk_chat.BOOTSTRAP_PARAMETER, Value="22", Type="String", Overwrite=True
    )
    before = aws("ssm").get_parameter(Name=cdk_chat.BOOTSTRAP_PARAMETER)["Parameter"]
    state = CloudState(cloud.backends, tmp_path / "state", interval=3600).open()
    assert state.save_now()
    state.close()
    with cloud.backends.lock:
        BackendDict.reset()
    CloudState(cloud.backends, tmp_path / "state", interval=3600).open().close()
    parameter = aws("ssm").get_parameter(Name=cdk_chat.BOOTSTRAP_PARAMETER)["Parameter"]
    assert parameter == before
