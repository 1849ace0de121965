# %% [markdown]
# # 01 · The connections table
#
# ## Why a table?
#
# API Gateway holds every WebSocket open for you, so your code never runs a server. But it only
# tells your Lambda functions about **one** connection at a time (in the event), and Lambda
# functions keep nothing between invocations. To send a message to *everyone in the room* you need
# a list of who is in the room: a DynamoDB table with one row per open connection.
#
# ```mermaid
# flowchart LR
#     A[client A] <-->|WebSocket| G[API Gateway]
#     B[client B] <-->|WebSocket| G
#     G -->|"$connect: put row"| L[Lambda]
#     G -->|"$disconnect: delete row"| L
#     L <--> T[("DynamoDB<br/>chat-connections")]
# ```
#
# The key is `connectionId`, the id API Gateway gives each connection: it is what you need later to
# send to that client. The table is **on demand** (`PAY_PER_REQUEST`): no capacity to plan, you pay
# per request, which suits a workshop's bursts.

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones. Every step is idempotent, so running it again, or after the earlier notebooks,
# > changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
lessons.catch_up(1)

# %% [markdown]
# ## The step
#
# Every step of the workshop lives in `infra/deploy/`, so you can read the very code you run:

# %%
from infra.deploy import create_connections_table

lessons.show_source(create_connections_table)

# %% tags=["nbval-ignore-output"]
table_arn = create_connections_table("chat")
table_arn

# %% [markdown]
# Run the cell again: it reports `(exists)` and changes nothing. Every step is **idempotent**, so
# re-running a notebook is always safe.
#
# ## Look inside
#
# The key schema and the billing mode, as DynamoDB reports them:

# %%
import boto3

description = boto3.client("dynamodb").describe_table(TableName="chat-connections")["Table"]
description["KeySchema"], description["BillingModeSummary"]["BillingMode"]

# %%
assert description["KeySchema"] == [{"AttributeName": "connectionId", "KeyType": "HASH"}]
assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

# %% [markdown]
# ## A row by hand
#
# This is exactly what the `$connect` function of lesson 02 will do for every new client:

# %% tags=["nbval-ignore-output"]
table = boto3.resource("dynamodb").Table("chat-connections")
table.put_item(Item={"connectionId": "handMadeRow", "name": "test"})
rows = lessons.table_rows("chat-connections")
rows

# %%
assert {"connectionId": "handMadeRow", "name": "test"} in rows

# %% [markdown]
# And what `$disconnect` will do when the client leaves:

# %%
table.delete_item(Key={"connectionId": "handMadeRow"})
assert {"connectionId": "handMadeRow", "name": "test"} not in lessons.table_rows("chat-connections")

# %% [markdown]
# **Next:** 02, the Lambda functions that keep this table up to date.
