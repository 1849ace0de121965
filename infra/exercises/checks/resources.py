"""Checks of the build-it-yourself track: resources learners create with plain boto3 calls.

Each check starts from a clean slate (so a re-run works), calls the learner's function with the
names it is given, reads the cloud's state back (describe/get calls), and then uses the result the
way the app would: a row goes into the table, the chat carries a message, the rule fires. The
hidden variants call the same checks with other names, so an answer that ignores its parameters
fails there.
"""

from __future__ import annotations

import fnmatch
import json
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError, ParamValidationError

from infra.deploy import (
    add_route,
    create_connections_table,
    create_or_update_function,
    create_scheduler_role,
    create_websocket_api,
    deploy_stage,
    fire_schedule,
)
from infra.deploy import add_route_response as kit_route_response
from infra.deploy.apps import ARENA, PUSH, deploy_plan
from infra.deploy.aws import APP_TAG, account_of, region_of, wait_for
from infra.deploy.policies import check_least_privilege
from infra.deploy.schedules import once_scheduler_may_assume
from infra.deploy.tables import delete_table

from .common import (
    KIT_LAMBDAS,
    PROBE_APP,
    QUIET,
    TIMEOUT,
    Calls,
    Client,
    answer,
    as_list,
    echo_function,
    error_code,
    failure,
    invoke,
    probe_role,
    quietly,
    recorded_calls,
    unique,
    zip_of,
)

LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
GATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
EVENTS_PRINCIPAL = "events.amazonaws.com"


# -- 01 · the table ---------------------------------------------------------------------------


def check_create_table(
    create_table: Callable[[str, str, str, str], str],
    name: str,
    key: str,
    index: str,
    index_key: str,
) -> None:
    """`create_table(name, key, index, index_key)`: on demand, keyed by `key`, with an index."""
    dynamodb = boto3.client("dynamodb")
    _delete_table(name)
    with recorded_calls() as calls:
        arn = answer(create_table, name, key, index, index_key)
    created = calls.of("dynamodb", "CreateTable")
    assert created, (
        f"create_table({name!r}, ...) never called create_table: call"
        " boto3.client('dynamodb').create_table(TableName=name, ...)"
    )
    made = created[-1].params.get("TableName")
    assert made == name, f"create_table({name!r}, ...) created {made!r}: use the `name` parameter"
    table = dynamodb.describe_table(TableName=name)["Table"]
    wanted = [{"AttributeName": key, "KeyType": "HASH"}]
    assert table["KeySchema"] == wanted, (
        f"The table's key schema is {table['KeySchema']}, expected {wanted} (hint: the table's"
        " own key is the `key` parameter alone; the index has its own KeySchema)"
    )
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    for attribute in (key, index_key):
        assert types.get(attribute) == "S", (
            f"{attribute!r} should be a string key: AttributeDefinitions lists every attribute a"
            f" key or an index's key uses, here {{'AttributeName': {attribute!r},"
            f" 'AttributeType': 'S'}} (got {table['AttributeDefinitions']})"
        )
    billing = table.get("BillingModeSummary", {}).get("BillingMode")
    assert billing == "PAY_PER_REQUEST", (
        f"The table's billing mode is {billing!r}: make it on demand with"
        " BillingMode='PAY_PER_REQUEST' (no capacity to plan, pay per request)"
    )
    indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    assert index in indexes, (
        f"The table has no global secondary index {index!r} (it has {sorted(indexes) or 'none'}):"
        " GlobalSecondaryIndexes=[{'IndexName': index, 'KeySchema': [...], 'Projection': {...}}]"
    )
    made_index = indexes[index]
    index_schema = [{"AttributeName": index_key, "KeyType": "HASH"}]
    assert made_index["KeySchema"] == index_schema, (
        f"The index {index!r} is keyed by {made_index['KeySchema']}, expected {index_schema}"
    )
    projection = made_index.get("Projection", {}).get("ProjectionType")
    assert projection == "ALL", (
        f"The index projects {projection!r}: a query on it should return whole rows,"
        " Projection={'ProjectionType': 'ALL'}"
    )
    assert calls.waited("TableExists"), (
        "create_table returned without waiting for the table: on AWS a new table is CREATING for"
        " a while (hint: dynamodb.get_waiter('table_exists').wait(TableName=name))"
    )
    assert arn == table["TableArn"], (
        f"create_table returned {arn!r}, expected the table's ARN {table['TableArn']!r}"
        " (hint: describe_table(TableName=name)['Table']['TableArn'])"
    )
    player, other = unique("ada"), unique("bob")
    rows = [
        {key: unique("game"), index_key: player},
        {key: unique("game"), index_key: other},
        {key: unique("game"), index_key: player},
    ]
    stored = boto3.resource("dynamodb").Table(name)
    for row in rows:
        stored.put_item(Item=row)
    found = stored.query(IndexName=index, KeyConditionExpression=Key(index_key).eq(player))["Items"]
    expected = sorted(row[key] for row in rows if row[index_key] == player)
    assert sorted(item[key] for item in found) == expected, (
        f"A query on {index!r} for one {index_key} found {found}, expected the rows {expected}"
    )


# -- 02 · the role and the functions ----------------------------------------------------------


def check_create_role(
    create_role: Callable[[str, str, str], str], name: str, table: str, index: str
) -> None:
    """`create_role(name, table_arn, index)`: trusted by Lambda; PutItem on the table, Query on the index."""
    iam = boto3.client("iam")
    table_arn = _games_table(table, index)
    index_arn = f"{table_arn}/index/{index}"
    _delete_role(name)
    role_arn = answer(create_role, name, table_arn, index)
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except ClientError:
        raise AssertionError(
            f"There is no role {name!r}: call iam.create_role(RoleName=name, ...)"
        ) from None
    assert role_arn == role["Arn"], f"create_role returned {role_arn!r}, expected {role['Arn']!r}"
    _check_trust(_document(role["AssumeRolePolicyDocument"]))
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert not attached, (
        f"The role has managed policies attached ({attached[0]['PolicyName']}): a *FullAccess"
        " policy lets a bug delete every table; give it one inline policy (put_role_policy)"
    )
    names = iam.list_role_policies(RoleName=name)["PolicyNames"]
    assert names, (
        "The role has no inline policy, so the functions may do nothing: add one with"
        " iam.put_role_policy(RoleName=name, PolicyName=..., PolicyDocument=json.dumps(policy))"
    )
    granted: dict[str, set[str]] = {}
    for policy_name in names:
        document = _document(
            iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        )
        problems = check_least_privilege(document)
        assert not problems, f"Too broad: {problems[0]} (hint: name each action and its resource)"
        for statement in as_list(document.get("Statement")):
            if statement.get("Effect") == "Allow":
                for action in as_list(statement.get("Action")):
                    granted.setdefault(action, set()).update(as_list(statement.get("Resource")))
    needed = {"dynamodb:PutItem": {table_arn}, "dynamodb:Query": {index_arn}}
    missing = sorted(set(needed) - set(granted))
    assert not missing, f"The lobby needs {', '.join(missing)}: allow it in the inline policy"
    others = sorted(a for a in granted if a not in needed and not a.startswith("logs:"))
    assert not others, f"More than the lobby needs: drop {', '.join(others)}"
    for action, resources in needed.items():
        assert granted[action] == resources, (
            f"{action} should be allowed on exactly {sorted(resources)[0]} (got"
            f" {sorted(granted[action])}): a table's ARN does not cover its indexes, and an"
            " index's ARN is the table's ARN + '/index/' + the index's name"
        )
    _lobby_with_role(role_arn, table, index)


def _games_table(name: str, index: str) -> str:
    """A fresh on-demand table keyed by GameId, with the index `index` on Host; its ARN."""
    dynamodb = boto3.client("dynamodb")
    _delete_table(name)
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "GameId", "AttributeType": "S"},
            {"AttributeName": "Host", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "GameId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": "Host", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": APP_TAG, "Value": PROBE_APP}],
    )
    wait_for(dynamodb, "table_exists", TableName=name)
    return str(dynamodb.describe_table(TableName=name)["Table"]["TableArn"])


LOBBY = """import os

import boto3
from boto3.dynamodb.conditions import Key


def handler(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    table.put_item(Item={"GameId": event["game"], "Host": event["host"]})
    found = table.query(
        IndexName=os.environ["INDEX_NAME"], KeyConditionExpression=Key("Host").eq(event["host"])
    )
    return sorted(item["GameId"] for item in found["Items"])
"""


def _lobby_with_role(role_arn: str, table: str, index: str) -> None:
    """Use the role: a lobby function runs as it, opens a game and lists its host's games."""
    function = f"{table}-lobby"
    with quietly():
        create_or_update_function(
            PROBE_APP,
            function,
            "lobby.handler",
            role_arn,
            zip_of({"lobby.py": LOBBY}),
            environment={"TABLE_NAME": table, "INDEX_NAME": index},
        )
    game, host = unique("game"), unique("ada")
    result = invoke(function, {"game": game, "host": host})
    assert result["FunctionError"] is None, (
        f"A function running as the role failed to put a game and query {index!r}:"
        f" {failure(result)}"
    )
    assert result["Payload"] == [game], (
        f"The lobby function, running as the role, listed {result['Payload']!r}, not [{game!r}]"
    )


def _check_trust(trust: dict[str, Any]) -> None:
    statements = [s for s in as_list(trust.get("Statement")) if s.get("Effect") == "Allow"]
    principals = {
        service
        for statement in statements
        for service in as_list((statement.get("Principal") or {}).get("Service"))
    }
    others = [s.get("Principal") for s in statements if set(s.get("Principal") or {}) - {"Service"}]
    assert principals == {LAMBDA_PRINCIPAL} and not others, (
        f"The role's trust policy lets {sorted(principals) + others} assume it: only the Lambda"
        f" service should (Principal {{'Service': '{LAMBDA_PRINCIPAL}'}}, Action sts:AssumeRole)"
    )
    actions = {a for s in statements for a in as_list(s.get("Action"))}
    assert actions == {"sts:AssumeRole"}, (
        f"The trust policy allows {sorted(actions)}: it should allow exactly sts:AssumeRole"
    )


HELLO = """import os

GREETING = {greeting!r}


def {function}(event, context):
    return {{"greeting": GREETING, "setting": os.environ.get({variable!r})}}
"""


def check_deploy_function(
    deploy_function: Callable[[str, str, str, str, dict[str, str]], str],
    name: str,
    module: str = "hello",
    function: str = "handler",
    variable: str = "TABLE_NAME",
) -> None:
    """`deploy_function` creates the function from a folder, then updates its code and settings."""
    lambda_ = boto3.client("lambda")
    role = probe_role()
    _delete_function(name)
    handler, setting = f"{module}.{function}", unique("setting")
    with tempfile.TemporaryDirectory(prefix="deploy-check-") as folder:
        source = Path(folder, f"{module}.py")
        first, second = unique("hello"), unique("hello again")
        source.write_text(HELLO.format(greeting=first, function=function, variable=variable))
        with recorded_calls() as calls:
            arn = answer(deploy_function, name, handler, role, folder, {variable: setting})
        assert calls.of("lambda", "CreateFunction"), (
            f"deploy_function({name!r}, ...) never called create_function for a function that"
            " does not exist yet (hint: lambda_.create_function(FunctionName=name, ...))"
        )
        try:
            config = lambda_.get_function_configuration(FunctionName=name)
        except ClientError:
            raise AssertionError(f"There is no function {name!r} after deploy_function") from None
        assert config["Handler"] == handler, (
            f"The function's handler is {config['Handler']!r}, expected {handler!r}: pass the"
            " `handler` parameter as Handler"
        )
        assert config["Runtime"].startswith("python3."), (
            f"Runtime is {config['Runtime']!r}: use python3.12"
        )
        assert config["Role"] == role, (
            f"The function runs as {config['Role']!r}, not the role given"
        )
        variables = config.get("Environment", {}).get("Variables", {})
        assert variables == {variable: setting}, (
            f"The function's environment is {variables}, expected {{'{variable}': ...}}:"
            " pass Environment={'Variables': environment}"
        )
        assert calls.waited("FunctionActiveV2"), (
            "deploy_function returned before the new function was Active: on AWS it is Pending"
            " for a moment (hint: lambda_.get_waiter('function_active_v2').wait(FunctionName=name))"
        )
        assert arn == config["FunctionArn"], (
            f"deploy_function returned {arn!r}, not the function's ARN"
        )
        _expect_greeting(name, first, setting, module)
        source.write_text(HELLO.format(greeting=second, function=function, variable=variable))
        new_setting = unique("setting")
        with recorded_calls() as calls:
            answer(deploy_function, name, handler, role, folder, {variable: new_setting})
    replaced = calls.of("lambda", "DeleteFunction") or calls.of("lambda", "CreateFunction")
    assert calls.of("lambda", "UpdateFunctionCode") and not replaced, (
        "After an edit, deploy_function should upload the new zip to the existing function:"
        " lambda_.update_function_code(FunctionName=name, ZipFile=...), not delete and create"
    )
    configured = calls.of("lambda", "UpdateFunctionConfiguration")
    assert configured, (
        "The second deploy changed the environment, but deploy_function never updated the"
        " configuration: lambda_.update_function_configuration(FunctionName=name,"
        " Environment={'Variables': environment})"
    )
    steps = [c.operation for c in calls.made]
    code_at = steps.index("UpdateFunctionCode")
    config_at = steps.index("UpdateFunctionConfiguration")
    first_at, then_at = sorted((code_at, config_at))
    assert "waiter:FunctionUpdatedV2" in steps[first_at:then_at], (
        "deploy_function started the second update before the first was applied: on AWS that is"
        " a ResourceConflictException (hint: lambda_.get_waiter('function_updated_v2')"
        ".wait(FunctionName=name) after each update)"
    )
    assert "waiter:FunctionUpdatedV2" in steps[then_at:], (
        "deploy_function returned before the last update was applied (hint:"
        " lambda_.get_waiter('function_updated_v2').wait(FunctionName=name))"
    )
    _expect_greeting(name, second, new_setting, module)


def _expect_greeting(name: str, greeting: str, setting: str, module: str) -> None:
    result = invoke(name, {})
    if result["FunctionError"]:
        hint = ""
        if "No module named" in failure(result):
            hint = f" (hint: put {module}.py at the zip's root: archive.write(path, arcname=path.name))"
        raise AssertionError(f"The deployed function failed: {failure(result)}{hint}")
    payload = result["Payload"]
    assert isinstance(payload, dict) and payload.get("greeting") == greeting, (
        f"The function answered {payload!r}: it does not run the folder's latest code"
        f" (expected greeting {greeting!r}; zip every file of the folder, and upload the new zip)"
    )
    assert payload.get("setting") == setting, (
        f"The function sees the setting {payload.get('setting')!r}, not the latest {setting!r}:"
        " pass Environment={'Variables': environment} when creating, and to"
        " update_function_configuration when the function exists"
    )


# -- 03 · the API, its routes and its stage ----------------------------------------------------


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


# -- 06 · the stream mapping --------------------------------------------------------------------


def check_tune_stream(
    tune_stream: Callable[[str, str, int, int], str], app: str, batch_size: int, window_seconds: int
) -> None:
    """`tune_stream` makes the mapping, then changes it in place; a burst arrives in one batch."""
    lambda_ = boto3.client("lambda")
    url = _arena_without_mapping(app)
    table, function = f"{app}-connections", f"{app}-tableTriggers"
    stream = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    uuid = answer(tune_stream, table, function, batch_size, window_seconds)
    _tuned(lambda_, uuid, stream, function, batch_size, window_seconds)
    wider = window_seconds + 1
    again = answer(tune_stream, table, function, 2 * batch_size, wider)
    mappings = lambda_.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    assert len(mappings) == 1, (
        f"Called again, tune_stream left {len(mappings)} mappings on the stream, so every change"
        " would be told several times: when list_event_source_mappings finds one, change it with"
        " update_event_source_mapping(UUID=..., BatchSize=..., MaximumBatchingWindowInSeconds=...)"
    )
    assert again == uuid, (
        f"Called again, tune_stream returned {again!r}; the mapping is still {uuid!r}: return"
        " the UUID of the mapping you changed"
    )
    _tuned(lambda_, uuid, stream, function, 2 * batch_size, wider)
    _burst_in_one_batch(url, wider)


def _tuned(
    lambda_: Any, uuid: Any, stream: str, function: str, batch_size: int, window_seconds: int
) -> None:
    """The mapping `uuid` reads `stream` into `function` from LATEST with these settings, on."""
    try:
        mapping = lambda_.get_event_source_mapping(UUID=uuid)
    except (ClientError, TypeError, ParamValidationError):
        raise AssertionError(
            f"tune_stream returned {uuid!r}, which is no mapping's UUID: return the mapping's"
            " ['UUID']"
        ) from None
    assert mapping["EventSourceArn"] == stream, (
        f"The mapping reads {mapping['EventSourceArn']!r}, not the table's stream: use"
        " describe_table(TableName=table_name)['Table']['LatestStreamArn']"
    )
    assert mapping["FunctionArn"].endswith(f":function:{function}"), (
        f"The mapping invokes {mapping['FunctionArn']!r}, not {function}"
    )
    assert mapping.get("StartingPosition") == "LATEST", (
        f"StartingPosition is {mapping.get('StartingPosition')!r}: start at LATEST"
    )
    assert mapping.get("BatchSize") == batch_size, (
        f"BatchSize is {mapping.get('BatchSize')}, expected {batch_size}: BatchSize=batch_size"
    )
    window = mapping.get("MaximumBatchingWindowInSeconds", 0)
    assert window == window_seconds, (
        f"MaximumBatchingWindowInSeconds is {window}, expected {window_seconds}:"
        " MaximumBatchingWindowInSeconds=window_seconds"
    )
    assert mapping.get("State") == "Enabled", (
        f"tune_stream returned while the mapping was {mapping.get('State')!r}: wait until"
        " get_event_source_mapping(UUID=...)['State'] is 'Enabled' (after a change too)"
    )


def _burst_in_one_batch(url: str, window_seconds: int) -> None:
    """Three quick moves of one pointer reach a watcher together: one frame, three changes."""
    with Client(url, "painter") as painter, Client(url, "watcher") as watcher:
        painter.send({"action": "list"})
        listing = painter.wait_for(lambda frame: frame.get("type") == "list")
        assert listing is not None, "The arena did not answer {'action': 'list'}"
        me = listing["you"]["id"]

        def mine(frame: Any, kind: str) -> list[Any]:
            changes = frame.get("changes", []) if isinstance(frame, dict) else []
            return [c for c in changes if c.get("id") == me and c.get("kind") == kind]

        timeout = window_seconds + TIMEOUT
        joined = watcher.wait_for(lambda frame: bool(mine(frame, "join")), timeout)
        assert joined is not None, "Nobody heard of a new pointer: the mapping invokes nothing"
        xs = [0.1 + secrets.randbelow(80) / 100 + step / 1000 for step in range(3)]
        for x in xs:
            painter.send({"action": "move", "clientX": x, "clientY": 0.5})
        last = watcher.wait_for(
            lambda frame: any(c.get("x") == xs[-1] for c in mine(frame, "move")), timeout
        )
        assert last is not None, "Three moves were written, but nobody heard of the last one"
        frames = [frame for frame in watcher.frames if mine(frame, "move")]
        assert len(frames) == 1, (
            f"Three moves sent at once reached the watcher in {len(frames)} frames: with a"
            f" batching window of {window_seconds} s they should wait for each other and come"
            " in one batch"
        )


# -- 07 · Time to Live --------------------------------------------------------------------------


TTL_WAIT = 12.0  # seconds: the local cloud sweeps expired rows every 5 s (AWS: within days)


def check_invite(invite: Callable[[str, str, str, int], int], table: str, attribute: str) -> None:
    """`invite(table, attribute, code, seconds)`: TTL switched on once; rows expire by themselves."""
    dynamodb = boto3.client("dynamodb")
    _delete_table(table)
    with quietly():
        create_connections_table("checks", table, key="code")
    started = time.time()
    with recorded_calls() as calls:
        later = answer(invite, table, attribute, "LATER7", 3600)
        answer(invite, table, attribute, "SOON42", 2)
    switched = calls.of("dynamodb", "UpdateTimeToLive")
    assert switched, "Time to Live was never switched on: dynamodb.update_time_to_live(...)"
    assert len(switched) == 1, (
        f"Two invitations switched Time to Live on {len(switched)} times: on AWS the second call"
        " fails (ValidationException). Ask describe_time_to_live first; switch it on only when"
        " its TimeToLiveStatus is neither ENABLED nor ENABLING"
    )
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"), (
        f"Time to Live is {ttl.get('TimeToLiveStatus')!r} on {table}: TimeToLiveSpecification="
        "{'Enabled': True, 'AttributeName': attribute}"
    )
    assert ttl.get("AttributeName") == attribute, (
        f"TTL reads the attribute {ttl.get('AttributeName')!r}, expected {attribute!r}:"
        " AttributeName=attribute"
    )
    rows = boto3.resource("dynamodb").Table(table)
    item = rows.get_item(Key={"code": "LATER7"}, ConsistentRead=True).get("Item")
    assert item is not None, (
        f"No row has the code 'LATER7' after invite({table!r}, {attribute!r}, 'LATER7', 3600):"
        " put_item(Item={'code': code, attribute: ...})"
    )
    expiry = item.get(attribute)
    assert isinstance(expiry, Decimal), (
        f"The row's {attribute!r} is {expiry!r}: Time to Live reads only a Number, epoch"
        " seconds (int(time.time()) + seconds); a row without one never expires"
    )
    expected = started + 3600
    assert abs(float(expiry) - expected) < 60, (
        f"The row's {attribute!r} is {expiry}, expected about {int(expected)}:"
        " int(time.time()) + seconds (epoch seconds, not milliseconds)"
    )
    assert later == expiry, f"invite returned {later!r}, not the expiry it wrote ({expiry})"
    deadline = time.monotonic() + 2 + TTL_WAIT
    while rows.get_item(Key={"code": "SOON42"}).get("Item") and time.monotonic() < deadline:
        time.sleep(0.25)
    assert rows.get_item(Key={"code": "SOON42"}).get("Item") is None, (
        f"An invitation that expired after 2 s is still there {2 + TTL_WAIT:g} s later"
    )
    assert rows.get_item(Key={"code": "LATER7"}).get("Item"), "An invitation for an hour went"


# -- 08 · the schedule --------------------------------------------------------------------------


def check_reminder(
    remind: Callable[[str, str, str, int, str, str], str],
    app: str,
    schedule: str,
    hour: int,
    timezone: str,
    text: str,
) -> None:
    """`remind(schedule, function, role_arn, hour, timezone, text)`: a daily Scheduler schedule
    in the time zone, whose target's Input pushes `text`, run with the role given."""
    scheduler = boto3.client("scheduler")
    url = _push_without_rule(app)
    function = f"{app}-broadcast"
    arn = boto3.client("lambda").get_function_configuration(FunctionName=function)["FunctionArn"]
    role_arn = _scheduler_role_ready(app, arn)
    _delete_schedule(schedule)
    schedule_arn = answer(remind, schedule, function, role_arn, hour, timezone, text)
    try:
        described = scheduler.get_schedule(Name=schedule)
    except ClientError:
        raise AssertionError(
            f"There is no schedule {schedule!r}: scheduler.create_schedule(Name=schedule_name, ...)"
        ) from None
    expression = described.get("ScheduleExpression")
    daily = f"cron(0 {hour} * * ? *)"
    assert _daily_hour(expression) == hour, (
        f"The schedule's expression is {expression!r}, not every day at {hour}:00: cron has six"
        f" fields, minutes hours day-of-month month day-of-week year, and one of the two days is"
        f" ?: {daily}"
    )
    zone = described.get("ScheduleExpressionTimezone")
    assert zone == timezone, (
        f"The schedule counts its hours in {zone!r}, not {timezone!r}:"
        " ScheduleExpressionTimezone=timezone (without it, cron() is in UTC)"
    )
    assert described.get("State") == "ENABLED", (
        f"The schedule is {described.get('State')}: State='ENABLED' (or leave State out)"
    )
    assert schedule_arn == described["Arn"], (
        f"remind returned {schedule_arn!r}, not the schedule's ARN (create_schedule's ScheduleArn)"
    )
    target = described.get("Target", {})
    assert target.get("Arn") == arn, (
        f"The schedule's target is {target.get('Arn')!r}, expected {function}'s ARN:"
        " Target={'Arn': function_arn, 'RoleArn': role_arn, 'Input': ...}"
    )
    assert target.get("RoleArn") == role_arn, (
        f"The schedule runs with the role {target.get('RoleArn')!r}, not the one given"
        f" ({role_arn}): Scheduler assumes Target's RoleArn to invoke the function"
    )
    given = target.get("Input")
    try:
        constant = json.loads(given) if given else None
    except ValueError:
        constant = given
    assert constant == {"text": text}, (
        f"The target's Input is {given!r}: the function pushes the event's `text`, so give the"
        " target the Input json.dumps({'text': text}) (a JSON string)"
    )
    with Client(url, "listener") as client, quietly():
        results = fire_schedule(schedule)
        pushed = client.wait_for(lambda frame: frame.get("type") == "push")
    errors = [result for result in results if result.get("error")]
    assert not errors, f"The schedule fired but its function failed: {errors[0].get('response')}"
    assert results and pushed is not None, f"Firing {schedule} pushed nothing to a connected client"
    assert pushed.get("text") == text, (
        f"Firing {schedule} pushed {pushed.get('text')!r}, not {text!r}: the target's Input is"
        " the event the function gets"
    )


def _scheduler_role_ready(app: str, function_arn: str) -> str:
    """The kit's scheduler role for `app`, once Scheduler can assume it (IAM is eventually
    consistent: a throwaway schedule is tried until it is accepted, then deleted)."""
    scheduler = boto3.client("scheduler")
    with quietly():
        role_arn = create_scheduler_role(app, function_arn)
    probe = f"{app}-role-probe"
    _delete_schedule(probe)
    once_scheduler_may_assume(
        lambda: scheduler.create_schedule(
            Name=probe,
            ScheduleExpression="rate(1 day)",
            FlexibleTimeWindow={"Mode": "OFF"},
            State="DISABLED",
            Target={"Arn": function_arn, "RoleArn": role_arn},
        )
    )
    _delete_schedule(probe)
    return role_arn


def _delete_schedule(name: str) -> None:
    try:
        boto3.client("scheduler").delete_schedule(Name=name)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise


def _daily_hour(expression: str | None) -> int | None:
    """The hour (UTC) of a cron expression that fires once a day at minute 0, else None."""
    fields = (expression or "").removeprefix("cron(").removesuffix(")").split()
    if not (expression or "").startswith("cron(") or len(fields) != 6:
        return None
    minutes, hours, day_of_month, month, day_of_week, year = fields
    days = {(day_of_month, day_of_week)} & {("*", "?"), ("?", "*")}
    if minutes not in ("0", "00") or not hours.isdigit() or not days or (month, year) != ("*", "*"):
        return None
    return int(hours)


# -- the apps these checks build on (the finished code, quietly) -------------------------------


def _arena_without_mapping(app: str) -> str:
    """A copy of the arena named `app` whose stream is mapped to nothing; returns its URL."""
    with quietly():
        url = deploy_plan(
            replace(ARENA, app=app, stream_mapped=False), folder=KIT_LAMBDAS / "arena"
        )
    lambda_ = boto3.client("lambda")
    for mapping in lambda_.list_event_source_mappings(FunctionName=f"{app}-tableTriggers")[
        "EventSourceMappings"
    ]:
        lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
    return url


def _push_without_rule(app: str) -> str:
    """A copy of the push app named `app` with no schedule; returns its URL."""
    with quietly():
        return deploy_plan(replace(PUSH, app=app, schedule=None), folder=KIT_LAMBDAS / "push")


# -- clean slates -------------------------------------------------------------------------------


def _delete_table(name: str) -> None:
    delete_table(name)


def _delete_role(name: str) -> None:
    iam = boto3.client("iam")
    try:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=name)
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise


def _delete_function(name: str) -> None:
    try:
        boto3.client("lambda").delete_function(FunctionName=name)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise


def _delete_apis(name: str) -> None:
    apis = boto3.client("apigatewayv2")
    for api in apis.get_apis()["Items"]:
        if api["Name"] == name:
            apis.delete_api(ApiId=api["ApiId"])


def _delete_rule(name: str) -> None:
    events = boto3.client("events")
    try:
        targets = events.list_targets_by_rule(Rule=name)["Targets"]
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        return
    if targets:
        events.remove_targets(Rule=name, Ids=[t["Id"] for t in targets])
    events.delete_rule(Name=name)


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


def statement_source(statement: dict[str, Any]) -> str | None:
    """The SourceArn a resource policy statement is limited to (None: any source)."""
    condition = statement.get("Condition") or {}
    for test in ("ArnLike", "ArnEquals"):
        arn = (condition.get(test) or {}).get("AWS:SourceArn")
        if arn:
            return str(arn)
    return None


def _document(document: Any) -> dict[str, Any]:
    """IAM documents come back as dicts from boto3, as URL-encoded JSON from some servers."""
    from urllib.parse import unquote

    return json.loads(unquote(document)) if isinstance(document, str) else dict(document)
