"""$connect: store the connection id (the sample's onconnect handler)."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    try:
        table.put_item(Item={"connectionId": event["requestContext"]["connectionId"]})
    except Exception as error:
        return {"statusCode": 500, "body": f"Failed to connect: {error}"}
    return {"statusCode": 200, "body": "Connected."}
