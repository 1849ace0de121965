# %% [markdown]
# # 02 · The `$connect` and `$disconnect` functions
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
# > lesson needs from the earlier ones. Every step is idempotent, so running it again, or after the earlier notebooks,
# > changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
lessons.catch_up(2)

# %% [markdown]
# ## The code
#
# Each chat function is one small module in `lambdas/chat/`; what they share is in `common.py`.

# %%
lessons.show_source("chat/connect.py")

# %%
lessons.show_source("chat/common.py", "nickname")

# %%
lessons.show_source("chat/disconnect.py")

# %% [markdown]
# ## Permission to run: the role
#
# A Lambda function runs *as* an IAM role. The classic tutorial attaches `AmazonDynamoDBFullAccess`;
# we grant only what the chat functions use, on this one table (lesson 09 comes back to this):

# %% tags=["nbval-ignore-output"]
import json

from infra.deploy import create_connections_table, create_lambda_role

table_arn = create_connections_table("chat")
policy = lessons.chat_policy(table_arn)
print(json.dumps(policy["Statement"][0], indent=2))

# %% tags=["nbval-ignore-output"]
role_arn = create_lambda_role("chat", policy)

# %% [markdown]
# ## Package and create the functions
#
# The deployment package is a zip of `lambdas/chat/`. Both functions get the same zip and differ by
# their **handler** (`module.function`); `TABLE_NAME` tells the code which table to use.

# %%
from infra.deploy import create_or_update_function, package_lambda

code = package_lambda("chat")
lessons.zip_names(code)

# %% tags=["nbval-ignore-output"]
environment = {"TABLE_NAME": "chat-connections"}
create_or_update_function(
    "chat", "chat-connect", "connect.lambda_handler", role_arn, code, environment=environment
)
create_or_update_function(
    "chat", "chat-disconnect", "disconnect.lambda_handler", role_arn, code, environment=environment
)

# %% [markdown]
# ## Test it the way the console does
#
# In the Lambda console you would *Configure test event* with a hand-written event and press
# **Test**. The classic tutorial's event is just a connection id:

# %%
event = lessons.test_event()
event

# %% [markdown]
# `lessons.invoke` is `lambda invoke` with this JSON payload (and `LogType="Tail"`, which returns
# the end of the log, as the console shows it under *Execution result*):

# %%
lessons.show_source(lessons.invoke)

# %% tags=["nbval-ignore-output"]
started = lessons.now_ms()
result = lessons.invoke("chat-connect", event)
print(result)

# %%
assert result.error is None and result.payload == {"statusCode": 200}
rows = lessons.table_rows("chat-connections")
assert {"connectionId": "testConnectionId", "name": "guest"} in rows

# %% [markdown]
# The row is there, with the default nickname `guest`: the test event has no `?name=`.
#
# ## Read the logs
#
# Everything a function prints, plus Lambda's own `START` / `END` / `REPORT` lines, goes to the log
# group `/aws/lambda/<function name>` in CloudWatch Logs. `recent_logs` reads it with
# `logs filter_log_events` (on AWS, log events show up a few seconds late, hence `wait`):

# %% tags=["nbval-ignore-output"]
for line in lessons.recent_logs("chat-connect", since_ms=started, wait=30):
    print(line)

# %%
report = lessons.recent_logs("chat-connect", since_ms=started, contains="REPORT", wait=30)
assert report[0].startswith("REPORT RequestId")

# %% [markdown]
# ## And `$disconnect`
#
# The same test event, sent to the other function, removes the row again:

# %% tags=["nbval-ignore-output"]
print(lessons.invoke("chat-disconnect", event))
ids = [row["connectionId"] for row in lessons.table_rows("chat-connections")]
assert "testConnectionId" not in ids

# %% [markdown]
# **Next:** 03, sending a message to everyone: the `sendMessage` function and the `@connections` API.
