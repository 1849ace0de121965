"""The checks of lesson 03's challenges: the chat's API, a route wired to a function, the stage."""

from __future__ import annotations

import contextlib
import fnmatch
import io
import re
import secrets
from typing import Any

import boto3
from websockets.exceptions import InvalidHandshake
from websockets.sync.client import connect

from infra.deploy import add_route, create_websocket_api, deploy_stage
from infra.deploy.aws import account_of, region_of

from . import CheckFailed, check, is_strict, not_done, passed, permissions, require
from .lesson01 import require_no_near_name

API = "chat-api"
SELECTION = "$request.body.action"
TABLE = "chat-connections"
STAGE = "dev"
TAG = ("workshop:app", "chat")
GATEWAY = "apigateway.amazonaws.com"
STATEMENT_ID = re.compile(r"[a-zA-Z0-9_-]+")  # what AWS accepts as add_permission's StatementId


def _chat_apis() -> list[dict[str, Any]]:
    return [api for api in boto3.client("apigatewayv2").get_apis()["Items"] if api["Name"] == API]


def _api_id() -> str:
    apis = _chat_apis()
    require(apis, f"there is no API {API}: run the challenge chat-api and its check first")
    return str(apis[0]["ApiId"])


@check
def chat_api() -> None:
    """`chat-api`: one WebSocket API chat-api, routing on the frame's action, tagged for chat."""
    found = _chat_apis()
    if not found:
        names = [api["Name"] for api in boto3.client("apigatewayv2").get_apis()["Items"]]
        require_no_near_name("API", API, names, "apis.delete_api(ApiId=...)")
        return not_done(
            f"there is no API {API}",
            "chat-api",
            lambda: create_websocket_api("chat"),
            'create_websocket_api("chat")',
        )
    require(
        len(found) == 1,
        f"there are {len(found)} APIs called {API}: keep one, delete the others with"
        f" apis.delete_api(ApiId=...) (ids: {', '.join(api['ApiId'] for api in found)})",
    )
    api = found[0]
    require(
        api["ProtocolType"] == "WEBSOCKET",
        f"{API} is an {api['ProtocolType']} API: delete it (apis.delete_api(ApiId="
        f"{api['ApiId']!r})) and create it with ProtocolType='WEBSOCKET'",
    )
    require(
        api.get("RouteSelectionExpression") == SELECTION,
        f"{API} picks routes with {api.get('RouteSelectionExpression')!r}, not {SELECTION!r}: fix"
        f" it with apis.update_api(ApiId={api['ApiId']!r}, RouteSelectionExpression={SELECTION!r})",
    )
    require(
        api.get("Tags", {}).get(TAG[0]) == TAG[1],
        f"{API} has no tag {TAG[0]}={TAG[1]} (later lessons and teardown find it by that tag):"
        f" delete it (apis.delete_api(ApiId={api['ApiId']!r})) and create it with"
        f" Tags={{'{TAG[0]}': '{TAG[1]}'}}",
    )
    passed(f"{API}: a WebSocket API that routes each frame by its action field")


@check
def route(route_key: str, function: str) -> None:
    """`connect-route`: the route goes to the function (AWS_PROXY), which lets API Gateway in."""
    apis = boto3.client("apigatewayv2")
    api_id = _api_id()
    routes = {item["RouteKey"]: item for item in apis.get_routes(ApiId=api_id)["Items"]}
    if route_key not in routes:
        if route_key == "$connect":
            return not_done(
                f"{API} has no {route_key} route",
                "connect-route",
                lambda: add_route(api_id, route_key, function),
                f"add_route(api_id, {route_key!r}, {function!r})",
            )
        return _wired_by_the_kit(api_id, route_key, function)
    target = routes[route_key].get("Target") or ""
    redo = (
        f"lessons.remove_route(api_id, {route_key!r}) takes the route away; then run"
        f" wire_route({route_key!r}, {function!r}) again"
    )
    require(
        target.startswith("integrations/"),
        f"the {route_key} route has no integration (Target {target!r}): create_route needs"
        f" Target=f'integrations/{{integration_id}}'. {redo}",
    )
    integration = apis.get_integration(
        ApiId=api_id, IntegrationId=target.removeprefix("integrations/")
    )
    require(
        integration["IntegrationType"] == "AWS_PROXY",
        f"the {route_key} integration is {integration['IntegrationType']}, not AWS_PROXY. {redo}",
    )
    require(
        integration.get("IntegrationMethod") == "POST",
        f"the {route_key} integration's method is {integration.get('IntegrationMethod')!r}:"
        f" Lambda is invoked with IntegrationMethod='POST'. {redo}",
    )
    arn = boto3.client("lambda").get_function_configuration(FunctionName=function)["FunctionArn"]
    require(
        f"/functions/{arn}/invocations" in integration.get("IntegrationUri", ""),
        f"the {route_key} integration calls {integration.get('IntegrationUri')!r}, not {function}:"
        " the URI is arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
        f"{{function_arn}}/invocations. {redo}",
    )
    statements = permissions.statements(function)
    refused = [str(s.get("Sid", "")) for s in statements if not _valid_sid(s.get("Sid", ""))]
    require(
        not refused,
        f"{function}'s permission has the StatementId {refused[0] if refused else ''!r}: AWS"
        " refuses it (a ValidationException: only letters, digits, - and _), so on AWS this"
        " add_permission fails. Remove it (lambda_.remove_permission(FunctionName="
        f"{function!r}, StatementId=...)) and add it again with, say,"
        " route_key.removeprefix('$') in the StatementId",
    )
    arn_of = f"arn:aws:execute-api:{region_of()}:{account_of()}:{api_id}/{STAGE}/"
    sources = [permissions.source_arn(s) for s in statements if permissions.service(s) == GATEWAY]
    require(
        sources,
        f"API Gateway may not invoke {function}: every {route_key} would fail with 500."
        f" lambda_.add_permission(FunctionName={function!r}, Action='lambda:InvokeFunction',"
        f" Principal='{GATEWAY}', SourceArn=..., StatementId=...) in a new cell puts it right",
    )
    covering = [s for s in sources if s and fnmatch.fnmatchcase(arn_of + route_key, s)]
    wanted = f"SourceArn=f'arn:aws:execute-api:{{region}}:{{account}}:{{api_id}}/*/{route_key}'"
    remove = "lambda_.remove_permission(FunctionName=..., StatementId=...) removes a wrong one"
    require(
        covering,
        f"the permission for {function} does not cover this route of this API (SourceArn"
        f" {sources}): {wanted}. {remove}",
    )
    require(
        any(not fnmatch.fnmatchcase(arn_of + "anotherRoute", s) for s in covering),
        f"the permission for {function} lets API Gateway invoke it for every route of the API"
        f" (SourceArn {covering}), not this route only: {wanted}. {remove}, then add it again",
    )
    passed(f"{route_key} → {function}: an AWS_PROXY integration, and API Gateway may invoke it")


def _valid_sid(sid: object) -> bool:
    return isinstance(sid, str) and STATEMENT_ID.fullmatch(sid) is not None


def _wired_by_the_kit(api_id: str, route_key: str, function: str) -> None:
    """No `route_key` route yet: the kit wires it (the cell above calls your wire_route)."""
    with contextlib.redirect_stdout(io.StringIO()):
        add_route(api_id, route_key, function)
    if is_strict():
        raise CheckFailed(f"not done: {API} has no {route_key} route")
    print(
        f"◻ Not done yet: {API} has no {route_key} route, so your wire_route (challenge"
        f" connect-route) is not written yet. So the lesson can go on, the kit did it:"
        f" add_route(api_id, {route_key!r}, {function!r}). Write wire_route in the"
        " connect-route cell and run it, then the cell above and this check; stuck?"
        " reveal('connect-route') shows an answer."
    )


@check
def dev_stage() -> None:
    """`dev-stage`: the stage dev serves a deployment in which $connect stores a row."""
    apis = boto3.client("apigatewayv2")
    api_id = _api_id()
    try:
        stage = apis.get_stage(ApiId=api_id, StageName=STAGE)
    except apis.exceptions.NotFoundException:
        return not_done(
            f"{API} has no stage {STAGE}",
            "dev-stage",
            lambda: deploy_stage(api_id, STAGE),
            f"deploy_stage(api_id, {STAGE!r})",
        )
    require(
        stage.get("DeploymentId"),
        f"the stage {STAGE} serves no deployment: pass DeploymentId= (from create_deployment)",
    )
    url = f"{apis.get_api(ApiId=api_id)['ApiEndpoint']}/{STAGE}"
    name = f"stage-check-{secrets.token_hex(2)}"
    table = boto3.resource("dynamodb").Table(TABLE)
    try:
        with connect(f"{url}?name={name}", open_timeout=10):
            rows = [row for row in table.scan()["Items"] if row.get("name") == name]
    except (OSError, InvalidHandshake) as error:
        raise CheckFailed(
            f"could not connect to {url} ({error}): does $connect's function fail (its log says"
            " why), or may API Gateway not invoke it (run the connect-route check)?"
        ) from None
    for row in rows:  # the check's own row: $disconnect may not be deployed yet
        table.delete_item(Key={"connectionId": row["connectionId"]})
    require(
        rows,
        f"a client connected to {url}, but no $connect stored its row: the stage serves a"
        " deployment made before the $connect route. Make a new deployment and point the stage"
        f" at it: apis.update_stage(ApiId=api_id, StageName={STAGE!r}, DeploymentId=...)",
    )
    passed(f"{STAGE} serves your routes at {url}: a client connected and $connect stored its row")
