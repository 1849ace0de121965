"""The appendix's JavaScript ``sendMessage`` (lesson 11): AWS's Node.js handler beside the chat's
Python one, over the same table and the same route.

``deploy_javascript_send_message`` creates (or updates) the function from
``lambdas/chat-javascript/sendmessage/`` with a role of its own: the two table actions and the
@connections right the handler uses, and its own log group. Both are tagged as part of the chat,
so ``teardown("chat")`` removes them with the rest. A cloud that cannot run Node.js (a local
cloud on a machine without Node.js 20 or later) refuses the function at CreateFunction in one
line: the helper prints that line and returns None, and the lesson skips its JavaScript cells.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from infra.deploy import create_lambda_role, create_or_update_function, package_lambda
from infra.deploy.apps import CHAT
from infra.deploy.aws import account_of, client, error_code, region_of
from infra.deploy.policies import execute_api_arn, lambda_policy, log_group_arn

from .apps import STAGE, chat_api_id
from .show import LAMBDAS

JAVASCRIPT_FOLDER = LAMBDAS / "chat-javascript" / "sendmessage"
JAVASCRIPT_FUNCTION = "chat-sendMessage-js"
JAVASCRIPT_RUNTIME = "nodejs22.x"
JAVASCRIPT_ACTIONS = ("dynamodb:Scan", "dynamodb:DeleteItem")  # what app.mjs calls


def javascript_policy(table_arn: str, api_id: str) -> dict[str, Any]:
    """The JavaScript function's least privilege: Scan and DeleteItem on the table, posting to
    the chat's stage, writing its own log group."""
    region, account = region_of(), account_of()
    return lambda_policy(
        table_arn,
        table_actions=JAVASCRIPT_ACTIONS,
        api_arn=execute_api_arn(region, account, api_id, STAGE),
        log_group_arns=[log_group_arn(region, account, JAVASCRIPT_FUNCTION)],
    )


def deploy_javascript_send_message() -> str | None:
    """Create or update ``chat-sendMessage-js`` (nodejs22.x, ``app.handler``) on the chat's table.

    Returns the function's name, or None after printing the cloud's one-line refusal when it
    cannot run Node.js functions. The chat must be deployed first (the catch-up cell).
    """
    api_id = chat_api_id()
    if api_id is None:
        raise LookupError("the chat has no API yet: run the catch-up cell first")
    table = client("dynamodb").describe_table(TableName=CHAT.table_name)["Table"]
    role_arn = create_lambda_role(
        CHAT.app,
        javascript_policy(table["TableArn"], api_id),
        name=f"{JAVASCRIPT_FUNCTION}-role",
    )
    try:
        create_or_update_function(
            CHAT.app,
            JAVASCRIPT_FUNCTION,
            "app.handler",  # the export `handler` of app.mjs
            role_arn,
            package_lambda(JAVASCRIPT_FOLDER),
            environment={"TABLE_NAME": CHAT.table_name},
            runtime=JAVASCRIPT_RUNTIME,
        )
    except ClientError as error:
        message = str(error.response.get("Error", {}).get("Message", ""))
        if error_code(error) != "InvalidParameterValueException" or "Node.js" not in message:
            raise
        print(f"No JavaScript here, the cells below skip it: {message}")
        return None
    return JAVASCRIPT_FUNCTION
