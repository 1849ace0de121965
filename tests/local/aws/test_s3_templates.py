"""S3 as the SAM CLI and the AWS CLI use it: templates read from a TemplateURL in any of S3's URL
styles, the managed bucket's policy, and bucket policies evaluated as S3 does."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local.aws.s3 import ObjectURL, parse_object_url

BUCKET = "sam-artifacts"
KEY = "chat/a1b2.template"
TEMPLATE = json.dumps(
    {
        "Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        },
        "Outputs": {"Group": {"Value": {"Ref": "Logs"}}},
    }
)
URL_STYLES = [
    f"https://{BUCKET}.s3.amazonaws.com/{KEY}",  # virtual-hosted, global
    f"https://{BUCKET}.s3.us-east-1.amazonaws.com/{KEY}",  # virtual-hosted, regional
    f"https://{BUCKET}.s3-us-east-1.amazonaws.com/{KEY}",  # virtual-hosted, legacy dash
    f"https://s3.amazonaws.com/{BUCKET}/{KEY}",  # path style, global
    f"https://s3.us-east-1.amazonaws.com/{BUCKET}/{KEY}",  # path style, regional
    f"https://s3.dualstack.us-east-1.amazonaws.com/{BUCKET}/{KEY}",  # path style, dual-stack
    f"http://127.0.0.1:4566/{BUCKET}/{KEY}",  # the local endpoint: what `sam deploy` sends
]


@pytest.mark.parametrize("url", URL_STYLES)
def test_each_s3_url_style_names_the_bucket_and_key(url: str) -> None:
    """Virtual-hosted, path-style and the local endpoint's URLs all name the same object."""
    assert parse_object_url(url) == ObjectURL(BUCKET, KEY)


def test_a_url_keeps_its_version_and_decodes_its_key() -> None:
    """`?versionId=` picks a version (the SAM CLI's URLs carry it); %-escapes are decoded."""
    assert parse_object_url(
        "https://my.dotted.bucket.s3.eu-west-1.amazonaws.com/a%20b/c.yaml?versionId=v7"
    ) == ObjectURL("my.dotted.bucket", "a b/c.yaml", "v7")


@pytest.mark.parametrize(
    "url", ["s3://bucket/key", "ftp://s3.amazonaws.com/b/k", "https://s3.amazonaws.com/bucket"]
)
def test_what_names_no_object_is_none(url: str) -> None:
    """A scheme CloudFormation refuses, or a URL without a key, names no object."""
    assert parse_object_url(url) is None


def _uploaded(moto_session: boto3.Session) -> Any:
    s3 = moto_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=TEMPLATE.encode())
    return moto_session.client("cloudformation")


@pytest.mark.parametrize("url", URL_STYLES)
def test_a_change_set_reads_its_template_url_in_every_style(
    moto_session: boto3.Session, url: str
) -> None:
    """CreateChangeSet with a TemplateURL reads the template from the local S3, then executes."""
    cloudformation = _uploaded(moto_session)
    cloudformation.create_change_set(
        StackName="from-url", ChangeSetName="first", ChangeSetType="CREATE", TemplateURL=url
    )
    cloudformation.execute_change_set(StackName="from-url", ChangeSetName="first")
    [stack] = cloudformation.describe_stacks(StackName="from-url")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"][0]["OutputKey"] == "Group"


def test_create_and_update_stack_read_a_template_url(moto_session: boto3.Session) -> None:
    """CreateStack and UpdateStack take the same URLs as change sets."""
    cloudformation = _uploaded(moto_session)
    cloudformation.create_stack(StackName="from-url", TemplateURL=URL_STYLES[1])
    changed = TEMPLATE.replace('"RetentionInDays": 7', '"RetentionInDays": 14')
    moto_session.client("s3").put_object(Bucket=BUCKET, Key="v2.template", Body=changed.encode())
    cloudformation.update_stack(
        StackName="from-url", TemplateURL=URL_STYLES[3][: -len(KEY)] + "v2.template"
    )
    [stack] = cloudformation.describe_stacks(StackName="from-url")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    [group] = moto_session.client("logs").describe_log_groups()["logGroups"]
    assert group["retentionInDays"] == 14  # updated in place: a named group could not be replaced


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            f"https://{BUCKET}.s3.amazonaws.com/missing.yaml",
            "S3 error: The specified key does not exist.",
        ),
        (
            "https://s3.amazonaws.com/no-such-bucket/t.yaml",
            "S3 error: The specified bucket does not exist",
        ),
        ("s3://sam-artifacts/chat/a1b2.template", "TemplateURL must be a supported URL."),
    ],
)
def test_a_url_that_names_no_template_is_a_validation_error(
    moto_session: boto3.Session, url: str, message: str
) -> None:
    """CloudFormation's own ValidationError, not S3's NoSuchBucket from the wrong bucket."""
    cloudformation = _uploaded(moto_session)
    with pytest.raises(ClientError) as refused:
        cloudformation.create_change_set(
            StackName="from-url", ChangeSetName="first", ChangeSetType="CREATE", TemplateURL=url
        )
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert refused.value.response["Error"]["Message"].startswith(message)


def _sam_managed_template() -> dict[str, Any]:
    """The stack `sam deploy --resolve-s3` makes (samcli/lib/bootstrap/bootstrap.py), abridged."""
    bucket_arn = {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}]]
    }
    objects_arn = {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}, "/*"]]
    }
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicPolicy": "true",
                        "BlockPublicAcls": "true",
                        "IgnorePublicAcls": "true",
                        "RestrictPublicBuckets": "true",
                    },
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                        ]
                    },
                    "VersioningConfiguration": {"Status": "Enabled"},
                },
            },
            "BucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "Bucket"},
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Action": ["s3:GetObject"],
                                "Effect": "Allow",
                                "Resource": objects_arn,
                                "Principal": {"Service": "serverlessrepo.amazonaws.com"},
                                "Condition": {
                                    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                                },
                            },
                            {
                                "Action": ["s3:*"],
                                "Effect": "Deny",
                                "Resource": [bucket_arn, objects_arn],
                                "Principal": "*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            },
                        ]
                    },
                },
            },
        },
        "Outputs": {"SourceBucket": {"Value": {"Ref": "Bucket"}}},
    }


def _managed_bucket(moto_session: boto3.Session) -> str:
    cloudformation = moto_session.client("cloudformation")
    cloudformation.create_stack(
        StackName="aws-sam-cli-managed-default",
        TemplateBody=json.dumps(_sam_managed_template()),
        Capabilities=["CAPABILITY_AUTO_EXPAND"],
    )
    [stack] = cloudformation.describe_stacks(StackName="aws-sam-cli-managed-default")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return str(stack["Outputs"][0]["OutputValue"])


def test_the_sam_cli_managed_stack_deploys_its_bucket_and_policy(
    moto_session: boto3.Session,
) -> None:
    """The managed bucket is versioned and private, with the template's policy on it."""
    bucket = _managed_bucket(moto_session)
    s3 = moto_session.client("s3")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert [s["Effect"] for s in policy["Statement"]] == ["Allow", "Deny"]
    resources = moto_session.client("cloudformation").list_stack_resources(
        StackName="aws-sam-cli-managed-default"
    )["StackResourceSummaries"]
    assert {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}[
        "BucketPolicy"
    ] == bucket


def test_the_managed_bucket_takes_uploads_over_the_local_endpoint(
    moto_session: boto3.Session,
) -> None:
    """Its Deny is for requests without TLS and its Allow for one service: the learner uploads."""
    bucket = _managed_bucket(moto_session)
    s3 = moto_session.client("s3")
    s3.put_object(Bucket=bucket, Key="code.zip", Body=b"zip")
    assert s3.get_object(Bucket=bucket, Key="code.zip")["Body"].read() == b"zip"
    s3.delete_object(Bucket=bucket, Key="code.zip")


def test_a_deny_for_everyone_still_denies(moto_session: boto3.Session) -> None:
    """A bucket policy's unconditional Deny to "*" refuses even the account's own uploads."""
    s3 = moto_session.client("s3")
    s3.create_bucket(Bucket="locked")
    deny = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::locked/*",
            }
        ]
    }
    s3.put_bucket_policy(Bucket="locked", Policy=json.dumps(deny))
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket="locked", Key="k", Body=b"x")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_deleting_the_policy_resource_removes_the_policy(moto_session: boto3.Session) -> None:
    """An update without the BucketPolicy deletes the bucket's policy; the bucket stays."""
    bucket = _managed_bucket(moto_session)
    template = _sam_managed_template()
    del template["Resources"]["BucketPolicy"]
    cloudformation = moto_session.client("cloudformation")
    cloudformation.update_stack(
        StackName="aws-sam-cli-managed-default",
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_AUTO_EXPAND"],
    )
    s3 = moto_session.client("s3")
    with pytest.raises(ClientError) as missing:
        s3.get_bucket_policy(Bucket=bucket)
    assert missing.value.response["Error"]["Code"] == "NoSuchBucketPolicy"


def test_a_stack_cannot_delete_a_bucket_that_has_objects(moto_session: boto3.Session) -> None:
    """DELETE_FAILED as on AWS: the bucket and its objects stay until it is emptied."""
    bucket = _managed_bucket(moto_session)
    moto_session.client("s3").put_object(Bucket=bucket, Key="left.zip", Body=b"zip")
    cloudformation = moto_session.client("cloudformation")
    cloudformation.delete_stack(StackName="aws-sam-cli-managed-default")
    [stack] = cloudformation.describe_stacks(StackName="aws-sam-cli-managed-default")["Stacks"]
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert bucket in [b["Name"] for b in moto_session.client("s3").list_buckets()["Buckets"]]
