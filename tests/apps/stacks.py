"""Helpers for the template tests: a stack's template edited in memory, and "nothing is left"."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from websockets.asyncio.client import connect

from infra.deploy.aws import client
from infra.deploy.stacks import artifacts_bucket, load_template, package_template, template_path
from infra.local.cloud import LocalCloud
from tests.apps.helpers import TIMEOUT


def packaged(app: str) -> dict[str, Any]:
    """``lambdas/<app>/template.yaml`` with its code uploaded, ready for create/update_stack."""
    path = template_path(app)
    return package_template(load_template(path), path.parent, artifacts_bucket())


def without(template: dict[str, Any], *logical_ids: str) -> dict[str, Any]:
    """A copy of the template without these resources (and no DependsOn on them)."""
    edited = copy.deepcopy(template)
    for logical_id in logical_ids:
        del edited["Resources"][logical_id]
    for resource in edited["Resources"].values():
        if isinstance(resource.get("DependsOn"), list):
            resource["DependsOn"] = [d for d in resource["DependsOn"] if d not in logical_ids]
    return edited


def renamed(template: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """A copy of the template with resource ``old`` called ``new`` (and every !Ref to it)."""
    edited = copy.deepcopy(template)
    edited["Resources"][new] = edited["Resources"].pop(old)

    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get("Ref") == old:
                return {"Ref": new}
            return {key: swap(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [swap(inner) for inner in value]
        return value

    edited["Resources"] = swap(edited["Resources"])
    return edited


def leftovers(stack_name: str) -> list[str]:
    """Everything a stack could have made that still exists (an empty list when all is gone)."""
    found: list[str] = []
    prefix = f"{stack_name}-"
    lambda_ = client("lambda")
    for function in lambda_.list_functions()["Functions"]:
        tags = lambda_.list_tags(Resource=function["FunctionArn"]).get("Tags", {})
        if (
            function["FunctionName"].startswith(prefix)
            or tags.get("aws:cloudformation:stack-name") == stack_name
        ):
            found.append(f"function {function['FunctionName']}")
    found += [  # a mapping's function may be gone already: its name says whose it was
        f"mapping {m['UUID']}"
        for m in lambda_.list_event_source_mappings()["EventSourceMappings"]
        if m["FunctionArn"].rsplit(":", 1)[-1].startswith(prefix)
    ]
    found += [
        f"table {name}"
        for name in client("dynamodb").list_tables()["TableNames"]
        if name.startswith(prefix)
    ]
    found += [
        f"api {api['Name']}"
        for api in client("apigatewayv2").get_apis()["Items"]
        if api["Name"].startswith(prefix)
    ]
    found += [
        f"role {role['RoleName']}"
        for role in client("iam").list_roles()["Roles"]
        if role["RoleName"].startswith(prefix)
    ]
    found += [
        f"rule {rule['Name']}"
        for rule in client("events").list_rules()["Rules"]
        if rule["Name"].startswith(prefix)
    ]
    found += [
        f"schedule {schedule['Name']}"
        for schedule in client("scheduler").list_schedules()["Schedules"]
        if schedule["Name"].startswith(prefix)
    ]
    groups = client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{prefix}")[
        "logGroups"
    ]
    found += [f"log group {group['logGroupName']}" for group in groups]
    return found


def stack_status(name: str) -> str:
    return client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def disconnect_function(api_id: str) -> str | None:
    """The function behind an API's $disconnect route, or None (no route, or no such API)."""
    apis = client("apigatewayv2")
    try:
        routes = apis.get_routes(ApiId=api_id)["Items"]
    except apis.exceptions.NotFoundException:
        return None
    for route in routes:
        if route["RouteKey"] == "$disconnect" and route.get("Target", "").startswith(
            "integrations/"
        ):
            integration_id = route["Target"].split("/", 1)[1]
            uri = apis.get_integration(ApiId=api_id, IntegrationId=integration_id)["IntegrationUri"]
            return str(uri.split("/functions/")[-1].split("/invocations")[0].split(":")[-1])
    return None


def settle(cloud: LocalCloud, quiet: float = 1.0, timeout: float = TIMEOUT) -> None:
    """Wait until every closed connection's $disconnect has run and then nothing runs for
    ``quiet`` seconds (a stream's trigger follows right after); then flush the logs.

    Closing a socket runs $disconnect (and a stream's trigger) after the client has moved on;
    deleting a stack before those finish would let their late log lines recreate log groups.
    """
    functions: dict[str, str | None] = {}

    async def wait() -> None:
        url = cloud.url.replace("http://", "ws://") + "/_workshop/trace"
        waiting: dict[str, str] = {}  # connection id -> its $disconnect function
        async with connect(url) as feed:
            while True:
                try:
                    hop = json.loads(
                        await asyncio.wait_for(feed.recv(), timeout if waiting else quiet)
                    )
                except TimeoutError:
                    assert not waiting, f"$disconnect never finished for {waiting}"
                    return
                if hop["hop"] == "disconnect":
                    if hop["apiId"] not in functions:
                        functions[hop["apiId"]] = await asyncio.to_thread(
                            disconnect_function, hop["apiId"]
                        )
                    if functions[hop["apiId"]]:
                        waiting[hop["connectionId"]] = str(functions[hop["apiId"]])
                elif hop["hop"] == "lambda" and hop.get("function") == waiting.get(
                    hop.get("connectionId", "")
                ):
                    del waiting[hop["connectionId"]]

    asyncio.run(asyncio.wait_for(wait(), 3 * timeout))
    client("logs").describe_log_groups()  # the local cloud writes logs in batches: flush them
