"""infra.deploy.stacks: packaging like `aws cloudformation package`, and stacks with progress."""

from __future__ import annotations

import hashlib
import json

import boto3
import pytest

from infra.deploy.packaging import package_lambda
from infra.deploy.stacks import (
    StackFailed,
    artifacts_bucket,
    create_stack,
    delete_stack,
    deploy_template,
    load_template,
    package_template,
    stack_outputs,
    template_path,
    update_stack,
)

TABLE = {
    "Type": "AWS::DynamoDB::Table",
    "Properties": {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    },
}
SIMPLE = {"Resources": {"Table": TABLE}, "Outputs": {"Name": {"Value": {"Ref": "Table"}}}}


def test_package_uploads_the_folder_zip_under_its_md5(moto_aws: boto3.Session) -> None:
    """CodeUri: . becomes s3://bucket/<md5 of the zip>, and that object is the app's zip."""
    path = template_path("chat")
    bucket = artifacts_bucket()
    packaged = package_template(load_template(path), path.parent, bucket)
    code = package_lambda("chat")
    uri = f"s3://{bucket}/{hashlib.md5(code).hexdigest()}"
    uris = {
        r["Properties"]["CodeUri"]
        for r in packaged["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assert uris == {uri}
    body = moto_aws.client("s3").get_object(Bucket=bucket, Key=uri.rsplit("/", 1)[1])["Body"].read()
    assert body == code


def test_package_uploads_a_zip_once_and_leaves_the_template_file_alone(
    moto_aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """Packaging twice uploads once (same MD5), and the file on disk still says CodeUri: ."""
    path = template_path("push")
    before = path.read_text()
    bucket = artifacts_bucket()
    package_template(load_template(path), path.parent, bucket)
    package_template(load_template(path), path.parent, bucket)
    assert capsys.readouterr().out.count("(uploaded)") == 1
    assert path.read_text() == before


def test_lambda_function_code_folders_are_packaged_too(moto_aws: boto3.Session, tmp_path) -> None:
    """AWS::Lambda::Function Code: <folder> becomes S3Bucket/S3Key, as the CLI does."""
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(e, c):\n    return 1\n")
    template = {"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Code": "fn"}}}}
    packaged = package_template(template, tmp_path, artifacts_bucket())
    code = packaged["Resources"]["F"]["Properties"]["Code"]
    assert set(code) == {"S3Bucket", "S3Key"}
    assert template["Resources"]["F"]["Properties"]["Code"] == "fn"


def test_create_stack_prints_each_event_and_returns_the_outputs(
    moto_aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """Progress lines follow the stack's events; the Outputs come back as a dict."""
    outputs = create_stack("plain", SIMPLE)
    lines = capsys.readouterr().out.splitlines()
    assert any("CREATE_COMPLETE" in line and "AWS::DynamoDB::Table" in line for line in lines)
    assert lines[-1] == "✓ stack plain (created)"
    assert moto_aws.client("dynamodb").list_tables()["TableNames"] == [outputs["Name"]]


def test_a_failed_create_raises_with_the_resource_and_reason(moto_aws: boto3.Session) -> None:
    """A stack that rolls back raises StackFailed naming the resource that failed and why."""
    template = {"Resources": {"Graph": {"Type": "AWS::AppSync::GraphQLApi"}}}
    with pytest.raises(StackFailed, match=r"Graph \(AWS::AppSync::GraphQLApi\): Resource type"):
        create_stack("broken", template)


def test_an_update_without_changes_reports_unchanged(
    moto_aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """update_stack of the same template is not an error: it says "unchanged"."""
    create_stack("plain", SIMPLE)
    update_stack("plain", SIMPLE)
    assert capsys.readouterr().out.splitlines()[-1] == "✓ stack plain (unchanged)"


def test_update_prints_only_the_new_events(
    moto_aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """The progress of an update starts at its own UPDATE_IN_PROGRESS, not at the creation."""
    create_stack("plain", SIMPLE)
    capsys.readouterr()
    changed = json.loads(json.dumps(SIMPLE))
    changed["Resources"]["Second"] = TABLE
    update_stack("plain", changed)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "UPDATE_IN_PROGRESS",
        "AWS::CloudFormation::Stack",
        "plain",
        "User",
        "Initiated",
    ]
    assert [line.split()[2] for line in lines if "CREATE_COMPLETE" in line] == ["Second"]
    assert lines[-1] == "✓ stack plain (updated)"


def test_delete_stack_removes_it_and_tolerates_a_missing_one(moto_aws: boto3.Session) -> None:
    """delete_stack waits until DELETE_COMPLETE; deleting it again just says it is absent."""
    create_stack("plain", SIMPLE)
    delete_stack("plain")
    assert moto_aws.client("dynamodb").list_tables()["TableNames"] == []
    delete_stack("plain")


def test_deploy_template_creates_then_updates_the_apps_stack(moto_aws: boto3.Session) -> None:
    """deploy_template("push") makes the stack push, tagged workshop:app=push; again, updates it."""
    outputs = deploy_template("push")
    stack = moto_aws.client("cloudformation").describe_stacks(StackName="push")["Stacks"][0]
    assert {"Key": "workshop:app", "Value": "push"} in stack["Tags"]
    assert outputs["WebSocketURL"].endswith("/dev")
    assert deploy_template("push", stage="prod")["WebSocketURL"].endswith("/prod")
    assert stack_outputs("push")["ScheduleName"] == "push-schedule"
