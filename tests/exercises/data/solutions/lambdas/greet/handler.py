"""Greets whoever the event names."""


def handler(event, context):
    name = event.get("name", "world")
    ### BEGIN SOLUTION
    return {"statusCode": 200, "body": f"Hello, {name}!"}
    ### END SOLUTION
