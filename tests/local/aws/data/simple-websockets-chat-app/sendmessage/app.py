"""sendmessage: post the message's `data` to every stored connection (the sample's handler)."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    connections = table.scan(ProjectionExpression="connectionId").get("Items", [])
    context_ = event["requestContext"]
    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"https://{context_['domainName']}/{context_['stage']}",
    )
    data = json.loads(event["body"])["data"]
    for item in connections:
        try:
            api.post_to_connection(ConnectionId=item["connectionId"], Data=data.encode())
        except api.exceptions.GoneException:
            print(f"Found stale connection, deleting {item['connectionId']}")
            table.delete_item(Key={"connectionId": item["connectionId"]})
    return {"statusCode": 200, "body": "Data sent."}
