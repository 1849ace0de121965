# %% [markdown]
# # 07 · Noughts and crosses: routing on `type`, and TTL
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
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones. Every step is idempotent, so running it again, or after the earlier notebooks,
# > changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()

# %% tags=["nbval-ignore-output"]
from infra.deploy import deploy_app, find_api

url = deploy_app("tictactoe")
api = find_api("tictactoe", "tictactoe-api")

# %% [markdown]
# ## 1 · Routing on `type`

# %% tags=["nbval-ignore-output"]
api["RouteSelectionExpression"], lessons.routes_of(api["ApiId"])

# %%
assert api["RouteSelectionExpression"] == "$request.body.type"

# %% [markdown]
# The rules of the game are plain Python, with no AWS in them (and tested on their own):

# %%
lessons.show_source("tictactoe/game.py", "winner")

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
# ## 2 · TTL
#
# The game's row, and the table's TTL setting:

# %% tags=["nbval-ignore-output"]
import time

import boto3

row = boto3.resource("dynamodb").Table("tictactoe-games").get_item(Key={"GameId": game_id})["Item"]
settings = boto3.client("dynamodb").describe_time_to_live(TableName="tictactoe-games")
ttl = settings["TimeToLiveDescription"]
print("this game expires in", round((int(row["ttl"]) - time.time()) / 3600, 1), "hours")
ttl

# %%
assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
assert int(row["ttl"]) > time.time()

# %% [markdown]
# ## Clean up
#
# **Next:** 08, the server speaks first: pushing from a schedule.

# %%
x.close()
o.close()
