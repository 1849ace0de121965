"""Helpers for the template tests: a stack's template edited in memory, and "nothing is left"."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from websockets.asyncio.client import connect

from infra.deploy.aws import client
from infra.deploy.stacks import artifacts_bucket, load_template, package_template, template_path
from infra.local.cloud import LocalCloud
from tests.apps.helpers import QUIET, TIMEOUT


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
    found += [
        f"mapping {m['UUID']}" for m in lambda_.list_event_source_mappings()["EventSourceMappings"]
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
    groups = client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{prefix}")[
        "logGroups"
    ]
    found += [f"log group {group['logGroupName']}" for group in groups]
    return found


def stack_status(name: str) -> str:
    return client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def settle(cloud: LocalCloud, quiet: float = QUIET, timeout: float = TIMEOUT) -> None:
    """Wait until no function has run for ``quiet`` seconds, then flush the logs they wrote.

    Closing a socket runs $disconnect (and a stream's trigger) after the client has moved on;
    deleting a stack before those finish would let their late log lines recreate log groups.
    """

    async def wait() -> None:
        url = cloud.url.replace("http://", "ws://") + "/_workshop/trace"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with connect(url) as feed:
            while loop.time() < deadline:
                try:
                    await asyncio.wait_for(feed.recv(), quiet)
                except TimeoutError:
                    return

    asyncio.run(wait())
    client("logs").describe_log_groups()  # the local cloud writes logs in batches: flush them
