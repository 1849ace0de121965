"""Lesson 03's exercises (`solutions/03-routes-and-stages-exercises.ipynb`): the API, its
routes and its stages.

- `api-create`: `check_create_api`, a WebSocket API created once, then reused and updated;
- `routes-wire`: `check_wire_routes`, a two-way route to a function API Gateway may invoke;
- `stage-deploy`: `check_deploy_stage`, a stage promoted to the deployment dev serves.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.deploy import add_route, create_websocket_api, deploy_stage
from infra.deploy import add_route_response as kit_route_response
from infra.deploy.aws import account_of, region_of

from .common import (
    QUIET,
    Calls,
    Client,
    answer,
    echo_function,
    error_code,
    quietly,
    recorded_calls,
    statement_source,
    unique,
)

# -- api-create: the API -----------------------------------------------------------------------


GATEWAY_PRINCIPAL = "apigateway.amazonaws.com"


def check_create_api(
    create_api: Callable[[str, str], str], name: str, route_selection: str
) -> None:
    """`create_api(name, route_selection)` creates the API once, then reuses and updates it."""
    apis = boto3.client("apigatewayv2")
    _delete_apis(name)
    api_id = answer(create_api, name, route_selection)
    try:
        api = apis.get_api(ApiId=api_id)
    except (ClientError, TypeError):
        raise AssertionError(
            f"create_api returned {api_id!r}, which is no API's id: return create_api(...)['ApiId']"
        ) from None
    assert api["Name"] == name, f"The API is called {api['Name']!r}: use the `name` parameter"
    assert api["ProtocolType"] == "WEBSOCKET", (
        f"The API's protocol is {api['ProtocolType']}: a WebSocket API needs ProtocolType='WEBSOCKET'"
    )
    assert api.get("RouteSelectionExpression") == route_selection, (
        f"The route selection expression is {api.get('RouteSelectionExpression')!r}, expected"
        f" {route_selection!r}: pass RouteSelectionExpression=route_selection"
    )
    again = answer(create_api, name, route_selection)
    named = [item["ApiId"] for item in apis.get_apis()["Items"] if item["Name"] == name]
    assert named == [api_id], (
        f"A second create_api({name!r}, ...) made a second API called {name!r} (names need not"
        " be unique): look for an API of that name first (apis.get_apis()['Items']) and reuse it"
    )
    assert again == api_id, f"The second call returned {again!r}, not the API's id {api_id!r}"
    apis.update_api(ApiId=api_id, RouteSelectionExpression="$request.body.action")
    answer(create_api, name, route_selection)
    now = apis.get_api(ApiId=api_id).get("RouteSelectionExpression")
    assert now == route_selection, (
        f"An API {name!r} that picks routes with '$request.body.action' still does after"
        f" create_api({name!r}, {route_selection!r}): update it with"
        " apis.update_api(ApiId=..., RouteSelectionExpression=route_selection)"
    )
    field = route_selection.removeprefix("$request.body.")
    route_key, token = unique("probe"), unique("token")
    with quietly():
        add_route(api_id, route_key, echo_function())
        kit_route_response(api_id, route_key)
        url = deploy_stage(api_id, "check")
    with Client(url) as client:
        client.send({field: route_key, "token": token})
        reply = client.wait_for(lambda frame: isinstance(frame, dict))
    assert isinstance(reply, dict) and reply.get("token") == token, (
        f"A frame with {field!r} set to a route's key did not reach that route (got {reply!r}):"
        " the API should pick routes with the route selection expression it was given"
    )


def _delete_apis(name: str) -> None:
    apis = boto3.client("apigatewayv2")
    for api in apis.get_apis()["Items"]:
        if api["Name"] == name:
            apis.delete_api(ApiId=api["ApiId"])


# -- routes-wire: a two-way route --------------------------------------------------------------


def check_wire_routes(wire_route: Callable[[str, str, str], str], app: str, route_key: str) -> None:
    """`wire_route` makes a two-way route: a frame for `route_key` gets the function's answer."""
    apis = boto3.client("apigatewayv2")
    _delete_apis(f"{app}-api")
    function = echo_function()
    _forget_permissions(function, GATEWAY_PRINCIPAL)
    with quietly():
        api_id = create_websocket_api(app, route_selection="$request.body.type")
    with recorded_calls() as calls:
        route_id = answer(wire_route, api_id, route_key, function)
    made = calls.of("apigatewayv2", "CreateIntegration")
    assert made and made[-1].params.get("IntegrationMethod") == "POST", (
        f"The {route_key} integration was created without IntegrationMethod='POST': a Lambda"
        " integration of a WebSocket API must use POST (that is how Lambda is invoked)"
    )
    _check_route(api_id, route_key, function, route_id)
    route = apis.get_route(ApiId=api_id, RouteId=route_id)
    assert route.get("RouteResponseSelectionExpression") == "$default", (
        f"The {route_key} route has no RouteResponseSelectionExpression, so what the function"
        " returns is dropped: create_route(..., RouteResponseSelectionExpression='$default')"
    )
    responses = apis.get_route_responses(ApiId=api_id, RouteId=route_id)["Items"]
    assert any(r["RouteResponseKey"] == "$default" for r in responses), (
        f"The {route_key} route has no route response: apis.create_route_response(ApiId=api_id,"
        " RouteId=route_id, RouteResponseKey='$default')"
    )
    with quietly():
        url = deploy_stage(api_id, "dev")
    token = unique("token")
    with Client(url) as client:
        client.send({"type": route_key, "token": token})
        reply = client.wait_for(lambda frame: isinstance(frame, dict) and "token" in frame)
    assert isinstance(reply, dict) and reply.get("token") == token, (
        f"A frame {{'type': {route_key!r}, ...}} got no answer from the function (got {reply!r})"
    )


def _check_route(api_id: str, route_key: str, function: str, route_id: str) -> None:
    apis = boto3.client("apigatewayv2")
    routes = {r["RouteKey"]: r for r in apis.get_routes(ApiId=api_id)["Items"]}
    assert route_key in routes, (
        f"The API has no {route_key} route: apis.create_route(ApiId=api_id, RouteKey=route_key,"
        " Target=f'integrations/{integration_id}')"
    )
    route = routes[route_key]
    assert route_id == route["RouteId"], f"wire_route returned {route_id!r}, not the route's id"
    target = route.get("Target") or ""
    assert target.startswith("integrations/"), (
        f"The {route_key} route has no integration (Target {target!r}): set"
        " Target=f'integrations/{integration_id}' (the id create_integration returned)"
    )
    integration = apis.get_integration(
        ApiId=api_id, IntegrationId=target.removeprefix("integrations/")
    )
    assert integration["IntegrationType"] == "AWS_PROXY", (
        f"The {route_key} integration is {integration['IntegrationType']}: a Lambda proxy"
        " integration is IntegrationType='AWS_PROXY'"
    )
    arn = boto3.client("lambda").get_function_configuration(FunctionName=function)["FunctionArn"]
    assert f"/functions/{arn}/invocations" in integration.get("IntegrationUri", ""), (
        f"The {route_key} integration calls {integration.get('IntegrationUri')!r}, not {function}:"
        f" IntegrationUri=f'arn:aws:apigateway:{{region}}:lambda:path/2015-03-31/functions/{{function_arn}}/invocations'"
    )
    region, account = region_of(), account_of()
    invoked_as = f"arn:aws:execute-api:{region}:{account}:{api_id}/dev/{route_key}"
    sources = [
        statement_source(s) for s in _statements(function) if _principal(s) == GATEWAY_PRINCIPAL
    ]
    assert sources, (
        f"API Gateway may not invoke {function}: lambda_.add_permission(FunctionName=...,"
        f" Action='lambda:InvokeFunction', Principal='{GATEWAY_PRINCIPAL}', SourceArn=...)"
    )
    scoped = [s for s in sources if s and f":{api_id}/" in s and fnmatch.fnmatchcase(invoked_as, s)]
    assert scoped, (
        f"The permission for {function} does not name this route of this API (SourceArn"
        f" {sources}): use f'arn:aws:execute-api:{{region}}:{{account}}:{{api_id}}/*/{{route_key}}'"
    )


def _statements(function: str) -> list[dict[str, Any]]:
    try:
        policy = boto3.client("lambda").get_policy(FunctionName=function)["Policy"]
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return []
        raise
    return list(json.loads(policy).get("Statement", []))


def _forget_permissions(function: str, principal: str) -> None:
    """Remove what earlier runs allowed `principal` to do, so the learner's add_permission runs."""
    for statement in _statements(function):
        if _principal(statement) == principal:
            boto3.client("lambda").remove_permission(
                FunctionName=function, StatementId=statement["Sid"]
            )


def _principal(statement: dict[str, Any]) -> str:
    principal = statement.get("Principal")
    return str(principal.get("Service") if isinstance(principal, dict) else principal)


# -- stage-deploy: promoting a stage -----------------------------------------------------------


STAGE_PROBES = ("hello", "extra")  # the routes the promotion check deploys, one at a time


def check_deploy_stage(promote: Callable[[str, str, str], str], app: str, stage: str) -> None:
    """`promote(api_id, "dev", stage)` points `stage` at the deployment dev serves, no new one."""
    apis = boto3.client("apigatewayv2")
    _delete_apis(f"{app}-api")
    function = echo_function()
    with quietly():
        api_id = create_websocket_api(app)
        add_route(api_id, STAGE_PROBES[0], function)
        kit_route_response(api_id, STAGE_PROBES[0])
        deploy_stage(api_id, "dev")
    served = apis.get_stage(ApiId=api_id, StageName="dev")["DeploymentId"]
    with recorded_calls() as calls:
        url = answer(promote, api_id, "dev", stage)
    _promoted(calls, apis, api_id, stage, url, served, "create_stage")
    assert calls.of("apigatewayv2", "CreateStage"), (
        f"promote() did not create the stage {stage!r}: apis.create_stage(ApiId=api_id,"
        " StageName=target, DeploymentId=...)"
    )
    _answers(url, STAGE_PROBES[0], stage)
    with quietly():
        add_route(api_id, STAGE_PROBES[1], function)
        kit_route_response(api_id, STAGE_PROBES[1])
        deploy_stage(api_id, "dev")
    with Client(url) as client:
        client.send({"action": STAGE_PROBES[1], "token": "early"})
        early = client.wait_for(lambda frame: isinstance(frame, dict), QUIET)
    assert not (isinstance(early, dict) and early.get("token") == "early"), (
        f"{stage} served a route deployed to dev only: it should serve what promote() gave it"
    )
    served = apis.get_stage(ApiId=api_id, StageName="dev")["DeploymentId"]
    with recorded_calls() as calls:
        answer(promote, api_id, "dev", stage)
    _promoted(calls, apis, api_id, stage, url, served, "update_stage")
    assert calls.of("apigatewayv2", "UpdateStage") and not calls.of(
        "apigatewayv2", "DeleteStage"
    ), (
        "For a stage that exists, promote() should point it at dev's deployment:"
        " apis.update_stage(ApiId=api_id, StageName=target, DeploymentId=...)"
    )
    _answers(url, STAGE_PROBES[1], stage)


def _promoted(
    calls: Calls, apis: Any, api_id: str, stage: str, url: str, served: str, step: str
) -> None:
    """The stage serves `served` (dev's deployment), and promote() made no deployment of its own."""
    assert not calls.of("apigatewayv2", "CreateDeployment"), (
        "promote() made a new deployment: a snapshot of the API as it is now, which may hold"
        " changes never tried on dev. Reuse dev's: apis.get_stage(ApiId=api_id,"
        " StageName=source)['DeploymentId']"
    )
    try:
        current = apis.get_stage(ApiId=api_id, StageName=stage)
    except ClientError:
        raise AssertionError(
            f"There is no stage {stage!r}: use the `target` parameter ({step})"
        ) from None
    assert current.get("DeploymentId") == served, (
        f"The stage {stage!r} serves {current.get('DeploymentId')!r}, not dev's deployment"
        f" {served!r}: pass DeploymentId= the one get_stage(..., StageName=source) shows, to {step}"
    )
    endpoint = apis.get_api(ApiId=api_id)["ApiEndpoint"]
    assert url == f"{endpoint}/{stage}", (
        f"promote() returned {url!r}, expected the stage's URL {endpoint}/{stage} (the API's"
        " ApiEndpoint, a slash, the stage name)"
    )


def _answers(url: str, route_key: str, stage: str) -> None:
    """A frame for `route_key` sent to `url` comes back from the echo function."""
    token = unique("token")
    with Client(url) as client:
        client.send({"action": route_key, "token": token})
        reply = client.wait_for(lambda frame: isinstance(frame, dict) and "token" in frame)
    assert isinstance(reply, dict) and reply.get("token") == token, (
        f"The route {route_key!r}, deployed on dev, does not answer on {stage} (got {reply!r})"
    )
