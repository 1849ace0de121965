# %% [markdown]
# # 01 · The connections table
#
# **Teaching** 15 min · **Exercises** 5 min
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
#
# **How the challenges work.** Where a cell says `# YOUR CODE HERE`, you write the code; the cell
# after it checks what you built and answers in one line: ✓ done, ✗ what is still wrong, or
# ◻ not done yet (then the kit does that step for you, so the lesson can go on). Stuck? Run
# `reveal("the-challenge-id")` in a new cell to see an answer. Each challenge's minutes are part
# of the lesson's **Teaching** time; the **Exercises** time is for the exercise notebook.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.challenges import lesson01 as check
from infra.challenges import reveal  # noqa: F401 (yours: reveal("id") shows an answer)
from infra.session import use_cloud

cloud = use_cloud()
lessons.catch_up(1)

# %% [markdown]
# ## Create the table
#
# One `create_table` call makes a table. It takes:
#
# | parameter | what it says | here |
# |---|---|---|
# | `TableName` | the table's name | `"chat-connections"` |
# | `AttributeDefinitions` | the type of each key attribute, a list of `{"AttributeName": ..., "AttributeType": ...}`; `S` is string | `connectionId`, `S` |
# | `KeySchema` | which attribute is the key, and its role, a list of `{"AttributeName": ..., "KeyType": ...}`; `HASH` is the partition key | `connectionId`, `HASH` |
# | `BillingMode` | `PAY_PER_REQUEST`: on demand, no capacity to plan | |
# | `Tags` | labels, a list of `{"Key": ..., "Value": ...}`: `teardown("chat")` (lesson 09) finds the table by them | `workshop:app` = `chat` |
#
# `create_table` answers at once, but the table is not ready: it is `CREATING` for a few seconds
# (DynamoDB is setting up its storage), and calls that read or write it fail with
# `ResourceNotFoundException` until it is `ACTIVE`. A **waiter** asks `describe_table` again and
# again until it is: `dynamodb.get_waiter("table_exists").wait(TableName=...)`. By default it asks
# every 20 seconds; `WaiterConfig={"Delay": 1}` makes it ask every second, so a table that is
# ready after two seconds is used after two, not twenty.
#
# ### Challenge `connections-table` · 4 min
#
# Create `chat-connections` as the table above says, tagged, then wait for it. Creating a table that
# exists is an error (`dynamodb.exceptions.ResourceInUseException`): catch it, so that running the
# cell again is safe.

# %% tags=["exercise:connections-table"]
import boto3

dynamodb = boto3.client("dynamodb")
### BEGIN SOLUTION
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
dynamodb.get_waiter("table_exists").wait(TableName="chat-connections", WaiterConfig={"Delay": 1})
### END SOLUTION

# %% tags=["check:connections-table"]
check.connections_table()

# %% [markdown]
# **Predict, then run.** What does `create_table` answer when the table exists already? Write
# your guess down, then find out: run the call alone, without the `try`, in a new cell. (The
# error's name is in the last line. It is why your cell catches it.)
#
# ## Why wait?
#
# **Predict, then run.** The next cell creates a scratch table and, without waiting, puts a row
# into it. What is the table's status right after `create_table`? Does the `put_item` work? Guess
# both, then run it. (It deletes the scratch table at the end.)

# %% tags=["nbval-ignore-output"]
import time

scratch = f"chat-scratch-{int(time.time())}"  # a new name each run
dynamodb.create_table(
    TableName=scratch,
    AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
    BillingMode="PAY_PER_REQUEST",
    Tags=[{"Key": "workshop:app", "Value": "chat"}],
)
print(
    "right after create_table:", dynamodb.describe_table(TableName=scratch)["Table"]["TableStatus"]
)
try:
    dynamodb.put_item(TableName=scratch, Item={"connectionId": {"S": "tooSoon"}})
    print("put_item at once: it worked (the table was quick this time)")
except dynamodb.exceptions.ResourceNotFoundException as error:
    print("put_item at once: refused,", error.response["Error"]["Message"])
dynamodb.get_waiter("table_exists").wait(TableName=scratch, WaiterConfig={"Delay": 1})
scratch_status = dynamodb.describe_table(TableName=scratch)["Table"]["TableStatus"]
print("after the waiter:", scratch_status)
dynamodb.put_item(TableName=scratch, Item={"connectionId": {"S": "afterTheWaiter"}})
print("put_item after the waiter: it worked")
dynamodb.delete_table(TableName=scratch)
print("the scratch table is being deleted")

# %%
assert scratch_status == "ACTIVE", "the waiter returned before the table was ACTIVE: run it again"

# %% [markdown]
# The same holds for everything in this workshop that AWS builds in the background: a function
# (lesson 02), a table's stream (lesson 06), Time to Live (lesson 07). Each time, the lesson shows
# the state and the waiter (or the retry) that waits it out. Code that skips them may work on a
# fast day and fail on the next.
#
# ## Look inside
#
# The key schema and the billing mode, as DynamoDB reports them:

# %%
description = dynamodb.describe_table(TableName="chat-connections")["Table"]
description["KeySchema"], description["BillingModeSummary"]["BillingMode"]

# %%
assert description["TableStatus"] == "ACTIVE", "the table is not ACTIVE yet: run the waiter"
assert description["KeySchema"] == [{"AttributeName": "connectionId", "KeyType": "HASH"}], (
    "the key is not connectionId: delete the table and create it again"
)
assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", (
    "the table is not on demand: delete it and create it with BillingMode='PAY_PER_REQUEST'"
)

# %% [markdown]
# ## A row by hand
#
# This is exactly what the `$connect` function of lesson 02 will do for every new client. The
# `Table` resource is boto3's friendlier face of the same API: plain Python values in and out.
# `table.put_item(Item={...})` writes one row; its keys are the attribute names.
#
# ### Challenge `row-by-hand` · 2 min
#
# Put the row `{"connectionId": "handMadeRow", "name": "test"}` into the table.

# %% tags=["exercise:row-by-hand"]
table = boto3.resource("dynamodb").Table("chat-connections")
### BEGIN SOLUTION
table.put_item(Item={"connectionId": "handMadeRow", "name": "test"})
### END SOLUTION

# %% tags=["check:row-by-hand"]
check.row_by_hand()

# %% tags=["nbval-ignore-output"]
rows = lessons.table_rows("chat-connections")
rows

# %% [markdown]
# And what `$disconnect` will do when the client leaves. **Predict, then run:** what does
# `delete_item` answer for a row that is not there? Run the cell twice to see.

# %%
table.delete_item(Key={"connectionId": "handMadeRow"})
assert {"connectionId": "handMadeRow", "name": "test"} not in lessons.table_rows(
    "chat-connections"
), "the row is still there: run the delete_item cell again"

# %% [markdown]
# ## Key points
#
# - A WebSocket app keeps its connections in a table: Lambda functions remember nothing.
# - `create_table` names the key and the billing mode. The table is `CREATING` first, and refuses
#   reads and writes until it is `ACTIVE`: a waiter (`table_exists`, asking every second with
#   `WaiterConfig={"Delay": 1}`) waits until the table can be used.
# - `PAY_PER_REQUEST` means no capacity to plan: right for bursty, small apps.
# - Creating what exists is an error (`ResourceInUseException`); deleting what is gone is not.
#   Cells that catch the first can be run again.
# - The catch-up cells of later lessons build the same table with
#   `infra.deploy.create_connections_table("chat")`, this call plus idempotence.
#
# **Exercises:** [01 · The connections table](../exercises/01-connections-table-exercises.ipynb):
# `table-create`, a table for any app.
#
# **Next:** [02 · `$connect` and `$disconnect`](02-connect-lambda.ipynb), the Lambda functions that
# keep this table up to date.
