"""Step: invoke a Lambda function on a schedule: an EventBridge Scheduler schedule, or the
legacy scheduled rule.

AWS's EventBridge guide calls scheduled rules "a legacy feature of EventBridge" and recommends
EventBridge Scheduler, so the apps use `schedule_function`: a schedule whose execution role
(trusted by scheduler.amazonaws.com) may invoke the one function. Schedules carry no tags (only
schedule groups do); `teardown` finds an app's schedules by their target, one of its functions.
`schedule_rule` stays for code written against rules (the rule-based seed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError

from infra.deploy.aws import app_tags, client, error_code, report, retry_while, wait_for
from infra.deploy.functions import allow_invoke
from infra.deploy.roles import ROLE_PATH

T = TypeVar("T")
TARGET_ID = "function"
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
INVOKE_POLICY = "invoke-function"


def scheduler_trust_policy() -> dict[str, Any]:
    """Who may assume a schedule's execution role: EventBridge Scheduler, nobody else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": SCHEDULER_PRINCIPAL},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def invoke_policy(function_arn: str) -> dict[str, Any]:
    """What a schedule's role needs to run a Lambda target: lambda:InvokeFunction on it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": [function_arn, f"{function_arn}:*"],
            }
        ],
    }


def create_scheduler_role(
    app: str, function_arn: str, name: str | None = None, *, session: boto3.Session | None = None
) -> str:
    """Create (or reuse) ``{app}-scheduler-role``, which Scheduler assumes to invoke the
    function; return its ARN. Re-running replaces its policy when the function changed."""
    name = name or f"{app}-scheduler-role"
    iam = client("iam", session)
    try:
        role = iam.get_role(RoleName=name)["Role"]
        outcome = "exists"
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        role = iam.create_role(
            RoleName=name,
            Path=ROLE_PATH,
            AssumeRolePolicyDocument=json.dumps(scheduler_trust_policy()),
            Description=f"EventBridge Scheduler runs the {app} workshop function with it",
            Tags=[{"Key": k, "Value": v} for k, v in app_tags(app).items()],
        )["Role"]
        wait_for(iam, "role_exists", RoleName=name)
        outcome = "created"
    policy = invoke_policy(function_arn)
    try:
        current = iam.get_role_policy(RoleName=name, PolicyName=INVOKE_POLICY)["PolicyDocument"]
        current = json.loads(unquote(current)) if isinstance(current, str) else current
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        current = None
    if current != policy:
        iam.put_role_policy(
            RoleName=name, PolicyName=INVOKE_POLICY, PolicyDocument=json.dumps(policy)
        )
        outcome = "updated" if outcome == "exists" else outcome
    report("role", name, outcome)
    return str(role["Arn"])


def schedule_function(
    app: str,
    name: str,
    expression: str,
    function_name: str,
    *,
    timezone: str = "UTC",
    session: boto3.Session | None = None,
) -> str:
    """Invoke ``function_name`` on ``expression`` (``rate(1 minute)``, ``cron(...)`` or
    ``at(...)``) with an EventBridge Scheduler schedule; return its ARN.

    Re-running updates the schedule in place. Its role is made first; IAM is eventually
    consistent, so while Scheduler cannot use a role made a moment ago the call is retried.
    """
    function_arn = client("lambda", session).get_function_configuration(FunctionName=function_name)[
        "FunctionArn"
    ]
    role_arn = create_scheduler_role(app, function_arn, session=session)
    scheduler = client("scheduler", session)
    settings: dict[str, Any] = {
        "Name": name,
        "ScheduleExpression": expression,
        "ScheduleExpressionTimezone": timezone,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "Description": f"{app} workshop schedule",
        "Target": {"Arn": function_arn, "RoleArn": role_arn},
    }
    try:
        before: dict[str, Any] | None = scheduler.get_schedule(Name=name)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        before = None
    call = scheduler.create_schedule if before is None else scheduler.update_schedule
    arn = str(once_scheduler_may_assume(lambda: call(**settings))["ScheduleArn"])
    if before is None:
        outcome = "created"
    elif (before.get("ScheduleExpression"), before.get("State")) != (expression, "ENABLED"):
        outcome = "updated"
    else:
        outcome = "exists"
    report("schedule", name, outcome, f"{expression} → {function_name}")
    return arn


def once_scheduler_may_assume(call: Callable[[], T], timeout: float = 60.0) -> T:
    """`call()` (CreateSchedule or UpdateSchedule), again while Scheduler cannot assume the
    schedule's role yet: IAM is eventually consistent, so a role made seconds ago is refused
    with ValidationException ("The execution role you provide must allow AWS EventBridge
    Scheduler to assume the role."), on AWS and in the local cloud alike."""
    return retry_while(call, "ValidationException", "Scheduler to assume the role", timeout)


def schedule_rule(
    app: str,
    name: str,
    schedule: str,
    function_name: str,
    *,
    session: boto3.Session | None = None,
) -> str:
    """Invoke ``function_name`` on ``schedule`` (``rate(1 minute)`` or ``cron(...)``) with a
    scheduled rule, EventBridge's legacy way (the rule-based seed's); return the rule ARN.

    Re-running updates the schedule in place; the rule, its target and EventBridge's permission to
    invoke the function each exist once.
    """
    events = client("events", session)
    try:
        before = events.describe_rule(Name=name)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        before = None
    tags = [{"Key": k, "Value": v} for k, v in app_tags(app).items()]
    rule_arn = events.put_rule(
        Name=name,
        ScheduleExpression=schedule,
        State="ENABLED",
        Description=f"{app} workshop schedule",
        Tags=tags,
    )["RuleArn"]
    if before is not None:
        # put_rule applies Tags only when it creates the rule.
        events.tag_resource(ResourceARN=rule_arn, Tags=tags)
    function_arn = client("lambda", session).get_function_configuration(FunctionName=function_name)[
        "FunctionArn"
    ]
    events.put_targets(Rule=name, Targets=[{"Id": TARGET_ID, "Arn": function_arn}])
    allow_invoke(function_name, "events.amazonaws.com", rule_arn, f"events-{name}", session=session)
    if before is None:
        outcome = "created"
    elif before.get("ScheduleExpression") != schedule or before.get("State") != "ENABLED":
        outcome = "updated"
    else:
        outcome = "exists"
    report("rule", name, outcome, f"{schedule} → {function_name}")
    return rule_arn


def fire(name: str, *, session: boto3.Session | None = None) -> list[dict[str, object]]:
    """Run a schedule's target, or a scheduled rule's targets, now (`workshop fire NAME`).

    A schedule of that name in the default group is fired first, else the rule. KeyError when
    there is neither.
    """
    try:
        return fire_schedule(name, session=session)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
    try:
        return fire_rule(name, session=session)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
    raise KeyError(f"there is no schedule or rule called {name!r}")


def fire_schedule(
    name: str, group: str = "default", *, session: boto3.Session | None = None
) -> list[dict[str, object]]:
    """Run a schedule's Lambda target now, with the Input Scheduler would send it.

    A plain lambda:Invoke with your own credentials, the same on the local cloud and on AWS
    (where nothing fires a schedule early), so a lesson need not wait for its time.
    """
    schedule = client("scheduler", session).get_schedule(Name=name, GroupName=group)
    target = schedule["Target"]
    results: list[dict[str, object]] = []
    if ":lambda:" in target["Arn"]:
        payload = target.get("Input", "{}")
        when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        payload = payload.replace("<aws.scheduler.schedule-arn>", schedule["Arn"])
        payload = payload.replace("<aws.scheduler.scheduled-time>", when)
        results.append(_invoke(target["Arn"], payload, session))
    report("schedule", name, "fired", f"{len(results)} target(s)")
    return results


def _invoke(function_arn: str, payload: str, session: boto3.Session | None) -> dict[str, object]:
    response = client("lambda", session).invoke(FunctionName=function_arn, Payload=payload)
    body = response["Payload"].read()
    return {
        "function": function_arn.split(":")[-1],
        "error": response.get("FunctionError"),
        "response": json.loads(body) if body else None,
    }


def fire_rule(name: str, *, session: boto3.Session | None = None) -> list[dict[str, object]]:
    """Run a scheduled rule's Lambda targets now, with the event EventBridge would send them.

    Works the same on the local cloud and on AWS (it is a plain lambda:Invoke), so a lesson
    need not wait a minute for `rate(1 minute)`. Returns each target's parsed response.
    """
    from infra.local.sources.schedules import scheduled_event

    events = client("events", session)
    rule = events.describe_rule(Name=name)
    _, _, _, region, account, _ = rule["Arn"].split(":", 5)
    results: list[dict[str, object]] = []
    for target in events.list_targets_by_rule(Rule=name)["Targets"]:
        if ":lambda:" not in target["Arn"]:
            continue
        payload = target.get("Input") or json.dumps(
            scheduled_event(rule["Arn"], account, region, datetime.now(UTC))
        )
        results.append(_invoke(target["Arn"], payload, session))
    report("rule", name, "fired", f"{len(results)} target(s)")
    return results
