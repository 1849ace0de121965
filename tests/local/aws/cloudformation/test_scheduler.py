"""AWS::Scheduler::Schedule in the local CloudFormation, and SAM's ScheduleV2 event."""

from __future__ import annotations

import json
from typing import Any

import boto3

SAM = "AWS::Serverless-2016-10-31"
ALL = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
TARGET = {
    "Arn": "arn:aws:lambda:us-east-1:123456789012:function:anything",
    "RoleArn": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
}
SCHEDULER_ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "scheduler.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    },
}


def plain(expression: str = "rate(1 minute)", **extra: Any) -> str:
    return json.dumps(
        {
            "Resources": {
                "SchedulerRole": SCHEDULER_ROLE,
                "Nightly": {
                    "Type": "AWS::Scheduler::Schedule",
                    "Properties": {
                        "ScheduleExpression": expression,
                        "ScheduleExpressionTimezone": "Europe/Paris",
                        "FlexibleTimeWindow": {"Mode": "OFF"},
                        "Target": TARGET,
                        **extra,
                    },
                },
            },
            "Outputs": {
                "Name": {"Value": {"Ref": "Nightly"}},
                "Arn": {"Value": {"Fn::GetAtt": ["Nightly", "Arn"]}},
            },
        }
    )


def outputs(cloudformation: Any, name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_a_schedule_is_created_updated_in_place_and_deleted(moto_session: boto3.Session) -> None:
    """Ref is the name, GetAtt Arn the ARN; a new expression updates it; delete removes it."""
    cloudformation = moto_session.client("cloudformation")
    scheduler = moto_session.client("scheduler")
    cloudformation.create_stack(StackName="timer", TemplateBody=plain(), Capabilities=ALL)
    found = outputs(cloudformation, "timer")
    schedule = scheduler.get_schedule(Name=found["Name"])
    assert schedule["Arn"] == found["Arn"]
    assert found["Name"].startswith("timer-Nightly")
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Paris"

    cloudformation.update_stack(
        StackName="timer", TemplateBody=plain("cron(0 9 * * ? *)"), Capabilities=ALL
    )
    assert outputs(cloudformation, "timer")["Arn"] == found["Arn"]  # the same schedule
    assert scheduler.get_schedule(Name=found["Name"])["ScheduleExpression"] == "cron(0 9 * * ? *)"

    cloudformation.delete_stack(StackName="timer")
    assert scheduler.list_schedules()["Schedules"] == []


def test_a_bad_expression_fails_the_resource_as_scheduler_refuses_it(
    moto_session: boto3.Session,
) -> None:
    """rate(0 minutes): the schedule's CREATE_FAILED gives Scheduler's reason; nothing is left."""
    cloudformation = moto_session.client("cloudformation")
    template = json.loads(plain("rate(0 minutes)"))
    del template["Outputs"]
    cloudformation.create_stack(
        StackName="timer", TemplateBody=json.dumps(template), Capabilities=ALL
    )
    stack = cloudformation.describe_stacks(StackName="timer")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cloudformation.describe_stack_events(StackName="timer")["StackEvents"]
    [failed] = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert "Invalid Schedule Expression rate(0 minutes)" in failed["ResourceStatusReason"]
    assert moto_session.client("scheduler").list_schedules()["Schedules"] == []


def test_sam_schedule_v2_makes_a_schedule_and_a_role_for_scheduler(
    moto_session: boto3.Session,
) -> None:
    """A ScheduleV2 event: a schedule on the function, with a role Scheduler may assume."""
    template = {
        "Transform": SAM,
        "Resources": {
            "Echo": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "InlineCode": "def handler(event, context):\n    return event\n",
                    "Events": {
                        "Tick": {
                            "Type": "ScheduleV2",
                            "Properties": {
                                "ScheduleExpression": "rate(5 minutes)",
                                "Input": json.dumps({"tick": True}),
                            },
                        }
                    },
                },
            }
        },
    }
    cloudformation = moto_session.client("cloudformation")
    cloudformation.create_stack(
        StackName="sam", TemplateBody=json.dumps(template), Capabilities=ALL
    )
    scheduler = moto_session.client("scheduler")
    [summary] = scheduler.list_schedules()["Schedules"]
    schedule = scheduler.get_schedule(Name=summary["Name"])
    function = moto_session.client("lambda").list_functions()["Functions"][0]
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["Target"]["Arn"] == function["FunctionArn"]
    assert json.loads(schedule["Target"]["Input"]) == {"tick": True}
    role = schedule["Target"]["RoleArn"].rsplit("/", 1)[-1]
    iam = moto_session.client("iam")
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"]["Service"] == ["scheduler.amazonaws.com"]
    [policy] = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
    assert document["Statement"][0]["Action"] == "lambda:InvokeFunction"
