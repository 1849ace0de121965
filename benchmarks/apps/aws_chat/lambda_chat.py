"""A chat written the way AWS's boto3 code example (`websocket_chat`, `lambda_chat.py`) writes it.

One function serves `$connect`, `$disconnect` and `sendmessage`. It builds its DynamoDB resource
and its @connections client on every invoke, reads the sender's row, scans the table and posts to
every other connection one after another: the serial fan-out a room's cloud must carry.
"""

import json
import logging
import os

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handle_connect(user_name, table, connection_id):
    status_code = 200
    try:
        table.put_item(Item={"connection_id": connection_id, "user_name": user_name})
        logger.info("Added connection %s for user %s.", connection_id, user_name)
    except ClientError:
        logger.exception("Couldn't add connection %s for user %s.", connection_id, user_name)
        status_code = 503
    return status_code


def handle_disconnect(table, connection_id):
    status_code = 200
    try:
        table.delete_item(Key={"connection_id": connection_id})
        logger.info("Disconnected connection %s.", connection_id)
    except ClientError:
        logger.exception("Couldn't disconnect connection %s.", connection_id)
        status_code = 503
    return status_code


def handle_message(table, connection_id, event_body, apig_management_client):
    status_code = 200
    user_name = "guest"
    try:
        item_response = table.get_item(Key={"connection_id": connection_id})
        user_name = item_response["Item"]["user_name"]
        logger.info("Got user name %s.", user_name)
    except ClientError:
        logger.exception("Couldn't find user name. Using %s.", user_name)

    connection_ids = []
    try:
        scan_response = table.scan(ProjectionExpression="connection_id")
        connection_ids = [item["connection_id"] for item in scan_response["Items"]]
        logger.info("Found %s active connections.", len(connection_ids))
    except ClientError:
        logger.exception("Couldn't get connections.")
        status_code = 404

    message = f"{user_name}: {event_body['msg']}".encode()
    logger.info("Message: %s", message)

    for other_conn_id in connection_ids:
        try:
            if other_conn_id != connection_id:
                send_response = apig_management_client.post_to_connection(
                    Data=message, ConnectionId=other_conn_id
                )
                logger.info(
                    "Posted message to connection %s, got response %s.",
                    other_conn_id,
                    send_response,
                )
        except apig_management_client.exceptions.GoneException:
            logger.info("Connection %s is gone, removing.", other_conn_id)
            try:
                table.delete_item(Key={"connection_id": other_conn_id})
            except ClientError:
                logger.exception("Couldn't remove connection %s.", other_conn_id)
        except ClientError:
            logger.exception("Couldn't post to connection %s.", other_conn_id)

    return status_code


def lambda_handler(event, context):
    table_name = os.environ["table_name"]  # noqa: SIM112 - as AWS's example spells it
    route_key = event.get("requestContext", {}).get("routeKey")
    connection_id = event.get("requestContext", {}).get("connectionId")
    if table_name is None or route_key is None or connection_id is None:
        return {"statusCode": 400}

    table = boto3.resource("dynamodb").Table(table_name)
    logger.info("Request: %s, use table %s.", route_key, table.name)

    response = {"statusCode": 200}
    if route_key == "$connect":
        user_name = (event.get("queryStringParameters") or {"name": "guest"}).get("name")
        response["statusCode"] = handle_connect(user_name, table, connection_id)
    elif route_key == "$disconnect":
        response["statusCode"] = handle_disconnect(table, connection_id)
    elif route_key == "sendmessage":
        body = event.get("body")
        body = json.loads(body if body is not None else '{"msg": ""}')
        domain = event.get("requestContext", {}).get("domainName")
        stage = event.get("requestContext", {}).get("stage")
        if domain is None or stage is None:
            logger.warning("Couldn't send message. Bad endpoint: %s %s", domain, stage)
            response["statusCode"] = 400
        else:
            apig_management_client = boto3.client(
                "apigatewaymanagementapi", endpoint_url=f"https://{domain}/{stage}"
            )
            response["statusCode"] = handle_message(
                table, connection_id, body, apig_management_client
            )
    else:
        response["statusCode"] = 404

    return response
