# %% [markdown]
# # Exercises 02 · The `$connect` and `$disconnect` functions
#
# After lesson [02 · `$connect` and `$disconnect`](../notebooks/02-connect-lambda.ipynb).
#
# **How these exercises work.** Write your answer where a cell says `# YOUR CODE HERE` (replace the
# `raise NotImplementedError()` under it), run that cell, then run the check right after it. Some
# answers go in the chat's Lambda code next to this notebook, [`lambdas/chat/`](lambdas/chat/): edit
# the file, save it, and run the check, which uploads your code first. A check that passes says ✓ in
# one line; one that fails says ✗, what is wrong, and hints at the fix. Your instructor's grading
# also runs each check with names you have not seen, so use the parameters, not the examples.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · A role for a lobby that reads an index `[role-create]` · 5 min
#
# **Why?** In the lesson, the role's policy was given. Writing one yourself is where least
# privilege gets real: each action, on exactly the resource it needs. A games **lobby** function
# opens a game (it puts a row into the games table) and lists one host's games (it queries the
# table's index `by-host`, as in exercise 01). An index is a resource of its own: the table's ARN
# does **not** cover it. Its ARN is the table's, then `/index/`, then the index's name:
# `arn:aws:dynamodb:us-east-1:123456789012:table/games/index/by-host`.
#
# **What?** Write `create_role(name, table_arn, index)`: create the role `name` that only
# `lambda.amazonaws.com` may assume (`sts:AssumeRole`), give it one **inline** policy
# (`put_role_policy`) that allows `dynamodb:PutItem` on the table and `dynamodb:Query` on the
# index `index`, and nothing else, and return the role's ARN. No managed policies. The check reads
# the role and its policy back, then runs a lobby function as your role: it opens a game and asks
# the index for its host's games.

# %% tags=["exercise:role-create"]
import json

import boto3


def create_role(name: str, table_arn: str, index: str) -> str:
    """Create a role Lambda may assume: PutItem on the table, Query on its index; its ARN."""
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
    iam.get_waiter("role_exists").wait(RoleName=name)  # IAM can read it: Lambda may not, yet
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table_arn},
            {
                "Effect": "Allow",
                "Action": "dynamodb:Query",
                "Resource": f"{table_arn}/index/{index}",
            },
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="lobby", PolicyDocument=json.dumps(policy))
    return role["Arn"]
    ### END SOLUTION


# %% tags=["check:role-create"]
checks.check_create_role(create_role, "mylobby-role", "mylobby-games", "by-host")

# %% tags=["hidden:role-create"]
checks.check_create_role(create_role, checks.unique("role"), checks.unique("table"), "by-player")

# %% [markdown]
# ## 2 · Deploy a function, then its next version and settings `[function-deploy]` · 10 min
#
# **Why?** You will change a function's code many times, and now and then its settings too (here:
# its environment). The function itself stays: its name, its role, its routes and permissions
# all point at it. So a deploy step creates the function the first time; afterwards it uploads
# the new code **and** applies the new settings, which are two separate calls. Lambda applies an
# update for a few moments (`LastUpdateStatus` is `InProgress`), and on AWS a second update
# started meanwhile fails with `ResourceConflictException`: wait in between.
#
# **What?** Write `deploy_function(name, handler, role_arn, folder, environment)`:
#
# - zip every `.py` file of `folder` (in memory, at the zip's root: `zipfile`, `io.BytesIO`);
# - if there is no function `name` yet: `create_function` (runtime `python3.12`, the handler, the
#   role, the zip, `environment` as its variables), then wait until it is active
#   (`get_waiter("function_active_v2")`). The role may be only seconds old: while
#   `create_function` says it *cannot be assumed by Lambda*, wait a second or two and try again,
#   as lesson 02 does;
# - otherwise: `update_function_code` with the new zip, wait until the update is applied
#   (`get_waiter("function_updated_v2")`), then `update_function_configuration` with
#   `Environment={"Variables": environment}`, and wait again;
# - return the function's ARN.
#
# The check deploys a small handler of its own from a folder, invokes it, then edits the file,
# deploys again with another setting, and expects the new answer with the new setting.

# %% tags=["exercise:function-deploy"]
import io
import time
import zipfile
from pathlib import Path


def deploy_function(
    name: str, handler: str, role_arn: str, folder: str, environment: dict[str, str]
) -> str:
    """Create the function from the folder's code, or upload the new code and settings."""
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
        for attempt in range(15):
            try:
                created = lambda_.create_function(
                    FunctionName=name,
                    Runtime="python3.12",
                    Handler=handler,
                    Role=role_arn,
                    Code={"ZipFile": code},
                    Environment={"Variables": environment},
                )
                break
            except lambda_.exceptions.InvalidParameterValueException as error:
                # IAM has not told Lambda of the role yet: only that is worth another try.
                if "cannot be assumed by Lambda" not in str(error) or attempt == 14:
                    raise
                time.sleep(2)
        lambda_.get_waiter("function_active_v2").wait(FunctionName=name)
        return created["FunctionArn"]
    lambda_.update_function_code(FunctionName=name, ZipFile=code)
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
    updated = lambda_.update_function_configuration(
        FunctionName=name, Environment={"Variables": environment}
    )
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
# Your `deploy_function` is the lesson's `chat-functions` cell grown up: the kit's own version,
# `infra.deploy.create_or_update_function`, also skips the upload when the zip's SHA-256 has not
# changed, and updates the settings only when they differ.
# Next lesson: [03 · Routes and stages](../notebooks/03-routes-and-stages.ipynb).
