"""A two-way `$default` route that answers every frame with the same text (the echo round trip).

`whoami` answers with the caller's connection id, so a benchmark can post to itself.
"""


def lambda_handler(event, context):
    body = event.get("body") or ""
    if body == "whoami":
        body = event["requestContext"]["connectionId"]
    return {"statusCode": 200, "body": body}
