"""The template language as the CDK and other tools write it: conditions, intrinsic functions,
SSM-typed parameters, Rules, Metadata and AWS::CDK::Metadata, run as CloudFormation runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"
WAIT = {"Delay": 1, "MaxAttempts": 60}  # boto3's default Delay for stacks is 30 s
BOOTSTRAP = "/cdk-bootstrap/hnb659fds/version"
GROUP = {"Type": "AWS::Logs::LogGroup", "Properties": {}}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def region_is(*regions: str) -> dict[str, Any]:
    return {"Fn::Or": [{"Fn::Equals": [{"Ref": "AWS::Region"}, r]} for r in regions]}


def created(aws: Callable[..., Any], name: str, template: dict[str, Any], **kwargs: Any) -> dict:
    """CreateStack, wait as boto3's waiter does (with a short delay); the stack described."""
    cfn = aws("cloudformation")
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        **kwargs,
    )
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=WAIT)
    stack: dict[str, Any] = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return stack


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def resources(aws: Callable[..., Any], name: str) -> dict[str, str]:
    listed = aws("cloudformation").list_stack_resources(StackName=name)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: r["ResourceType"] for r in listed}


def refused(aws: Callable[..., Any], name: str, template: dict[str, Any], **kwargs: Any) -> str:
    """The ValidationError text CreateStack answers; no stack is left behind."""
    cfn = aws("cloudformation")
    with pytest.raises(ClientError) as error:
        cfn.create_stack(
            StackName=name,
            TemplateBody=json.dumps(template),
            Capabilities=["CAPABILITY_IAM"],
            **kwargs,
        )
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert name not in {s["StackName"] for s in cfn.list_stacks()["StackSummaries"]}
    return str(error.value.response["Error"]["Message"])


@pytest.fixture(scope="module")
def bootstrapped(aws: Callable[..., Any]) -> None:
    """The SSM parameter `cdk bootstrap` writes (version 21)."""
    aws("ssm").put_parameter(Name=BOOTSTRAP, Value="21", Type="String")


def test_cdk_metadata_is_accepted_and_creates_nothing(aws: Callable[..., Any]) -> None:
    """AWS::CDK::Metadata (with the CDK's condition) is CREATE_COMPLETE and deletes cleanly."""
    template = {
        "Conditions": {
            "CDKMetadataAvailable": {
                "Fn::Or": [region_is("af-south-1", "ap-east-1"), region_is("us-east-1")]
            }
        },
        "Resources": {
            "CDKMetadata": {
                "Type": "AWS::CDK::Metadata",
                "Properties": {"Analytics": "v2:deflate64:H4sIAAAAAAAA/zPSMzQ"},
                "Metadata": {"aws:cdk:path": "Demo/CDKMetadata/Default"},
                "Condition": "CDKMetadataAvailable",
            },
            "Group": GROUP,
        },
    }
    stack = created(aws, "cdk-metadata", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert resources(aws, "cdk-metadata") == {
        "CDKMetadata": "AWS::CDK::Metadata",
        "Group": "AWS::Logs::LogGroup",
    }
    cfn = aws("cloudformation")
    cfn.delete_stack(StackName="cdk-metadata")
    cfn.get_waiter("stack_delete_complete").wait(StackName="cdk-metadata", WaiterConfig=WAIT)


def test_conditions_pick_resources_outputs_and_values(aws: Callable[..., Any]) -> None:
    """Fn::Or/And/Not/Equals conditions decide which resources and outputs exist, and Fn::If
    with AWS::NoValue removes a property, or an element of a list."""
    template = {
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Conditions": {
            "InUsEast": region_is("eu-west-1", REGION),
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
            "DevInUsEast": {"Fn::And": [{"Condition": "InUsEast"}, {"Condition": "NotProd"}]},
        },
        "Resources": {
            "DevGroup": {**GROUP, "Condition": "DevInUsEast"},
            "ProdGroup": {**GROUP, "Condition": "IsProd"},
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": TRUST,
                    "Description": {"Fn::If": ["IsProd", "prod", {"Ref": "AWS::NoValue"}]},
                    "ManagedPolicyArns": [
                        {
                            "Fn::Join": [
                                "",
                                [
                                    "arn:",
                                    {"Ref": "AWS::Partition"},
                                    ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                                ],
                            ]
                        },
                        {
                            "Fn::If": [
                                "IsProd",
                                "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
                                {"Ref": "AWS::NoValue"},
                            ]
                        },
                    ],
                },
            },
        },
        "Outputs": {
            "Dev": {"Value": {"Ref": "DevGroup"}, "Condition": "DevInUsEast"},
            "Prod": {"Value": {"Ref": "ProdGroup"}, "Condition": "IsProd"},
            "Which": {"Value": {"Fn::If": ["IsProd", "prod", "not prod"]}},
        },
    }
    stack = created(aws, "conditions", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert set(resources(aws, "conditions")) == {"DevGroup", "Role"}
    assert set(outputs(stack)) == {"Dev", "Which"}
    assert outputs(stack)["Which"] == "not prod"
    role_name = aws("cloudformation").describe_stack_resource(
        StackName="conditions", LogicalResourceId="Role"
    )["StackResourceDetail"]["PhysicalResourceId"]
    iam = aws("iam")
    attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSLambdaBasicExecutionRole"]
    assert iam.get_role(RoleName=role_name)["Role"].get("Description", "") == ""


def test_join_select_split_getazs_and_sub_with_a_map(aws: Callable[..., Any]) -> None:
    """Fn::Join, Fn::Select of Fn::Split, Fn::GetAZs (of the region, or ""), Fn::Sub with a map."""
    template = {
        "Parameters": {"VersionKey": {"Type": "String", "Default": "abc123.zip||v1"}},
        "Resources": {"Group": GROUP},
        "Outputs": {
            "Key": {
                "Value": {
                    "Fn::Join": [
                        "",
                        [
                            {"Fn::Select": [0, {"Fn::Split": ["||", {"Ref": "VersionKey"}]}]},
                            "@",
                            {"Fn::Select": [1, {"Fn::Split": ["||", {"Ref": "VersionKey"}]}]},
                        ],
                    ]
                }
            },
            "FirstZone": {"Value": {"Fn::Select": [0, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]}},
            "SecondZone": {"Value": {"Fn::Select": ["1", {"Fn::GetAZs": ""}]}},
            "Sub": {
                "Value": {
                    "Fn::Sub": [
                        "${Name}-${AWS::Region}-${Group}",
                        {"Name": {"Fn::Join": ["-", ["chat", "logs"]]}},
                    ]
                }
            },
        },
    }
    stack = created(aws, "functions", template)
    group = resources(aws, "functions")
    assert group == {"Group": "AWS::Logs::LogGroup"}
    physical = aws("cloudformation").describe_stack_resource(
        StackName="functions", LogicalResourceId="Group"
    )["StackResourceDetail"]["PhysicalResourceId"]
    assert outputs(stack) == {
        "Key": "abc123.zip@v1",
        "FirstZone": f"{REGION}a",
        "SecondZone": f"{REGION}b",
        "Sub": f"chat-logs-{REGION}-{physical}",
    }


def test_fn_select_past_the_end_is_awss_template_error(aws: Callable[..., Any]) -> None:
    """Fn::Select of an index the list does not have fails the resource with AWS's text."""
    template = {
        "Resources": {
            "Group": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": {"Fn::Select": [5, ["a", "b"]]}},
            }
        }
    }
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="select-past", TemplateBody=json.dumps(template))
    with pytest.raises(Exception, match="ROLLBACK_COMPLETE|Failed"):
        cfn.get_waiter("stack_create_complete").wait(StackName="select-past", WaiterConfig=WAIT)
    reasons = [
        e.get("ResourceStatusReason")
        for e in cfn.describe_stack_events(StackName="select-past")["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert reasons == ["Template error: Fn::Select cannot select nonexistent value at index 5"]


def test_an_ssm_typed_parameter_is_read_from_ssm(
    aws: Callable[..., Any], bootstrapped: None
) -> None:
    """AWS::SSM::Parameter::Value<String> with the CDK's default resolves to SSM's value."""
    template = {
        "Parameters": {
            "BootstrapVersion": {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": BOOTSTRAP,
                "Description": "Version of the CDK Bootstrap resources in this environment, "
                "automatically retrieved from SSM Parameter Store. [cdk:skip]",
            }
        },
        "Resources": {"Group": GROUP},
        "Outputs": {"Version": {"Value": {"Ref": "BootstrapVersion"}}},
    }
    assert outputs(created(aws, "ssm-typed", template)) == {"Version": "21"}


def test_a_missing_ssm_parameter_refuses_the_stack(aws: Callable[..., Any]) -> None:
    """An SSM-typed parameter SSM does not have: AWS's "Unable to fetch parameters", no stack."""
    template = {
        "Parameters": {
            "Version": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/not/there"}
        },
        "Resources": {"Group": GROUP},
    }
    assert refused(aws, "ssm-missing", template) == (
        "Unable to fetch parameters [/not/there] from parameter store for this account."
    )


CHECK_BOOTSTRAP = {
    "CheckBootstrapVersion": {
        "Assertions": [
            {
                "Assert": {
                    "Fn::Not": [
                        {"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}
                    ]
                },
                "AssertDescription": "CDK bootstrap stack version 6 required. Please run 'cdk "
                "bootstrap' with a recent version of the CDK CLI.",
            }
        ]
    }
}


def cdk_rules_template() -> dict[str, Any]:
    return {
        "Parameters": {
            "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": BOOTSTRAP}
        },
        "Rules": CHECK_BOOTSTRAP,
        "Resources": {"Group": GROUP},
    }


def test_the_cdks_bootstrap_rule_passes_with_a_recent_bootstrap(
    aws: Callable[..., Any], bootstrapped: None
) -> None:
    """CheckBootstrapVersion (Fn::Not of Fn::Contains) holds for version 21: the stack is made."""
    assert created(aws, "rules-pass", cdk_rules_template())["StackStatus"] == "CREATE_COMPLETE"


def test_a_failing_assertion_refuses_create_and_change_set(
    aws: Callable[..., Any], bootstrapped: None
) -> None:
    """Version 5: CreateStack and CreateChangeSet are refused with the AssertDescription."""
    ssm = aws("ssm")
    ssm.put_parameter(Name="/cdk-bootstrap/old/version", Value="5", Type="String")
    template = cdk_rules_template()
    template["Parameters"]["BootstrapVersion"]["Default"] = "/cdk-bootstrap/old/version"
    description = CHECK_BOOTSTRAP["CheckBootstrapVersion"]["Assertions"][0]["AssertDescription"]
    assert refused(aws, "rules-fail", template) == description
    with pytest.raises(ClientError) as error:
        aws("cloudformation").create_change_set(
            StackName="rules-fail-set",
            ChangeSetName="first",
            ChangeSetType="CREATE",
            TemplateBody=json.dumps(template),
        )
    assert error.value.response["Error"]["Message"] == description


def test_rule_functions_and_rule_conditions(aws: Callable[..., Any]) -> None:
    """Fn::EachMemberIn, Fn::EachMemberEquals, Fn::And/Or/Equals; a false RuleCondition skips
    its rule; an assertion that fails names its own description."""

    rules = {
        "Parameters": {
            "Stage": {"Type": "String"},
            "Zones": {"Type": "CommaDelimitedList"},
        },
        "Rules": {
            "ProdZones": {
                "RuleCondition": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
                "Assertions": [
                    {
                        "Assert": {
                            "Fn::EachMemberIn": [{"Ref": "Zones"}, ["us-east-1a", "us-east-1b"]]
                        },
                        "AssertDescription": "prod runs in us-east-1a and us-east-1b only",
                    },
                    {
                        "Assert": {
                            "Fn::Or": [
                                {"Fn::EachMemberEquals": [{"Ref": "Zones"}, "us-east-1a"]},
                                {"Fn::And": [{"Fn::Equals": ["a", "a"]}, True]},
                            ]
                        },
                        "AssertDescription": "never shown",
                    },
                ],
            }
        },
        "Resources": {"Group": GROUP},
    }

    def parameters(stage: str, zones: str) -> list[dict[str, str]]:
        return [
            {"ParameterKey": "Stage", "ParameterValue": stage},
            {"ParameterKey": "Zones", "ParameterValue": zones},
        ]

    assert (
        refused(
            aws,
            "rule-zones",
            rules,
            Parameters=parameters("prod", "us-east-1a,eu-west-1a"),
        )
        == "prod runs in us-east-1a and us-east-1b only"
    )
    dev = created(aws, "rule-zones-dev", rules, Parameters=parameters("dev", "eu-west-1a"))
    assert dev["StackStatus"] == "CREATE_COMPLETE"
    prod = created(
        aws,
        "rule-zones-prod",
        rules,
        Parameters=parameters("prod", "us-east-1b,us-east-1a"),
    )
    assert prod["StackStatus"] == "CREATE_COMPLETE"


def test_metadata_and_asset_parameters_with_defaults(aws: Callable[..., Any]) -> None:
    """Template and resource Metadata are kept aside; asset parameters' defaults are used."""
    template = {
        "Metadata": {"AWS::CloudFormation::Interface": {"ParameterGroups": []}},
        "Parameters": {
            "AssetParametersabc123S3Bucket1A2B3C4D": {
                "Type": "String",
                "Default": "cdk-assets",
                "Description": 'S3 bucket for asset "abc123"',
            },
            "AssetParametersabc123ArtifactHash5E6F7A8B": {
                "Type": "String",
                "Default": "abc123",
                "Description": 'Artifact hash for asset "abc123"',
            },
        },
        "Resources": {
            "Group": {
                **GROUP,
                "Metadata": {
                    "aws:cdk:path": "Demo/Group/Resource",
                    "aws:asset:path": "asset.abc123",
                    "aws:asset:property": "Code",
                },
            }
        },
        "Outputs": {
            "Where": {
                "Value": {
                    "Fn::Sub": "s3://${AssetParametersabc123S3Bucket1A2B3C4D}/"
                    "${AssetParametersabc123ArtifactHash5E6F7A8B}.zip"
                }
            }
        },
    }
    stack = created(aws, "metadata", template)
    assert outputs(stack) == {"Where": "s3://cdk-assets/abc123.zip"}
    summary = aws("cloudformation").get_template_summary(StackName="metadata")
    assert summary["Metadata"]  # GetTemplateSummary shows the template's Metadata, as on AWS


def test_describe_stacks_shows_the_ssm_name_and_its_resolved_value(
    aws: Callable[..., Any], bootstrapped: None
) -> None:
    """An SSM-typed parameter: ParameterValue is the SSM name, ResolvedValue SSM's value; a
    list is comma-separated; a NoEcho default is hidden."""
    template = {
        "Parameters": {
            "BootstrapVersion": {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": BOOTSTRAP,
            },
            "Zones": {"Type": "CommaDelimitedList", "Default": "a,b"},
            "Secret": {"Type": "String", "Default": "hunter2", "NoEcho": True},
        },
        "Resources": {"Group": GROUP},
    }
    stack = created(aws, "resolved", template)
    assert sorted(stack["Parameters"], key=lambda p: p["ParameterKey"]) == [
        {
            "ParameterKey": "BootstrapVersion",
            "ParameterValue": BOOTSTRAP,
            "ResolvedValue": "21",
        },
        {"ParameterKey": "Secret", "ParameterValue": "****"},
        {"ParameterKey": "Zones", "ParameterValue": "a,b"},
    ]


def test_use_previous_value_keeps_the_ssm_name(aws: Callable[..., Any], bootstrapped: None) -> None:
    """UpdateStack with UsePreviousValue for BootstrapVersion reads SSM again by its name."""
    template = {
        "Parameters": {
            "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": BOOTSTRAP}
        },
        "Resources": {"Group": GROUP},
        "Outputs": {"Version": {"Value": {"Ref": "BootstrapVersion"}}},
    }
    created(aws, "previous", template)
    template["Resources"]["Second"] = GROUP
    cfn = aws("cloudformation")
    cfn.update_stack(
        StackName="previous",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "BootstrapVersion", "UsePreviousValue": True}],
    )
    cfn.get_waiter("stack_update_complete").wait(StackName="previous", WaiterConfig=WAIT)
    assert outputs(cfn.describe_stacks(StackName="previous")["Stacks"][0]) == {"Version": "21"}
