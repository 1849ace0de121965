"""AWS managed policies: they exist with AWS's documents, attach with plain IAM calls, are
enforced like any policy, and are saved with the state."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core.base_backend import BackendDict

from infra.local.aws.iam import aws_managed_policies
from infra.local.cloud import LocalCloud
from infra.local.state.lifecycle import CloudState
from tests.conftest import ROLE_POLICY, make_zip

ACCOUNT, REGION = "123456789012", "us-east-1"
POLICY = "arn:aws:iam::aws:policy/"
BASIC = f"{POLICY}service-role/AWSLambdaBasicExecutionRole"
READ_ONLY = f"{POLICY}AmazonDynamoDBReadOnlyAccess"
THE_SIX = [
    BASIC,
    f"{POLICY}service-role/AWSLambdaDynamoDBExecutionRole",
    f"{POLICY}service-role/AWSLambdaRole",
    READ_ONLY,
    f"{POLICY}AmazonDynamoDBFullAccess",
    f"{POLICY}AmazonAPIGatewayInvokeFullAccess",
]
TABLE = "managed-items"
WAIT = {"Delay": 0.2, "MaxAttempts": 300}  # boto3's own delays are AWS's (20 s, 5 s)

# Writes its own log lines, reads and writes the table, and says what AWS answered.
TRY = """
import time
import boto3
from botocore.exceptions import ClientError


def handler(event, context):
    try:
        if event["call"] == "log":
            logs = boto3.client("logs")
            group = "/managed/" + context.function_name
            try:
                logs.create_log_group(logGroupName=group)
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
            logs.create_log_stream(logGroupName=group, logStreamName=context.aws_request_id)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=context.aws_request_id,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": "hello"}],
            )
        elif event["call"] == "get":
            boto3.resource("dynamodb").Table(event["table"]).get_item(Key={"pk": "x"})
        elif event["call"] == "put":
            boto3.resource("dynamodb").Table(event["table"]).put_item(Item={"pk": "x"})
        return {"ok": True}
    except ClientError as error:
        return {"code": error.response["Error"]["Code"]}
"""


def role(aws: Callable[..., Any], name: str, *managed: str) -> str:
    """A Lambda execution role with exactly these managed policies; returns its ARN."""
    iam = aws("iam")
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    for policy_arn in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return arn


def create_function(aws: Callable[..., Any], **params: Any) -> None:
    """CreateFunction as AWS needs it: retried while the new role propagates, then waited on
    until Active (boto3's waiter, at a short delay)."""
    lambda_ = aws("lambda")
    deadline = time.monotonic() + 60
    while True:
        try:
            lambda_.create_function(**params)
            break
        except ClientError as error:
            if "cannot be assumed by Lambda" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    lambda_.get_waiter("function_active_v2").wait(
        FunctionName=params["FunctionName"], WaiterConfig=WAIT
    )


def call(aws: Callable[..., Any], function: str, **event: Any) -> dict[str, Any]:
    response = aws("lambda").invoke(FunctionName=function, Payload=json.dumps(event))
    result: dict[str, Any] = json.loads(response["Payload"].read())
    return result


@pytest.fixture(scope="module")
def table(aws: Callable[..., Any]) -> str:
    dynamodb = aws("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(TableName=TABLE, WaiterConfig=WAIT)
    return TABLE


@pytest.fixture(scope="module")
def basic_function(aws: Callable[..., Any], table: str) -> str:
    """A function whose role has only AWSLambdaBasicExecutionRole."""
    create_function(
        aws,
        FunctionName="managed-basic",
        Runtime="python3.12",
        Role=role(aws, "managed-basic-role", BASIC),
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": TRY})},
        Timeout=10,
    )
    return "managed-basic"


def test_a_stacks_role_gets_them_with_awss_document(aws: Callable[..., Any]) -> None:
    """A template's ManagedPolicyArns attach the same policies (first named by the stack)."""
    arn = f"{POLICY}AmazonAPIGatewayInvokeFullAccess"
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": json.loads(ROLE_POLICY),
                    "ManagedPolicyArns": [arn],
                },
            }
        }
    }
    cfn = aws("cloudformation")
    cfn.create_stack(
        StackName="managed", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
    )
    cfn.get_waiter("stack_create_complete").wait(StackName="managed", WaiterConfig=WAIT)
    policy = aws("iam").get_policy(PolicyArn=arn)["Policy"]
    assert (policy["AttachmentCount"], policy["Description"]) == (
        1,
        aws_managed_policies()[arn]["Description"],
    )
    cfn.delete_stack(StackName="managed")
    cfn.get_waiter("stack_delete_complete").wait(StackName="managed", WaiterConfig=WAIT)
    assert aws("iam").get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0


def test_the_six_attach_list_and_detach_with_plain_iam_calls(aws: Callable[..., Any]) -> None:
    """attach_role_policy of each of the six works, as on AWS; detach_role_policy undoes it."""
    iam = aws("iam")
    role(aws, "managed-all-role", *THE_SIX)
    attached = iam.list_attached_role_policies(RoleName="managed-all-role")["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == sorted(THE_SIX)
    for arn in THE_SIX:
        iam.detach_role_policy(RoleName="managed-all-role", PolicyArn=arn)
    assert iam.list_attached_role_policies(RoleName="managed-all-role")["AttachedPolicies"] == []
    iam.delete_role(RoleName="managed-all-role")


def test_get_policy_and_its_version_answer_with_awss_document(aws: Callable[..., Any]) -> None:
    """GetPolicy and GetPolicyVersion give the default version and document AWS documents."""
    iam = aws("iam")
    for arn, expected in aws_managed_policies().items():
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        assert (policy["Arn"], policy["Path"], policy["DefaultVersionId"]) == (
            arn,
            expected["Path"],
            expected["DefaultVersionId"],
        )
        assert policy["Description"] == expected["Description"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
        assert version["PolicyVersion"]["IsDefaultVersion"]
        assert version["PolicyVersion"]["Document"] == expected["Document"]
    assert set(aws_managed_policies()) == set(THE_SIX)


def test_list_policies_with_scope_aws_lists_them(aws: Callable[..., Any]) -> None:
    """ListPolicies(Scope=AWS) includes the six; Scope=Local does not."""
    iam = aws("iam")
    listed = {p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]}
    assert set(THE_SIX) <= listed
    local = {p["Arn"] for p in iam.list_policies(Scope="Local", MaxItems=1000)["Policies"]}
    assert not set(THE_SIX) & local


def test_an_unknown_aws_policy_is_no_such_entity(aws: Callable[..., Any]) -> None:
    """A policy AWS does not have is refused with IAM's NoSuchEntity text."""
    role(aws, "managed-unknown-role")
    with pytest.raises(ClientError) as refused:
        aws("iam").attach_role_policy(
            RoleName="managed-unknown-role", PolicyArn=f"{POLICY}NoSuchPolicyAnywhere"
        )
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "NoSuchEntity",
        f"Policy {POLICY}NoSuchPolicyAnywhere does not exist or is not attachable.",
    )


def test_basic_execution_role_writes_logs_but_not_dynamodb(
    aws: Callable[..., Any], basic_function: str
) -> None:
    """Only AWSLambdaBasicExecutionRole: its logs calls are allowed, DynamoDB is AccessDenied."""
    assert call(aws, basic_function, call="log") == {"ok": True}
    assert call(aws, basic_function, call="get", table=TABLE) == {"code": "AccessDeniedException"}


def test_read_only_access_reads_but_does_not_write(
    aws: Callable[..., Any], basic_function: str
) -> None:
    """AmazonDynamoDBReadOnlyAccess attached: GetItem works, PutItem is AccessDenied; detached,
    GetItem is denied again."""
    iam = aws("iam")
    iam.attach_role_policy(RoleName="managed-basic-role", PolicyArn=READ_ONLY)
    assert call(aws, basic_function, call="get", table=TABLE) == {"ok": True}
    assert call(aws, basic_function, call="put", table=TABLE) == {"code": "AccessDeniedException"}
    iam.detach_role_policy(RoleName="managed-basic-role", PolicyArn=READ_ONLY)
    assert call(aws, basic_function, call="get", table=TABLE) == {"code": "AccessDeniedException"}


def test_attached_policies_are_saved_and_restored(
    aws: Callable[..., Any], cloud: LocalCloud, tmp_path: Path
) -> None:
    """A role's AWS managed policies come back from a saved state, with their documents."""
    role(aws, "managed-saved-role", BASIC, READ_ONLY)
    state = CloudState(cloud.backends, tmp_path / "state", interval=3600).open()
    assert state.save_now()
    state.close()
    with cloud.backends.lock:
        BackendDict.reset()
    CloudState(cloud.backends, tmp_path / "state", interval=3600).open().close()
    iam = aws("iam")
    attached = iam.list_attached_role_policies(RoleName="managed-saved-role")["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == sorted([BASIC, READ_ONLY])
    assert iam.get_policy(PolicyArn=READ_ONLY)["Policy"]["AttachmentCount"] == 1
