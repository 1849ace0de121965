"""Steps: the WebSocket API, its routes (Lambda proxy integrations) and route responses."""

from __future__ import annotations

from typing import Any

import boto3

from infra.deploy.aws import APP_TAG, account_of, all_items, app_tags, client, region_of, report
from infra.deploy.functions import allow_invoke

ACTION_SELECTION = "$request.body.action"
DEFAULT_RESPONSE = "$default"


def create_websocket_api(
    app: str,
    name: str | None = None,
    *,
    route_selection: str = ACTION_SELECTION,
    session: boto3.Session | None = None,
) -> str:
    """Create (or reuse) the WebSocket API ``{app}-api``; return its API id.

    ``route_selection`` picks the route from each message, e.g. ``$request.body.action`` reads the
    ``action`` field of a JSON message.
    """
    name = name or f"{app}-api"
    apis = client("apigatewayv2", session)
    existing = find_api(app, name, session=session)
    if existing is None:
        api = apis.create_api(
            Name=name,
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression=route_selection,
            Tags=app_tags(app),
        )
        report("api", name, "created", api["ApiEndpoint"])
        return api["ApiId"]
    if existing.get("RouteSelectionExpression") != route_selection:
        apis.update_api(ApiId=existing["ApiId"], RouteSelectionExpression=route_selection)
        report("api", name, "updated", existing["ApiEndpoint"])
    else:
        report("api", name, "exists", existing["ApiEndpoint"])
    return existing["ApiId"]


def find_api(app: str, name: str, *, session: boto3.Session | None = None) -> dict[str, Any] | None:
    """The API called ``name`` tagged for ``app``, or None."""
    for api in all_items(client("apigatewayv2", session).get_apis):
        if api["Name"] == name and api.get("Tags", {}).get(APP_TAG) == app:
            return api
    return None


def integration_uri(region: str, function_arn: str) -> str:
    """The URI API Gateway calls to invoke a Lambda function (a Lambda proxy integration)."""
    return (
        f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )


def add_route(
    api_id: str,
    route_key: str,
    function_name: str,
    *,
    session: boto3.Session | None = None,
) -> str:
    """Route ``route_key`` (``$connect``, ``sendMessage``, ...) to a Lambda function; return the route id.

    Creates the AWS_PROXY integration and the route, or repoints an existing route's integration,
    and lets API Gateway invoke the function for this route only.
    """
    apis = client("apigatewayv2", session)
    region, account = region_of(session), account_of(session)
    function_arn = client("lambda", session).get_function_configuration(FunctionName=function_name)[
        "FunctionArn"
    ]
    uri = integration_uri(region, function_arn)
    route = find_route(api_id, route_key, session=session)
    integration_id = (route or {}).get("Target", "").removeprefix("integrations/")
    if route and integration_id:
        integration = apis.get_integration(ApiId=api_id, IntegrationId=integration_id)
        outcome = "exists"
        if integration.get("IntegrationUri") != uri:
            apis.update_integration(ApiId=api_id, IntegrationId=integration_id, IntegrationUri=uri)
            outcome = "updated"
    else:
        integration_id = apis.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationMethod="POST",
            IntegrationUri=uri,
        )["IntegrationId"]
        target = f"integrations/{integration_id}"
        if route:
            apis.update_route(ApiId=api_id, RouteId=route["RouteId"], Target=target)
            outcome = "updated"
        else:
            route = apis.create_route(ApiId=api_id, RouteKey=route_key, Target=target)
            outcome = "created"
    allow_invoke(
        function_name,
        "apigateway.amazonaws.com",
        f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{route_key}",
        f"apigateway-{api_id}-{route_key}",
        session=session,
    )
    report("route", route_key, outcome, f"→ {function_name}")
    return route["RouteId"]


def add_route_response(
    api_id: str,
    route_key: str,
    *,
    session: boto3.Session | None = None,
) -> str:
    """Make ``route_key`` two-way: the function's returned ``body`` is sent back to the caller.

    Sets the route's RouteResponseSelectionExpression to ``$default`` and adds the ``$default``
    route response (the only one WebSocket APIs allow). Returns the route response id.
    """
    apis = client("apigatewayv2", session)
    route = find_route(api_id, route_key, session=session)
    if route is None:
        raise LookupError(f"no route {route_key!r} in API {api_id}; add_route first")
    outcome = "exists"
    if route.get("RouteResponseSelectionExpression") != DEFAULT_RESPONSE:
        apis.update_route(
            ApiId=api_id,
            RouteId=route["RouteId"],
            RouteResponseSelectionExpression=DEFAULT_RESPONSE,
        )
        outcome = "updated"
    responses = all_items(apis.get_route_responses, ApiId=api_id, RouteId=route["RouteId"])
    for response in responses:
        if response["RouteResponseKey"] == DEFAULT_RESPONSE:
            report("route response", route_key, outcome)
            return response["RouteResponseId"]
    created = apis.create_route_response(
        ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey=DEFAULT_RESPONSE
    )
    report("route response", route_key, "created")
    return created["RouteResponseId"]


def find_route(
    api_id: str, route_key: str, *, session: boto3.Session | None = None
) -> dict[str, Any] | None:
    """The API's route for ``route_key``, or None."""
    for route in all_items(client("apigatewayv2", session).get_routes, ApiId=api_id):
        if route["RouteKey"] == route_key:
            return route
    return None
