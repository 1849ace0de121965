"""IAM enforced as on AWS: functions act with their role, and what it does not allow is denied."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from botocore.exceptions import ClientError

from tests import waits
from tests.conftest import ROLE_POLICY, make_zip
from tests.local.gateway.helpers import WHOAMI, GatewayLab, recv_text, run, whoami

ACCOUNT, REGION = "123456789012", "us-east-1"
TABLE_A, TABLE_B = "enforced-a", "enforced-b"

# Tries one call and reports what happened, so a test can read AWS's own error text.
TRY = """
import json, os
import boto3
from botocore.exceptions import ClientError


def handler(event, context):
    try:
        if event["call"] == "whoami":
            return {"ok": boto3.client("sts").get_caller_identity()["Arn"],
                    "token": bool(os.environ.get("AWS_SESSION_TOKEN"))}
        if event["call"] == "get":
            boto3.resource("dynamodb").Table(event["table"]).get_item(Key={"pk": "x"})
        elif event["call"] == "put":
            boto3.resource("dynamodb").Table(event["table"]).put_item(Item={"pk": "x"})
        elif event["call"] == "post":
            api = boto3.client("apigatewaymanagementapi", endpoint_url=event["endpoint"])
            api.post_to_connection(ConnectionId=event["connection"], Data=b"from a role")
        return {"ok": True}
    except ClientError as error:
        return {"code": error.response["Error"]["Code"], "message": error.response["Error"]["Message"]}
"""


def statement(effect: str, action: Any, resource: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource}


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


@pytest.fixture(scope="module")
def tables(aws: Any) -> None:
    dynamodb = aws("dynamodb")
    for name in (TABLE_A, TABLE_B):
        waits.create_table(
            dynamodb,
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


def function_with(aws: Any, name: str, *statements: dict[str, Any]) -> str:
    """A function running TRY under a role with exactly these statements; returns its name."""
    iam = aws("iam")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=ROLE_POLICY)
    if statements:
        iam.put_role_policy(
            RoleName=f"{name}-role",
            PolicyName="only",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
        )
    waits.create_function(
        aws("lambda"),
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": TRY})},
        Timeout=10,
    )
    return name


def call(aws: Any, function: str, **event: Any) -> dict[str, Any]:
    response = aws("lambda").invoke(FunctionName=function, Payload=json.dumps(event))
    result: dict[str, Any] = json.loads(response["Payload"].read())
    return result


def test_a_function_runs_with_its_roles_temporary_credentials(aws: Any, tables: None) -> None:
    """Inside the function, STS says it is the assumed role, and a session token is set."""
    name = function_with(aws, "enforced-whoami")
    result = call(aws, name, call="whoami")
    assert result == {
        "ok": f"arn:aws:sts::{ACCOUNT}:assumed-role/enforced-whoami-role/enforced-whoami",
        "token": True,
    }


def test_get_only_is_denied_put_with_awss_text(aws: Any, tables: None) -> None:
    """A role that allows GetItem only: PutItem fails with AWS's AccessDeniedException text."""
    name = function_with(
        aws, "enforced-get", statement("Allow", "dynamodb:GetItem", table_arn(TABLE_A))
    )
    assert call(aws, name, call="get", table=TABLE_A) == {"ok": True}
    denied = call(aws, name, call="put", table=TABLE_A)
    assert denied == {
        "code": "AccessDeniedException",
        "message": (
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/enforced-get-role/enforced-get is not "
            f"authorized to perform: dynamodb:PutItem on resource: {table_arn(TABLE_A)} "
            "because no identity-based policy allows the dynamodb:PutItem action"
        ),
    }


def test_an_explicit_deny_wins_over_an_allow(aws: Any, tables: None) -> None:
    """Allow dynamodb:* but Deny PutItem: the put is denied, with AWS's explicit-deny text."""
    name = function_with(
        aws,
        "enforced-deny",
        statement("Allow", "dynamodb:*", "*"),
        statement("Deny", "dynamodb:PutItem", table_arn(TABLE_A)),
    )
    denied = call(aws, name, call="put", table=TABLE_A)
    assert denied["code"] == "AccessDeniedException"
    assert denied["message"].endswith("with an explicit deny in an identity-based policy")
    assert call(aws, name, call="put", table=TABLE_B) == {"ok": True}


def test_a_resource_for_table_a_does_not_allow_table_b(aws: Any, tables: None) -> None:
    """Allowed on table A only: the same call on table B is denied."""
    name = function_with(
        aws, "enforced-a-only", statement("Allow", "dynamodb:PutItem", table_arn(TABLE_A))
    )
    assert call(aws, name, call="put", table=TABLE_A) == {"ok": True}
    assert call(aws, name, call="put", table=TABLE_B)["code"] == "AccessDeniedException"


def test_the_learners_own_calls_are_never_checked(aws: Any, tables: None) -> None:
    """The notebook's credentials are an administrator's: no policy is needed."""
    aws("dynamodb").put_item(TableName=TABLE_B, Item={"pk": {"S": "learner"}})
    aws("iam").list_roles()


def test_a_role_that_lambda_may_not_assume_is_refused_at_create(aws: Any) -> None:
    """A trust policy without lambda.amazonaws.com: CreateFunction fails as on AWS."""
    iam = aws("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="ec2-only", AssumeRolePolicyDocument=json.dumps(trust))
    with pytest.raises(ClientError) as refused:
        aws("lambda").create_function(
            FunctionName="untrusted",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="app.handler",
            Code={"ZipFile": make_zip({"app.py": TRY})},
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert refused.value.response["Error"]["Message"] == (
        "The role defined for the function cannot be assumed by Lambda."
    )


@pytest.fixture(scope="module")
def stage(lab: GatewayLab) -> Any:
    return lab.deploy({"whoami": WHOAMI}, two_way=("whoami",))


def test_manage_connections_is_needed_to_post(aws: Any, tables: None, stage: Any) -> None:
    """Without execute-api:ManageConnections a post is 403 Forbidden; with it, it arrives."""
    without = function_with(aws, "enforced-no-post")
    connections = (
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{stage.api_id}/{stage.stage}/POST/@connections/*"
    )
    allowed = function_with(
        aws, "enforced-post", statement("Allow", "execute-api:ManageConnections", connections)
    )

    async def scenario() -> tuple[str, dict[str, Any], dict[str, Any], str]:
        async with websockets.connect(stage.url) as ws:
            me = await whoami(ws)
            event = {"call": "post", "endpoint": stage.management_url, "connection": me}
            refused = await asyncio.to_thread(call, aws, without, **event)
            posted = await asyncio.to_thread(call, aws, allowed, **event)
            return me, refused, posted, await recv_text(ws)

    me, refused, posted, received = run(scenario())
    assert refused == {
        "code": "ForbiddenException",
        "message": (
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/enforced-no-post-role/enforced-no-post "
            "is not authorized to perform: execute-api:ManageConnections on resource: "
            f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{stage.api_id}/{stage.stage}/POST/"
            f"@connections/{me}"
        ),
    }
    assert posted == {"ok": True}
    assert received == "from a role"


def test_connections_refuse_unsigned_and_wrongly_signed_posts(stage: Any) -> None:
    """No signature, an unknown key or a wrong secret: 403 with API Gateway's message."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    def client(**options: Any) -> Any:
        return boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=stage.management_url,
            region_name=REGION,
            **options,
        )

    async def scenario() -> list[Any]:
        async with websockets.connect(stage.url) as ws:
            me = await whoami(ws)
            outcomes = []
            for api in (
                client(config=Config(signature_version=UNSIGNED)),
                client(aws_access_key_id="AKIANOBODYKNOWS", aws_secret_access_key="x"),
                client(aws_access_key_id="testing", aws_secret_access_key="not-the-secret"),
            ):
                try:
                    await asyncio.to_thread(api.post_to_connection, ConnectionId=me, Data=b"x")
                    outcomes.append("posted")
                except ClientError as error:
                    outcomes.append(
                        (
                            error.response["ResponseMetadata"]["HTTPStatusCode"],
                            error.response["Error"]["Message"],
                        )
                    )
            return outcomes

    unsigned, unknown, wrong = run(scenario())
    assert unsigned == (403, "Missing Authentication Token")
    assert unknown == (403, "The security token included in the request is invalid.")
    assert wrong[0] == 403
    assert wrong[1].startswith("The request signature we calculated does not match")


def test_a_mapping_whose_role_cannot_read_the_stream_is_refused(aws: Any) -> None:
    """CreateEventSourceMapping checks the role can read the stream, with Lambda's message."""
    dynamodb = aws("dynamodb")
    stream = waits.create_table(
        dynamodb,
        TableName="enforced-stream",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    name = function_with(aws, "enforced-reader", statement("Allow", "dynamodb:GetItem", "*"))
    with pytest.raises(ClientError) as refused:
        aws("lambda").create_event_source_mapping(
            EventSourceArn=stream, FunctionName=name, StartingPosition="LATEST"
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert refused.value.response["Error"]["Message"] == (
        f"Cannot access stream {stream}. Please ensure the role can perform the GetRecords, "
        "GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."
    )


def test_a_mapping_that_loses_its_permission_reports_the_problem(aws: Any, cloud: Any) -> None:
    """Stream rights taken away after creation: the mapping reports PROBLEM and delivers nothing."""
    from tests.local.sources.conftest import READ_STREAMS  # allows dynamodb:* on *

    dynamodb = aws("dynamodb")
    stream = waits.create_table(
        dynamodb,
        TableName="enforced-lost",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    name = function_with(aws, "enforced-lost-reader", *json.loads(READ_STREAMS)["Statement"])
    lambda_ = aws("lambda")
    uuid = waits.create_event_source_mapping(
        lambda_, EventSourceArn=stream, FunctionName=name, StartingPosition="LATEST"
    )["UUID"]
    aws("iam").delete_role_policy(RoleName=f"{name}-role", PolicyName="only")
    dynamodb.put_item(TableName="enforced-lost", Item={"pk": {"S": "x"}})

    async def reported() -> str:
        while True:
            result = lambda_.get_event_source_mapping(UUID=uuid)["LastProcessingResult"]
            if result.startswith("PROBLEM"):
                return str(result)
            await asyncio.sleep(0.1)

    assert run(reported()) == f"PROBLEM: Cannot access stream {stream}. Please ensure the role " + (
        "can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on "
        "your stream in IAM."
    )


def test_logs_are_written_only_with_the_roles_permission(aws: Any, tables: None) -> None:
    """Lambda writes a function's logs with its role: without logs permissions there are none."""
    silent = function_with(aws, "enforced-silent", statement("Allow", "dynamodb:*", "*"))
    logged = function_with(
        aws,
        "enforced-logged",
        statement(
            "Allow",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/enforced-logged:*",
        ),
    )
    for name in (silent, logged):
        call(aws, name, call="get", table=TABLE_A)
    logs = aws("logs")
    groups = {
        g["logGroupName"]
        for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/enforced-")["logGroups"]
    }
    assert "/aws/lambda/enforced-silent" not in groups
    events = logs.filter_log_events(logGroupName="/aws/lambda/enforced-logged")["events"]
    assert any(e["message"].startswith("START RequestId:") for e in events)
