"""The acceptance test of the local cloud: a chat app deployed with plain boto3 calls."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from infra.local.cloud import LocalCloud
from tests import waits
from tests.conftest import create_function

# Written the way AWS's SDK examples write it: the table from env, the endpoint from the event.
CHAT_HANDLER = """
import json
import os

import boto3

dynamodb = boto3.resource("dynamodb")
table = dynamodb.Table(os.environ["TABLE_NAME"])


def handler(event, context):
    context_ = event["requestContext"]
    route = context_["routeKey"]
    connection_id = context_["connectionId"]
    if route == "$connect":
        name = (event.get("queryStringParameters") or {}).get("name", "guest")
        table.put_item(Item={"connectionId": connection_id, "name": name})
        return {"statusCode": 200}
    if route == "$disconnect":
        table.delete_item(Key={"connectionId": connection_id})
        return {"statusCode": 200}
    message = json.loads(event["body"])["data"]
    sender = table.get_item(Key={"connectionId": connection_id})["Item"]["name"]
    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"https://{context_['domainName']}/{context_['stage']}",
    )
    for item in table.scan(ProjectionExpression="connectionId")["Items"]:
        if item["connectionId"] == connection_id:
            continue
        try:
            api.post_to_connection(
                ConnectionId=item["connectionId"],
                Data=json.dumps({"from": sender, "text": message}).encode(),
            )
        except api.exceptions.GoneException:
            print(f"pruning {item['connectionId']}")
            table.delete_item(Key={"connectionId": item["connectionId"]})
    return {"statusCode": 200}
"""


def deploy_chat(aws: Any, cloud: LocalCloud) -> str:
    """Deploy the chat with the boto3 calls a learner makes; returns the stage URL."""
    dynamodb = aws("dynamodb")
    waits.create_table(
        dynamodb,
        TableName="e2e-connections",
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    function_arn = create_function(
        aws, "e2e-chat", CHAT_HANDLER, Environment={"Variables": {"TABLE_NAME": "e2e-connections"}}
    )
    apigw = aws("apigatewayv2")
    api = apigw.create_api(
        Name="e2e-chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )
    integration = apigw.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=(
            f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations"
        ),
    )
    for route_key in ("$connect", "$disconnect", "sendmessage"):
        apigw.create_route(
            ApiId=api["ApiId"],
            RouteKey=route_key,
            Target=f"integrations/{integration['IntegrationId']}",
        )
    aws("lambda").add_permission(
        FunctionName="e2e-chat",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api['ApiId']}/*",
    )
    apigw.create_stage(ApiId=api["ApiId"], StageName="dev", AutoDeploy=True)
    endpoint = apigw.get_api(ApiId=api["ApiId"])["ApiEndpoint"]
    return f"{endpoint}/dev"


@pytest.fixture(scope="module")
def url(cloud: LocalCloud, aws: Any) -> str:
    return deploy_chat(aws, cloud)


def test_every_message_reaches_exactly_the_other_two(url: str) -> None:
    """Three clients connect by name, and each message reaches exactly the other two."""

    async def scenario() -> dict[str, list[dict[str, str]]]:
        names = ["ada", "bob", "cyd"]
        clients = [await websockets.connect(f"{url}?name={n}") for n in names]
        for name, client in zip(names, clients, strict=True):
            await client.send(json.dumps({"action": "sendmessage", "data": f"hi from {name}"}))
        received: dict[str, list[dict[str, str]]] = {}
        for name, client in zip(names, clients, strict=True):
            frames = [json.loads(await asyncio.wait_for(client.recv(), 10)) for _ in range(2)]
            received[name] = sorted(frames, key=lambda f: f["from"])
        for client in clients:
            with_nothing_more = asyncio.wait_for(client.recv(), 0.3)
            try:
                extra = await with_nothing_more
            except TimeoutError:
                extra = None
            assert extra is None, f"unexpected extra frame {extra}"
            await client.close()
        return received

    received = asyncio.run(scenario())
    assert received["ada"] == [
        {"from": "bob", "text": "hi from bob"},
        {"from": "cyd", "text": "hi from cyd"},
    ]
    assert received["bob"] == [
        {"from": "ada", "text": "hi from ada"},
        {"from": "cyd", "text": "hi from cyd"},
    ]
    assert received["cyd"] == [
        {"from": "ada", "text": "hi from ada"},
        {"from": "bob", "text": "hi from bob"},
    ]


def test_trace_ties_posts_to_the_message_that_caused_them(cloud: LocalCloud, url: str) -> None:
    """The trace feed shows a message's route, Lambda and @connections posts under one request."""
    api_id = url.rsplit("/", 2)[-2]
    trace_url = cloud.url.replace("http://", "ws://") + f"/_workshop/trace?apiId={api_id}"

    async def scenario() -> list[dict[str, Any]]:
        async with (
            websockets.connect(trace_url) as trace,
            websockets.connect(f"{url}?name=ada") as ada,
            websockets.connect(f"{url}?name=bob") as bob,
        ):
            await ada.send(json.dumps({"action": "sendmessage", "data": "traced"}))
            await asyncio.wait_for(bob.recv(), 10)
            hops: list[dict[str, Any]] = []
            while not any(
                h["hop"] == "lambda"
                and h.get("function") == "e2e-chat"
                and h.get("requestId") in {p.get("requestId") for p in hops if p["hop"] == "post"}
                for h in hops
            ):
                hops.append(json.loads(await asyncio.wait_for(trace.recv(), 10)))
            return hops

    hops = asyncio.run(scenario())
    post = next(h for h in hops if h["hop"] == "post")
    same_request = [h["hop"] for h in hops if h.get("requestId") == post["requestId"]]
    assert same_request[0] == "route"
    assert {"route", "post", "lambda"} <= set(same_request)
    assert post["status"] == 200
