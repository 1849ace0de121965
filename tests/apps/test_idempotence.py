"""Deploying the four apps twice changes nothing; teardown removes everything they created."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.cli import main
from infra.deploy import deploy_app, fire, teardown
from infra.deploy.aws import APP_TAG, all_items, client
from infra.local.cloud import LocalCloud

APPS = ("chat", "arena", "tictactoe", "push")

Inventory = dict[str, list[Any]]


def statement_ids(lambda_: Any, function_name: str) -> list[str]:
    """The ids of the function's resource policy statements (none for a stream's function)."""
    try:
        policy = json.loads(lambda_.get_policy(FunctionName=function_name)["Policy"])
    except lambda_.exceptions.ResourceNotFoundException:
        return []
    return [statement["Sid"] for statement in policy["Statement"]]


def ours(name: str) -> bool:
    """Named by a deploy of the four apps: "chat-connections", "/aws/lambda/push-broadcast", ...

    moto's state is per process, so other test modules' resources may be there too.
    """
    return name.removeprefix("/aws/lambda/").split("-")[0] in APPS


def inventory() -> Inventory:
    """Every resource the app deploys create, as sorted lists (so duplicates show up)."""
    dynamodb, lambda_, apis = client("dynamodb"), client("lambda"), client("apigatewayv2")
    scheduler, iam, logs = client("scheduler"), client("iam"), client("logs")
    found: Inventory = {key: [] for key in (
        "tables", "functions", "permissions", "mappings", "apis", "routes", "integrations",
        "route responses", "stages", "schedules", "roles", "role policies",
    )}  # fmt: skip
    found["tables"] = [name for name in dynamodb.list_tables()["TableNames"] if ours(name)]
    for function in lambda_.list_functions()["Functions"]:
        name = function["FunctionName"]
        if not ours(name):
            continue
        found["functions"].append((name, function["Handler"], function["CodeSha256"]))
        found["permissions"] += [(name, sid) for sid in statement_ids(lambda_, name)]
    found["mappings"] = [
        (mapping["FunctionArn"], mapping["EventSourceArn"])
        for mapping in lambda_.list_event_source_mappings()["EventSourceMappings"]
        if ours(mapping["FunctionArn"].split(":")[-1])
    ]
    for api in all_items(apis.get_apis):
        api_id, name = api["ApiId"], api["Name"]
        if not ours(name):
            continue
        found["apis"].append((api_id, name))
        routes = list(all_items(apis.get_routes, ApiId=api_id))
        found["routes"] += [(name, route["RouteKey"], route["Target"]) for route in routes]
        found["integrations"] += [
            (name, integration["IntegrationUri"])
            for integration in all_items(apis.get_integrations, ApiId=api_id)
        ]
        for route in routes:
            responses = all_items(apis.get_route_responses, ApiId=api_id, RouteId=route["RouteId"])
            found["route responses"] += [
                (name, route["RouteKey"], response["RouteResponseKey"]) for response in responses
            ]
        found["stages"] += [
            (name, stage["StageName"]) for stage in all_items(apis.get_stages, ApiId=api_id)
        ]
    for summary in scheduler.list_schedules()["Schedules"]:
        if not ours(summary["Name"]):
            continue
        schedule = scheduler.get_schedule(Name=summary["Name"])
        found["schedules"].append(
            (
                schedule["Name"],
                schedule["ScheduleExpression"],
                schedule["State"],
                schedule["Target"]["Arn"],
                schedule["Target"]["RoleArn"],
            )
        )
    for role in filter(lambda role: ours(role["RoleName"]), iam.list_roles()["Roles"]):
        found["roles"].append(role["RoleName"])
        for policy in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=policy)
            found["role policies"].append(
                (role["RoleName"], policy, json.dumps(document["PolicyDocument"], sort_keys=True))
            )
    found["log groups"] = [
        group["logGroupName"]
        for group in logs.describe_log_groups()["logGroups"]
        if ours(group["logGroupName"])
    ]
    return {kind: sorted(items) for kind, items in found.items()}


def tagged() -> list[str]:
    """Tables, functions, APIs, roles and rules tagged ``workshop:app`` with one of the apps
    (Scheduler's schedules carry no tags)."""

    def pairs(tags: list[dict[str, str]]) -> dict[str, str]:
        return {tag["Key"]: tag["Value"] for tag in tags}

    dynamodb, lambda_, apis = client("dynamodb"), client("lambda"), client("apigatewayv2")
    events, iam = client("events"), client("iam")
    found = []
    for name in dynamodb.list_tables()["TableNames"]:
        arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
        found += [(f"table {name}", pairs(dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]))]
    for function in lambda_.list_functions()["Functions"]:
        tags = lambda_.list_tags(Resource=function["FunctionArn"])["Tags"]
        found += [(f"function {function['FunctionName']}", tags)]
    found += [(f"api {api['Name']}", api.get("Tags", {})) for api in all_items(apis.get_apis)]
    for role in iam.list_roles()["Roles"]:
        tags = pairs(iam.list_role_tags(RoleName=role["RoleName"])["Tags"])
        found += [(f"role {role['RoleName']}", tags)]
    for rule in events.list_rules()["Rules"]:
        tags = pairs(events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"])
        found += [(f"rule {rule['Name']}", tags)]
    return [resource for resource, tags in found if tags.get(APP_TAG) in APPS]


@pytest.fixture(scope="module")
def deployed_twice(cloud: LocalCloud) -> tuple[Inventory, Inventory]:
    """What exists after deploying every app once, and after deploying them all again."""
    for app in APPS:
        deploy_app(app)
    first = inventory()
    for app in APPS:
        deploy_app(app)
    return first, inventory()


def test_a_second_deploy_changes_nothing(deployed_twice: tuple[Inventory, Inventory]) -> None:
    """Re-running every deploy leaves each kind of resource exactly as the first run made it."""
    first, second = deployed_twice
    for kind in first:
        assert second[kind] == first[kind], kind


def test_the_first_deploy_creates_each_resource_once(
    deployed_twice: tuple[Inventory, Inventory],
) -> None:
    """One table, API, stage and role per app; one route and integration per route key."""
    first, _ = deployed_twice
    assert len(first["tables"]) == len(first["apis"]) == len(APPS)
    assert len(first["roles"]) == len(APPS) + 1  # push's schedule has a role of its own
    assert len(first["stages"]) == len(APPS)
    assert len(first["routes"]) == len(set(first["routes"])) == len(first["integrations"]) == 16
    assert len(first["mappings"]) == 1  # arena's table stream
    assert [schedule[0] for schedule in first["schedules"]] == ["push-schedule"]


def test_the_cli_deploy_prints_the_websocket_url_last(
    deployed_twice: tuple[Inventory, Inventory], capsys: pytest.CaptureFixture[str]
) -> None:
    """`workshop deploy chat` reports each step and ends with the stage's WebSocket URL."""
    assert main(["deploy", "chat"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    [api] = [a for a in all_items(client("apigatewayv2").get_apis) if a["Name"] == "chat-api"]
    assert lines[-1] == f"{api['ApiEndpoint']}/dev"
    assert lines[-1].startswith("ws://")
    assert len(lines) > 1


def test_teardown_leaves_no_tagged_resource(
    deployed_twice: tuple[Inventory, Inventory], capsys: pytest.CaptureFixture[str]
) -> None:
    """Tearing every app down removes (and prints) all it created, leaving nothing behind."""
    first, _ = deployed_twice
    kinds = ("tables", "functions", "apis", "roles")
    assert len(tagged()) == sum(len(first[kind]) for kind in kinds)
    fire("push-schedule")  # so there is a log group to remove too
    capsys.readouterr()
    for app in APPS:
        teardown(app)
    printed = capsys.readouterr().out
    assert "log group /aws/lambda/push-broadcast (deleted)" in printed
    for table in first["tables"]:
        assert f"table {table} (deleted)" in printed
    for name, _, _ in first["functions"]:
        assert f"function {name} (deleted)" in printed
    assert "schedule push-schedule (deleted)" in printed
    left = {kind: items for kind, items in inventory().items() if items}
    assert left == {}
    assert tagged() == []
