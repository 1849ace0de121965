"""Lesson 02's exercises (`solutions/02-connect-lambda-exercises.ipynb`): the role, the
function, the nickname.

- `role-create`: `check_create_role`, a role Lambda may assume, with least privilege on a table
  and its index, used by a probe function;
- `function-deploy`: `check_deploy_function`, a function created from a folder, then updated in
  place (code, then settings, waiting in between);
- `chat-nickname`: `check_chat_nickname`, the chat's `nickname()` in `lambdas/chat/common.py`.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.deploy import check_least_privilege, create_or_update_function
from infra.deploy.aws import APP_TAG, wait_for
from infra.deploy.tables import delete_table

from .common import (
    PROBE_APP,
    answer,
    as_list,
    chat_client,
    deployed,
    error_code,
    failure,
    invoke,
    probe_role,
    quietly,
    recorded_calls,
    unique,
    zip_of,
)

# -- role-create: the role ---------------------------------------------------------------------


LAMBDA_PRINCIPAL = "lambda.amazonaws.com"


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
    delete_table(name)
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


def _document(document: Any) -> dict[str, Any]:
    """IAM documents come back as dicts from boto3, as URL-encoded JSON from some servers."""
    from urllib.parse import unquote

    return json.loads(unquote(document)) if isinstance(document, str) else dict(document)


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


# -- function-deploy: the function -------------------------------------------------------------


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


def _delete_function(name: str) -> None:
    try:
        boto3.client("lambda").delete_function(FunctionName=name)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise


# -- chat-nickname: the nickname ---------------------------------------------------------------


NICKNAMES = [
    # (?name=, the name others see, hint)
    ("  ada  ", "ada", "trim the spaces around the name (str.strip)"),
    (None, "guest", "no ?name= at all: queryStringParameters is None, use 'guest'"),
    ("   ", "guest", "a blank name becomes 'guest'"),
    ("x" * 30, "x" * 20, "cut the name to 20 characters (MAX_NAME_LENGTH)"),
]


def _text_is(text: str) -> Callable[[Any], bool]:
    """A frame test: the frame's "text" is `text`."""
    return lambda frame: frame.get("text") == text


def check_chat_nickname(
    folder: str | Path, cases: Sequence[tuple[str | None, str, str]] = NICKNAMES
) -> None:
    """`?name=` becomes the sender's name: trimmed, cut to 20 characters, "guest" when missing."""
    url = deployed("chat", folder)
    # Every sender stays connected until the end, so no broadcast meets a gone connection.
    with chat_client(url, unique("listener")) as listener, contextlib.ExitStack() as senders:
        for sent_name, expected, hint in cases:
            text = unique("hello")
            sender = senders.enter_context(chat_client(url, sent_name))
            sender.send({"action": "sendMessage", "data": text})
            frame = listener.wait_for(_text_is(text))
            shown = "no ?name=" if sent_name is None else f"?name={sent_name!r}"
            assert frame is not None, (
                f"A message sent by a client connected with {shown} never reached the others:"
                " did $connect store the connection? (hint: put_item the connectionId and name)"
            )
            assert frame.get("from") == expected, (
                f"A client connected with {shown} is called {frame.get('from')!r}, expected"
                f" {expected!r} (hint: {hint})"
            )
