# %% [markdown]
# # 06 · The pointer arena: route responses and stream triggers
#
# **Teaching** 10 min · **Exercises** 15 min
#
# **Questions**
# - How can a function answer the client that called it, without `@connections`?
# - How can a change to the data, rather than a message, tell everyone?
#
# **Objectives**
# - Make a route two-way with a route response (`create_route_response`), and redeploy.
# - Map a table's stream to a function (`create_event_source_mapping`) and wait until it is on.
# - Watch one client's move reach another through the stream.
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
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds the arena with
# > everything lessons 01–05 taught (table, role, functions, routes, stage); the two new pieces
# > are left for this lesson to add by hand. Every step is idempotent, so running it again, or
# > after `deploy_app("arena")`, changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
url = lessons.catch_up_app("arena")

# %% [markdown]
# ## 1 · `list` answers through a route response
#
# `on_list` returns its answer as `body`, like `$default` in the chat:

# %%
lessons.show_source("arena/on_list.py")

# %% [markdown]
# A route sends that `body` back only if it is **two-way**: its `RouteResponseSelectionExpression`
# is `$default`, and it has a `$default` route response (the only key WebSocket APIs use). Then,
# as after every change to routes, deploy again.

# %% tags=["nbval-ignore-output"]
import boto3

apis = boto3.client("apigatewayv2")
api_id = next(api["ApiId"] for api in apis.get_apis()["Items"] if api["Name"] == "arena-api")
listing = next(r for r in apis.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "list")
apis.update_route(
    ApiId=api_id, RouteId=listing["RouteId"], RouteResponseSelectionExpression="$default"
)
if not apis.get_route_responses(ApiId=api_id, RouteId=listing["RouteId"])["Items"]:
    apis.create_route_response(
        ApiId=api_id, RouteId=listing["RouteId"], RouteResponseKey="$default"
    )
deployment = apis.create_deployment(ApiId=api_id)["DeploymentId"]
apis.update_stage(ApiId=api_id, StageName="dev", DeploymentId=deployment)
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
#
# `arena-tableTriggers` gets batches of the table's changes and tells everyone:

# %%
lessons.show_source("arena/table_triggers.py")

# %% [markdown]
# The table's stream (`NEW_AND_OLD_IMAGES`: each change with the row before and after) has an ARN
# of its own. An **event source mapping** makes Lambda read it and invoke the function with
# batches, starting at `LATEST` (changes from now on). The mapping is `Creating` for a moment,
# so the cell waits until it is `Enabled`; it creates the mapping only once.

# %% tags=["nbval-ignore-output"]
import time

lambda_ = boto3.client("lambda")
table = boto3.client("dynamodb").describe_table(TableName="arena-connections")["Table"]
stream_arn = table["LatestStreamArn"]
mappings = lambda_.list_event_source_mappings(
    EventSourceArn=stream_arn, FunctionName="arena-tableTriggers"
)["EventSourceMappings"]
if mappings:
    uuid = mappings[0]["UUID"]
else:
    uuid = lambda_.create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName="arena-tableTriggers", StartingPosition="LATEST"
    )["UUID"]
while lambda_.get_event_source_mapping(UUID=uuid)["State"] != "Enabled":
    time.sleep(1)
lessons.stream_mappings("arena-tableTriggers")

# %%
assert lambda_.get_event_source_mapping(UUID=uuid)["EventSourceArn"] == stream_arn

# %% [markdown]
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

# %%
ada.close()
bob.close()

# %% [markdown]
# ## Key points
#
# - A two-way route (a `$default` route response) sends the function's returned `body` back to
#   the caller: no `@connections` call needed for a reply.
# - Writers only write; the table's stream, mapped to a function, tells everybody, one batch at a
#   time.
# - An event source mapping starts at `LATEST` and is usable once its state is `Enabled`.
#
# **Exercises:** [06 · The pointer arena](../exercises/06-pointer-arena-exercises.ipynb):
# `stream-map` and `arena-color`.
#
# **Next:** [07 · Noughts and crosses](07-noughts-and-crosses.ipynb): routing on another field,
# and rows that expire.
