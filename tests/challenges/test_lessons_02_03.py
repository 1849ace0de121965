"""Lessons 02 and 03's checks: the kit steps in on a stub, and a wrong answer gets one line."""

from __future__ import annotations

import contextlib
import json

import boto3
import pytest

from infra import challenges, lessons
from infra.challenges import CheckFailed, lesson02, lesson03, permissions
from infra.deploy import create_connections_table, deploy_stage
from infra.local.cloud import LocalCloud


@pytest.fixture(scope="module")
def table(cloud: LocalCloud) -> str:
    """The chat table, as lesson 02's catch-up cell leaves it."""
    return create_connections_table("chat")


def test_a_missing_role_is_made_by_the_kit_and_said_in_one_line(
    table: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a stub the role check makes chat-lambda-role and says ◻ not done yet."""
    lesson02.chat_role()
    assert "◻ Not done yet: there is no role chat-lambda-role" in capsys.readouterr().out
    lesson02.chat_role()  # the kit's role is right
    assert capsys.readouterr().out.startswith("✓ chat-lambda-role")


def test_a_role_anyone_may_assume_fails_naming_the_trust_policy(table: str) -> None:
    """A trust policy that lets another service in fails, saying how to fix it."""
    iam = boto3.client("iam")
    wide = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    lesson02_role_exists()
    iam.update_assume_role_policy(RoleName="chat-lambda-role", PolicyDocument=json.dumps(wide))
    try:
        with pytest.raises(CheckFailed, match="update_assume_role_policy"):
            lesson02.chat_role()
    finally:
        from infra.deploy.policies import trust_policy

        iam.update_assume_role_policy(
            RoleName="chat-lambda-role", PolicyDocument=json.dumps(trust_policy())
        )


def lesson02_role_exists() -> None:
    """The role, made by the kit if no earlier test made it (a lenient check, quietly)."""
    was = challenges.is_strict()
    challenges.strict(False)
    try:
        lesson02.chat_role()
    finally:
        challenges.strict(was)


def test_a_stub_fails_the_strict_check_after_the_kit_did_the_step(table: str, strict: None) -> None:
    """Strict (a solved lesson): not done is a failure, but the functions exist afterwards."""
    lesson02_role_exists()
    lambda_ = boto3.client("lambda")
    for name in lesson02.FUNCTIONS:
        with contextlib.suppress(lambda_.exceptions.ResourceNotFoundException):
            lambda_.delete_function(FunctionName=name)
    with pytest.raises(CheckFailed, match="^not done: there is no function chat-connect"):
        lesson02.chat_functions()
    lesson02.chat_functions()


def test_a_function_without_its_table_name_fails_naming_the_variable(
    table: str, lenient: None
) -> None:
    """A function whose environment lacks TABLE_NAME fails, saying what to pass."""
    lesson02.chat_role()
    lesson02.chat_functions()
    lambda_ = boto3.client("lambda")
    lambda_.update_function_configuration(
        FunctionName="chat-connect", Environment={"Variables": {}}
    )
    lambda_.get_waiter("function_updated_v2").wait(FunctionName="chat-connect")
    try:
        with pytest.raises(CheckFailed, match="it needs TABLE_NAME='chat-connections'"):
            lesson02.chat_functions()
    finally:
        lambda_.update_function_configuration(
            FunctionName="chat-connect",
            Environment={"Variables": {"TABLE_NAME": "chat-connections"}},
        )
        lambda_.get_waiter("function_updated_v2").wait(FunctionName="chat-connect")


def test_taking_away_more_than_put_item_fails(table: str) -> None:
    """The denial demo wants PutItem alone taken away: a policy without GetItem too fails."""
    lesson02_role_exists()
    policy = lessons.chat_policy(table)
    fewer = json.loads(json.dumps(policy))
    for statement in fewer["Statement"]:
        if statement["Sid"] == "Table":
            statement["Action"] = ["dynamodb:DeleteItem", "dynamodb:Scan"]
    iam = boto3.client("iam")
    iam.put_role_policy(
        RoleName="chat-lambda-role", PolicyName="least-privilege", PolicyDocument=json.dumps(fewer)
    )
    try:
        with pytest.raises(CheckFailed, match="only dynamodb:PutItem taken out"):
            lesson02.put_taken_away()
    finally:
        iam.put_role_policy(
            RoleName="chat-lambda-role",
            PolicyName="least-privilege",
            PolicyDocument=json.dumps(policy),
        )


def test_the_denial_demo_catches_up_on_a_stub(
    table: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a stub the kit takes PutItem away, so the next cell shows the denial."""
    lesson02.chat_role()
    capsys.readouterr()
    lesson02.put_taken_away()
    assert "◻ Not done yet: the policy still allows dynamodb:PutItem" in capsys.readouterr().out
    lesson02.put_taken_away()
    assert capsys.readouterr().out.startswith("✓ chat-lambda-role may no longer put items")
    boto3.client("iam").put_role_policy(
        RoleName="chat-lambda-role",
        PolicyName="least-privilege",
        PolicyDocument=json.dumps(lessons.chat_policy(table)),
    )


@pytest.fixture(scope="module")
def chat_functions(table: str) -> None:
    """The role and the two functions, as lesson 03's catch-up cell leaves them."""
    lessons.catch_up(3)


def test_lesson_03_catches_up_the_api_the_route_and_the_stage(
    chat_functions: None, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stubs all the way: the kit makes the API, wires $connect and deploys dev."""
    lesson03.chat_api()
    lesson03.route("$connect", "chat-connect")
    lesson03.dev_stage()
    said = capsys.readouterr().out
    assert said.count("◻ Not done yet") == 3
    lesson03.dev_stage()
    assert capsys.readouterr().out.startswith("✓ dev serves your routes")


def test_an_untagged_second_api_fails_naming_both(chat_functions: None, lenient: None) -> None:
    """A second chat-api (the create cell run twice) fails, listing the ids to delete."""
    lesson03.chat_api()
    apis = boto3.client("apigatewayv2")
    extra = apis.create_api(
        Name="chat-api", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    try:
        with pytest.raises(CheckFailed, match=f"there are 2 APIs called chat-api.*{extra}"):
            lesson03.chat_api()
    finally:
        apis.delete_api(ApiId=extra)


def test_a_route_without_the_permission_fails_saying_add_permission(
    chat_functions: None, lenient: None
) -> None:
    """The route is there but the function's resource policy is not: add_permission, it says."""
    lesson03.chat_api()
    lesson03.route("$connect", "chat-connect")
    lambda_ = boto3.client("lambda")
    policy = json.loads(lambda_.get_policy(FunctionName="chat-connect")["Policy"])
    for statement in policy["Statement"]:
        lambda_.remove_permission(FunctionName="chat-connect", StatementId=statement["Sid"])
    try:
        with pytest.raises(CheckFailed, match="API Gateway may not invoke chat-connect"):
            lesson03.route("$connect", "chat-connect")
    finally:
        lessons.catch_up(4)  # puts the permission back


def test_a_stage_serving_a_deployment_without_connect_fails(
    chat_functions: None, lenient: None
) -> None:
    """A stage deployed before $connect was wired stores no row: deploy again, it says."""
    lesson03.chat_api()
    apis = boto3.client("apigatewayv2")
    api_id = lessons.chat_api_id()
    assert api_id is not None
    lessons.remove_route(api_id, "$connect")
    deploy_stage(api_id, "dev")
    lesson03.route("$connect", "chat-connect")  # the kit wires it again, not deployed
    try:
        with pytest.raises(CheckFailed, match="a deployment made before the \\$connect route"):
            lesson03.dev_stage()
    finally:
        deploy_stage(api_id, "dev")
    assert apis.get_stage(ApiId=api_id, StageName="dev")["DeploymentId"]


def test_a_deny_in_a_second_policy_fails_naming_it(table: str, lenient: None) -> None:
    """A Deny of PutItem in another inline policy gets ✗ naming it, not ◻ and an overwrite."""
    lesson02_role_exists()
    iam = boto3.client("iam")
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*"}],
    }
    iam.put_role_policy(
        RoleName="chat-lambda-role", PolicyName="no-put", PolicyDocument=json.dumps(deny)
    )
    try:
        assert lesson02.other_policies() == ["no-put"]
        with pytest.raises(CheckFailed, match="another policy besides 'least-privilege': no-put"):
            lesson02.put_taken_away()
        document = iam.get_role_policy(RoleName="chat-lambda-role", PolicyName="least-privilege")
        assert "dynamodb:PutItem" in json.dumps(document["PolicyDocument"])  # left alone
    finally:
        iam.delete_role_policy(RoleName="chat-lambda-role", PolicyName="no-put")


def test_a_deny_statement_in_least_privilege_fails_asking_for_the_allow_taken_away(
    table: str,
) -> None:
    """A Deny added to least-privilege refuses PutItem too, but the challenge is the Allow."""
    lesson02_role_exists()
    policy = lessons.chat_policy(table)
    denying = json.loads(json.dumps(policy))
    denying["Statement"].append({"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*"})
    iam = boto3.client("iam")
    iam.put_role_policy(
        RoleName="chat-lambda-role",
        PolicyName="least-privilege",
        PolicyDocument=json.dumps(denying),
    )
    try:
        with pytest.raises(CheckFailed, match="has a Deny statement"):
            lesson02.put_taken_away()
    finally:
        iam.put_role_policy(
            RoleName="chat-lambda-role",
            PolicyName="least-privilege",
            PolicyDocument=json.dumps(policy),
        )


def test_a_role_without_policy_or_tag_names_the_policy_first(table: str) -> None:
    """The missing policy matters more than the missing tag: it is what the check says first."""
    iam = boto3.client("iam")
    lesson02_role_exists()
    iam.delete_role_policy(RoleName="chat-lambda-role", PolicyName="least-privilege")
    iam.untag_role(RoleName="chat-lambda-role", TagKeys=["workshop:app"])
    try:
        with pytest.raises(CheckFailed, match="no inline policy 'least-privilege'"):
            lesson02.chat_role()
    finally:
        iam.tag_role(RoleName="chat-lambda-role", Tags=[{"Key": "workshop:app", "Value": "chat"}])
        iam.put_role_policy(
            RoleName="chat-lambda-role",
            PolicyName="least-privilege",
            PolicyDocument=json.dumps(lessons.chat_policy(table)),
        )


def _with_statement(function: str, statement_id: str, source_arn: str) -> None:
    """The function's resource policy with this one API Gateway statement only."""
    lambda_ = boto3.client("lambda")
    for statement in permissions.statements(function):
        lambda_.remove_permission(FunctionName=function, StatementId=statement["Sid"])
    lambda_.add_permission(
        FunctionName=function,
        StatementId=statement_id,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=source_arn,
    )


def test_a_permission_for_every_route_fails_asking_for_this_route(
    chat_functions: None, lenient: None
) -> None:
    """SourceArn …/{api_id}/* covers the route, but the lesson limits it to this route."""
    lesson03.chat_api()
    lesson03.route("$connect", "chat-connect")
    api_id = lessons.chat_api_id()
    region, account = boto3.client("lambda").meta.region_name, "123456789012"
    _with_statement(
        "chat-connect", "apigateway-wide", f"arn:aws:execute-api:{region}:{account}:{api_id}/*"
    )
    try:
        with pytest.raises(CheckFailed, match="for every route of the API.*this route only"):
            lesson03.route("$connect", "chat-connect")
    finally:
        _with_statement(
            "chat-connect",
            f"apigateway-{api_id}-connect",
            f"arn:aws:execute-api:{region}:{account}:{api_id}/*/$connect",
        )
    lesson03.route("$connect", "chat-connect")


def test_a_statement_id_with_a_dollar_fails_saying_aws_refuses_it(
    chat_functions: None, lenient: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """StatementId "apigw-$connect" is refused by AWS (letters, digits, - and _): the check says so."""
    lesson03.chat_api()
    lesson03.route("$connect", "chat-connect")
    statements = permissions.statements("chat-connect")
    monkeypatch.setattr(
        permissions,
        "statements",
        lambda function: [{**statement, "Sid": "apigw-$connect"} for statement in statements],
    )
    with pytest.raises(CheckFailed, match="'apigw-\\$connect': AWS refuses it"):
        lesson03.route("$connect", "chat-connect")


def test_a_missing_disconnect_route_points_at_wire_route(
    chat_functions: None, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The $disconnect cell has nothing to write: its ◻ says to write wire_route instead."""
    lesson03.chat_api()
    api_id = lessons.chat_api_id()
    assert api_id is not None
    lessons.remove_route(api_id, "$disconnect")
    capsys.readouterr()
    lesson03.route("$disconnect", "chat-disconnect")
    said = capsys.readouterr().out
    assert (
        said.startswith("◻ Not done yet: chat-api has no $disconnect route")
        and said.count("\n") == 1
    )
    assert "Write wire_route in the connect-route cell" in said
    lesson03.route("$disconnect", "chat-disconnect")
    assert capsys.readouterr().out.startswith("✓ $disconnect → chat-disconnect")


def test_the_kit_makes_only_the_missing_function_and_keeps_the_learner_s(
    chat_functions: None, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """With chat-disconnect missing, the kit makes it alone: chat-connect's slip stays to fix."""
    lambda_ = boto3.client("lambda")
    lambda_.delete_function(FunctionName="chat-disconnect")
    lambda_.update_function_configuration(FunctionName="chat-connect", Handler="connect.handler")
    lambda_.get_waiter("function_updated_v2").wait(FunctionName="chat-connect")
    try:
        lesson02.chat_functions()
        said = capsys.readouterr().out
        assert said.startswith("◻ Not done yet: there is no function chat-disconnect")
        assert "chat_function('$connect'" not in said
        with pytest.raises(CheckFailed, match="runs the handler 'connect.handler'"):
            lesson02.chat_functions()
    finally:
        lessons.catch_up(3)
