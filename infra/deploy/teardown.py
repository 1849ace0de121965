"""Step: remove everything tagged with an app's name, and nothing else."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.deploy.aws import APP_TAG, all_items, client, error_code, report, retry_while
from infra.deploy.roles import ROLE_PATH
from infra.deploy.tables import delete_table


def teardown(app: str, *, session: boto3.Session | None = None) -> list[str]:
    """Delete the app's tagged rules, the schedules of its functions, its tagged functions (with
    their mappings and logs), APIs, roles and tables.

    Resources are found through each service's tag listing, so untagged resources survive.
    Prints one line per deleted resource and returns the same descriptions.
    """
    removed: list[str] = []

    def deleted(kind: str, name: str) -> None:
        report(kind, name, "deleted")
        removed.append(f"{kind} {name}")

    events = client("events", session)
    for rule in _tagged_rules(events, app):
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        if targets:
            events.remove_targets(Rule=rule["Name"], Ids=[target["Id"] for target in targets])
        events.delete_rule(Name=rule["Name"])
        deleted("rule", rule["Name"])

    lambda_, logs = client("lambda", session), client("logs", session)
    functions = _tagged_functions(lambda_, app)
    scheduler = client("scheduler", session)
    for schedule in _schedules_of(scheduler, functions):
        scheduler.delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])
        deleted("schedule", schedule["Name"])

    for function in functions:
        name = function["FunctionName"]
        for page in lambda_.get_paginator("list_event_source_mappings").paginate(FunctionName=name):
            for mapping in page["EventSourceMappings"]:
                # A mapping still Creating or Updating refuses deletion for a moment.
                retry_while(
                    functools.partial(lambda_.delete_event_source_mapping, UUID=mapping["UUID"]),
                    "ResourceInUseException",
                    "",
                )
                deleted("stream mapping", f"{mapping['EventSourceArn'].split('/')[1]} → {name}")
        lambda_.delete_function(FunctionName=name)
        deleted("function", name)
        if _delete_log_group(logs, f"/aws/lambda/{name}"):
            deleted("log group", f"/aws/lambda/{name}")

    apis = client("apigatewayv2", session)
    for api in list(all_items(apis.get_apis)):
        if api.get("Tags", {}).get(APP_TAG) == app:
            apis.delete_api(ApiId=api["ApiId"])
            deleted("api", api["Name"])

    iam = client("iam", session)
    for role in _tagged_roles(iam, app):
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
            for policy in page["PolicyNames"]:
                iam.delete_role_policy(RoleName=role, PolicyName=policy)
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
            for policy in page["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=role, PolicyArn=policy["PolicyArn"])
        iam.delete_role(RoleName=role)
        deleted("role", role)

    dynamodb = client("dynamodb", session)
    for table in _tagged_tables(dynamodb, app):
        if delete_table(table, session=session):
            deleted("table", table)

    if not removed:
        print(f"✓ nothing tagged {APP_TAG}={app} to remove")
    return removed


def tagged_resources(app: str, *, session: boto3.Session | None = None) -> list[str]:
    """What is tagged ``workshop:app=<app>`` now (rules, functions, APIs, roles, tables, log groups).

    After ``teardown(app)``, or after deleting the app's stack, this is empty.
    """
    found = [f"rule {rule['Name']}" for rule in _tagged_rules(client("events", session), app)]
    functions = _tagged_functions(client("lambda", session), app)
    found += [f"function {f['FunctionName']}" for f in functions]
    found += [
        f"schedule {s['Name']}" for s in _schedules_of(client("scheduler", session), functions)
    ]
    apis = client("apigatewayv2", session)
    found += [
        f"api {api['Name']}"
        for api in all_items(apis.get_apis)
        if _has_tag(api.get("Tags", {}), app)
    ]
    found += [f"role {role}" for role in _tagged_roles(client("iam", session), app, "/")]
    found += [f"table {table}" for table in _tagged_tables(client("dynamodb", session), app)]
    logs = client("logs", session)
    for page in logs.get_paginator("describe_log_groups").paginate():
        for group in page["logGroups"]:
            arn = group["arn"].removesuffix(":*")
            if _has_tag(logs.list_tags_for_resource(resourceArn=arn).get("tags", {}), app):
                found.append(f"log group {group['logGroupName']}")
    return found


def _has_tag(tags: dict[str, str], app: str) -> bool:
    return tags.get(APP_TAG) == app


def _pairs(tags: list[dict[str, str]]) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` as ``{k: v}``."""
    return {tag["Key"]: tag["Value"] for tag in tags}


def _tagged_rules(events: Any, app: str) -> Iterator[dict[str, Any]]:
    for page in events.get_paginator("list_rules").paginate():
        for rule in page["Rules"]:
            tags = events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
            if _has_tag(_pairs(tags), app):
                yield rule


def _schedules_of(scheduler: Any, functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Scheduler schedules whose target is one of `functions` (schedules carry no tags)."""
    arns = {function["FunctionArn"] for function in functions}
    return [
        schedule
        for page in scheduler.get_paginator("list_schedules").paginate()
        for schedule in page["Schedules"]
        if schedule["Target"]["Arn"] in arns
    ]


def _tagged_functions(lambda_: Any, app: str) -> list[dict[str, Any]]:
    functions = []
    for page in lambda_.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if _has_tag(lambda_.list_tags(Resource=function["FunctionArn"]).get("Tags", {}), app):
                functions.append(function)
    return functions


def _tagged_roles(iam: Any, app: str, path_prefix: str = ROLE_PATH) -> list[str]:
    roles = []
    for page in iam.get_paginator("list_roles").paginate(PathPrefix=path_prefix):
        for role in page["Roles"]:
            tags = iam.list_role_tags(RoleName=role["RoleName"])["Tags"]
            if _has_tag(_pairs(tags), app):
                roles.append(role["RoleName"])
    return roles


def _tagged_tables(dynamodb: Any, app: str) -> list[str]:
    tables = []
    for page in dynamodb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
            tags = dynamodb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])
            if _has_tag(_pairs(tags), app):
                tables.append(name)
    return tables


def _delete_log_group(logs: Any, name: str) -> bool:
    """Delete a log group; return False when there is none (the function never logged)."""
    try:
        logs.delete_log_group(logGroupName=name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return False
        raise
    return True
