"""Looking inside what the lessons built (a table's rows, an API's routes, a function's stream
mappings), and undoing a route so the "added but not deployed" lesson can be run again."""

from __future__ import annotations

import json
from typing import Any

import boto3

from infra.deploy import find_route
from infra.deploy.aws import all_items, client, report


def table_rows(table_name: str) -> list[dict[str, Any]]:
    """Every item of a table as plain Python values, sorted by their JSON text (a stable order)."""
    table = boto3.resource("dynamodb").Table(table_name)
    items: list[dict[str, Any]] = []
    options: dict[str, Any] = {}
    while True:
        page = table.scan(**options)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        options["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    plain = [json.loads(json.dumps(item, default=_plain_number)) for item in items]
    return sorted(plain, key=lambda item: json.dumps(item, sort_keys=True))


def _plain_number(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal: show them as int or float."""
    return int(value) if value == int(value) else float(value)


def route_summary(api_id: str, route_key: str) -> dict[str, Any]:
    """How a route is wired: the function behind it and whether its reply goes back (route responses)."""
    apis = client("apigatewayv2")
    route = find_route(api_id, route_key)
    if route is None:
        raise LookupError(f"no route {route_key!r} in API {api_id}")
    integration_id = route.get("Target", "").removeprefix("integrations/")
    uri = apis.get_integration(ApiId=api_id, IntegrationId=integration_id)["IntegrationUri"]
    responses = all_items(apis.get_route_responses, ApiId=api_id, RouteId=route["RouteId"])
    return {
        "RouteKey": route_key,
        "Function": uri.split(":function:")[-1].removesuffix("/invocations"),
        "RouteResponseSelectionExpression": route.get("RouteResponseSelectionExpression"),
        "RouteResponses": sorted(response["RouteResponseKey"] for response in responses),
    }


def routes_of(api_id: str) -> list[str]:
    """The API's route keys, sorted."""
    routes = all_items(client("apigatewayv2").get_routes, ApiId=api_id)
    return sorted(route["RouteKey"] for route in routes)


def stream_mappings(function_name: str) -> list[dict[str, Any]]:
    """The function's event source mappings: which stream, where it starts, whether it is on."""
    paginator = client("lambda").get_paginator("list_event_source_mappings")
    keys = ("EventSourceArn", "StartingPosition", "BatchSize", "State")
    return [
        {key: mapping.get(key) for key in keys}
        for page in paginator.paginate(FunctionName=function_name)
        for mapping in page["EventSourceMappings"]
    ]


def remove_route(api_id: str, route_key: str) -> bool:
    """Delete a route (and its integration) from the API; return False if there was none.

    The stage keeps serving its last deployment until you deploy again.
    """
    apis = client("apigatewayv2")
    route = find_route(api_id, route_key)
    if route is None:
        return False
    apis.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    integration = route.get("Target", "").removeprefix("integrations/")
    if integration:
        apis.delete_integration(ApiId=api_id, IntegrationId=integration)
    report("route", route_key, "deleted")
    return True
