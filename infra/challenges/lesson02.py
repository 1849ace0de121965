"""The checks of lesson 02's challenges: the role, the two functions, and the policy without PutItem."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import boto3

from infra.deploy import create_lambda_role
from infra.deploy.policies import trust_policy

from . import check, not_done, passed, require
from .lesson01 import require_no_near_name

ROLE = "chat-lambda-role"
POLICY_NAME = "least-privilege"
TABLE = "chat-connections"
TAG = ("workshop:app", "chat")
FUNCTIONS = {
    "chat-connect": "connect.lambda_handler",
    "chat-disconnect": "disconnect.lambda_handler",
}


def _chat_policy() -> dict[str, Any]:
    from infra import lessons  # infra.lessons imports the widgets: load it only when needed

    table = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]
    return lessons.chat_policy(table["TableArn"])


def _document(document: Any) -> dict[str, Any]:
    """IAM documents come back as dicts from boto3, as URL-encoded JSON from some servers."""
    return json.loads(unquote(document)) if isinstance(document, str) else dict(document)


def _inline_policy() -> dict[str, Any] | None:
    iam = boto3.client("iam")
    try:
        document = iam.get_role_policy(RoleName=ROLE, PolicyName=POLICY_NAME)["PolicyDocument"]
    except iam.exceptions.NoSuchEntityException:
        return None
    return _document(document)


def _actions(policy: dict[str, Any]) -> dict[str, set[str]]:
    """Each statement's actions by its Sid: what the comparisons look at (order does not matter)."""
    actions: dict[str, set[str]] = {}
    for statement in policy.get("Statement", []):
        listed = statement.get("Action", [])
        actions[statement.get("Sid", "")] = {listed} if isinstance(listed, str) else set(listed)
    return actions


@check
def chat_role() -> None:
    """`chat-role`: chat-lambda-role, trusted by Lambda only, with the least-privilege policy."""
    iam = boto3.client("iam")
    try:
        role = iam.get_role(RoleName=ROLE)["Role"]
    except iam.exceptions.NoSuchEntityException:
        roles = [
            r["RoleName"]
            for page in iam.get_paginator("list_roles").paginate()
            for r in page["Roles"]
        ]
        require_no_near_name(
            "role",
            ROLE,
            roles,
            "iam.delete_role_policy(...) for each policy, then iam.delete_role(RoleName=...)",
        )
        return not_done(
            f"there is no role {ROLE}",
            "chat-role",
            lambda: create_lambda_role("chat", _chat_policy()),
            'create_lambda_role("chat", policy)',
        )
    trust = _document(role["AssumeRolePolicyDocument"])
    wanted = trust_policy()["Statement"][0]
    statements = trust.get("Statement", [])
    require(
        len(statements) == 1
        and statements[0].get("Effect") == "Allow"
        and statements[0].get("Principal") == wanted["Principal"]
        and statements[0].get("Action") in ("sts:AssumeRole", ["sts:AssumeRole"]),
        f"the trust policy is {json.dumps(statements)}: it should have one statement, Allow,"
        ' Principal {"Service": "lambda.amazonaws.com"}, Action "sts:AssumeRole". Fix it with'
        f" iam.update_assume_role_policy(RoleName={ROLE!r}, PolicyDocument=json.dumps(trust))",
    )
    policy = _inline_policy()
    require(
        policy is not None,
        f"the role has no inline policy {POLICY_NAME!r}, so its functions may do nothing: call"
        f" iam.put_role_policy(RoleName={ROLE!r}, PolicyName={POLICY_NAME!r},"
        " PolicyDocument=json.dumps(policy))",
    )
    require(
        policy == _chat_policy(),
        f"the inline policy {POLICY_NAME!r} is not the `policy` printed above: put_role_policy"
        " again with PolicyDocument=json.dumps(policy)",
    )
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    require(
        not attached,
        f"the role has a managed policy attached ({attached[0]['PolicyName'] if attached else ''}):"
        f" detach it (iam.detach_role_policy(RoleName={ROLE!r}, PolicyArn=...)); the inline"
        " policy is all it needs",
    )
    tags = {tag["Key"]: tag["Value"] for tag in role.get("Tags", [])}
    require(
        tags.get(TAG[0]) == TAG[1],
        f"the role has no tag {TAG[0]}={TAG[1]} (teardown finds it by that tag): add it with"
        f" iam.tag_role(RoleName={ROLE!r}, Tags=[{{'Key': '{TAG[0]}', 'Value': '{TAG[1]}'}}])",
    )
    passed(f"{ROLE}: trusted by lambda.amazonaws.com only, with the least-privilege policy")


@check
def chat_functions() -> None:
    """`chat-functions`: chat-connect and chat-disconnect, Active, running as chat-lambda-role."""
    from infra import lessons

    lambda_ = boto3.client("lambda")
    role_arn = boto3.client("iam").get_role(RoleName=ROLE)["Role"]["Arn"]
    missing = []
    for name in FUNCTIONS:
        try:
            lambda_.get_function_configuration(FunctionName=name)
        except lambda_.exceptions.ResourceNotFoundException:
            missing.append(name)
    if missing:
        keys = {"chat-connect": "$connect", "chat-disconnect": "$disconnect"}
        return not_done(
            f"there is no function {' or '.join(missing)}",
            "chat-functions",
            lambda: [lessons.chat_function(keys[name], role_arn) for name in missing],
            " and ".join(f"lessons.chat_function({keys[name]!r}, role_arn)" for name in missing),
        )
    for name, handler in FUNCTIONS.items():
        config = lambda_.get_function_configuration(FunctionName=name)
        require(
            config["Handler"] == handler,
            f"{name} runs the handler {config['Handler']!r}, not {handler!r}: fix it with"
            f" lambda_.update_function_configuration(FunctionName={name!r}, Handler={handler!r})",
        )
        require(
            config["Role"] == role_arn,
            f"{name} runs as {config['Role']}, not {ROLE}: pass Role=role_arn (fix it with"
            f" lambda_.update_function_configuration(FunctionName={name!r}, Role=role_arn))",
        )
        variables = config.get("Environment", {}).get("Variables", {})
        require(
            variables.get("TABLE_NAME") == TABLE,
            f"{name} has the environment {variables}: it needs TABLE_NAME={TABLE!r}, passed as"
            f" Environment={{'Variables': {{'TABLE_NAME': {TABLE!r}}}}}",
        )
        require(
            config["Runtime"].startswith("python3."),
            f"{name}'s runtime is {config['Runtime']}: the handlers are Python (python3.12)",
        )
        require(
            config.get("State", "Active") == "Active",
            f"{name} is {config.get('State')}: wait for it with"
            f" lambda_.get_waiter('function_active_v2').wait(FunctionName={name!r})",
        )
        tags = lambda_.list_tags(Resource=config["FunctionArn"]).get("Tags", {})
        require(
            tags.get(TAG[0]) == TAG[1],
            f"{name} has no tag {TAG[0]}={TAG[1]} (teardown finds it by that tag): add it with"
            f" lambda_.tag_resource(Resource=..., Tags={{'{TAG[0]}': '{TAG[1]}'}})",
        )
    passed("chat-connect and chat-disconnect are Active, run as chat-lambda-role, know the table")


def _denies_put(policy: dict[str, Any]) -> bool:
    """Whether a statement of the policy denies dynamodb:PutItem (or every DynamoDB action)."""
    for statement in policy.get("Statement", []):
        listed = statement.get("Action", [])
        actions = {listed} if isinstance(listed, str) else set(listed)
        if statement.get("Effect") == "Deny" and actions & {"dynamodb:PutItem", "dynamodb:*", "*"}:
            return True
    return False


def other_policies() -> list[str]:
    """The role's policies besides least-privilege: inline ones by name, managed ones by ARN."""
    iam = boto3.client("iam")
    inline = iam.list_role_policies(RoleName=ROLE)["PolicyNames"]
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    return [name for name in inline if name != POLICY_NAME] + [
        policy["PolicyArn"] for policy in attached
    ]


def _policy_without_put() -> dict[str, Any]:
    without_put = json.loads(json.dumps(_chat_policy()))
    for statement in without_put["Statement"]:
        if statement["Sid"] == "Table":
            statement["Action"].remove("dynamodb:PutItem")
    return without_put


@check
def put_taken_away() -> None:
    """`deny-put`: the role's policy is the lesson's, minus dynamodb:PutItem (and nothing else)."""
    iam = boto3.client("iam")
    policy = _inline_policy()
    full = _chat_policy()
    require(policy is not None, f"the role has no policy {POLICY_NAME!r}: run the role cells above")
    assert policy is not None
    others = other_policies()
    require(
        not others,
        f"{ROLE} has another policy besides {POLICY_NAME!r}: {', '.join(others)}. A Deny there"
        " does refuse PutItem (on AWS too), but later cells put least-privilege back and expect"
        " the role whole again: remove it (iam.delete_role_policy(RoleName="
        f"{ROLE!r}, PolicyName={others[0] if others else ''!r}) for an inline one,"
        " iam.detach_role_policy for a managed one), then take PutItem out of a copy of"
        f" `policy` and put_role_policy it as {POLICY_NAME!r}",
    )
    require(
        not _denies_put(policy),
        f"{POLICY_NAME!r} has a Deny statement: that refuses PutItem too, but the challenge is"
        " to take the Allow away. Start again from a copy of `policy`, remove"
        ' "dynamodb:PutItem" from the Table statement\'s Action, and put_role_policy it',
    )
    wanted = _actions(full)
    wanted["Table"] = wanted["Table"] - {"dynamodb:PutItem"}
    if _actions(policy) == _actions(full):

        def kit_step() -> None:
            without_put = _policy_without_put()
            iam.put_role_policy(
                RoleName=ROLE, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(without_put)
            )
            left = _inline_policy()
            require(
                left is not None and _actions(left) == wanted,
                f"the kit's put_role_policy did not take: {POLICY_NAME!r} still allows"
                f" {_actions(left or {})}; run this check again",
            )

        return not_done(
            "the policy still allows dynamodb:PutItem",
            "deny-put",
            kit_step,
            "put_role_policy with a copy of `policy` that lacks dynamodb:PutItem",
        )
    require(
        _actions(policy) == wanted,
        "the policy should be `policy` with only dynamodb:PutItem taken out of the Table"
        f" statement; it allows {_actions(policy)}. Start again from a copy of `policy`",
    )
    passed(f"{ROLE} may no longer put items: the same policy, minus dynamodb:PutItem")
