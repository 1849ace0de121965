# %% [markdown]
# # 02 · The `$connect` and `$disconnect` functions
#
# **Teaching** 15 min · **Exercises** 20 min
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
#
# ## Why?
#
# API Gateway calls the `$connect` route when a client opens a WebSocket, **before** the handshake
# completes: return status 200 and the client is in; return anything else and the connection is
# refused. `$disconnect` runs after a client has gone (best effort: if it never runs, lesson 03
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

# %% tags=["nbval-ignore-output"]
from infra import lessons
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
# A Lambda function runs *as* an IAM role. The role has two documents:
#
# - its **trust policy** says who may take the role on: the Lambda service, nobody else;
# - its **permissions** say what the code may do. The classic tutorial attaches
#   `AmazonDynamoDBFullAccess`; we give the role one inline policy that names each action the chat
#   functions call, on this one table (and their own log groups; lesson 09 comes back to this).

# %% tags=["nbval-ignore-output"]
import json

import boto3

table_arn = boto3.client("dynamodb").describe_table(TableName="chat-connections")["Table"][
    "TableArn"
]
policy = lessons.chat_policy(table_arn)
print(json.dumps(policy, indent=2))

# %% [markdown]
# `create_role` takes the trust policy; `put_role_policy` attaches the permissions to the role
# (inline: they live and die with it). IAM is eventually consistent, so a waiter makes sure the
# role exists before the functions use it.

# %% tags=["nbval-ignore-output"]
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
# `create_function` makes a function from the zip; a function that exists already gets the new
# code with `update_function_code` instead. Either way a waiter waits until Lambda is done, since
# a new function is `Pending` for a moment on AWS.

# %% tags=["nbval-ignore-output"]
lambda_ = boto3.client("lambda")
handlers = {
    "chat-connect": "connect.lambda_handler",
    "chat-disconnect": "disconnect.lambda_handler",
}
for name, handler in handlers.items():
    try:
        lambda_.create_function(
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
assert "FunctionError" not in reply and result == {"statusCode": 200}
rows = lessons.table_rows("chat-connections")
assert {"connectionId": "testConnectionId", "name": "guest"} in rows

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
assert any(line.startswith("REPORT RequestId") for line in lines)

# %% [markdown]
# ## When the role is missing a permission
#
# The most common error of serverless WebSockets is not in the code at all: the role does not
# allow what the code does. Take `dynamodb:PutItem` out of the role's policy and the next
# connection fails. The function raises, and its log says exactly what was refused, in the
# words AWS uses: `User: arn:aws:sts::…:assumed-role/chat-lambda-role/chat-connect is not
# authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:…:table/chat-connections
# because no identity-based policy allows the dynamodb:PutItem action`. (IAM is eventually
# consistent: on AWS a change takes a few seconds, so the cells ask again until it shows.)

# %% tags=["nbval-ignore-output"]
without_put = json.loads(json.dumps(policy))  # a copy to change
for statement in without_put["Statement"]:
    if statement["Sid"] == "Table":
        statement["Action"].remove("dynamodb:PutItem")
iam.put_role_policy(
    RoleName="chat-lambda-role",
    PolicyName="least-privilege",
    PolicyDocument=json.dumps(without_put),
)
for _ in range(15):
    reply = lambda_.invoke(FunctionName="chat-connect", Payload=json.dumps(event), LogType="Tail")
    refused = json.loads(reply["Payload"].read())
    if "FunctionError" in reply:
        break
    time.sleep(2)
print(base64.b64decode(reply["LogResult"]).decode())

# %%
assert "AccessDeniedException" in refused["errorMessage"]
assert "is not authorized to perform: dynamodb:PutItem" in refused["errorMessage"]

# %% [markdown]
# One statement puts it right: the policy with `dynamodb:PutItem` back in, and the same event
# gets in again.

# %% tags=["nbval-ignore-output"]
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
assert result == {"statusCode": 200}

# %% [markdown]
# ## And `$disconnect`
#
# The same test event, sent to the other function, removes the row again. (`lessons.invoke` is
# the invoke call above in one line; later lessons use it.)

# %% tags=["nbval-ignore-output"]
print(lessons.invoke("chat-disconnect", event))
ids = [row["connectionId"] for row in lessons.table_rows("chat-connections")]
assert "testConnectionId" not in ids

# %% [markdown]
# ## Key points
#
# - `$connect` runs before the handshake completes: status 200 lets the client in, anything else
#   refuses it. `$disconnect` runs after the client has gone.
# - A function runs as a role: the trust policy names Lambda, the inline policy names each action
#   on each resource, and nothing is `*FullAccess`.
# - What the role does not allow is refused: `AccessDeniedException ... is not authorized to
#   perform: dynamodb:PutItem`, in the function's log. The fix is one statement in the policy.
# - A deployment package is a zip with the handler modules at its root; the handler
#   (`module.function`) picks the entry point.
# - `invoke` with a hand-made event is the console's Test button; `filter_log_events` reads what
#   the function printed.
#
# **Exercises:** [02 · `$connect` and `$disconnect`](../exercises/02-connect-lambda-exercises.ipynb):
# `role-create`, `function-deploy` and `chat-nickname`.
#
# **Next:** [03 · Routes and stages](03-routes-and-stages.ipynb): an API that clients can connect
# to, wired to these two functions.
