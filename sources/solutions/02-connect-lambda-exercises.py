# %% [markdown]
# # Exercises 02 · The `$connect` and `$disconnect` functions
#
# After lesson [02 · `$connect` and `$disconnect`](../notebooks/02-connect-lambda.ipynb).
#
# **How these exercises work.** Write your answer where a cell says `# YOUR CODE HERE` (replace the
# `raise NotImplementedError()` under it), run that cell, then run the check right after it. Some
# answers go in the chat's Lambda code next to this notebook, [`lambdas/chat/`](lambdas/chat/):
# edit the file, save it, and run the check, which uploads your code first. A check that passes
# prints nothing; one that fails says what is wrong and hints at the fix. Your instructor's grading
# also runs each check with names you have not seen, so use the parameters, not the examples.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · A role that may do exactly two things `[role-create]` · 5 min
#
# **Why?** A Lambda function runs *as* an IAM role. Its **trust policy** says who may take the role
# on (the Lambda service, nobody else); its **permissions** say what the code may do. `$connect`
# puts a row and `$disconnect` deletes it: that is all they need, on one table.
#
# **What?** Write `create_role(name, table_arn)`: create the role `name` that only
# `lambda.amazonaws.com` may assume (`sts:AssumeRole`), give it one **inline** policy
# (`put_role_policy`) allowing `dynamodb:PutItem` and `dynamodb:DeleteItem` on `table_arn` and
# nothing else, and return the role's ARN. No managed policies. The check reads the role and its
# policies back, then runs the finished `$connect` function as your role.

# %% tags=["exercise:role-create"]
import json

import boto3


def create_role(name: str, table_arn: str) -> str:
    """Create a role Lambda may assume, allowed PutItem and DeleteItem on the table; its ARN."""
    ### BEGIN SOLUTION
    iam = boto3.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem"],
                "Resource": table_arn,
            }
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="connections", PolicyDocument=json.dumps(policy))
    return role["Arn"]
    ### END SOLUTION


# %% tags=["check:role-create"]
checks.check_create_role(create_role, "mychat-lambda-role", "mychat-connections")

# %% tags=["hidden:role-create"]
checks.check_create_role(create_role, checks.unique("role"), checks.unique("table"))

# %% [markdown]
# ## 2 · Deploy a function, then its next version `[function-deploy]` · 10 min
#
# **Why?** You will change a function's code many times; the function itself stays (its name,
# its role, its routes and permissions all point at it). So a deploy step creates the function the
# first time, and afterwards only **uploads the new code**.
#
# **What?** Write `deploy_function(name, handler, role_arn, folder, environment)`:
#
# - zip every `.py` file of `folder` (in memory, at the zip's root: `zipfile`, `io.BytesIO`);
# - if there is no function `name` yet: `create_function` (runtime `python3.12`, the handler, the
#   role, the zip, `environment` as its variables), then wait until it is active
#   (`get_waiter("function_active_v2")`);
# - otherwise: `update_function_code` with the new zip, then wait until the update is applied
#   (`get_waiter("function_updated_v2")`);
# - return the function's ARN.
#
# The check deploys a small handler of its own from a folder, invokes it, edits the file, deploys
# again and expects the new answer.

# %% tags=["exercise:function-deploy"]
import io
import zipfile
from pathlib import Path


def deploy_function(
    name: str, handler: str, role_arn: str, folder: str, environment: dict[str, str]
) -> str:
    """Create the function from the folder's code, or upload the new code if it exists."""
    ### BEGIN SOLUTION
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(Path(folder).glob("*.py")):
            archive.write(path, arcname=path.name)
    code = buffer.getvalue()
    lambda_ = boto3.client("lambda")
    try:
        lambda_.get_function(FunctionName=name)
    except lambda_.exceptions.ResourceNotFoundException:
        created = lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Handler=handler,
            Role=role_arn,
            Code={"ZipFile": code},
            Environment={"Variables": environment},
        )
        lambda_.get_waiter("function_active_v2").wait(FunctionName=name)
        return created["FunctionArn"]
    updated = lambda_.update_function_code(FunctionName=name, ZipFile=code)
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
    return updated["FunctionArn"]
    ### END SOLUTION


# %% tags=["check:function-deploy"]
checks.check_deploy_function(deploy_function, "mychat-hello")

# %% tags=["hidden:function-deploy"]
checks.check_deploy_function(
    deploy_function, checks.unique("probe"), "probe_app", "main", "GREETING_TABLE"
)

# %% [markdown]
# ## 3 · A nickname from the connect URL `[chat-nickname]` · 5 min
#
# **Why?** A chat needs names, but a WebSocket client cannot send anything before it is connected,
# and `$connect` is the one route that runs before. So the name travels in the connect URL,
# `wss://…/dev?name=alice`, and API Gateway hands the query string to the `$connect` function:
#
# ```json
# {"requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "L0SM9cOFvHcCIhw="},
#  "queryStringParameters": {"name": "alice"}}
# ```
#
# With no query string at all, `queryStringParameters` is missing (or `null`).
#
# **What?** Write `nickname(event)` in [`lambdas/chat/common.py`](lambdas/chat/common.py): the
# `name` parameter with spaces trimmed, cut to `MAX_NAME_LENGTH` (20) characters (then trimmed
# again), and `DEFAULT_NAME` (`"guest"`) when it is missing or blank. `connect.py` stores it with
# the connection, and every message then goes out `from` that name. The check deploys your
# `lambdas/chat/` as the chat app, connects with several names and reads who each message is from.
#
# > Every chat check connects through `$connect`, which calls `nickname`: do this one first.

# %% tags=["check:chat-nickname"]
checks.check_chat_nickname("lambdas/chat")

# %% tags=["hidden:chat-nickname"]
checks.check_chat_nickname(
    "lambdas/chat",
    [
        ("\tgrace\n", "grace", "strip() removes tabs and newlines too"),
        ("abcdefghijklmnopqrs tuvwxyz", "abcdefghijklmnopqrs", "cut to 20, then trim again"),
        ("", "guest", "an empty ?name= is blank too"),
    ],
)

# %% [markdown]
# ## Done?
#
# Try your own function on the chat's code: `deploy_function("mychat-connect",
# "connect.lambda_handler", role_arn, "lambdas/chat", {"TABLE_NAME": "mychat-connections"})`.
# Next lesson: [03 · Routes and stages](../notebooks/03-routes-and-stages.ipynb).
