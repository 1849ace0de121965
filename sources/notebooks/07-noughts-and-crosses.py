# %% [markdown]
# # 07 · Noughts and crosses: routing on `type`, and TTL
#
# **Teaching** 20 min · **Exercises** 20 min
#
# **Questions**
# - Must the field that picks the route be called `action`?
# - How do rows of abandoned games go away without any code deleting them?
#
# **Objectives**
# - Read an API's route selection expression (`$request.body.type`) with `get_api`.
# - Switch Time to Live on for an attribute (`update_time_to_live`) and read the setting back.
# - Write the rule that ends a game as a pure function, and play a game between two boards.
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
# > everything lessons 01–06 taught; Time to Live is left for you. Every step is idempotent, so
# > running it again, or after `deploy_app("tictactoe")`, changes nothing.
#
# Two cells below say `# YOUR CODE HERE`: you write them, and the cell after each checks your
# work in one line (✓ done, ✗ what is still wrong, ◻ not done yet: then the kit does that step
# so the lesson goes on). Stuck? `reveal("the-challenge-id")` in a new cell shows an answer.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.challenges import lesson07 as check
from infra.challenges import reveal  # noqa: F401 (yours: reveal("id") shows an answer)
from infra.session import use_cloud

cloud = use_cloud()
game_url = lessons.catch_up_app("tictactoe")

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
assert api["RouteSelectionExpression"] == "$request.body.type", (
    "the game's API does not route on type: run deploy_app('tictactoe') in a new cell"
)

# %% [markdown]
# **Predict, then run.** Out of habit from the chat, a client sends `{"action": "start"}`. The
# game has a `start` route but no `$default`. What comes back? Guess, then run; the cell then
# sends the frame the game expects.

# %% tags=["nbval-ignore-output"]
with lessons.WsCat(game_url) as cat:
    cat.send({"action": "start"})
    cat.receive()
    cat.send({"type": "start"})
    cat.receive(of_type="started")

# %% [markdown]
# What happened: `{"action": "start"}` has no `type`, so no route matches; with no `$default`
# route to fall back on, API Gateway itself answers `Forbidden`, and no function runs. The route
# key is the *value* of the field the expression names: `start`, `join` and `move` here.
#
# ## 2 · The rules, in plain Python
#
# Every `move` asks one question after it places a mark: is the game over? The rules have no AWS in
# them, so they live in a pure function (`game.py`) that is tested on its own, with no cloud.
#
# A board is a string of 9 characters, row by row, `.` for an empty cell: `"XO..X...O"` is
#
# ```
# X O .      cells 0 1 2
# . X .            3 4 5
# . . O            6 7 8
# ```
#
# A line is 3 cells in a row, a column or a diagonal: 8 lines in all, such as `(0, 1, 2)`,
# `(0, 3, 6)` and `(0, 4, 8)`.
#
# ### Challenge `game-winner` · 5 min
#
# Write `winner(board)`: `"X"` or `"O"` if that mark fills a line, `"draw"` if no cell is empty
# (and nobody has a line), else `None` (the game goes on).


# %% tags=["exercise:game-winner"]
def winner(board: str) -> str | None:
    """ "X" or "O" if they have a line, "draw" if the board is full, else None."""
    ### BEGIN SOLUTION
    lines = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]
    for a, b, c in lines:
        if board[a] in "XO" and board[a] == board[b] == board[c]:
            return board[a]
    if "." not in board:
        return "draw"
    return None
    ### END SOLUTION


# %% tags=["check:game-winner"]
check.game_winner(winner)

# %% [markdown]
# The game's own version, which `move.py` calls after every move:

# %%
lessons.show_source("tictactoe/game.py", "winner")

# %% [markdown]
# ## 3 · Time to Live
#
# Each game row carries `ttl`, epoch seconds two hours after the start (`start.py` sets it).
# With **Time to Live** switched on for that attribute, DynamoDB deletes a row once that time has
# passed. Two calls:
#
# | call | parameters | answer |
# |---|---|---|
# | `dynamodb.describe_time_to_live` | `TableName` | `["TimeToLiveDescription"]`: `{"TimeToLiveStatus": "DISABLED"}`, or `"ENABLING"`, `"ENABLED"`, `"DISABLING"`, with `"AttributeName"` |
# | `dynamodb.update_time_to_live` | `TableName`, `TimeToLiveSpecification={"Enabled": True, "AttributeName": ...}` | the new specification |
#
# Switching Time to Live on takes a while: the status is `ENABLING` first (on AWS for up to an
# hour), then `ENABLED`. The table works as usual meanwhile, so nothing needs to wait for it.
# But AWS refuses a second change while one is in progress, or within an hour of the last one
# (`ValidationException`), and switching it on when it is on already is an error too. So ask
# `describe_time_to_live` first, and switch it on only when the status is neither `ENABLED`
# nor `ENABLING`: then running the cell again is safe.
#
# ### Challenge `games-ttl` · 4 min
#
# Switch Time to Live on for `ttl` on `tictactoe-games`, safe to run twice.

# %% tags=["exercise:games-ttl"]
dynamodb = boto3.client("dynamodb")
### BEGIN SOLUTION
ttl = dynamodb.describe_time_to_live(TableName="tictactoe-games")["TimeToLiveDescription"]
if ttl["TimeToLiveStatus"] not in ("ENABLED", "ENABLING"):
    dynamodb.update_time_to_live(
        TableName="tictactoe-games",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
    )
### END SOLUTION

# %% tags=["check:games-ttl"]
check.games_ttl()

# %% [markdown]
# The setting, read back (`ENABLING` if you just switched it on, `ENABLED` a while later):

# %% tags=["nbval-ignore-output"]
ttl = dynamodb.describe_time_to_live(TableName="tictactoe-games")["TimeToLiveDescription"]
ttl

# %%
assert (
    ttl.get("TimeToLiveStatus") in ("ENABLING", "ENABLED") and ttl.get("AttributeName") == "ttl"
), "Time to Live is not on for ttl: run the check of `games-ttl` again, it says what to change"

# %% [markdown]
# **Predict, then run.** What if the cell switched it on without asking first? The next cell
# makes the careless call once more, on a table whose Time to Live was changed moments ago.

# %% tags=["nbval-ignore-output"]
try:
    dynamodb.update_time_to_live(
        TableName="tictactoe-games",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
    )
    print("switched on again: this cloud let it pass")
except dynamodb.exceptions.ClientError as error:
    print("refused:", error.response["Error"]["Code"], error.response["Error"]["Message"])

# %% [markdown]
# **Predict, then run.** A game row whose `ttl` passed a minute ago: is it still there right
# after `put_item`? And ten seconds later? Guess both, then run. (AWS deletes expired rows some
# time after they expire, typically within a few days; the local cloud after a few seconds.)

# %% tags=["nbval-ignore-output"]
import time

games = boto3.resource("dynamodb").Table("tictactoe-games")
games.put_item(Item={"GameId": "OLDGAME", "status": "over", "ttl": int(time.time()) - 60})
print("right after put_item:", games.get_item(Key={"GameId": "OLDGAME"}).get("Item"))
time.sleep(10)
print("ten seconds later:", games.get_item(Key={"GameId": "OLDGAME"}).get("Item"))

# %% [markdown]
# Until DynamoDB deletes it, an expired row is read like any other. So code that must not use an
# expired game compares `ttl` with the clock, as AWS advises: in a scan or a query, a filter
# `Attr("ttl").gt(int(time.time()))` leaves expired rows out; after a `get_item`, compare the
# row's `ttl` yourself. The game's functions do both (`lessons.show_source` below): a game whose
# `ttl` has passed can no longer be joined or played, even before it is gone.

# %% tags=["nbval-ignore-output"]
from boto3.dynamodb.conditions import Attr

games.put_item(Item={"GameId": "OLDGAME", "status": "over", "ttl": int(time.time()) - 60})
every_row = [row["GameId"] for row in games.scan()["Items"]]
live = games.scan(FilterExpression=Attr("ttl").gt(int(time.time())))["Items"]
live_ids = [row["GameId"] for row in live]
print("a plain scan finds OLDGAME:", "OLDGAME" in every_row)
print("a scan with ttl > now finds OLDGAME:", "OLDGAME" in live_ids)

# %%
assert "OLDGAME" not in live_ids, (
    "the filter kept an expired row: compare ttl with int(time.time())"
)

# %%
lessons.show_source("tictactoe/common.py", "load_game")
#
# ## A game, frame by frame
#
# Two plain WebSocket clients play a quick game. `x` starts it and gets its id through the
# `start` route's route response; `o` joins by id; then each `move` goes to `tictactoe-move`,
# which sends both players the new `state`.

# %% tags=["nbval-ignore-output"]
with lessons.WsCat(game_url) as x, lessons.WsCat(game_url) as o:
    x.send({"type": "start"})
    game_id = x.receive(of_type="started")["gameId"]
    o.send({"type": "join", "gameId": game_id})
    o.receive(of_type="begin")
    x.quiet = o.quiet = True  # the moves' frames are long: we keep only the last state
    moves = [(x, o, 0, 0), (o, x, 1, 0), (x, o, 0, 1), (o, x, 1, 1), (x, o, 0, 2)]
    for player, opponent, row, col in moves:
        player.send({"type": "move", "gameId": game_id, "row": row, "col": col})
        state = opponent.receive(of_type="state")
        while (state["last"]["row"], state["last"]["col"]) != (row, col):
            state = opponent.receive(of_type="state")
state["board"], state["winner"]

# %%
assert state["winner"] == "X", f"X should have won with the top row, but the state is {state}"

# %% [markdown]
# The game's row expires two hours after it started:

# %% tags=["nbval-ignore-output"]
row = games.get_item(Key={"GameId": game_id})["Item"]
print("this game expires in", round((int(row["ttl"]) - time.time()) / 3600, 1), "hours")

# %%
assert int(row["ttl"]) > time.time(), "the game's ttl lies in the past: look at start.py's ttl"

# %% [markdown]
# ## Play
#
# Your turn: two boards, one game. The left board plays X, the right one O: click X's move on the
# left, then O's on the right, and so on. Only you play this game (the game above had its own
# connections), so click at your own pace. **New game** on the left starts another: its id
# appears in the box; type it into the right board's box and press **Join**.
#
# To play a neighbour instead, use one board each on the same cloud (the room's, when your
# instructor hosts one): one presses **New game** and reads the id aloud, the other joins it.

# %% tags=["nbval-ignore-output"]
import ipywidgets as widgets

from infra.widgets import TicTacToe

left = TicTacToe(game_url)
right = TicTacToe(game_url)
right.join(left.start())
widgets.HBox([left.widget, right.widget])

# %% [markdown]
# The boards stay live: nothing in this notebook closes them. When you are done, run
# `left.close()` and `right.close()` in a new cell; a game whose player leaves ends (its
# `$disconnect` marks it over) and its row goes when its `ttl` passes.

# %% [markdown]
# ## Key points
#
# - The route selection expression may read any field: `$request.body.type` routes on `type`.
# - Time to Live deletes rows whose attribute (epoch seconds) has passed, for free; on AWS within
#   days, so code that cares still compares it with the clock (`Attr("ttl").gt(now)` in scans).
# - Switching it on is `ENABLING` first (up to an hour on AWS), and AWS refuses another change
#   within the hour: ask `describe_time_to_live` before `update_time_to_live`.
# - Rules kept in pure functions (`game.py`) are tested without any AWS.
#
# **Exercises:** [07 · Noughts and crosses](../exercises/07-noughts-and-crosses-exercises.ipynb):
# `ttl-expire` (rows that expire on another table and attribute) and `ttt-validate`.
#
# **Next:** [08 · Server push](08-server-push.ipynb): the server speaks first, on a schedule.
