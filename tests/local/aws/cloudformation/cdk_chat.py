"""The chat app (lambdas/chat) as `cdk synth` writes its template, for the CDK-shaped test.

What makes it the CDK's rather than a hand-written template:
- logical ids are construct paths with a hash (`ChatApi1A2B3C4D`), as the CDK names them;
- every stack has `AWS::CDK::Metadata` under the condition `CDKMetadataAvailable` (an `Fn::Or`
  of `Fn::Or`s of `Fn::Equals` on `AWS::Region`: `Fn::Or` takes ten conditions at most);
- the `BootstrapVersion` parameter is SSM-typed, and the rule `CheckBootstrapVersion` refuses
  a bootstrap older than 6 with `Fn::Not` of `Fn::Contains`;
- each function has its own role with the AWS managed `AWSLambdaBasicExecutionRole` (its ARN
  built with `Fn::Join` on `AWS::Partition`) and an `AWS::IAM::Policy` of grants, whose
  `Resource` lists hold `AWS::NoValue` (the table's indexes the CDK grants when there are any);
- the code is an asset: a zip in the bootstrap bucket, named by its hash, located by asset
  parameters with defaults and `Fn::Select`/`Fn::Split` on "||", as the CDK's legacy synthesizer
  wrote it; resources carry `aws:cdk:path` and `aws:asset:*` Metadata;
- the WebSocket API is the CDK's `WebSocketApi` with `WebSocketLambdaIntegration`s and an
  auto-deploying `WebSocketStage`; the table has `DeletionPolicy: Delete` (RemovalPolicy.DESTROY).
"""

from __future__ import annotations

import hashlib
from typing import Any

STACK = "CdkChat"
ASSET_HASH = "4f3b2e1d0c9a8b7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f"
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
ASSET_BUCKET = "cdk-hnb659fds-assets-{account}-{region}"
ROUTES = {  # route key -> (construct id, handler)
    "$connect": ("ChatConnect", "connect.lambda_handler"),
    "$disconnect": ("ChatDisconnect", "disconnect.lambda_handler"),
    "sendMessage": ("ChatSendMessage", "send_message.lambda_handler"),
    "whisper": ("ChatWhisper", "whisper.lambda_handler"),
    "$default": ("ChatDefault", "default.lambda_handler"),
}
METADATA_REGIONS = [
    ["af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-south-1"],
    ["ap-southeast-1", "ap-southeast-2", "ca-central-1", "cn-north-1", "cn-northwest-1"],
    ["eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3"],
    ["me-south-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"],
]


def logical_id(*path: str) -> str:
    """A construct path as the CDK makes it a logical id: the path's ids and 8 hex of its hash."""
    digest = hashlib.md5("/".join(path).encode()).hexdigest()[:8].upper()  # noqa: S324
    return "".join(c for c in "".join(path) if c.isalnum())[: 255 - 8] + digest


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _arn(name: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [name, "Arn"]}


def _join(*parts: Any) -> dict[str, Any]:
    return {"Fn::Join": ["", list(parts)]}


def _meta(*path: str, **extra: str) -> dict[str, str]:
    return {"aws:cdk:path": "/".join((STACK, *path)), **extra}


def asset_parameters() -> dict[str, str]:
    """The asset parameters' logical ids: bucket, key ("zip||version") and artifact hash."""
    return {
        kind: f"AssetParameters{ASSET_HASH}{kind}{logical_id(STACK, ASSET_HASH, kind)[-8:]}"
        for kind in ("S3Bucket", "S3VersionKey", "ArtifactHash")
    }


def template(account: str, region: str) -> dict[str, Any]:
    """The synthesized template; its asset parameters default to the bootstrap bucket's zip."""
    table = logical_id("ChatConnectionsTable")
    api = logical_id("ChatApi")
    stage = logical_id("ChatStage")
    assets = asset_parameters()
    version_key = _ref(assets["S3VersionKey"])
    resources: dict[str, Any] = {
        table: {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "KeySchema": [{"AttributeName": "connectionId", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "connectionId", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
            "UpdateReplacePolicy": "Delete",
            "DeletionPolicy": "Delete",
            "Metadata": _meta("ChatConnectionsTable", "Resource"),
        },
        api: {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {
                "Name": "CdkChatApi",
                "ProtocolType": "WEBSOCKET",
                "RouteSelectionExpression": "$request.body.action",
            },
            "Metadata": _meta("ChatApi", "Resource"),
        },
        stage: {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": _ref(api), "StageName": "dev", "AutoDeploy": True},
            "Metadata": _meta("ChatStage", "Resource"),
        },
    }
    for route_key, (name, handler) in ROUTES.items():
        resources.update(_function(name, handler, table, api, assets, version_key))
        resources.update(_route(route_key, name, api))
    resources["CDKMetadata"] = {
        "Type": "AWS::CDK::Metadata",
        "Properties": {"Analytics": "v2:deflate64:H4sIAAAAAAAA/zPSMzQ0AAA="},
        "Metadata": _meta("CDKMetadata", "Default"),
        "Condition": "CDKMetadataAvailable",
    }
    bucket = ASSET_BUCKET.format(account=account, region=region)
    return {
        "Description": "The chat app, as the CDK synthesizes it",
        "Parameters": {
            assets["S3Bucket"]: {
                "Type": "String",
                "Default": bucket,
                "Description": f'S3 bucket for asset "{ASSET_HASH}"',
            },
            assets["S3VersionKey"]: {
                "Type": "String",
                "Default": f"{ASSET_HASH}.zip||",
                "Description": f'S3 key for asset version "{ASSET_HASH}"',
            },
            assets["ArtifactHash"]: {
                "Type": "String",
                "Default": ASSET_HASH,
                "Description": f'Artifact hash for asset "{ASSET_HASH}"',
            },
            "BootstrapVersion": {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": BOOTSTRAP_PARAMETER,
                "Description": "Version of the CDK Bootstrap resources in this environment, "
                "automatically retrieved from SSM Parameter Store. [cdk:skip]",
            },
        },
        "Resources": resources,
        "Conditions": {
            "CDKMetadataAvailable": {
                "Fn::Or": [
                    {"Fn::Or": [{"Fn::Equals": [_ref("AWS::Region"), r]} for r in group]}
                    for group in METADATA_REGIONS
                ]
            }
        },
        "Outputs": {
            "WebSocketURL": {
                "Value": _join({"Fn::GetAtt": [api, "ApiEndpoint"]}, "/", _ref(stage))
            },
            "TableName": {"Value": _ref(table)},
        },
        "Rules": {
            "CheckBootstrapVersion": {
                "Assertions": [
                    {
                        "Assert": {
                            "Fn::Not": [
                                {
                                    "Fn::Contains": [
                                        ["1", "2", "3", "4", "5"],
                                        _ref("BootstrapVersion"),
                                    ]
                                }
                            ]
                        },
                        "AssertDescription": "CDK bootstrap stack version 6 required. Please run "
                        "'cdk bootstrap' with a recent version of the CDK CLI.",
                    }
                ]
            }
        },
    }


def _function(
    name: str,
    handler: str,
    table: str,
    api: str,
    assets: dict[str, str],
    version_key: dict[str, str],
) -> dict[str, Any]:
    """A CDK `Function` with its service role and default policy (the table and @connections)."""
    role = logical_id(f"{name}Handler", "ServiceRole")
    policy = logical_id(f"{name}Handler", "ServiceRole", "DefaultPolicy")
    function = logical_id(f"{name}Handler")
    key_part = [{"Fn::Select": [i, {"Fn::Split": ["||", version_key]}]} for i in (0, 1)]
    return {
        role: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [
                        {
                            "Action": "sts:AssumeRole",
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                        }
                    ],
                    "Version": "2012-10-17",
                },
                "ManagedPolicyArns": [
                    _join(
                        "arn:",
                        _ref("AWS::Partition"),
                        ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                    )
                ],
            },
            "Metadata": _meta(f"{name}Handler", "ServiceRole", "Resource"),
        },
        policy: {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Action": [
                                "dynamodb:BatchGetItem",
                                "dynamodb:BatchWriteItem",
                                "dynamodb:ConditionCheckItem",
                                "dynamodb:DeleteItem",
                                "dynamodb:DescribeTable",
                                "dynamodb:GetItem",
                                "dynamodb:GetRecords",
                                "dynamodb:GetShardIterator",
                                "dynamodb:PutItem",
                                "dynamodb:Query",
                                "dynamodb:Scan",
                                "dynamodb:UpdateItem",
                            ],
                            "Effect": "Allow",
                            "Resource": [_arn(table), _ref("AWS::NoValue")],
                        },
                        {
                            "Action": "execute-api:ManageConnections",
                            "Effect": "Allow",
                            "Resource": _join(
                                "arn:",
                                _ref("AWS::Partition"),
                                ":execute-api:",
                                _ref("AWS::Region"),
                                ":",
                                _ref("AWS::AccountId"),
                                ":",
                                _ref(api),
                                "/*/*/@connections/*",
                            ),
                        },
                    ],
                    "Version": "2012-10-17",
                },
                "PolicyName": policy,
                "Roles": [_ref(role)],
            },
            "Metadata": _meta(f"{name}Handler", "ServiceRole", "DefaultPolicy", "Resource"),
        },
        function: {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Code": {
                    "S3Bucket": _ref(assets["S3Bucket"]),
                    "S3Key": _join(*key_part),
                },
                "Role": _arn(role),
                "Environment": {"Variables": {"TABLE_NAME": _ref(table)}},
                "Handler": handler,
                "Runtime": "python3.12",
                "Timeout": 10,
            },
            "DependsOn": [policy, role],
            "Metadata": _meta(
                f"{name}Handler",
                "Resource",
                **{"aws:asset:path": f"asset.{ASSET_HASH}", "aws:asset:property": "Code"},
            ),
        },
    }


def _route(route_key: str, name: str, api: str) -> dict[str, Any]:
    """A `WebSocketApi` route with its `WebSocketLambdaIntegration` and invoke permission."""
    path = f"{route_key.strip('$')}-Route"
    route = logical_id("ChatApi", path)
    integration = logical_id("ChatApi", path, f"{name}Integration")
    permission = logical_id("ChatApi", path, f"{name}Integration-Permission")
    function = logical_id(f"{name}Handler")
    made: dict[str, Any] = {
        integration: {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": _ref(api),
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": _join(
                    "arn:",
                    _ref("AWS::Partition"),
                    ":apigateway:",
                    _ref("AWS::Region"),
                    ":lambda:path/2015-03-31/functions/",
                    _arn(function),
                    "/invocations",
                ),
            },
            "Metadata": _meta("ChatApi", path, f"{name}Integration", "Resource"),
        },
        permission: {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": _arn(function),
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": _join(
                    "arn:",
                    _ref("AWS::Partition"),
                    ":execute-api:",
                    _ref("AWS::Region"),
                    ":",
                    _ref("AWS::AccountId"),
                    ":",
                    _ref(api),
                    f"/*{route_key}",
                ),
            },
            "Metadata": _meta("ChatApi", path, f"{name}Integration-Permission"),
        },
        route: {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {
                "ApiId": _ref(api),
                "AuthorizationType": "NONE",
                "RouteKey": route_key,
                "Target": _join("integrations/", _ref(integration)),
            },
            "Metadata": _meta("ChatApi", path, "Resource"),
        },
    }
    if route_key == "$default":  # `returnResponse: true`: the reply goes back to the sender
        made[route]["Properties"]["RouteResponseSelectionExpression"] = "$default"
        made[logical_id("ChatApi", path, "Response")] = {
            "Type": "AWS::ApiGatewayV2::RouteResponse",
            "Properties": {
                "ApiId": _ref(api),
                "RouteId": _ref(route),
                "RouteResponseKey": "$default",
            },
            "Metadata": _meta("ChatApi", path, "Response", "Resource"),
        }
    return made
