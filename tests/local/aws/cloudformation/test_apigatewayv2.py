"""A stack's WebSocket API serves real traffic as soon as the stack is CREATE_COMPLETE."""

from __future__ import annotations

import asyncio
import json

import boto3
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from infra.local.cloud import LocalCloud
from tests import waits

AUTHORIZER_CODE = """
def handler(event, context):
    allowed = event["headers"].get("Auth") == "letmein"
    return {
        "principalId": "ada",
        "policyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "execute-api:Invoke",
            "Effect": "Allow" if allowed else "Deny",
            "Resource": event["methodArn"],
        }]},
    }
"""
ECHO_CODE = """
def handler(event, context):
    if event["requestContext"]["eventType"] == "CONNECT":
        return {"statusCode": 200}
    return {"statusCode": 200, "body": "echo: " + event["body"]}
"""


def function(code: str) -> dict:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"ZipFile": code},
        },
    }


def uri(name: str) -> dict:
    return {
        "Fn::Sub": f"arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{name}.Arn}}/invocations"
    }


def permission(name: str) -> dict:
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Ref": name},
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {
                "Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*"
            },
        },
    }


TEMPLATE = {
    "Resources": {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            },
        },
        "Guard": function(AUTHORIZER_CODE),
        "Echo": function(ECHO_CODE),
        "GuardPermission": permission("Guard"),
        "EchoPermission": permission("Echo"),
        "Api": {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {
                "Name": "guarded",
                "ProtocolType": "WEBSOCKET",
                "RouteSelectionExpression": "$request.body.action",
            },
        },
        "Authorizer": {
            "Type": "AWS::ApiGatewayV2::Authorizer",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "Name": "guard",
                "AuthorizerType": "REQUEST",
                "AuthorizerUri": uri("Guard"),
                "IdentitySource": ["route.request.header.Auth"],
            },
        },
        "EchoIntegration": {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": uri("Echo"),
            },
        },
        "ConnectRoute": {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "RouteKey": "$connect",
                "AuthorizationType": "CUSTOM",
                "AuthorizerId": {"Ref": "Authorizer"},
                "Target": {"Fn::Sub": "integrations/${EchoIntegration}"},
            },
        },
        "DefaultRoute": {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "RouteKey": "$default",
                "RouteResponseSelectionExpression": "$default",
                "Target": {"Fn::Sub": "integrations/${EchoIntegration}"},
            },
        },
        "DefaultResponse": {
            "Type": "AWS::ApiGatewayV2::RouteResponse",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "RouteId": {"Ref": "DefaultRoute"},
                "RouteResponseKey": "$default",
            },
        },
        "Deployment": {
            "Type": "AWS::ApiGatewayV2::Deployment",
            "DependsOn": ["ConnectRoute", "DefaultRoute", "DefaultResponse"],
            "Properties": {"ApiId": {"Ref": "Api"}},
        },
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "StageName": "live",
                "DeploymentId": {"Ref": "Deployment"},
            },
        },
    },
    "Outputs": {"Url": {"Value": {"Fn::Sub": "${Api.ApiEndpoint}/${Stage}"}}},
}


@pytest.fixture(scope="module")
def url(cloud: LocalCloud) -> str:
    """The stage URL of the guarded echo stack, created once for the module."""
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(
        StackName="guarded", TemplateBody=json.dumps(TEMPLATE), Capabilities=["CAPABILITY_IAM"]
    )
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName="guarded", WaiterConfig=waits.WAITER
    )
    [stack] = cloudformation.describe_stacks(StackName="guarded")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    return stack["Outputs"][0]["OutputValue"]


def test_the_outputs_url_is_the_local_stage(cloud: LocalCloud, url: str) -> None:
    """`${Api.ApiEndpoint}/${Stage}` is ws://HOST:PORT/{apiId}/live on the local cloud."""
    assert url.startswith(f"ws://127.0.0.1:{cloud.port}/") and url.endswith("/live")


def test_the_authorizer_from_the_template_guards_connect(url: str) -> None:
    """Without the identity source the upgrade is refused with 401; a Deny is 403."""

    async def status(headers: dict[str, str]) -> int:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, additional_headers=headers):
                pass
        return refused.value.response.status_code

    assert asyncio.run(status({})) == 401
    assert asyncio.run(status({"Auth": "wrong"})) == 403


def test_an_authorized_client_gets_the_route_response(url: str) -> None:
    """Allowed, the client's frame reaches the $default route and its response comes back."""

    async def scenario() -> str:
        async with connect(url, additional_headers={"Auth": "letmein"}) as client:
            await client.send("hello")
            return str(await asyncio.wait_for(client.recv(), 10))

    assert asyncio.run(scenario()) == "echo: hello"
