"""CloudFormation in time: a stack takes as long as its resources, as on AWS.

CreateStack answers at once with the stack CREATE_IN_PROGRESS; its table is CREATE_COMPLETE
only once ACTIVE, its function once Active (after its new role has propagated), and UpdateStack
is UPDATE_COMPLETE once the function's update is Successful. The careless DescribeStacks right
after the call sees the stack in progress; the careful one (boto3's waiter) sees it complete,
with every resource settled. The module's cloud runs at the tests' `short` timing; one test
runs at the defaults.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.local.cloud import LocalCloud
from infra.local.timing import DEFAULT
from tests import waits
from tests.conftest import running_cloud
from tests.local.aws.settling import at_defaults, lasting


def handler(answer: str) -> str:
    return f"def handler(event, context):\n    return {answer!r}\n"


def template(answer: str = "v1", *, table: bool = True) -> str:
    """A role, a table and a function that uses both (what a chat stack is made of)."""
    resources: dict[str, Any] = {
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
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"ZipFile": handler(answer)},
            },
        },
    }
    outputs = {"FunctionName": {"Value": {"Ref": "Function"}}}
    if table:
        resources["Table"] = {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            },
        }
        resources["Function"]["Properties"]["Environment"] = {
            "Variables": {"TABLE": {"Ref": "Table"}}
        }
        outputs["TableName"] = {"Value": {"Ref": "Table"}}
    return json.dumps(
        {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources, "Outputs": outputs}
    )


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """The module's cloud at the tests' `short` timing, whatever WORKSHOP_TIMING says."""
    with running_cloud(timing="short", ttl_interval=0.5) as running:
        running.backends.reset()
        yield running


@pytest.fixture
def default_timing() -> Iterator[None]:
    """Resources made meanwhile settle at the defaults (`workshop cloud`'s), not the tests'."""
    with at_defaults():
        yield


def create(aws: Any, name: str, body: str) -> None:
    aws("cloudformation").create_stack(
        StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"]
    )


def stack_of(aws: Any, name: str) -> dict[str, Any]:
    stack: dict[str, Any] = aws("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return stack


def outputs(aws: Any, name: str) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack_of(aws, name).get("Outputs", [])}


def wait(aws: Any, waiter: str, name: str) -> None:
    aws("cloudformation").get_waiter(waiter).wait(StackName=name, WaiterConfig=waits.WAITER)


def statuses(aws: Any, name: str) -> list[tuple[str, str]]:
    """(logical id, status) of every event, oldest first."""
    events = aws("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events)]


def test_a_stack_is_complete_once_its_resources_are(aws: Any, default_timing: None) -> None:
    """At the defaults, CreateStack answers CREATE_IN_PROGRESS; the waiter returns once the
    table is ACTIVE and the function Active, which takes as long as they do."""
    started = time.monotonic()
    create(aws, "timing-stack", template())
    assert stack_of(aws, "timing-stack")["StackStatus"] == "CREATE_IN_PROGRESS"
    assert outputs(aws, "timing-stack") == {}  # none until the stack is created
    aws("cloudformation").get_waiter("stack_create_complete").wait(
        StackName="timing-stack", WaiterConfig={"Delay": 1}
    )
    assert time.monotonic() - started >= DEFAULT.table_create + DEFAULT.function_create
    made = outputs(aws, "timing-stack")
    table = aws("dynamodb").describe_table(TableName=made["TableName"])["Table"]
    assert table["TableStatus"] == "ACTIVE"
    function = aws("lambda").get_function(FunctionName=made["FunctionName"])["Configuration"]
    assert (function["State"], function["LastUpdateStatus"]) == ("Active", "Successful")
    answer = aws("lambda").invoke(FunctionName=made["FunctionName"], Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == "v1"


def test_a_function_waits_out_its_new_role(aws: Any) -> None:
    """The stack's function uses the role the stack made a moment before: CloudFormation
    waits for the role's propagation instead of failing, as AWS's retries do."""
    create(aws, "timing-role-stack", template(table=False))
    wait(aws, "stack_create_complete", "timing-role-stack")
    events = statuses(aws, "timing-role-stack")
    assert not [event for event in events if event[1].endswith("FAILED")]
    assert events.index(("Role", "CREATE_COMPLETE")) < events.index(
        ("Function", "CREATE_IN_PROGRESS")
    )


def test_a_function_is_complete_only_once_active(aws: Any) -> None:
    """While the stack's function is Pending, the function is CREATE_IN_PROGRESS, not COMPLETE."""

    def made() -> list[dict[str, Any]]:
        functions = aws("lambda").list_functions()["Functions"]
        return [f for f in functions if f["FunctionName"].startswith("timing-pending-stack")]

    with lasting(function_create=3.0):
        create(aws, "timing-pending-stack", template(table=False))
        deadline = time.monotonic() + 30
        while not made():
            assert time.monotonic() < deadline, "the stack never made its function"
            time.sleep(0.02)
    assert made()[0]["State"] == "Pending"
    assert ("Function", "CREATE_IN_PROGRESS") in statuses(aws, "timing-pending-stack")
    assert ("Function", "CREATE_COMPLETE") not in statuses(aws, "timing-pending-stack")
    assert stack_of(aws, "timing-pending-stack")["StackStatus"] == "CREATE_IN_PROGRESS"
    wait(aws, "stack_create_complete", "timing-pending-stack")
    assert ("Function", "CREATE_COMPLETE") in statuses(aws, "timing-pending-stack")
    assert made()[0]["State"] == "Active"


def test_the_cloud_answers_while_a_stack_waits(aws: Any) -> None:
    """A stack waiting for its resources holds nothing up: other calls answer meanwhile."""
    with lasting(function_create=3.0):
        create(aws, "timing-busy-stack", template(table=False))
        time.sleep(1.0)  # the stack has made its function, and waits for it
    started = time.monotonic()
    aws("dynamodb").list_tables()
    aws("lambda").list_functions()
    assert stack_of(aws, "timing-busy-stack")["StackStatus"] == "CREATE_IN_PROGRESS"
    assert time.monotonic() - started < 1.5
    wait(aws, "stack_create_complete", "timing-busy-stack")


def test_an_update_is_complete_once_the_function_is_updated(aws: Any) -> None:
    """UpdateStack answers UPDATE_IN_PROGRESS; at UPDATE_COMPLETE the function's update is
    Successful and invocations run the new code."""
    create(aws, "timing-update-stack", template("v1", table=False))
    wait(aws, "stack_create_complete", "timing-update-stack")
    function = outputs(aws, "timing-update-stack")["FunctionName"]
    with lasting(function_update=2.0):
        aws("cloudformation").update_stack(
            StackName="timing-update-stack",
            TemplateBody=template("v2", table=False),
            Capabilities=["CAPABILITY_IAM"],
        )
        assert stack_of(aws, "timing-update-stack")["StackStatus"] == "UPDATE_IN_PROGRESS"
        wait(aws, "stack_update_complete", "timing-update-stack")
    configuration = aws("lambda").get_function_configuration(FunctionName=function)
    assert configuration["LastUpdateStatus"] == "Successful"
    answer = aws("lambda").invoke(FunctionName=function, Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == "v2"


def test_a_stack_is_deleted_once_its_table_is_gone(aws: Any) -> None:
    """DeleteStack answers DELETE_IN_PROGRESS; at DELETE_COMPLETE the table is gone, not DELETING."""
    create(aws, "timing-delete-stack", template())
    wait(aws, "stack_create_complete", "timing-delete-stack")
    table = outputs(aws, "timing-delete-stack")["TableName"]
    with lasting(table_delete=2.0):
        aws("cloudformation").delete_stack(StackName="timing-delete-stack")
        assert stack_of(aws, "timing-delete-stack")["StackStatus"] == "DELETE_IN_PROGRESS"
        wait(aws, "stack_delete_complete", "timing-delete-stack")
    with pytest.raises(ClientError) as gone:
        aws("dynamodb").describe_table(TableName=table)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_stack_deleted_while_it_is_created_is_deleted_after(aws: Any) -> None:
    """DeleteStack during CREATE_IN_PROGRESS waits for the creation, then deletes everything."""
    create(aws, "timing-early-delete", template())
    aws("cloudformation").delete_stack(StackName="timing-early-delete")
    wait(aws, "stack_delete_complete", "timing-early-delete")
    left = [
        f["FunctionName"]
        for f in aws("lambda").list_functions()["Functions"]
        if f["FunctionName"].startswith("timing-early-delete")
    ]
    tables = [
        t for t in aws("dynamodb").list_tables()["TableNames"] if t.startswith("timing-early")
    ]
    assert (left, tables) == ([], [])


def test_a_change_set_executes_in_time(aws: Any) -> None:
    """ExecuteChangeSet (`aws cloudformation deploy`, `sam deploy`) creates in the background
    too, and the stack_create_complete waiter sees it through."""
    cloudformation = aws("cloudformation")
    cloudformation.create_change_set(
        StackName="timing-change-set",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=template(table=False),
        Capabilities=["CAPABILITY_IAM"],
    )
    cloudformation.get_waiter("change_set_create_complete").wait(
        StackName="timing-change-set", ChangeSetName="first", WaiterConfig=waits.WAITER
    )
    cloudformation.execute_change_set(StackName="timing-change-set", ChangeSetName="first")
    wait(aws, "stack_create_complete", "timing-change-set")
    function = outputs(aws, "timing-change-set")["FunctionName"]
    assert aws("lambda").get_function(FunctionName=function)["Configuration"]["State"] == "Active"


def test_an_update_change_set_executes_in_time(aws: Any) -> None:
    """An UPDATE change set (a second `sam deploy`) is UPDATE_COMPLETE once the function's
    update is Successful; invocations then run the new code."""
    cloudformation = aws("cloudformation")
    create(aws, "timing-update-set", template("v1", table=False))
    wait(aws, "stack_create_complete", "timing-update-set")
    function = outputs(aws, "timing-update-set")["FunctionName"]
    cloudformation.create_change_set(
        StackName="timing-update-set",
        ChangeSetName="second",
        ChangeSetType="UPDATE",
        TemplateBody=template("v2", table=False),
        Capabilities=["CAPABILITY_IAM"],
    )
    cloudformation.get_waiter("change_set_create_complete").wait(
        StackName="timing-update-set", ChangeSetName="second", WaiterConfig=waits.WAITER
    )
    cloudformation.execute_change_set(StackName="timing-update-set", ChangeSetName="second")
    wait(aws, "stack_update_complete", "timing-update-set")
    configuration = aws("lambda").get_function_configuration(FunctionName=function)
    assert configuration["LastUpdateStatus"] == "Successful"
    answer = aws("lambda").invoke(FunctionName=function, Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == "v2"
