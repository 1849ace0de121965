# %% [markdown]
# # 02 · The `$connect` and `$disconnect` functions
#
# **Teaching** 20 min · **Exercises** 20 min
#
# **Questions**
# - What runs when a client connects or leaves, and how can it refuse a connection?
# - What may a Lambda function do, and who says so? What happens when it may not?
# - How do you test a function before anything calls it?
#
# **Objectives**
# - Create an execution role: a trust policy for Lambda and an inline least-privilege policy.
# - Zip a folder of handlers and create functions from it with `create_function`.
# - Invoke a function with a console-style test event and read its logs.
# - Take a permission away, predict what breaks, and read the denial in the log.
#
# ## Why?
#
# API Gateway calls the `$connect` route when a client opens a WebSocket, **before** the handshake
# completes: return status 200 and the client is in; return anything else and the connection is
# refused. `$disconnect` runs after a client has gone (best effort: if it never runs, lesson 04
# shows how to clean up). Together they keep the table of lesson 01 true.
#
# ```mermaid
# sequenceDiagram
#     participant C as client
#     participant G as API Gateway
#     participant L as chat-connect
#     participant T as chat-connections
#     C->>G: open wss://…/dev?name=ada
#     G->>L: event {requestContext: {connectionId, …}, queryStringParameters: {name: ada}}
#     L->>T: PutItem {connectionId, name: ada}
#     L-->>G: {statusCode: 200}
#     G-->>C: 101 Switching Protocols (connected)
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones (the table of lesson 01). Every step is idempotent, so running
# > it again, or after the earlier notebooks, changes nothing.
#
# As in lesson 01: where a cell says `# YOUR CODE HERE`, you write the code, and the cell after it
# checks what you built (✓ done, ✗ what is still wrong, ◻ not done yet: the kit did that step for
# you). Stuck? `reveal("the-challenge-id")` in a new cell shows an answer.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.challenges import lesson02 as check
from infra.challenges import reveal  # noqa: F401 (yours: reveal("id") shows an answer)
from infra.session import use_cloud

cloud = use_cloud()
lessons.catch_up(2)

# %% [markdown]
# ## The code
#
# Each chat function is one small module in `lambdas/chat/`; what they share is in `common.py`
# (`common.nickname` reads the `?name=` of the connect URL: exercise `chat-nickname` asks you to
# write it).

# %%
lessons.show_source("chat/connect.py")

# %%
lessons.show_source("chat/disconnect.py")

# %% [markdown]
# ## Permission to run: the role
#
# A Lambda function runs *as* an IAM role. Three documents decide who may call whom:
#
# - the role's **trust policy** says who may take the role on: the Lambda service, nobody else;
# - the role's **permissions** (its role policy) say what the code may do, on which resource. The
#   classic tutorial attaches `AmazonDynamoDBFullAccess`; we give the role one inline policy that
#   names each action the chat functions call, on this one table (and their own log groups;
#   lesson 09 comes back to this);
# - and, from lesson 03 on, each function's **resource policy** says who may invoke it: API
#   Gateway, for one route of one API. `add_permission` writes it.
#
# ```mermaid
# flowchart LR
#     LS(["Lambda service"]) -->|"trust policy:<br/>may assume the role"| R["chat-lambda-role"]
#     F["chat-connect<br/>chat-disconnect"] -->|runs as| R
#     R -->|"role policy:<br/>PutItem, DeleteItem, …"| T[("chat-connections")]
#     R -->|"role policy:<br/>write its logs"| LG["log groups<br/>/aws/lambda/chat-*"]
#     AG(["API Gateway"]) -.->|"resource policy (add_permission, lesson 03):<br/>may invoke, for one route"| F
# ```
#
# The permissions, as the kit writes them for the chat:

# %% tags=["nbval-ignore-output"]
import json

import boto3

table_arn = boto3.client("dynamodb").describe_table(TableName="chat-connections")["Table"][
    "TableArn"
]
policy = lessons.chat_policy(table_arn)
print(json.dumps(policy, indent=2))

# %% [markdown]
# AWS's own tutorials give a function its logs with the **managed** policy
# `AWSLambdaBasicExecutionRole`, which AWS writes and keeps up to date. One call shows what it
# allows, and where:

# %% tags=["nbval-ignore-output"]
basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
version = boto3.client("iam").get_policy(PolicyArn=basic)["Policy"]["DefaultVersionId"]
basic_document = boto3.client("iam").get_policy_version(PolicyArn=basic, VersionId=version)
print(json.dumps(basic_document["PolicyVersion"]["Document"], indent=2))

# %% [markdown]
# `"Resource": "*"`: every log group of the account, any function's. It works, and is the quick
# start; the chat's inline policy names only the chat functions' own log groups, and each table
# action on one table, so a bug (or a borrowed role) reaches no further than the chat.

# %% [markdown]
# Three calls make the role:
#
# 1. `iam.create_role(...)` with the trust policy, a JSON **string** (`json.dumps(trust)`):
#
#    | parameter | here |
#    |---|---|
#    | `RoleName` | `"chat-lambda-role"` |
#    | `AssumeRolePolicyDocument` | the trust policy (its fields are just after this table), as `json.dumps(...)` |
#    | `Path` (optional) | `"/workshop/"`: groups the workshop's roles |
#    | `Tags` | `[{"Key": "workshop:app", "Value": "chat"}]`: `teardown("chat")` finds the role by it |
#
#    The trust policy is a document with `"Version": "2012-10-17"` and a `"Statement"` list of one
#    statement: `"Effect": "Allow"`, `"Principal": {"Service": "lambda.amazonaws.com"}` (who) and
#    `"Action": "sts:AssumeRole"` (may take the role on).
# 2. `iam.get_waiter("role_exists").wait(RoleName=...)` waits until IAM itself can read the new
#    role. That is all it promises: IAM is eventually consistent, and Lambda hears of a new role
#    some seconds later. Until then `create_function` with that role is refused (you will see it
#    below, and retry).
# 3. `iam.put_role_policy(RoleName=..., PolicyName="least-privilege", PolicyDocument=...)` attaches
#    `policy` (above) inline: it lives and dies with the role. Putting a policy of the same name
#    again replaces it.
#
# ### Challenge `chat-role` · 6 min
#
# Make `chat-lambda-role` with these three calls. A role that exists is an error
# (`iam.exceptions.EntityAlreadyExistsException`): catch it around `create_role` only, so that
# running the cell again still puts the policy.

# %% tags=["exercise:chat-role"]
iam = boto3.client("iam")
### BEGIN SOLUTION
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
try:
    iam.create_role(
        RoleName="chat-lambda-role",
        Path="/workshop/",
        AssumeRolePolicyDocument=json.dumps(trust),
        Tags=[{"Key": "workshop:app", "Value": "chat"}],
    )
    print("creating chat-lambda-role")
except iam.exceptions.EntityAlreadyExistsException:
    print("chat-lambda-role exists already")
iam.get_waiter("role_exists").wait(RoleName="chat-lambda-role")
iam.put_role_policy(
    RoleName="chat-lambda-role", PolicyName="least-privilege", PolicyDocument=json.dumps(policy)
)
### END SOLUTION

# %% tags=["check:chat-role"]
check.chat_role()

# %% [markdown]
# The functions need the role's ARN:

# %% tags=["nbval-ignore-output"]
role_arn = iam.get_role(RoleName="chat-lambda-role")["Role"]["Arn"]
role_arn

# %% [markdown]
# ## Package and create the functions
#
# The deployment package is a zip of `lambdas/chat/`, with the files at the zip's root (that is
# where Lambda looks for `connect.py`). Both functions get the same zip and differ by their
# **handler** (`module.function`); `TABLE_NAME` tells the code which table to use.

# %%
import io
import zipfile

folder = lessons.LAMBDAS / "chat"
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    for path in sorted(folder.glob("*.py")):
        archive.write(path, arcname=path.name)
code = buffer.getvalue()
zipfile.ZipFile(io.BytesIO(code)).namelist()

# %% [markdown]
# ## Not so fast: a new role, a new function
#
# AWS makes a function in the background, as it makes a table (lesson 01), and it has to learn of
# a new role first. **Predict, then run.** The next cell makes a scratch role, waits with
# `role_exists`, and creates a function with it at once. Is `create_function` refused? If it is,
# the cell tries again every two seconds. Then, is the new function ready to run? Guess, then
# run. (It deletes the scratch function and role at the end.)

# %% tags=["nbval-ignore-output"]
import time

lambda_ = boto3.client("lambda")
trust_document = iam.get_role(RoleName="chat-lambda-role")["Role"]["AssumeRolePolicyDocument"]
scratch = f"chat-scratch-{int(time.time())}"  # a new name each run
scratch_role = iam.create_role(
    RoleName=scratch, Path="/workshop/", AssumeRolePolicyDocument=json.dumps(trust_document)
)["Role"]["Arn"]
iam.get_waiter("role_exists").wait(RoleName=scratch)
print("role_exists: IAM can read the role")


def create_function_once_role_ready(**settings):
    """`create_function`, tried again while Lambda cannot assume the (new) role yet."""
    for _ in range(15):
        try:
            return lambda_.create_function(**settings)
        except lambda_.exceptions.InvalidParameterValueException as error:
            if "cannot be assumed by Lambda" not in str(error):
                raise  # another mistake: retrying will not help
            print("refused:", error.response["Error"]["Message"], "Trying again in 2 s.")
            time.sleep(2)
    raise TimeoutError("Lambda still cannot assume the role after 30 s: is its trust policy right?")


create_function_once_role_ready(
    FunctionName=scratch,
    Runtime="python3.12",
    Role=scratch_role,
    Handler="connect.lambda_handler",
    Code={"ZipFile": code},
)
print(
    "created; its State right away:",
    lambda_.get_function(FunctionName=scratch)["Configuration"]["State"],
)
try:
    lambda_.invoke(FunctionName=scratch, Payload=b"{}")
    print("invoked at once: it ran (Lambda was quick this time)")
except lambda_.exceptions.ResourceConflictException as error:
    print("invoked at once: refused,", error.response["Error"]["Message"])
lambda_.get_waiter("function_active_v2").wait(FunctionName=scratch)
scratch_state = lambda_.get_function(FunctionName=scratch)["Configuration"]["State"]
print("after function_active_v2:", scratch_state)
lambda_.delete_function(FunctionName=scratch)
iam.delete_role(RoleName=scratch)
print("the scratch function and role are deleted")

# %%
assert scratch_state == "Active", "the waiter returned before the function was Active: run it again"

# %% [markdown]
# Three states, three ways to wait them out; the kit's own deploy steps
# (`infra/deploy/functions.py`) do the same:
#
# | what AWS is doing | what a careless call gets | how to wait |
# |---|---|---|
# | telling Lambda of a role made seconds ago | `InvalidParameterValueException`: *The role defined for the function cannot be assumed by Lambda.* | try `create_function` again after a pause (`create_function_once_role_ready` above); no waiter exists for it |
# | making a new function: `State` is `Pending` | `ResourceConflictException` on invoke or update | `lambda_.get_waiter("function_active_v2").wait(FunctionName=...)` |
# | applying an update: `LastUpdateStatus` is `InProgress` | `ResourceConflictException` on the next update | `lambda_.get_waiter("function_updated_v2").wait(FunctionName=...)` |
#
# `lambda_.create_function(...)` makes a function from the zip:
#
# | parameter | here |
# |---|---|
# | `FunctionName` | `name` (from the loop) |
# | `Runtime` | `"python3.12"` |
# | `Role` | `role_arn` |
# | `Handler` | `handler` (from the loop): `connect.lambda_handler` is `lambda_handler` in `connect.py` |
# | `Code` | `{"ZipFile": code}`: the zip's bytes |
# | `Environment` | `{"Variables": {"TABLE_NAME": "chat-connections"}}` |
# | `Timeout` | `10` (seconds) |
# | `Tags` | `{"workshop:app": "chat"}` (a dict here, unlike IAM's list) |
#
# A function that exists already is an error (`lambda_.exceptions.ResourceConflictException`):
# then upload the new code instead, with `lambda_.update_function_code(FunctionName=name,
# ZipFile=code)`.
#
# ### Challenge `chat-functions` · 6 min
#
# Write the body of the loop: create each function (`chat-lambda-role` is only seconds old, so
# create it with `create_function_once_role_ready(...)`, which takes the same parameters) and
# wait until it is `Active`; or, if it exists, update its code and wait until the update is
# applied.

# %% tags=["exercise:chat-functions"]
handlers = {
    "chat-connect": "connect.lambda_handler",
    "chat-disconnect": "disconnect.lambda_handler",
}
for name, handler in handlers.items():
    ### BEGIN SOLUTION
    try:
        create_function_once_role_ready(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn,
            Handler=handler,
            Code={"ZipFile": code},
            Environment={"Variables": {"TABLE_NAME": "chat-connections"}},
            Timeout=10,
            Tags={"workshop:app": "chat"},
        )
        lambda_.get_waiter("function_active_v2").wait(FunctionName=name)
        print(f"{name}: created")
    except lambda_.exceptions.ResourceConflictException:
        lambda_.update_function_code(FunctionName=name, ZipFile=code)
        lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
        print(f"{name}: code updated")
    ### END SOLUTION

# %% tags=["check:chat-functions"]
check.chat_functions()

# %% [markdown]
# ## Test it the way the console does
#
# In the Lambda console you would *Configure test event* with a hand-written event and press
# **Test**. The classic tutorial's event is just a connection id. `invoke` runs the function with
# it; `LogType="Tail"` also returns the end of its log (base64), as the console shows it under
# *Execution result*.

# %% tags=["nbval-ignore-output"]
import base64
import time

event = {"requestContext": {"connectionId": "testConnectionId"}}
started = int(time.time() * 1000)
reply = lambda_.invoke(FunctionName="chat-connect", Payload=json.dumps(event), LogType="Tail")
result = json.loads(reply["Payload"].read())
print(base64.b64decode(reply["LogResult"]).decode())
result

# %%
assert "FunctionError" not in reply and result == {"statusCode": 200}, (
    "chat-connect failed: its log above says why (a role without the policy? run the role cells)"
)
rows = lessons.table_rows("chat-connections")
assert {"connectionId": "testConnectionId", "name": "guest"} in rows, (
    "chat-connect answered 200 but stored no row: is its TABLE_NAME chat-connections?"
)

# %% [markdown]
# The row is there, with the default nickname `guest`: the test event has no `?name=`.
#
# ## Read the logs
#
# Everything a function prints, plus Lambda's own `START` / `END` / `REPORT` lines, goes to the log
# group `/aws/lambda/<function name>` in CloudWatch Logs. `filter_log_events` reads it; on AWS, log
# events show up a few seconds late, so the cell asks again until the `REPORT` line is there.

# %% tags=["nbval-ignore-output"]
logs = boto3.client("logs")
for _ in range(15):
    found = logs.filter_log_events(logGroupName="/aws/lambda/chat-connect", startTime=started)
    lines = [log_event["message"].rstrip() for log_event in found["events"]]
    if any(line.startswith("REPORT") for line in lines):
        break
    time.sleep(2)
print("\n".join(lines))

# %%
assert any(line.startswith("REPORT RequestId") for line in lines), (
    "no REPORT line yet: on AWS logs arrive late, run the cell above again"
)

# %% [markdown]
# ## When the role is missing a permission
#
# The most common error of serverless WebSockets is not in the code at all: the role does not
# allow what the code does. Find out for yourself what that looks like.
#
# ### Challenge `deny-put` · 3 min
#
# Take `dynamodb:PutItem` away from the role. Make a copy of `policy` to change
# (`json.loads(json.dumps(policy))`, so that `policy` itself stays whole), remove
# `"dynamodb:PutItem"` from the `Action` list of the statement whose `Sid` is `"Table"`, and
# `put_role_policy` the copy under the same name, `least-privilege` (it replaces the old one).
# (A `Deny` statement, in this policy or another, would refuse PutItem too; but here you take the
# Allow away, so that putting `policy` back afterwards makes the role whole again.)

# %% tags=["exercise:deny-put"]
### BEGIN SOLUTION
without_put = json.loads(json.dumps(policy))  # a copy to change
for statement in without_put["Statement"]:
    if statement["Sid"] == "Table":
        statement["Action"].remove("dynamodb:PutItem")
iam.put_role_policy(
    RoleName="chat-lambda-role",
    PolicyName="least-privilege",
    PolicyDocument=json.dumps(without_put),
)
### END SOLUTION

# %% tags=["check:deny-put"]
check.put_taken_away()

# %% [markdown]
# **Predict, then run.** The same test event goes to `chat-connect` again. What happens: does the
# client get in without a row, is it refused, does the function crash? What will the log say?
# Write your guess down, then run the cell. (IAM is eventually consistent: on AWS a change takes a
# few seconds, so the cell asks again until it shows.)

# %% tags=["nbval-ignore-output"]
for _ in range(15):
    reply = lambda_.invoke(FunctionName="chat-connect", Payload=json.dumps(event), LogType="Tail")
    refused = json.loads(reply["Payload"].read())
    if "FunctionError" in reply:
        break
    time.sleep(2)
print(base64.b64decode(reply["LogResult"]).decode())
refused

# %% [markdown]
# The function raised, so API Gateway would refuse the connection (anything but 200 refuses it).
# The log says exactly what was refused, in the words AWS uses: `User:
# arn:aws:sts::…:assumed-role/chat-lambda-role/chat-connect is not authorized to perform:
# dynamodb:PutItem on resource: arn:aws:dynamodb:…:table/chat-connections because no
# identity-based policy allows the dynamodb:PutItem action`. The *user* is the role, as the
# function took it on.

# %%
assert "AccessDeniedException" in refused.get("errorMessage", ""), (
    f"chat-connect was not refused ({refused}): does the policy still allow dynamodb:PutItem?"
    " Run the deny-put cell and its check again"
)
assert "is not authorized to perform: dynamodb:PutItem" in refused["errorMessage"], (
    "another action was refused: put `policy` back (next cell) and take out PutItem only"
)

# %% [markdown]
# One statement puts it right: the whole policy again (`lessons.chat_policy` builds it afresh, in
# case your copy changed `policy` itself), and the same event gets in again.

# %% tags=["nbval-ignore-output"]
policy = lessons.chat_policy(table_arn)
iam.put_role_policy(
    RoleName="chat-lambda-role", PolicyName="least-privilege", PolicyDocument=json.dumps(policy)
)
for _ in range(15):
    reply = lambda_.invoke(FunctionName="chat-connect", Payload=json.dumps(event))
    result = json.loads(reply["Payload"].read())
    if "FunctionError" not in reply:
        break
    time.sleep(2)
result

# %%
others = check.other_policies()  # what else is on the role, besides least-privilege
assert result == {"statusCode": 200}, (
    f"chat-connect still fails ({result}). The role's other policies: {others or 'none'}."
    " Remove any of them that denies (iam.delete_role_policy(RoleName='chat-lambda-role',"
    " PolicyName=...)), then run the cell above again (on AWS, IAM takes seconds)"
)

# %% [markdown]
# ## And `$disconnect`
#
# The same test event, sent to the other function, removes the row again. (`lessons.invoke` is
# the invoke call above in one line; later lessons use it.)

# %% tags=["nbval-ignore-output"]
print(lessons.invoke("chat-disconnect", event))
ids = [row["connectionId"] for row in lessons.table_rows("chat-connections")]
assert "testConnectionId" not in ids, "the row is still there: what did chat-disconnect's log say?"

# %% [markdown]
# ## Key points
#
# - `$connect` runs before the handshake completes: status 200 lets the client in, anything else
#   refuses it. `$disconnect` runs after the client has gone.
# - A function runs as a role: the trust policy names Lambda, the inline policy names each action
#   on each resource, and nothing is `*FullAccess`. (Lesson 03 adds the third document: the
#   function's resource policy, which lets API Gateway invoke it.)
# - What the role does not allow is refused: `AccessDeniedException ... is not authorized to
#   perform: dynamodb:PutItem`, in the function's log. The fix is one statement in the policy.
# - A deployment package is a zip with the handler modules at its root; the handler
#   (`module.function`) picks the entry point. Create once, then `update_function_code`.
# - AWS works in the background: a role made seconds ago cannot be assumed by Lambda yet (retry
#   `create_function`), a new function is `Pending` (`function_active_v2`), an update is
#   `InProgress` (`function_updated_v2`). `role_exists` only says IAM can read the role.
# - `invoke` with a hand-made event is the console's Test button; `filter_log_events` reads what
#   the function printed.
#
# **Exercises:** [02 · `$connect` and `$disconnect`](../exercises/02-connect-lambda-exercises.ipynb):
# `role-create`, `function-deploy` and `chat-nickname`.
#
# **Next:** [03 · Routes and stages](03-routes-and-stages.ipynb): an API that clients can connect
# to, wired to these two functions.
