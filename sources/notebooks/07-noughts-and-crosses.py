# %% [markdown]
# # 07 · Noughts and crosses: routing on `type`, and TTL
#
# **Teaching** 10 min · **Exercises** 15 min
#
# **Questions**
# - Must the field that picks the route be called `action`?
# - How do rows of abandoned games go away without any code deleting them?
#
# **Objectives**
# - Read an API's route selection expression (`$request.body.type`) with `get_api`.
# - Switch Time to Live on for an attribute (`update_time_to_live`) and read the setting back.
# - Play a game between two widgets.
#
# ## Why?
#
# 1. **Your protocol, your field.** The game's client speaks `{"type": "start"}`,
#    `{"type": "join", "gameId": …}`, `{"type": "move", …}`. Nothing forces the field to be called
#    `action`: the API's route selection expression is `$request.body.type`.
# 2. **Rows that clean up after themselves.** Abandoned games would pile up forever. Each game row
#    carries a `ttl` attribute (epoch seconds, two hours after the start); with **Time to Live**
#    switched on for that attribute, DynamoDB deletes expired rows by itself, for free. It is a
#    background process: on AWS, deletion typically happens within a few days of expiry, so code
#    that cares must still compare `ttl` with the clock.
#
# ```mermaid
# flowchart LR
#     X[player X] -->|"{type: start}"| G{"$request.body.type"}
#     O[player O] -->|"{type: join, gameId}"| G
#     G -->|start| S[tictactoe-start]
#     G -->|join| J[tictactoe-join]
#     G -->|move| M[tictactoe-move]
#     S & J & M <--> T[("tictactoe-games<br/>key GameId, ttl")]
#     T -. TTL deletes expired rows .-> T
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds the game with
# > everything lessons 01–06 taught; Time to Live is left for this lesson. Every step is
# > idempotent, so running it again, or after `deploy_app("tictactoe")`, changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
url = lessons.catch_up_app("tictactoe")

# %% [markdown]
# ## 1 · Routing on `type`
#
# The same `create_api` as the chat's (lesson 03), with another route selection expression:

# %% tags=["nbval-ignore-output"]
import boto3

apis = boto3.client("apigatewayv2")
api = next(api for api in apis.get_apis()["Items"] if api["Name"] == "tictactoe-api")
api["RouteSelectionExpression"], lessons.routes_of(api["ApiId"])

# %%
assert api["RouteSelectionExpression"] == "$request.body.type"

# %% [markdown]
# The rules of the game are plain Python, with no AWS in them (and tested on their own):

# %%
lessons.show_source("tictactoe/game.py", "winner")

# %% [markdown]
# ## 2 · Time to Live
#
# Each game row carries `ttl`, epoch seconds two hours after the start (`start.py` sets it).
# `update_time_to_live` tells DynamoDB to delete rows once that time has passed. Switching it on
# twice is an error on AWS, so the cell asks `describe_time_to_live` first.

# %% tags=["nbval-ignore-output"]
dynamodb = boto3.client("dynamodb")
ttl = dynamodb.describe_time_to_live(TableName="tictactoe-games")["TimeToLiveDescription"]
if ttl["TimeToLiveStatus"] not in ("ENABLED", "ENABLING"):
    dynamodb.update_time_to_live(
        TableName="tictactoe-games",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
    )
ttl = dynamodb.describe_time_to_live(TableName="tictactoe-games")["TimeToLiveDescription"]
ttl

# %%
assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}

# %% [markdown]
# ## Play
#
# `x` starts a game and `o` joins it by id. Click the board below to play `x`'s moves yourself, or
# let the next cell play a quick game.

# %% tags=["nbval-ignore-output"]
from infra.widgets import TicTacToe

x = TicTacToe(url)
o = TicTacToe(url)
game_id = x.start()
o.join(game_id)
x

# %%
moves = [(x, o, 0, 0), (o, x, 1, 0), (x, o, 0, 1), (o, x, 1, 1), (x, o, 0, 2)]
for player, opponent, row, col in moves:
    state = lessons.play_and_wait(player, opponent, row, col)
state["board"], state["winner"]

# %%
assert state["winner"] == "X"

# %% [markdown]
# The game's row expires two hours after it started:

# %% tags=["nbval-ignore-output"]
import time

row = boto3.resource("dynamodb").Table("tictactoe-games").get_item(Key={"GameId": game_id})["Item"]
print("this game expires in", round((int(row["ttl"]) - time.time()) / 3600, 1), "hours")

# %%
assert int(row["ttl"]) > time.time()

# %% [markdown]
# ## Clean up

# %%
x.close()
o.close()

# %% [markdown]
# ## Key points
#
# - The route selection expression may read any field: `$request.body.type` routes on `type`.
# - Time to Live deletes rows whose attribute (epoch seconds) has passed, for free; on AWS within
#   days, so code that cares still compares it with the clock.
# - Rules kept in pure functions (`game.py`) are tested without any AWS.
#
# **Exercises:** [07 · Noughts and crosses](../exercises/07-noughts-and-crosses-exercises.ipynb):
# `ttl-enable` and `ttt-validate`.
#
# **Next:** [08 · Server push](08-server-push.ipynb): the server speaks first, on a schedule.
