"""create_websocket_api, add_route and add_route_response: wired once, found again on re-run."""

from __future__ import annotations

import json

import boto3
import pytest

from infra.deploy import add_route, add_route_response, create_websocket_api


def test_creates_a_tagged_websocket_api(moto_aws: boto3.Session) -> None:
    """The API is a WEBSOCKET API selecting routes by `action`, tagged with the app."""
    api_id = create_websocket_api("chat")
    api = moto_aws.client("apigatewayv2").get_api(ApiId=api_id)
    assert (api["Name"], api["ProtocolType"]) == ("chat-api", "WEBSOCKET")
    assert api["RouteSelectionExpression"] == "$request.body.action"
    assert api["Tags"] == {"workshop:app": "chat"}


def test_rerun_reuses_the_api(moto_aws: boto3.Session) -> None:
    """A second run returns the same id and creates no second API."""
    assert create_websocket_api("chat") == create_websocket_api("chat")
    assert len(moto_aws.client("apigatewayv2").get_apis()["Items"]) == 1


def test_rerun_updates_the_selection_expression(moto_aws: boto3.Session) -> None:
    """A different route selection expression updates the existing API."""
    api_id = create_websocket_api("tictactoe")
    create_websocket_api("tictactoe", route_selection="$request.body.type")
    api = moto_aws.client("apigatewayv2").get_api(ApiId=api_id)
    assert api["RouteSelectionExpression"] == "$request.body.type"


def test_route_targets_a_lambda_proxy_integration(
    moto_aws: boto3.Session, chat_function: str
) -> None:
    """The route's integration is AWS_PROXY with the function's invocation URI."""
    api_id = create_websocket_api("chat")
    route_id = add_route(api_id, "$connect", chat_function)
    apis = moto_aws.client("apigatewayv2")
    route = apis.get_route(ApiId=api_id, RouteId=route_id)
    integration = apis.get_integration(
        ApiId=api_id, IntegrationId=route["Target"].removeprefix("integrations/")
    )
    function_arn = "arn:aws:lambda:us-east-1:123456789012:function:chat-connect"
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"] == (
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )


def test_route_grants_api_gateway_invoke_for_that_route(
    moto_aws: boto3.Session, chat_function: str
) -> None:
    """API Gateway may invoke the function for this API's route only."""
    api_id = create_websocket_api("chat")
    add_route(api_id, "$connect", chat_function)
    policy = json.loads(moto_aws.client("lambda").get_policy(FunctionName=chat_function)["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == (
        f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/$connect"
    )


def test_rerun_adds_no_duplicates(
    moto_aws: boto3.Session, chat_function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Adding the same route twice keeps one route, one integration, one permission."""
    api_id = create_websocket_api("chat")
    first = add_route(api_id, "$connect", chat_function)
    second = add_route(api_id, "$connect", chat_function)
    apis = moto_aws.client("apigatewayv2")
    assert first == second
    assert len(apis.get_routes(ApiId=api_id)["Items"]) == 1
    assert len(apis.get_integrations(ApiId=api_id)["Items"]) == 1
    policy = json.loads(moto_aws.client("lambda").get_policy(FunctionName=chat_function)["Policy"])
    assert len(policy["Statement"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "✓ route $connect (exists) → chat-connect"


def test_route_response_makes_the_route_two_way(
    moto_aws: boto3.Session, chat_function: str
) -> None:
    """The route gets the $default response and selection expression, once."""
    api_id = create_websocket_api("chat")
    route_id = add_route(api_id, "$default", chat_function)
    first = add_route_response(api_id, "$default")
    second = add_route_response(api_id, "$default")
    apis = moto_aws.client("apigatewayv2")
    route = apis.get_route(ApiId=api_id, RouteId=route_id)
    assert route["RouteResponseSelectionExpression"] == "$default"
    assert first == second
    responses = apis.get_route_responses(ApiId=api_id, RouteId=route_id)["Items"]
    assert [r["RouteResponseKey"] for r in responses] == ["$default"]


def test_route_response_needs_the_route(moto_aws: boto3.Session) -> None:
    """Asking for a route response on a missing route raises LookupError."""
    api_id = create_websocket_api("chat")
    with pytest.raises(LookupError):
        add_route_response(api_id, "$default")
