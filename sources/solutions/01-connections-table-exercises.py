# %% [markdown]
# # Exercises 01 · The connections table
#
# After lesson [01 · The connections table](../notebooks/01-connections-table.ipynb).
#
# **How these exercises work.** Write your answer where a cell says `# YOUR CODE HERE` (replace the
# `raise NotImplementedError()` under it), run that cell, then run the check right after it. A check
# that passes says ✓ in one line; one that fails says ✗, what is wrong, and hints at the fix. Each
# check calls your function with the names it shows; your instructor's grading also calls it with
# names you have not seen, so use the parameters rather than the example's values.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · A table you can ask two ways `[table-create]` · 5 min
#
# **Why?** Lesson 01's table answers one question: "the row of this connection". Noughts and
# crosses keys its games by `GameId`, but a player also wants "all the games *I* started", and a
# table can only be read by its key (a `Scan` reads every row, which costs as much as the table
# is big). A **global secondary index** is a second key for the same rows: DynamoDB keeps a copy
# of the table sorted by another attribute, and `query(IndexName=..., ...)` reads it.
#
# **What?** Write `create_table(name, key, index, index_key)`: create the on-demand table `name`
# keyed by the string attribute `key`, with a global secondary index called `index` whose
# partition key is the string attribute `index_key` and which projects every attribute; **wait**
# until the table is `ACTIVE` (lesson 01's waiter), and return its ARN. What `create_table` takes beyond lesson 01:
#
# | parameter | what changes |
# |---|---|
# | `AttributeDefinitions` | lists every attribute used as a key, the index's too: `key` and `index_key` |
# | `KeySchema` | the table's own key: `key` alone, as in lesson 01 |
# | `GlobalSecondaryIndexes` | a list of indexes, each `{"IndexName": ..., "KeySchema": [...], "Projection": {"ProjectionType": "ALL"}}` |
#
# (An on-demand table's indexes are on demand too: they need no `ProvisionedThroughput`.) The
# check creates `games` keyed by `GameId` with the index `by-host` on `Host`, puts three games
# and asks the index for one host's games.

# %% tags=["exercise:table-create"]
import boto3


def create_table(name: str, key: str, index: str, index_key: str) -> str:
    """Create the on-demand table `name` keyed by `key`, indexed by `index_key`; its ARN."""
    ### BEGIN SOLUTION
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": key, "AttributeType": "S"},
            {"AttributeName": index_key, "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": index_key, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    # CREATING until DynamoDB is done: ask every second (the waiter's default is every 20 s).
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    return dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    ### END SOLUTION


# %% tags=["check:table-create"]
checks.check_create_table(create_table, "games", "GameId", "by-host", "Host")

# %% tags=["hidden:table-create"]
checks.check_create_table(create_table, checks.unique("scores"), "ScoreId", "by-player", "playerId")

# %% [markdown]
# **Try it.** Put a few games into `games` yourself and ask the index for one host's games:
# `boto3.resource("dynamodb").Table("games").query(IndexName="by-host",
# KeyConditionExpression=Key("Host").eq("ada"))`, with `from boto3.dynamodb.conditions import Key`.
# What does the same `query` *without* `IndexName` say?

# %% [markdown]
# ## Done?
#
# An index is what lets an app ask its table more than one question without a `Scan`. Lesson 01's
# table needs none: it is only ever read by `connectionId`, or scanned whole to broadcast.
# Back to the lessons: [02 · `$connect` and `$disconnect`](../notebooks/02-connect-lambda.ipynb).
