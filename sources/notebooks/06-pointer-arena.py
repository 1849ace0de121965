# %% [markdown]
# # 06 · The pointer arena: route responses and stream triggers
#
# **Teaching** 20 min · **Exercises** 20 min
#
# **Questions**
# - How can a function answer the client that called it, without `@connections`?
# - How can a change to the data, rather than a message, tell everyone?
#
# **Objectives**
# - Make a route two-way with a route response (`create_route_response`), and redeploy.
# - Switch a table's stream on (`update_table`: `UPDATING`, then `ACTIVE`) and let the functions'
#   role read it (four actions, on this stream only).
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
# > are yours to add. Every step is idempotent, so running it again, or after
# > `deploy_app("arena")`, changes nothing.
#
# Two cells below say `# YOUR CODE HERE`: you write them, and the cell after each checks what you
# built in one line (✓ done, ✗ what is still wrong, ◻ not done yet: then the kit does that step
# so the lesson goes on). Stuck? `reveal("the-challenge-id")` in a new cell shows an answer.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.challenges import lesson06 as check
from infra.challenges import reveal  # noqa: F401 (yours: reveal("id") shows an answer)
from infra.session import use_cloud

cloud = use_cloud()
arena_url = lessons.catch_up_app("arena")

# %% [markdown]
# ## 1 · `list` answers through a route response
#
# `on_list` returns its answer as `body`, like `$default` in the chat:

# %%
lessons.show_source("arena/on_list.py")

# %% [markdown]
# **Predict, then run.** The `list` route exists and `arena-list` runs when you send
# `{"action": "list"}`. Will the list come back to you? Write your guess down, then run the cell:
# it sends `list` and waits three seconds for the reply.

# %% tags=["nbval-ignore-output"]
with lessons.WsCat(arena_url) as cat:
    cat.send({"action": "list"})
    try:
        cat.receive(3, of_type="list")
        print("the list came back: this route is two-way already")
    except TimeoutError:
        print("nothing came back in 3 s: the function ran, but its body went nowhere")

# %% [markdown]
# A route sends the function's `body` back only if it is **two-way**. On a WebSocket API that
# takes two things, both on the route, and then (as after every change to routes) a deployment:
#
# | call | parameters | what it does |
# |---|---|---|
# | `apis.update_route` | `ApiId`, `RouteId`, `RouteResponseSelectionExpression="$default"` | says which route response to use: WebSocket APIs only know `$default` |
# | `apis.create_route_response` | `ApiId`, `RouteId`, `RouteResponseKey="$default"` | the route response itself; a route may have only one, so create it when `apis.get_route_responses(ApiId=..., RouteId=...)["Items"]` is empty |
# | `apis.create_deployment` | `ApiId` | a snapshot of the routes as they are now; returns `DeploymentId` |
# | `apis.update_stage` | `ApiId`, `StageName="dev"`, `DeploymentId` | the stage serves that snapshot |
#
# ### Challenge `list-reply` · 6 min
#
# Make the `list` route two-way and deploy it. The cell finds the API and the route for you
# (`list_route["RouteId"]`); make it safe to run twice.

# %% tags=["exercise:list-reply"]
import boto3

apis = boto3.client("apigatewayv2")
api_id = next(api["ApiId"] for api in apis.get_apis()["Items"] if api["Name"] == "arena-api")
list_route = next(r for r in apis.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "list")
### BEGIN SOLUTION
apis.update_route(
    ApiId=api_id, RouteId=list_route["RouteId"], RouteResponseSelectionExpression="$default"
)
if not apis.get_route_responses(ApiId=api_id, RouteId=list_route["RouteId"])["Items"]:
    apis.create_route_response(
        ApiId=api_id, RouteId=list_route["RouteId"], RouteResponseKey="$default"
    )
deployment = apis.create_deployment(ApiId=api_id)["DeploymentId"]
apis.update_stage(ApiId=api_id, StageName="dev", DeploymentId=deployment)
print("list is two-way, in deployment", deployment)
### END SOLUTION

# %% tags=["check:list-reply"]
check.list_reply()

# %% [markdown]
# `list` now has its route response; `move` has none, so it stays one-way (it answers nobody):

# %% tags=["nbval-ignore-output"]
lessons.route_summary(api_id, "list"), lessons.route_summary(api_id, "move")

# %%
assert lessons.route_summary(api_id, "list")["RouteResponses"] == ["$default"], (
    "list has no $default route response: run the challenge cell and its check again"
)
assert lessons.route_summary(api_id, "move")["RouteResponses"] == [], (
    "move has a route response, so it would answer: delete it (apis.delete_route_response)"
)

# %% [markdown]
# Ask again, as in the prediction:

# %% tags=["nbval-ignore-output"]
with lessons.WsCat(arena_url) as cat:
    cat.send({"action": "list"})
    listed = cat.receive(of_type="list")

# %%
assert listed["type"] == "list" and "you" in listed and "pointers" in listed, (
    f"list answered {listed}: run the check of `list-reply` again"
)

# %% [markdown]
# `receive(of_type="list")` skips other frames: once the stream trigger is on (next section) it
# may tell us about our own arrival (a `changes` frame with a `join`) before the `list` reply
# comes back.
#
# ## 2 · The stream trigger
#
# `arena-tableTriggers` gets batches of the table's changes and tells everyone:

# %%
lessons.show_source("arena/table_triggers.py")

# %% [markdown]
# **Predict, then run.** `painter` moves its pointer while `watcher` listens. `arena-move` writes
# the new place to the table. Does `watcher` hear of it? Guess, then run.

# %% tags=["nbval-ignore-output"]
with (
    lessons.WsCat(arena_url, quiet=True) as painter,
    lessons.WsCat(arena_url, quiet=True) as watcher,
):
    painter.send({"action": "list"})
    painter_id = painter.receive(of_type="list")["you"]["id"]
    painter.send({"action": "move", "clientX": 0.5, "clientY": 0.5})
    try:
        watcher.receive(3, of_type="changes")
        print("watcher heard of a change: the stream is mapped already")
    except TimeoutError:
        print("watcher heard nothing in 3 s. Yet the move is in the table:")
        print(
            next(row for row in lessons.table_rows("arena-connections") if row["id"] == painter_id)
        )

# %% [markdown]
# Nothing tells anyone of the change: the table does not even record its changes yet. A table's
# **stream** records every change (here `NEW_AND_OLD_IMAGES`: each change with the row before and
# after), once it is switched on: `dynamodb.update_table(TableName=...,
# StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})`. As a new
# table is `CREATING` (lesson 01), a table being changed is `UPDATING` for a moment, and refuses
# another change until it is `ACTIVE` again: the same `table_exists` waiter waits for that.
#
# **Predict, then run.** What is the table's status right after `update_table`? Guess, then run.
# (Run again, the cell finds the stream on and changes nothing.)

# %% tags=["nbval-ignore-output"]
import boto3

dynamodb = boto3.client("dynamodb")
before = dynamodb.describe_table(TableName="arena-connections")["Table"]
print("the stream before:", before.get("StreamSpecification", "none, the table records no change"))
if not before.get("StreamSpecification", {}).get("StreamEnabled"):
    dynamodb.update_table(
        TableName="arena-connections",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    now = dynamodb.describe_table(TableName="arena-connections")["Table"]["TableStatus"]
    print("right after update_table:", now)
dynamodb.get_waiter("table_exists").wait(TableName="arena-connections", WaiterConfig={"Delay": 1})
table = dynamodb.describe_table(TableName="arena-connections")["Table"]
print("after the waiter:", table["TableStatus"], table["StreamSpecification"])
print("the stream's ARN:", table["LatestStreamArn"])

# %%
assert table["TableStatus"] == "ACTIVE" and table["StreamSpecification"]["StreamEnabled"], (
    "the stream is not on yet, or the table is still UPDATING: run the cell above again"
)

# %% [markdown]
# ### Who may read the stream?
#
# Lambda reads the stream **as the function's role**, with four DynamoDB actions:
# `dynamodb:DescribeStream`, `dynamodb:GetRecords`, `dynamodb:GetShardIterator` and
# `dynamodb:ListStreams`. `arena-lambda-role` may not do them yet, and
# `create_event_source_mapping` checks: it refuses a role that may not, with
# `InvalidParameterValueException: Cannot access stream … Please ensure the role can perform the
# GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.`
#
# AWS's tutorials attach the managed policy `AWSLambdaDynamoDBExecutionRole`, which allows them on
# every stream of the account (`"Resource": "*"`). The arena's role gets one statement for this
# table's streams only:
#
# ```python
# {
#     "Sid": "TableStream",
#     "Effect": "Allow",
#     "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords",
#                "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
#     "Resource": f"{table['TableArn']}/stream/*",
# }
# ```
#
# ### Challenge `stream-read` · 4 min
#
# Read the role's policy (`iam.get_role_policy(RoleName="arena-lambda-role",
# PolicyName="least-privilege")["PolicyDocument"]`, a dict), append that statement to its
# `"Statement"` list unless a statement with the Sid `TableStream` is there already, and put it
# back with `iam.put_role_policy` under the same name, as in lesson 02.

# %% tags=["exercise:stream-read"]
import json

iam = boto3.client("iam")
### BEGIN SOLUTION
policy = iam.get_role_policy(RoleName="arena-lambda-role", PolicyName="least-privilege")[
    "PolicyDocument"
]
if not any(statement.get("Sid") == "TableStream" for statement in policy["Statement"]):
    policy["Statement"].append(
        {
            "Sid": "TableStream",
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            "Resource": f"{table['TableArn']}/stream/*",
        }
    )
    iam.put_role_policy(
        RoleName="arena-lambda-role",
        PolicyName="least-privilege",
        PolicyDocument=json.dumps(policy),
    )
### END SOLUTION

# %% tags=["check:stream-read"]
check.stream_readable()

# %% [markdown]
# The stream records every change now, but nothing reads it yet. An **event source mapping**
# makes Lambda read it and invoke a function with batches of changes:
#
# | call | parameters | answer |
# |---|---|---|
# | `dynamodb.describe_table` | `TableName="arena-connections"` | `["Table"]["LatestStreamArn"]`: the stream's ARN |
# | `lambda_.list_event_source_mappings` | `EventSourceArn`, `FunctionName` | `["EventSourceMappings"]`: the mappings there are already |
# | `lambda_.create_event_source_mapping` | `EventSourceArn`, `FunctionName="arena-tableTriggers"`, `StartingPosition="LATEST"` | the new mapping; its `"UUID"` names it |
# | `lambda_.get_event_source_mapping` | `UUID` | the mapping; `["State"]` is `Creating`, then `Enabled` |
#
# `LATEST` starts with the changes made from now on (`TRIM_HORIZON` would replay the last 24
# hours of moves to everyone). A second mapping would tell everyone of every move twice, so create
# one only when the list is empty. A new mapping is `Creating` for a moment: changes made before it
# is `Enabled` are not delivered, so wait for it (`time.sleep(1)` between two looks; Lambda has no
# waiter for mappings). On AWS, a policy changed seconds ago may not have reached Lambda yet: if
# `create_event_source_mapping` still says the role cannot access the stream, run the cell again.
#
# ### Challenge `arena-stream` · 5 min
#
# Map `arena-connections`' stream to `arena-tableTriggers`, once, and wait until it is `Enabled`.

# %% tags=["exercise:arena-stream"]
import time

lambda_ = boto3.client("lambda")
### BEGIN SOLUTION
stream_arn = dynamodb.describe_table(TableName="arena-connections")["Table"]["LatestStreamArn"]
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
### END SOLUTION

# %% tags=["check:arena-stream"]
check.stream_mapped()

# %% [markdown]
# The mapping, as Lambda reports it:

# %% tags=["nbval-ignore-output"]
lessons.stream_mappings("arena-tableTriggers")

# %%
mapping = lessons.stream_mappings("arena-tableTriggers")
table = dynamodb.describe_table(TableName="arena-connections")["Table"]
assert [m["EventSourceArn"] for m in mapping] == [table["LatestStreamArn"]], (
    "arena-tableTriggers should have one mapping, from arena-connections' stream: run the check"
    " of `arena-stream` again, it says what to change"
)
assert mapping[0]["State"] == "Enabled", "the mapping is not Enabled yet: wait a second, run again"

# %% [markdown]
# ## Play
#
# Two arena widgets: `ada`, driven from Python, and `bob`, shown below, which is **you**. Move
# your mouse over the square: your own pointer (`bob (you)`) follows it, each move goes to
# `arena-move`, and the stream tells everyone, you included. The next cell moves `ada`; her
# pointer appears in your square once the stream trigger has told `bob`.

# %% tags=["nbval-ignore-output"]
from infra.widgets import Arena

ada = Arena(arena_url, "ada")
bob = Arena(arena_url, "bob")
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
assert (bob.pointers[ada_id]["x"], bob.pointers[ada_id]["y"]) == (0.25, 0.75), (
    "bob has not heard of ada's move: run the check of `arena-stream` (it says what is wrong),"
    " then the two cells above again"
)

# %% [markdown]
# ## Watch a move travel
#
# A move takes another road than a chat message: `arena-move` only writes the row, and the
# table's **stream** invokes `arena-tableTriggers`, which posts the change to everyone. The
# `Trace` widget of lesson 05 draws it: the frame in, the route, `arena-move`, then the stream's
# Lambda on its own lane and its posts to each client. (On AWS the widget has nothing to show.)

# %% tags=["nbval-ignore-output"]
from infra.widgets import Trace

trace = Trace(api_id=arena_url.rstrip("/").split("/")[-2])
trace

# %% tags=["nbval-ignore-output"]
ada.move(0.5, 0.5)
seen = set()  # the kinds of hop the trace has shown (a busy room scrolls its window fast)
for kind in ("frame_in", "route", "lambda", "post"):
    try:
        hop = trace.wait_for(lambda hop, kind=kind: hop["hop"] == kind, timeout=10)
    except TimeoutError:
        continue
    if hop:
        seen.add(hop["hop"])
sorted(seen)

# %%
assert seen == {"frame_in", "route", "lambda", "post"} or not trace.available, (
    f"the trace lacks a hop ({trace.status}): run the Trace cell, then the cell above, again"
)

# %% [markdown]
# Move `ada` yourself: `ada.move(0.9, 0.1)` in a new cell, and watch her pointer jump in `bob`'s
# square and the hops appear in the trace.
#
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
# ## When you are done
#
# The widgets stay live as long as you like: nothing in this notebook closes them. To leave, run
# `ada.close()`, `bob.close()` and `trace.close()` (and `room.close()`) in a new cell: each connection goes (and
# its widget with it), its `$disconnect` removes its row, and the stream tells everyone that its
# pointer left. Running the widget cell again also closes the old `ada` and `bob` first.

# %% [markdown]
# ## Key points
#
# - A two-way route (a `$default` route response) sends the function's returned `body` back to
#   the caller: no `@connections` call needed for a reply.
# - Writers only write; the table's stream, mapped to a function, tells everybody, one batch at a
#   time.
# - A table's stream is switched on with `update_table`; the table is `UPDATING` until it is
#   `ACTIVE` again (the `table_exists` waiter).
# - Lambda reads the stream as the function's role: it needs `DescribeStream`, `GetRecords`,
#   `GetShardIterator` and `ListStreams` on `<table ARN>/stream/*`, or the mapping is refused.
# - An event source mapping starts at `LATEST` and is usable once its state is `Enabled`
#   (`Creating` first): changes made before then are not delivered.
#
# **Exercises:** [06 · The pointer arena](../exercises/06-pointer-arena-exercises.ipynb):
# `stream-batch` (a mapping's batch size and window, made or changed) and `arena-color`.
#
# **Next:** [07 · Noughts and crosses](07-noughts-and-crosses.ipynb): routing on another field,
# and rows that expire.
