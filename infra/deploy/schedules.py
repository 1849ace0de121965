"""Step: invoke a Lambda function on a schedule (an EventBridge rule)."""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

from infra.deploy.aws import app_tags, client, error_code, report
from infra.deploy.functions import allow_invoke

TARGET_ID = "function"


def schedule_rule(
    app: str,
    name: str,
    schedule: str,
    function_name: str,
    *,
    session: boto3.Session | None = None,
) -> str:
    """Invoke ``function_name`` on ``schedule`` (``rate(1 minute)`` or ``cron(...)``); return the rule ARN.

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


def fire_rule(name: str, *, session: boto3.Session | None = None) -> list[dict[str, object]]:
    """Run a schedule's Lambda targets now, with the event EventBridge would send them.

    Works the same on the local cloud and on AWS (it is a plain lambda:Invoke), so a lesson
    need not wait a minute for `rate(1 minute)`. Returns each target's parsed response.
    """
    import json
    from datetime import UTC, datetime

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
        response = client("lambda", session).invoke(FunctionName=target["Arn"], Payload=payload)
        body = response["Payload"].read()
        results.append(
            {
                "function": target["Arn"].split(":")[-1],
                "error": response.get("FunctionError"),
                "response": json.loads(body) if body else None,
            }
        )
    report("rule", name, "fired", f"{len(results)} target(s)")
    return results
