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
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.deploy import (
    add_route,
    create_connections_table,
    create_lambda_role,
    create_or_update_function,
    create_websocket_api,
    deploy_stage,
    fire_rule,
    package_lambda,
)
from infra.deploy import add_route_response as kit_route_response
from infra.deploy.apps import ARENA, CHAT, PUSH, deploy_plan, plan_policy
from infra.deploy.aws import account_of, region_of
from infra.deploy.policies import check_least_privilege

from .common import (
    KIT_LAMBDAS,
    QUIET,
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
)

LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
GATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
EVENTS_PRINCIPAL = "events.amazonaws.com"


# -- 01 · the table ---------------------------------------------------------------------------


def check_create_table(create_table: Callable[[str, str], str], name: str, key: str) -> None:
    """`create_table(name, key)`: an on-demand table keyed by `key`, waited for; its ARN back."""
    dynamodb = boto3.client("dynamodb")
    _delete_table(name)
    with recorded_calls() as calls:
        arn = answer(create_table, name, key)
    created = calls.of("dynamodb", "CreateTable")
    assert created, (
        f"create_table({name!r}, {key!r}) never called create_table: call"
        " boto3.client('dynamodb').create_table(TableName=name, ...)"
    )
    made = created[-1].params.get("TableName")
    assert made == name, f"create_table({name!r}, ...) created {made!r}: use the `name` parameter"
    table = dynamodb.describe_table(TableName=name)["Table"]
    wanted = [{"AttributeName": key, "KeyType": "HASH"}]
    assert table["KeySchema"] == wanted, (
        f"The table's key schema is {table['KeySchema']}, expected {wanted} (hint: the `key`"
        " parameter is the only key: KeySchema and AttributeDefinitions both name it)"
    )
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types.get(key) == "S", (
        f"The key {key!r} should be a string: AttributeDefinitions=[{{'AttributeName': key,"
        f" 'AttributeType': 'S'}}] (got {table['AttributeDefinitions']})"
    )
    billing = table.get("BillingModeSummary", {}).get("BillingMode")
    assert billing == "PAY_PER_REQUEST", (
        f"The table's billing mode is {billing!r}: make it on demand with"
        " BillingMode='PAY_PER_REQUEST' (no capacity to plan, pay per request)"
    )
    assert calls.waited("TableExists"), (
        "create_table returned without waiting for the table: on AWS a new table is CREATING for"
        " a while (hint: dynamodb.get_waiter('table_exists').wait(TableName=name))"
    )
    assert arn == table["TableArn"], (
        f"create_table returned {arn!r}, expected the table's ARN {table['TableArn']!r}"
        " (hint: describe_table(TableName=name)['Table']['TableArn'])"
    )
    row = {key: unique("row"), "name": "ada"}
    stored = boto3.resource("dynamodb").Table(name)
    stored.put_item(Item=row)
    assert stored.get_item(Key={key: row[key]}).get("Item") == row, "A row put in did not come back"


# -- 02 · the role and the functions ----------------------------------------------------------


def check_create_role(create_role: Callable[[str, str], str], name: str, table: str) -> None:
    """`create_role(name, table_arn)`: trusted by Lambda only, PutItem/DeleteItem on the table."""
    iam = boto3.client("iam")
    with quietly():
        table_arn = create_connections_table("checks", table)
    _delete_role(name)
    role_arn = answer(create_role, name, table_arn)
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
    table_actions = {a for a in granted if a.startswith("dynamodb:")}
    needed = {"dynamodb:PutItem", "dynamodb:DeleteItem"}
    assert needed <= table_actions, (
        f"$connect and $disconnect need {', '.join(sorted(needed - table_actions))} on the table"
    )
    others = sorted(a for a in granted if a not in needed and not a.startswith("logs:"))
    assert not others, f"More than $connect and $disconnect need: drop {', '.join(others)}"
    for action in needed:
        assert granted[action] == {table_arn}, (
            f"{action} should be allowed on exactly {table_arn} (got {sorted(granted[action])}):"
            " use the `table_arn` parameter"
        )
    _connect_with_role(role_arn, table)


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


def _connect_with_role(role_arn: str, table: str) -> None:
    """Use the role: the finished $connect function runs as it and stores a row."""
    function = f"{table}-check"
    code = package_lambda(KIT_LAMBDAS / "chat")
    env = {"TABLE_NAME": table}
    with quietly():
        create_or_update_function(
            "checks", function, "connect.lambda_handler", role_arn, code, environment=env
        )
    connection = unique("roleCheck")
    event = {
        "requestContext": {"connectionId": connection, "eventType": "CONNECT"},
        "queryStringParameters": {"name": "ada"},
    }
    result = invoke(function, event)
    assert result["FunctionError"] is None, f"$connect failed as this role: {failure(result)}"
    row = boto3.resource("dynamodb").Table(table).get_item(Key={"connectionId": connection})
    assert row.get("Item") == {"connectionId": connection, "name": "ada"}, (
        "A $connect function running as the role did not store its row"
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
    """`deploy_function` creates the function from a folder, then updates its code after an edit."""
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
        with recorded_calls() as calls:
            answer(deploy_function, name, handler, role, folder, {variable: setting})
    replaced = calls.of("lambda", "DeleteFunction") or calls.of("lambda", "CreateFunction")
    assert calls.of("lambda", "UpdateFunctionCode") and not replaced, (
        "After an edit, deploy_function should upload the new zip to the existing function:"
        " lambda_.update_function_code(FunctionName=name, ZipFile=...), not delete and create"
    )
    assert calls.waited("FunctionUpdatedV2"), (
        "deploy_function returned before the update was applied (hint:"
        " lambda_.get_waiter('function_updated_v2').wait(FunctionName=name))"
    )
    _expect_greeting(name, second, setting, module)


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
        f"The function did not see its environment: {payload!r}"
    )


# -- 03 · the API, its routes and its stage ----------------------------------------------------


def check_create_api(
    create_api: Callable[[str, str], str], name: str, route_selection: str
) -> None:
    """`create_api(name, route_selection)`: a WebSocket API that routes frames on that field."""
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


def check_wire_routes(wire_route: Callable[[str, str, str], str], app: str, text: str) -> None:
    """`wire_route` connects $connect, $disconnect and sendMessage; the deployed chat carries `text`."""
    api_id = _chat_without_routes(app)
    routes = {"$connect": f"{app}-connect", "$disconnect": f"{app}-disconnect"}
    routes["sendMessage"] = f"{app}-sendMessage"
    for route_key, function in routes.items():
        _forget_permissions(function, GATEWAY_PRINCIPAL)
        with recorded_calls() as calls:
            route_id = answer(wire_route, api_id, route_key, function)
        made = calls.of("apigatewayv2", "CreateIntegration")
        assert made and made[-1].params.get("IntegrationMethod") == "POST", (
            f"The {route_key} integration was created without IntegrationMethod='POST': a Lambda"
            " integration of a WebSocket API must use POST (that is how Lambda is invoked)"
        )
        _check_route(api_id, route_key, function, route_id)
    with quietly():
        url = deploy_stage(api_id, "dev")
    _chat_carries(url, text, hint="did wire_route add_permission for apigateway.amazonaws.com?")


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


def check_deploy_stage(deploy: Callable[[str, str], str], app: str, stage: str) -> None:
    """`deploy(api_id, stage)` creates the stage, then moves it to a new deployment."""
    apis = boto3.client("apigatewayv2")
    api_id = _chat_without_routes(app, stage)
    with quietly():
        for route_key in ("$connect", "$disconnect", "sendMessage"):
            add_route(api_id, route_key, f"{app}-{route_key.removeprefix('$')}")
    with recorded_calls() as calls:
        url = answer(deploy, api_id, stage)
    first = _deployed(calls, apis, api_id, stage, url, "create_stage")
    assert calls.of("apigatewayv2", "CreateStage"), (
        f"deploy() did not create the stage {stage!r}: apis.create_stage(ApiId=api_id,"
        " StageName=stage, DeploymentId=...)"
    )
    _chat_carries(url, unique("hello"))
    with quietly():
        add_route(api_id, "whisper", f"{app}-whisper")
    with recorded_calls() as calls:
        answer(deploy, api_id, stage)
    second = _deployed(calls, apis, api_id, stage, url, "update_stage")
    assert second != first, "The stage still serves the first deployment after deploy() ran again"
    assert calls.of("apigatewayv2", "UpdateStage") and not calls.of(
        "apigatewayv2", "DeleteStage"
    ), (
        "For a stage that exists, deploy() should point it at the new deployment:"
        " apis.update_stage(ApiId=api_id, StageName=stage, DeploymentId=...)"
    )
    with Client(url, "ada") as ada, Client(url, "bob") as bob:
        secret = unique("psst")
        ada.send({"action": "whisper", "to": "bob", "data": secret})
        heard = bob.wait_for(lambda frame: frame.get("text") == secret)
        if heard is None:
            refused = ada.wait_for(lambda frame: frame.get("message") == "Forbidden", QUIET)
            raise AssertionError(
                "A route added before the second deploy() does not work"
                + (" (Forbidden: the stage serves an old deployment)" if refused else "")
            )


def _deployed(calls: Calls, apis: Any, api_id: str, stage: str, url: str, step: str) -> str:
    """The deployment the stage serves, checked to be the one this deploy() call made."""
    made = calls.of("apigatewayv2", "CreateDeployment")
    assert made, (
        "deploy() made no deployment, so the stage cannot serve the routes as they are now:"
        " apis.create_deployment(ApiId=api_id)"
    )
    try:
        current = apis.get_stage(ApiId=api_id, StageName=stage)
    except ClientError:
        raise AssertionError(
            f"There is no stage {stage!r}: use the `stage` parameter ({step})"
        ) from None
    newest = made[-1].response or {}
    assert current.get("DeploymentId") == newest.get("DeploymentId"), (
        f"The stage {stage!r} does not serve the newest deployment: pass the DeploymentId that"
        f" create_deployment returned to {step}"
    )
    endpoint = apis.get_api(ApiId=api_id)["ApiEndpoint"]
    assert url == f"{endpoint}/{stage}", (
        f"deploy() returned {url!r}, expected the stage's URL {endpoint}/{stage} (the API's"
        " ApiEndpoint, a slash, the stage name)"
    )
    return str(newest["DeploymentId"])


# -- 06 · the stream mapping --------------------------------------------------------------------


def check_map_stream(map_stream: Callable[[str, str], str], app: str) -> None:
    """`map_stream(table, function)` maps the table's stream; a move then reaches everyone."""
    lambda_ = boto3.client("lambda")
    url = _arena_without_mapping(app)
    table, function = f"{app}-connections", f"{app}-tableTriggers"
    stream = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    uuid = answer(map_stream, table, function)
    try:
        mapping = lambda_.get_event_source_mapping(UUID=uuid)
    except (ClientError, TypeError):
        raise AssertionError(
            f"map_stream returned {uuid!r}, which is no mapping's UUID: return"
            " create_event_source_mapping(...)['UUID']"
        ) from None
    assert mapping["EventSourceArn"] == stream, (
        f"The mapping reads {mapping['EventSourceArn']!r}, not the table's stream: use"
        " describe_table(TableName=table_name)['Table']['LatestStreamArn']"
    )
    assert mapping["FunctionArn"].endswith(f":function:{function}"), (
        f"The mapping invokes {mapping['FunctionArn']!r}, not {function}"
    )
    assert mapping.get("StartingPosition") == "LATEST", (
        f"StartingPosition is {mapping.get('StartingPosition')!r}: start at LATEST, so old"
        " changes are not replayed to everyone"
    )
    assert mapping.get("State") == "Enabled", (
        f"map_stream returned while the mapping was {mapping.get('State')!r}: wait until"
        " get_event_source_mapping(UUID=...)['State'] is 'Enabled'"
    )
    with Client(url, "painter") as painter, Client(url, "watcher") as watcher:
        painter.send({"action": "list"})
        listing = painter.wait_for(lambda frame: frame.get("type") == "list")
        assert listing is not None, "The arena did not answer {'action': 'list'}"
        me, x = listing["you"]["id"], 0.1 + secrets.randbelow(80) / 100
        painter.send({"action": "move", "clientX": x, "clientY": 0.5})

        def moved(frame: Any) -> bool:
            return any(c.get("id") == me and c.get("x") == x for c in frame.get("changes", []))

        assert watcher.wait_for(moved) is not None, (
            "A move was written to the table but nobody heard of it: the stream mapping does not"
            " invoke the trigger function"
        )


# -- 07 · Time to Live --------------------------------------------------------------------------


TTL_WAIT = 12.0  # seconds: the local cloud sweeps expired rows every 5 s (AWS: within days)


def check_enable_ttl(enable_ttl: Callable[[str, str], None], table: str, attribute: str) -> None:
    """`enable_ttl(table, attribute)` switches TTL on; an expired row then disappears by itself."""
    dynamodb = boto3.client("dynamodb")
    _delete_table(table)
    with quietly():
        create_connections_table("checks", table, key="GameId")
    answer(enable_ttl, table, attribute)
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"), (
        f"Time to Live is {ttl.get('TimeToLiveStatus')!r} on {table}: call"
        " update_time_to_live(TableName=..., TimeToLiveSpecification={'Enabled': True, ...})"
    )
    assert ttl.get("AttributeName") == attribute, (
        f"TTL reads the attribute {ttl.get('AttributeName')!r}, expected {attribute!r}:"
        " AttributeName=attribute"
    )
    games = boto3.resource("dynamodb").Table(table)
    now = int(time.time())
    games.put_item(Item={"GameId": "expired", attribute: now - 60})
    games.put_item(Item={"GameId": "current", attribute: now + 3600})
    deadline = time.monotonic() + TTL_WAIT
    while games.get_item(Key={"GameId": "expired"}).get("Item") and time.monotonic() < deadline:
        time.sleep(0.25)
    assert games.get_item(Key={"GameId": "expired"}).get("Item") is None, (
        f"A row whose {attribute!r} lies in the past is still there after {TTL_WAIT:g} s"
    )
    assert games.get_item(Key={"GameId": "current"}).get("Item"), "A row that has not expired went"


# -- 08 · the schedule --------------------------------------------------------------------------


def check_schedule(
    schedule: Callable[[str, str, str], str], app: str, rule: str, expression: str
) -> None:
    """`schedule(rule, expression, function)`: the rule, its target, the permission; it fires."""
    events = boto3.client("events")
    url = _push_without_rule(app)
    function = f"{app}-broadcast"
    _delete_rule(rule)
    _forget_permissions(function, EVENTS_PRINCIPAL)
    rule_arn = answer(schedule, rule, expression, function)
    try:
        described = events.describe_rule(Name=rule)
    except ClientError:
        raise AssertionError(
            f"There is no rule {rule!r}: events.put_rule(Name=rule_name, ...)"
        ) from None
    assert described.get("ScheduleExpression") == expression, (
        f"The rule's schedule is {described.get('ScheduleExpression')!r}, expected"
        f" {expression!r}: ScheduleExpression=expression"
    )
    assert described.get("State") == "ENABLED", (
        f"The rule is {described.get('State')}: State='ENABLED'"
    )
    assert rule_arn == described["Arn"], f"schedule returned {rule_arn!r}, not the rule's ARN"
    arn = boto3.client("lambda").get_function_configuration(FunctionName=function)["FunctionArn"]
    targets = [t["Arn"] for t in events.list_targets_by_rule(Rule=rule)["Targets"]]
    assert targets == [arn], (
        f"The rule's targets are {targets}, expected just {function}:"
        " events.put_targets(Rule=rule_name, Targets=[{'Id': ..., 'Arn': function_arn}])"
    )
    sources = [
        statement_source(s) for s in _statements(function) if _principal(s) == EVENTS_PRINCIPAL
    ]
    assert rule_arn in sources, (
        f"EventBridge may not invoke {function} for this rule: lambda_.add_permission(...,"
        f" Principal='{EVENTS_PRINCIPAL}', SourceArn=rule_arn)"
    )
    with Client(url, "listener") as client, quietly():
        results = fire_rule(rule)
        pushed = client.wait_for(lambda frame: frame.get("type") == "push")
    errors = [result for result in results if result.get("error")]
    assert not errors, f"The rule fired but its function failed: {errors[0].get('response')}"
    assert results and pushed is not None, f"Firing {rule} pushed nothing to a connected client"


# -- the apps these checks build on (the finished code, quietly) -------------------------------


def _chat_without_routes(app: str, stage: str = "dev") -> str:
    """A fresh API for a copy of the chat named `app`: its table, role and functions, no routes.

    The role may post to the connections of `stage` only, as the deploy steps' policy does.
    """
    plan = replace(CHAT, app=app)
    _delete_apis(f"{app}-api")
    with quietly():
        table_arn = create_connections_table(app)
        api_id = create_websocket_api(app)
        role = create_lambda_role(app, plan_policy(plan, table_arn, api_id, stage))
        code = package_lambda(KIT_LAMBDAS / "chat")
        for route in plan.routes:
            create_or_update_function(
                app,
                plan.function_name(route.suffix),
                route.handler,
                role,
                code,
                environment={"TABLE_NAME": plan.table_name},
            )
    return api_id


def _chat_carries(url: str, text: str, hint: str = "") -> None:
    """Two clients on the chat at `url`: what ada sends, bob receives."""
    with Client(url, "ada", connect_hint=hint) as ada, Client(url, "bob", connect_hint=hint) as bob:
        ada.send({"action": "sendMessage", "data": text})
        frame = bob.wait_for(lambda f: f.get("text") == text)
        expected = {"type": "message", "from": "ada", "text": text}
        if frame != expected:
            said = ada.wait_for(lambda f: "message" in f and "type" not in f, QUIET)
            raise AssertionError(
                f"bob did not receive ada's message {text!r} (ada got {said!r}): is sendMessage"
                " wired to its function, and the stage deployed after that?"
            )


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
    dynamodb = boto3.client("dynamodb")
    try:
        dynamodb.delete_table(TableName=name)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        return
    dynamodb.get_waiter("table_not_exists").wait(TableName=name)


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
