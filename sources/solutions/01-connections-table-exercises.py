# %% [markdown]
# # Exercises 01 · The connections table
#
# After lesson [01 · The connections table](../notebooks/01-connections-table.ipynb).
#
# **How these exercises work.** Write your answer where a cell says `# YOUR CODE HERE` (replace the
# `raise NotImplementedError()` under it), run that cell, then run the check right after it. A
# check that passes prints nothing; one that fails says what is wrong and hints at the fix. Each
# check calls your function with the names it shows; your instructor's grading also calls it with
# names you have not seen, so use the parameters rather than the example's values.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · A table for any app `[table-create]` · 5 min
#
# **Why?** Lesson 01 made the chat's table. Every app of the workshop needs one, with its own key:
# the chat and the arena key their rows by `connectionId`, noughts and crosses by `GameId`.
#
# **What?** Write `create_table(name, key)`: create the on-demand DynamoDB table `name` whose only
# key is the string attribute `key`, **wait** until it exists, and return its ARN. The check
# creates `games` keyed by `GameId`, reads its description back, and stores a row in it.

# %% tags=["exercise:table-create"]
import boto3


def create_table(name: str, key: str) -> str:
    """Create the on-demand table `name` keyed by the string attribute `key`; return its ARN."""
    ### BEGIN SOLUTION
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(TableName=name)
    return dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    ### END SOLUTION


# %% tags=["check:table-create"]
checks.check_create_table(create_table, "games", "GameId")

# %% tags=["hidden:table-create"]
checks.check_create_table(create_table, checks.unique("scores"), "playerId")

# %% [markdown]
# ## Done?
#
# `create_table` is what `infra.deploy.create_connections_table` does, minus tags and the
# idempotence a re-run needs. Back to the lessons: [02 · `$connect` and `$disconnect`](../notebooks/02-connect-lambda.ipynb).
