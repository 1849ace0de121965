# %% [markdown]
# # 06 · The pointer arena: route responses and stream triggers
#
# ## Why?
#
# Everyone's mouse pointer in one shared square. Two new ideas:
#
# 1. **A reply to the sender.** `{"action": "list"}` asks "who is here?". Instead of posting back
#    through `@connections`, the `list` function simply **returns** the answer: a route with a
#    `$default` **route response** sends the function's returned `body` back down the same
#    connection (a *two-way* route).
# 2. **Reacting to the data, not to the message.** `move` only writes the new position to the
#    table. A **DynamoDB stream** records every change to the table, and Lambda reads it in batches
#    and invokes `arena-tableTriggers`, which tells everybody. Writers stay fast and simple; the fan
#    out happens once per batch.
#
# ```mermaid
# flowchart LR
#     C[client] -->|"{action: list}"| G[API Gateway]
#     G --> OL[arena-list] -->|"returns body: route response"| G -->|"{type: list, …}"| C
#     C -->|"{action: move, clientX, clientY}"| G --> OM[arena-move] -->|UpdateItem| T[(arena-connections)]
#     T -->|stream: NEW_AND_OLD_IMAGES| TT[arena-tableTriggers]
#     TT -->|"POST @connections: {type: changes}"| G
#     G --> C2[everyone]
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones. Every step is idempotent, so running it again, or after the earlier notebooks,
# > changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## Deploy the arena
#
# The same steps as the chat (lessons 01–04), plus `add_route_response` for `list` and
# `map_stream` for the trigger. Watch for them in the output:

# %% tags=["nbval-ignore-output"]
from infra.deploy import deploy_app, find_api

url = deploy_app("arena")
api_id = find_api("arena", "arena-api")["ApiId"]

# %% [markdown]
# ## 1 · `list` answers through a route response

# %%
lessons.show_source("arena/on_list.py")

# %%
from infra.deploy import add_route_response

lessons.show_source(add_route_response)

# %% tags=["nbval-ignore-output"]
lessons.route_summary(api_id, "list"), lessons.route_summary(api_id, "move")

# %%
assert lessons.route_summary(api_id, "list")["RouteResponses"] == ["$default"]
assert lessons.route_summary(api_id, "move")["RouteResponses"] == []

# %% tags=["nbval-ignore-output"]
with lessons.WsCat(url) as cat:
    cat.send({"action": "list"})
    listed = cat.receive(of_type="list")

# %%
assert listed["type"] == "list" and "you" in listed and "pointers" in listed

# %% [markdown]
# `receive(of_type="list")` skips other frames: the stream trigger may tell us about our own
# arrival (a `changes` frame with a `join`) before the `list` reply comes back.
#
# ## 2 · The stream trigger

# %%
lessons.show_source("arena/table_triggers.py")

# %% tags=["nbval-ignore-output"]
lessons.stream_mappings("arena-tableTriggers")

# %% [markdown]
# `StartingPosition: LATEST`: the trigger sees changes made after the mapping was enabled.
#
# ## Play
#
# Move your mouse over the arena below. `ada` is driven from Python: when she moves, the stream
# trigger tells `bob`, who sees her pointer at the new place.

# %% tags=["nbval-ignore-output"]
from infra.widgets import Arena

ada = Arena(url, "ada")
bob = Arena(url, "bob")
bob

# %% tags=["nbval-ignore-output"]
ada.wait_for(lambda f: f["type"] == "list", timeout=10)
ada_id = ada.you["id"]
ada.move(0.25, 0.75)


def ada_moved(frame):
    return frame["type"] == "changes" and any(
        change["id"] == ada_id and change.get("x") == 0.25 for change in frame["changes"]
    )


bob.wait_for(ada_moved, timeout=10)
bob.pointers[ada_id]

# %%
assert (bob.pointers[ada_id]["x"], bob.pointers[ada_id]["y"]) == (0.25, 0.75)

# %% [markdown]
# ## Join the room's arena
#
# An arena is more fun with the whole room in it. Your instructor hosts one and shows its URL
# (`ws://<their address>:4599/…/dev`). Join it from here, with your name:
#
# ```python
# room = Arena("ws://192.168.1.20:4599/ab12cd34/dev", "your name")
# room
# ```
#
# Nothing about the code changes: the widget only needs a WebSocket URL. The instructor's stream
# trigger now fans every move out to the whole room, one batched frame per person per batch.
#
# ## Clean up
#
# **Next:** 07, noughts and crosses: routing on another field, and rows that expire.

# %%
ada.close()
bob.close()
