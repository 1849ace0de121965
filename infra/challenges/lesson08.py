"""The checks of lesson 08's challenges: the schedule rule with its target, and EventBridge's
permission to invoke the function."""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

from infra.deploy.aws import APP_TAG, error_code
from infra.deploy.functions import allow_invoke

from . import check, not_done, passed, permissions, require
from .lesson01 import require_no_near_name

RULE = "push-schedule"
FUNCTION = "push-broadcast"
EXPRESSION = "rate(1 minute)"
EVENTS = "events.amazonaws.com"
STATEMENT = "events-push-schedule"


def put_schedule(rule: str = RULE, function: str = FUNCTION) -> str:
    """The kit's step for `push-rule`: the rule, tagged, and the function as its one target."""
    events = boto3.client("events")
    rule_arn = events.put_rule(
        Name=rule,
        ScheduleExpression=EXPRESSION,
        State="ENABLED",
        Tags=[{"Key": APP_TAG, "Value": "push"}],
    )["RuleArn"]
    function_arn = boto3.client("lambda").get_function_configuration(FunctionName=function)[
        "FunctionArn"
    ]
    events.put_targets(Rule=rule, Targets=[{"Id": "function", "Arn": function_arn}])
    return str(rule_arn)


@check
def schedule_rule(rule: str = RULE, function: str = FUNCTION) -> None:
    """`push-rule`: the rule runs every minute, is enabled and tagged, its one target the function."""
    events = boto3.client("events")
    try:
        described = events.describe_rule(Name=rule)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        names = [
            r["Name"]
            for page in events.get_paginator("list_rules").paginate()
            for r in page["Rules"]
        ]
        require_no_near_name(
            "rule", rule, names, "events.remove_targets(...), then events.delete_rule(Name=...)"
        )
        return not_done(
            f"there is no rule {rule}",
            "push-rule",
            lambda: put_schedule(rule, function),
            f"events.put_rule(Name={rule!r}, ...) and events.put_targets(Rule={rule!r}, ...)",
        )
    expression = described.get("ScheduleExpression")
    require(
        expression == EXPRESSION,
        f"{rule} runs on {expression!r}, not {EXPRESSION!r}: put_rule again with"
        f" ScheduleExpression={EXPRESSION!r} (it replaces the rule's settings)",
    )
    require(
        described.get("State") == "ENABLED",
        f"{rule} is {described.get('State')}: put_rule again with State='ENABLED'",
    )
    tags = events.list_tags_for_resource(ResourceARN=described["Arn"])["Tags"]
    require(
        {"Key": APP_TAG, "Value": "push"} in tags,
        f"{rule} has no tag {APP_TAG}=push, so teardown('push') would leave it behind: put_rule"
        " tags a rule only when it creates it, so call events.tag_resource(ResourceARN=rule_arn,"
        f" Tags=[{{'Key': '{APP_TAG}', 'Value': 'push'}}])",
    )
    function_arn = boto3.client("lambda").get_function_configuration(FunctionName=function)[
        "FunctionArn"
    ]
    targets = events.list_targets_by_rule(Rule=rule)["Targets"]
    if not targets:
        return not_done(
            f"{rule} has no target",
            "push-rule",
            lambda: put_schedule(rule, function),
            f"events.put_targets(Rule={rule!r}, Targets=[...])",
        )
    arns = [target["Arn"] for target in targets]
    require(
        arns == [function_arn],
        f"{rule}'s targets are {arns}, not just {function}: events.put_targets(Rule={rule!r},"
        " Targets=[{'Id': 'function', 'Arn': function_arn}]) (remove_targets drops others)",
    )
    passed(f"{rule} invokes {function} every minute, enabled, tagged {APP_TAG}=push")


@check
def events_may_invoke(rule: str = RULE, function: str = FUNCTION) -> None:
    """`push-permission`: the function's resource policy lets EventBridge invoke it, for this rule."""
    rule_arn = boto3.client("events").describe_rule(Name=rule)["Arn"]
    statements = permissions.statements(function)
    strangers = [s for s in statements if permissions.service(s) != EVENTS]
    require(
        not strangers,
        f"{function}'s resource policy lets {permissions.service(strangers[0]) if strangers else ''!r}"
        f" invoke it (StatementId {strangers[0].get('Sid') if strangers else ''!r}): the"
        f" schedule's service is {EVENTS!r}, and nothing else invokes this function. Remove that"
        f" statement (lambda_.remove_permission(FunctionName={function!r}, StatementId=...)),"
        f" then add it again with Principal={EVENTS!r}",
    )
    mine = [s for s in statements if permissions.service(s) == EVENTS]
    if not mine:

        def kit_step() -> None:
            allow_invoke(function, EVENTS, rule_arn, STATEMENT)
            require(
                any(permissions.service(s) == EVENTS for s in permissions.statements(function)),
                f"the kit's add_permission left {function} without a statement for {EVENTS}:"
                " run this check again",
            )

        return not_done(
            f"{function}'s resource policy has no statement for {EVENTS}",
            "push-permission",
            kit_step,
            f"lambda_.add_permission(FunctionName={function!r}, ..., Principal={EVENTS!r},"
            " SourceArn=rule_arn)",
        )
    sources = [permissions.source_arn(statement) for statement in mine]
    require(
        rule_arn in sources,
        f"{EVENTS} may invoke {function} for {sources}, not for this rule: remove that statement"
        f" (lambda_.remove_permission(FunctionName={function!r}, StatementId=...)) and add it"
        " again with SourceArn=rule_arn, or any rule in the account could invoke it",
    )
    statement = mine[sources.index(rule_arn)]
    require(
        statement.get("Action") == "lambda:InvokeFunction",
        f"the statement allows {statement.get('Action')!r}: Action='lambda:InvokeFunction'",
    )
    require(
        len(mine) == 1,
        f"{function}'s resource policy has {len(mine)} statements for {EVENTS} (StatementIds"
        f" {[s.get('Sid') for s in mine]}): one is enough. Remove the others with"
        f" lambda_.remove_permission(FunctionName={function!r}, StatementId=...)",
    )
    passed(f"{EVENTS} may invoke {function}, for the rule {rule} only")
