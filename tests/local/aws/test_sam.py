"""The SAM transform on the local cloud: aws-sam-translator, then the stack as usual."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect

from infra.deploy.stacks import (
    artifacts_bucket,
    create_stack,
    delete_stack,
    load_template,
    package_template,
)
from infra.local.cloud import LocalCloud
from tests.apps.stacks import leftovers, settle

SAMPLE = Path(__file__).parent / "data" / "simple-websockets-chat-app"
SAM = "AWS::Serverless-2016-10-31"
ALL = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]

INLINE = {
    "Transform": SAM,
    "Globals": {
        "Function": {
            "Runtime": "python3.12",
            "Timeout": 7,
            "Environment": {"Variables": {"GREETING": "hi"}},
        }
    },
    "Resources": {
        "Table": {"Type": "AWS::Serverless::SimpleTable"},
        "Echo": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": "index.handler",
                "InlineCode": "import os\ndef handler(event, context):\n    return os.environ['GREETING']\n",
                "Policies": [{"DynamoDBReadPolicy": {"TableName": {"Ref": "Table"}}}],
                "Events": {
                    "Tick": {"Type": "Schedule", "Properties": {"Schedule": "rate(5 minutes)"}},
                },
            },
        },
    },
    "Outputs": {"Function": {"Value": {"Ref": "Echo"}}, "Table": {"Value": {"Ref": "Table"}}},
}


def outputs(cloudformation: Any, name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_inline_code_globals_policy_templates_and_a_schedule(moto_session: boto3.Session) -> None:
    """InlineCode, Globals, a policy template and a Schedule event become the resources AWS makes."""
    cloudformation = moto_session.client("cloudformation")
    cloudformation.create_stack(StackName="sam", TemplateBody=json.dumps(INLINE), Capabilities=ALL)
    found = outputs(cloudformation, "sam")
    config = moto_session.client("lambda").get_function_configuration(
        FunctionName=found["Function"]
    )
    assert (config["Runtime"], config["Timeout"]) == ("python3.12", 7)
    assert config["Environment"]["Variables"] == {"GREETING": "hi"}
    table = moto_session.client("dynamodb").describe_table(TableName=found["Table"])["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    [rule] = moto_session.client("events").list_rules()["Rules"]
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    [target] = moto_session.client("events").list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == config["FunctionArn"]
    role = config["Role"].rsplit("/", 1)[-1]
    iam = moto_session.client("iam")
    attached = [
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    ]
    assert attached == ["AWSLambdaBasicExecutionRole"]
    [inline] = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=inline)["PolicyDocument"]
    assert "dynamodb:GetItem" in json.dumps(document)


def test_get_template_returns_the_original_or_the_processed_template(
    moto_session: boto3.Session,
) -> None:
    """GetTemplate gives the SAM template back; TemplateStage=Processed gives what it became."""
    cloudformation = moto_session.client("cloudformation")
    cloudformation.create_stack(StackName="sam", TemplateBody=json.dumps(INLINE), Capabilities=ALL)
    original = cloudformation.get_template(StackName="sam")["TemplateBody"]
    processed = cloudformation.get_template(StackName="sam", TemplateStage="Processed")[
        "TemplateBody"
    ]
    assert original["Resources"]["Echo"]["Type"] == "AWS::Serverless::Function"
    assert processed["Resources"]["Echo"]["Type"] == "AWS::Lambda::Function"


def test_create_stack_of_a_sam_template_needs_auto_expand(moto_session: boto3.Session) -> None:
    """Without CAPABILITY_AUTO_EXPAND, CreateStack refuses a template with a transform."""
    cloudformation = moto_session.client("cloudformation")
    with pytest.raises(ClientError) as raised:
        cloudformation.create_stack(
            StackName="sam", TemplateBody=json.dumps(INLINE), Capabilities=["CAPABILITY_IAM"]
        )
    assert raised.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
    assert "CAPABILITY_AUTO_EXPAND" in str(raised.value)


def test_an_unpackaged_code_uri_fails_the_transform_as_on_aws(moto_session: boto3.Session) -> None:
    """A CodeUri that is a local folder (not packaged to S3) is refused with the translator's words."""
    template = load_template(SAMPLE / "template.yaml")
    with pytest.raises(ClientError) as raised:
        moto_session.client("cloudformation").create_stack(
            StackName="chat", TemplateBody=json.dumps(template), Capabilities=ALL
        )
    message = str(raised.value)
    assert f"Transform {SAM} failed with: Invalid Serverless Application Specification" in message
    assert "CodeUri" in message


def test_a_change_set_runs_the_transform_like_aws_cloudformation_deploy(
    moto_session: boto3.Session,
) -> None:
    """CreateChangeSet + ExecuteChangeSet (what `aws cloudformation deploy` does) creates the stack."""
    cloudformation = moto_session.client("cloudformation")
    cloudformation.create_change_set(
        StackName="sam",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(INLINE),
        Capabilities=["CAPABILITY_IAM"],
    )
    cloudformation.execute_change_set(ChangeSetName="first", StackName="sam")
    stack = cloudformation.describe_stacks(StackName="sam")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert moto_session.client("lambda").get_function(
        FunctionName=outputs(cloudformation, "sam")["Function"]
    )


def test_the_simple_websockets_chat_app_chats_and_deletes_cleanly(cloud: LocalCloud) -> None:
    """AWS's sample layout (SAM, raw ApiGatewayV2 resources) serves its chat, then leaves nothing."""
    template = package_template(load_template(SAMPLE / "template.yaml"), SAMPLE, artifacts_bucket())
    found = create_stack("simple-chat", template)
    apis = boto3.client("apigatewayv2").get_apis()["Items"]
    [api] = [a for a in apis if a["Name"] == "SimpleChatWebSocket"]
    assert found["WebSocketURI"] == f"wss://{api['ApiId']}.execute-api.us-east-1.amazonaws.com/Prod"
    url = f"{api['ApiEndpoint']}/Prod"  # the URI the sample builds by hand is AWS's host

    async def scenario() -> tuple[str, str]:
        async with connect(url) as ada, connect(url) as bob:
            await ada.send(json.dumps({"action": "sendmessage", "data": "hello world"}))
            return (await asyncio.wait_for(ada.recv(), 10)), (
                await asyncio.wait_for(bob.recv(), 10)
            )

    assert asyncio.run(scenario()) == ("hello world", "hello world")
    settle(cloud)
    delete_stack("simple-chat")
    # The sample declares no log groups: Lambda made them, so they stay after the stack, as on AWS.
    assert [left for left in leftovers("simple-chat") if not left.startswith("log group")] == []
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    roles = [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]]
    assert not [r for r in roles if "simple-chat" in r]
