# %% [markdown]
# # 01 · The connections table
#
# **Teaching** 10 min · **Exercises** 5 min
#
# **Questions**
# - Why does a WebSocket app need a table at all?
# - What does a table's key decide, and what does "on demand" mean?
#
# **Objectives**
# - Create an on-demand DynamoDB table with `create_table`, and wait until it exists.
# - Read a table's description back with `describe_table`.
# - Put and delete a connection's row by hand.
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
# > lesson needs from the earlier ones (here: nothing yet). Every step is idempotent, so running it
# > again, or after the earlier notebooks, changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
lessons.catch_up(1)

# %% [markdown]
# ## Create the table
#
# One `create_table` call names the table, its key (an attribute, its type `S` for string, its
# role `HASH`: the partition key) and its billing mode. The tag lets `teardown("chat")` (lesson 09)
# find the table again. A new table is `CREATING` for a while on AWS, so a **waiter** polls
# `describe_table` until it is `ACTIVE`. Creating it twice is an error (`ResourceInUseException`),
# which this cell turns into a message, so running it again is safe.

# %% tags=["nbval-ignore-output"]
import boto3

dynamodb = boto3.client("dynamodb")
try:
    dynamodb.create_table(
        TableName="chat-connections",
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "workshop:app", "Value": "chat"}],
    )
    print("creating chat-connections")
except dynamodb.exceptions.ResourceInUseException:
    print("chat-connections exists already")
dynamodb.get_waiter("table_exists").wait(TableName="chat-connections")

# %% [markdown]
# ## Look inside
#
# The key schema and the billing mode, as DynamoDB reports them:

# %%
description = dynamodb.describe_table(TableName="chat-connections")["Table"]
description["KeySchema"], description["BillingModeSummary"]["BillingMode"]

# %%
assert description["TableStatus"] == "ACTIVE"
assert description["KeySchema"] == [{"AttributeName": "connectionId", "KeyType": "HASH"}]
assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

# %% [markdown]
# ## A row by hand
#
# This is exactly what the `$connect` function of lesson 02 will do for every new client. The
# `Table` resource is boto3's friendlier face of the same API: plain Python values in and out.

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
# ## Key points
#
# - A WebSocket app keeps its connections in a table: Lambda functions remember nothing.
# - `create_table` names the key and the billing mode; a waiter (`table_exists`) waits until the
#   table can be used.
# - `PAY_PER_REQUEST` means no capacity to plan: right for bursty, small apps.
# - The catch-up cells of later lessons build the same table with
#   `infra.deploy.create_connections_table("chat")`, this call plus idempotence.
#
# **Exercises:** [01 · The connections table](../exercises/01-connections-table-exercises.ipynb):
# `table-create`, a table for any app.
#
# **Next:** [02 · `$connect` and `$disconnect`](02-connect-lambda.ipynb), the Lambda functions that
# keep this table up to date.
