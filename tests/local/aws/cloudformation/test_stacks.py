"""CloudFormation stacks on the local cloud's moto: types, failures, values, updates and tags."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.apigatewayv2.models import apigatewayv2_backends

from infra.local.aws.cloudformation import apigatewayv2 as apigw
from infra.local.aws.cloudformation.templates import create_only_properties

ROLE = {
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
}
FUNCTION = {
    "Type": "AWS::Lambda::Function",
    "Properties": {
        "Runtime": "python3.12",
        "Handler": "index.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "def handler(event, context):\n    return {'statusCode': 200}\n"},
    },
}
TABLE = {
    "Type": "AWS::DynamoDB::Table",
    "Properties": {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    },
}
INTEGRATION_URI = {
    "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Function.Arn}/invocations"
}


def websocket_template(route_key: str = "hello", deployment: str = "Deployment") -> dict[str, Any]:
    """Every API Gateway v2 type, Ref'd and GetAtt'd in Outputs."""
    return {
        "Resources": {
            "Role": ROLE,
            "Function": FUNCTION,
            "Api": {
                "Type": "AWS::ApiGatewayV2::Api",
                "Properties": {
                    "Name": "demo",
                    "ProtocolType": "WEBSOCKET",
                    "RouteSelectionExpression": "$request.body.action",
                },
            },
            "Authorizer": {
                "Type": "AWS::ApiGatewayV2::Authorizer",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "Name": "auth",
                    "AuthorizerType": "REQUEST",
                    "AuthorizerUri": INTEGRATION_URI,
                    "IdentitySource": ["route.request.header.Auth"],
                },
            },
            "Integration": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "IntegrationType": "AWS_PROXY",
                    "IntegrationUri": INTEGRATION_URI,
                },
            },
            "IntegrationResponse": {
                "Type": "AWS::ApiGatewayV2::IntegrationResponse",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "IntegrationId": {"Ref": "Integration"},
                    "IntegrationResponseKey": "$default",
                },
            },
            "Route": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "RouteKey": route_key,
                    "RouteResponseSelectionExpression": "$default",
                    "Target": {"Fn::Sub": "integrations/${Integration}"},
                },
            },
            "RouteResponse": {
                "Type": "AWS::ApiGatewayV2::RouteResponse",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "RouteId": {"Ref": "Route"},
                    "RouteResponseKey": "$default",
                },
            },
            deployment: {
                "Type": "AWS::ApiGatewayV2::Deployment",
                "DependsOn": ["Route", "RouteResponse"],
                "Properties": {"ApiId": {"Ref": "Api"}},
            },
            "Stage": {
                "Type": "AWS::ApiGatewayV2::Stage",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "StageName": "dev",
                    "DeploymentId": {"Ref": deployment},
                },
            },
        },
        "Outputs": {
            "ApiRef": {"Value": {"Ref": "Api"}},
            "ApiId": {"Value": {"Fn::GetAtt": ["Api", "ApiId"]}},
            "Endpoint": {"Value": {"Fn::GetAtt": ["Api", "ApiEndpoint"]}},
            "Stage": {"Value": {"Ref": "Stage"}},
            "Deployment": {"Value": {"Ref": deployment}},
            "DeploymentId": {"Value": {"Fn::GetAtt": [deployment, "DeploymentId"]}},
            "Route": {"Value": {"Ref": "Route"}},
            "RouteId": {"Value": {"Fn::GetAtt": ["Route", "RouteId"]}},
            "Integration": {"Value": {"Ref": "Integration"}},
            "RouteResponse": {"Value": {"Ref": "RouteResponse"}},
            "IntegrationResponse": {"Value": {"Ref": "IntegrationResponse"}},
            "Authorizer": {"Value": {"Ref": "Authorizer"}},
            "AuthorizerId": {"Value": {"Fn::GetAtt": ["Authorizer", "AuthorizerId"]}},
        },
    }


def create(
    session: boto3.Session, template: dict[str, Any], name: str = "demo", **kwargs: Any
) -> dict[str, Any]:
    """Create a stack and return its description."""
    cloudformation = session.client("cloudformation")
    cloudformation.create_stack(
        StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"], **kwargs
    )
    return cloudformation.describe_stacks(StackName=name)["Stacks"][0]


def update(session: boto3.Session, template: dict[str, Any], name: str = "demo") -> dict[str, Any]:
    cloudformation = session.client("cloudformation")
    cloudformation.update_stack(
        StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
    )
    return cloudformation.describe_stacks(StackName=name)["Stacks"][0]


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def events(session: boto3.Session, name: str = "demo") -> list[tuple[str, str, str]]:
    """(logical id, status, reason) of every event, oldest first."""
    found = session.client("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    return [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason") or "")
        for e in reversed(found)
    ]


# ---------------------------------------------------------------- types and failures


def test_a_type_aws_does_not_have_is_refused_by_create_stack(moto_session: boto3.Session) -> None:
    """An unknown type fails the call itself, as AWS's template validation does."""
    with pytest.raises(ClientError) as raised:
        create(moto_session, {"Resources": {"Thing": {"Type": "AWS::Nope::Thing"}}})
    assert "Unrecognized resource types: [AWS::Nope::Thing]" in str(raised.value)


def with_table_named(name: str, **extra: Any) -> dict[str, Any]:
    """A table whose name is `!Sub ${name}-table`, and whatever else is given at top level."""
    table = {**TABLE, "Properties": {**TABLE["Properties"], "TableName": {"Fn::Sub": name}}}
    return {"Resources": {"Table": table}, **extra}


@pytest.mark.parametrize(
    ("template", "unresolved"),
    [
        (
            {
                "Resources": {
                    "Table": TABLE,
                    "Logs": {
                        "Type": "AWS::Logs::LogGroup",
                        "Properties": {"LogGroupName": {"Ref": "Tabel"}},
                    },
                }
            },
            "Tabel",
        ),
        (with_table_named("${AWS::StackName}-${Stage}-${AWS::Regoin}"), "Stage, AWS::Regoin"),
        ({"Resources": {"Table": {**TABLE, "DependsOn": ["Role"]}}}, "Role"),
    ],
    ids=["Ref", "Fn::Sub", "DependsOn"],
)
def test_a_name_the_template_does_not_have_is_refused_by_create_stack(
    moto_session: boto3.Session, template: dict[str, Any], unresolved: str
) -> None:
    """Ref, Fn::Sub or DependsOn naming no parameter, resource or pseudo parameter: AWS's error."""
    with pytest.raises(ClientError) as raised:
        create(moto_session, template)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert raised.value.response["Error"]["Message"] == (
        f"Template format error: Unresolved resource dependencies [{unresolved}] in the"
        " Resources block of the template"
    )
    assert moto_session.client("cloudformation").list_stacks()["StackSummaries"] == []
    assert moto_session.client("dynamodb").list_tables()["TableNames"] == []


def test_parameters_pseudo_parameters_and_sub_variables_resolve(
    moto_session: boto3.Session,
) -> None:
    """What a Ref or ${} may name: a parameter, a resource, AWS::Region..., a Sub variable."""
    template = with_table_named(
        ["${AWS::StackName}-${Stage}-${AWS::Region}-${Suffix}-${!Literal}", {"Suffix": "x"}],
        Parameters={"Stage": {"Type": "String", "Default": "dev"}},
        Outputs={"Table": {"Value": {"Ref": "Table"}}, "Id": {"Value": {"Ref": "AWS::AccountId"}}},
    )
    found = outputs(create(moto_session, template))
    assert found == {"Table": "demo-dev-us-east-1-x-${Literal}", "Id": "123456789012"}


def test_an_output_naming_what_the_template_lacks_is_refused(moto_session: boto3.Session) -> None:
    """A Ref in Outputs to nothing: "... in the Outputs block of the template"."""
    template = {"Resources": {"Table": TABLE}, "Outputs": {"Url": {"Value": {"Ref": "Api"}}}}
    with pytest.raises(ClientError) as raised:
        create(moto_session, template)
    assert raised.value.response["Error"]["Message"] == (
        "Unresolved resource dependencies [Api] in the Outputs block of the template"
    )


def test_update_stack_and_create_change_set_refuse_a_name_the_template_lacks(
    moto_session: boto3.Session,
) -> None:
    """The check is made by UpdateStack and CreateChangeSet too, before anything changes."""
    create(moto_session, {"Resources": {"Table": TABLE}})
    broken = with_table_named("${Nope}")
    with pytest.raises(ClientError) as raised:
        update(moto_session, broken)
    assert "Unresolved resource dependencies [Nope] in the Resources" in str(raised.value)
    cloudformation = moto_session.client("cloudformation")
    with pytest.raises(ClientError) as raised:
        cloudformation.create_change_set(
            StackName="other",
            ChangeSetName="first",
            ChangeSetType="CREATE",
            TemplateBody=json.dumps(broken),
        )
    assert "Unresolved resource dependencies [Nope] in the Resources" in str(raised.value)
    assert cloudformation.describe_stacks(StackName="demo")["Stacks"][0]["StackStatus"] == (
        "CREATE_COMPLETE"
    )


def test_a_type_the_local_cloud_lacks_rolls_the_stack_back_naming_the_type(
    moto_session: boto3.Session,
) -> None:
    """An AWS type with no local support is CREATE_FAILED with its name; the rest is rolled back."""
    template = {
        "Resources": {
            "Table": TABLE,
            "Graph": {"Type": "AWS::AppSync::GraphQLApi", "DependsOn": "Table"},
        }
    }
    stack = create(moto_session, template)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "The following resource(s) failed to create: [Graph]" in stack["StackStatusReason"]
    [failure] = [e for e in events(moto_session) if e[1] == "CREATE_FAILED"]
    assert failure[0] == "Graph"
    assert "AWS::AppSync::GraphQLApi is not supported by the local cloud" in failure[2]
    assert ("Table", "DELETE_COMPLETE", "") in events(moto_session)
    assert moto_session.client("dynamodb").list_tables()["TableNames"] == []


def test_on_failure_do_nothing_leaves_the_stack_create_failed(moto_session: boto3.Session) -> None:
    """OnFailure=DO_NOTHING stops at CREATE_FAILED and keeps what was created."""
    template = {
        "Resources": {
            "Table": TABLE,
            "Graph": {"Type": "AWS::AppSync::GraphQLApi", "DependsOn": "Table"},
        }
    }
    stack = create(moto_session, template, OnFailure="DO_NOTHING")
    assert stack["StackStatus"] == "CREATE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to create: [Graph]."
    assert len(moto_session.client("dynamodb").list_tables()["TableNames"]) == 1


def test_iam_resources_need_capability_iam(moto_session: boto3.Session) -> None:
    """A role in the template without CAPABILITY_IAM is refused before anything is made."""
    with pytest.raises(ClientError) as raised:
        moto_session.client("cloudformation").create_stack(
            StackName="demo", TemplateBody=json.dumps({"Resources": {"Role": ROLE}})
        )
    assert raised.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
    assert moto_session.client("iam").list_roles()["Roles"] == []


def test_resource_events_follow_dependency_order(moto_session: boto3.Session) -> None:
    """Each resource has IN_PROGRESS then COMPLETE, after the resources it refers to."""
    create(moto_session, websocket_template())
    completed = [e[0] for e in events(moto_session) if e[1] == "CREATE_COMPLETE"]
    assert completed.index("Role") < completed.index("Function") < completed.index("Integration")
    assert completed.index("Route") < completed.index("Deployment") < completed.index("Stage")
    assert completed[-1] == "demo"


# ---------------------------------------------------------------- Ref and GetAtt


def test_ref_and_getatt_of_api_gateway_v2_resources_are_as_aws_documents(
    moto_session: boto3.Session,
) -> None:
    """Ref Api is the API id, Ref Stage its name, Ref Deployment the id the stage serves, ..."""
    found = outputs(create(moto_session, websocket_template()))
    apis = moto_session.client("apigatewayv2")
    api_id = found["ApiRef"]
    assert found["ApiId"] == api_id
    assert found["Endpoint"] == f"wss://{api_id}.execute-api.us-east-1.amazonaws.com"
    stage = apis.get_stage(ApiId=api_id, StageName="dev")
    assert found["Stage"] == "dev"
    assert found["Deployment"] == found["DeploymentId"] == stage["DeploymentId"]
    [route] = apis.get_routes(ApiId=api_id)["Items"]
    assert found["Route"] == found["RouteId"] == route["RouteId"]
    assert route["Target"] == f"integrations/{found['Integration']}"
    [response] = apis.get_route_responses(ApiId=api_id, RouteId=route["RouteId"])["Items"]
    assert found["RouteResponse"] == response["RouteResponseId"]
    [integration_response] = apis.get_integration_responses(
        ApiId=api_id, IntegrationId=found["Integration"]
    )["Items"]
    assert found["IntegrationResponse"] == integration_response["IntegrationResponseId"]
    # moto 5.2.5 cannot answer GetAuthorizer(s) over the API: ask its backend.
    authorizers = apigatewayv2_backends["123456789012"]["us-east-1"].get_api(api_id).authorizers
    assert found["Authorizer"] == found["AuthorizerId"]
    assert authorizers[found["Authorizer"]].identity_source == ["route.request.header.Auth"]


def test_getatt_of_an_attribute_a_type_lacks_fails_the_call(moto_session: boto3.Session) -> None:
    """Outputs asking for an attribute a type does not have are a template error."""
    template = websocket_template()
    template["Outputs"] = {"Bad": {"Value": {"Fn::GetAtt": ["Route", "Nope"]}}}
    with pytest.raises(ClientError) as raised:
        create(moto_session, template)
    assert "does not support attribute type Nope" in str(raised.value)


@pytest.mark.parametrize("model", apigw.MODELS, ids=lambda model: model.TYPE)
def test_replacing_properties_are_the_registry_schemas_create_only_ones(model: type) -> None:
    """What replaces an API Gateway v2 resource on update is what AWS's schema says."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", model.TYPE).schema
    expected = {path.split("/")[2] for path in schema.get("createOnlyProperties", [])}
    assert create_only_properties(model.TYPE) == expected


# ---------------------------------------------------------------- updates


def test_an_unchanged_update_is_refused(moto_session: boto3.Session) -> None:
    """UpdateStack with the same template and parameters: "No updates are to be performed."."""
    create(moto_session, websocket_template())
    with pytest.raises(ClientError) as raised:
        update(moto_session, websocket_template())
    assert "No updates are to be performed" in str(raised.value)


def test_a_changed_route_key_updates_the_route_in_place_but_not_the_stage(
    moto_session: boto3.Session,
) -> None:
    """The route keeps its id and gets the new key; the stage keeps serving its old deployment."""
    before = outputs(create(moto_session, websocket_template("hello")))
    after = outputs(update(moto_session, websocket_template("goodbye")))
    apis = moto_session.client("apigatewayv2")
    [route] = apis.get_routes(ApiId=before["ApiRef"])["Items"]
    assert (route["RouteId"], route["RouteKey"]) == (before["Route"], "goodbye")
    assert after["Deployment"] == before["Deployment"]
    assert (
        apis.get_stage(ApiId=before["ApiRef"], StageName="dev")["DeploymentId"]
        == before["Deployment"]
    )


def test_a_new_deployment_resource_moves_the_stage_and_deletes_the_old_one_last(
    moto_session: boto3.Session,
) -> None:
    """A renamed Deployment is created, the Stage updated to it, then the old one is deleted."""
    before = outputs(create(moto_session, websocket_template("hello")))
    after = outputs(update(moto_session, websocket_template("goodbye", deployment="DeploymentV2")))
    apis = moto_session.client("apigatewayv2")
    assert (
        apis.get_stage(ApiId=before["ApiRef"], StageName="dev")["DeploymentId"]
        == after["Deployment"]
    )
    assert [d["DeploymentId"] for d in apis.get_deployments(ApiId=before["ApiRef"])["Items"]] == [
        after["Deployment"]
    ]
    steps = [(e[0], e[1]) for e in events(moto_session)]
    update_steps = steps[steps.index(("demo", "UPDATE_IN_PROGRESS")) :]
    assert update_steps.index(("DeploymentV2", "CREATE_COMPLETE")) < update_steps.index(
        ("Stage", "UPDATE_COMPLETE")
    )
    assert update_steps.index(("Stage", "UPDATE_COMPLETE")) < update_steps.index(
        ("Deployment", "DELETE_COMPLETE")
    )
    assert ("demo", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") in update_steps
    assert update_steps[-1] == ("demo", "UPDATE_COMPLETE")


def test_an_update_leaves_a_role_with_an_inline_policy_alone(moto_session: boto3.Session) -> None:
    """A role whose template did not change gets no UPDATE events, inline policy or not."""
    template = websocket_template("hello")
    template["Resources"]["Role"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            **ROLE["Properties"],
            "Policies": [
                {
                    "PolicyName": "logs",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}
                        ],
                    },
                }
            ],
        },
    }
    create(moto_session, template)
    update(moto_session, {**template, "Resources": {**template["Resources"], "Table": TABLE}})
    steps = [(e[0], e[1]) for e in events(moto_session)]
    update_steps = steps[steps.index(("demo", "UPDATE_IN_PROGRESS")) :]
    assert ("Table", "CREATE_COMPLETE") in update_steps
    assert [step for step in update_steps if step[0] == "Role"] == []


def test_a_removed_permission_leaves_the_functions_policy(moto_session: boto3.Session) -> None:
    """Deleting an AWS::Lambda::Permission from the template removes its statement."""
    template = {
        "Resources": {
            "Role": ROLE,
            "Function": FUNCTION,
            "Permission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Ref": "Function"},
                    "Principal": "apigateway.amazonaws.com",
                },
            },
        },
        "Outputs": {"Function": {"Value": {"Ref": "Function"}}},
    }
    name = outputs(create(moto_session, template))["Function"]
    lambda_ = moto_session.client("lambda")
    assert len(json.loads(lambda_.get_policy(FunctionName=name)["Policy"])["Statement"]) == 1
    del template["Resources"]["Permission"]
    update(moto_session, template)
    try:
        statements = json.loads(lambda_.get_policy(FunctionName=name)["Policy"])["Statement"]
    except ClientError as error:  # no statement left: no policy at all
        assert error.response["Error"]["Code"] == "ResourceNotFoundException"
        statements = []
    assert statements == []


def test_a_failed_update_rolls_back_what_it_created(moto_session: boto3.Session) -> None:
    """An update with an unsupported resource ends UPDATE_ROLLBACK_COMPLETE; its new table is gone."""
    template = {"Resources": {"Table": TABLE}, "Outputs": {"Table": {"Value": {"Ref": "Table"}}}}
    before = outputs(create(moto_session, template))
    changed = json.loads(json.dumps(template))
    changed["Resources"]["Second"] = TABLE
    changed["Resources"]["Graph"] = {"Type": "AWS::AppSync::GraphQLApi", "DependsOn": "Second"}
    stack = update(moto_session, changed)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert moto_session.client("dynamodb").list_tables()["TableNames"] == [before["Table"]]
    assert outputs(stack) == before
    update(moto_session, {**template, "Description": "updates still work after a rollback"})


def test_changing_a_create_only_property_replaces_the_resource(moto_session: boto3.Session) -> None:
    """A new FunctionName makes a new function and deletes the old one in the cleanup."""
    function = json.loads(json.dumps(FUNCTION))
    function["Properties"]["FunctionName"] = "first-name"
    template = {"Resources": {"Role": ROLE, "Function": function}}
    create(moto_session, template)
    function["Properties"]["FunctionName"] = "second-name"
    update(moto_session, template)
    names = [f["FunctionName"] for f in moto_session.client("lambda").list_functions()["Functions"]]
    assert names == ["second-name"]


def test_a_named_resource_that_needs_replacing_fails_the_update(
    moto_session: boto3.Session,
) -> None:
    """Replacing a custom-named resource under the same name is refused, and rolled back."""
    api = {
        "Type": "AWS::ApiGatewayV2::Api",
        "Properties": {
            "Name": "x",
            "ProtocolType": "WEBSOCKET",
            "RouteSelectionExpression": "$request.body.a",
        },
    }
    function = json.loads(json.dumps(FUNCTION))
    function["Properties"]["FunctionName"] = "kept-name"
    function["Properties"]["PackageType"] = "Zip"
    create(moto_session, {"Resources": {"Role": ROLE, "Function": function, "Api": api}})
    function["Properties"]["PackageType"] = "Image"
    stack = update(moto_session, {"Resources": {"Role": ROLE, "Function": function, "Api": api}})
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [e[2] for e in events(moto_session) if e[1] == "UPDATE_FAILED"]
    assert "custom-named resource requires replacing. Rename kept-name" in reasons[0]


def test_delete_stack_removes_everything_but_retained_resources(
    moto_session: boto3.Session,
) -> None:
    """DeleteStack deletes in reverse order; DeletionPolicy Retain keeps that resource."""
    template = websocket_template()
    template["Resources"]["Kept"] = {**TABLE, "DeletionPolicy": "Retain"}
    stack_id = create(moto_session, template)["StackId"]
    moto_session.client("cloudformation").delete_stack(StackName="demo")
    assert moto_session.client("apigatewayv2").get_apis()["Items"] == []
    assert moto_session.client("lambda").list_functions()["Functions"] == []
    assert moto_session.client("iam").list_roles()["Roles"] == []
    assert len(moto_session.client("dynamodb").list_tables()["TableNames"]) == 1
    [stack] = moto_session.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"]
    assert stack["StackStatus"] == "DELETE_COMPLETE"


# ---------------------------------------------------------------- tags and moto's own types


def test_stack_tags_reach_taggable_resources_with_system_tags_where_aws_adds_them(
    moto_session: boto3.Session,
) -> None:
    """workshop:app goes everywhere taggable; aws:cloudformation:* only to types that get them."""
    template = websocket_template()
    template["Resources"]["Table"] = TABLE
    template["Outputs"]["Table"] = {"Value": {"Fn::GetAtt": ["Table", "Arn"]}}
    template["Outputs"]["Function"] = {"Value": {"Fn::GetAtt": ["Function", "Arn"]}}
    found = outputs(create(moto_session, template, Tags=[{"Key": "workshop:app", "Value": "demo"}]))
    function_tags = moto_session.client("lambda").list_tags(Resource=found["Function"])["Tags"]
    assert function_tags["workshop:app"] == "demo"
    assert function_tags["aws:cloudformation:logical-id"] == "Function"
    table_tags = moto_session.client("dynamodb").list_tags_of_resource(ResourceArn=found["Table"])[
        "Tags"
    ]
    assert table_tags == [{"Key": "workshop:app", "Value": "demo"}]
    api_tags = moto_session.client("apigatewayv2").get_api(ApiId=found["ApiRef"])["Tags"]
    assert api_tags["aws:cloudformation:stack-name"] == "demo"
    role = next(r for r in moto_session.client("iam").list_roles()["Roles"])
    assert moto_session.client("iam").list_role_tags(RoleName=role["RoleName"])["Tags"] == [
        {"Key": "workshop:app", "Value": "demo"}
    ]


def test_a_table_gets_its_stream_and_time_to_live(moto_session: boto3.Session) -> None:
    """StreamSpecification and TimeToLiveSpecification are both applied (moto ignores TTL)."""
    table = json.loads(json.dumps(TABLE))
    table["Properties"]["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    table["Properties"]["TimeToLiveSpecification"] = {"AttributeName": "expires", "Enabled": True}
    found = outputs(
        create(moto_session, {"Resources": {"T": table}, "Outputs": {"T": {"Value": {"Ref": "T"}}}})
    )
    dynamodb = moto_session.client("dynamodb")
    description = dynamodb.describe_table(TableName=found["T"])["Table"]
    assert description["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    ttl = dynamodb.describe_time_to_live(TableName=found["T"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
