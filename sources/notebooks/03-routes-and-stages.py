# %% [markdown]
# # 03 · Routes and stages
#
# **Teaching** 20 min · **Exercises** 20 min
#
# **Questions**
# - What do clients connect to, and how does a frame find its function?
# - Why does a new route do nothing until it is deployed?
#
# **Objectives**
# - Create a WebSocket API with a route selection expression (`create_api`).
# - Wire a route to a Lambda function: an integration, the route, and the permission to invoke.
# - Deploy the routes to a stage (`create_deployment`, `create_stage`) and connect to its URL.
# - Add a route, predict what a client sees before you deploy again, and deploy it.
#
# ## Why?
#
# The functions of lesson 02 exist, but nothing calls them yet. A **WebSocket API** is the address
# clients connect to. It receives **frames**, not HTTP requests with paths, so it picks a route for
# each frame with its **route selection expression**: for the chat, `$request.body.action`, the
# `action` field of the JSON frame. `{"action": "sendMessage", ...}` goes to the `sendMessage`
# route. Three route keys are special: `$connect` (a client opens the WebSocket), `$disconnect`
# (it has gone) and `$default` (frames no other route matches; without it, the client gets a
# `Forbidden` frame).
#
# ```mermaid
# flowchart LR
#     C["client"] -->|"opens ws://…/dev?name=ada"| ST["stage dev"]
#     ST -->|"open"| R1["route $connect"] --> L1["chat-connect"]
#     ST -->|"closed"| R4["route $disconnect"] --> L4["chat-disconnect"]
#     ST -->|"a frame"| S{"$request.body.action"}
#     S -->|"sendMessage"| R2["route sendMessage (lesson 04)"]
#     S -->|"no match"| R3["$default, or Forbidden"]
# ```
#
# A route's **integration** says what to call: for a Lambda function, an `AWS_PROXY` integration.
# And routes are not live when you create them: a **deployment** is a frozen snapshot of the
# API's routes, and a **stage** (`dev`) serves one deployment at a URL. What you change in the API
# afterwards is in the next snapshot, not in the one the stage serves, until you deploy again:
#
# ```mermaid
# flowchart LR
#     subgraph API["API chat-api: what you edit"]
#       RC["route $connect"]
#       RD["route $disconnect<br/>(added later)"]
#     end
#     API -->|"create_deployment"| D1["deployment 1<br/>snapshot: $connect"]
#     API -->|"create_deployment again"| D2["deployment 2<br/>snapshot: $connect, $disconnect"]
#     D1 -.->|"create_stage: served until…"| S["stage dev<br/>ws://…/dev"]
#     D2 -->|"…update_stage points here"| S
#     C["clients"] --> S
# ```
#
# Between adding `$disconnect` and `update_stage`, the API has the route but the stage serves
# deployment 1, which has not: the route is **added but not deployed**. You will see it happen.

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones (the table, the role, the two functions). Every step is
# > idempotent, so running it again, or after the earlier notebooks, changes nothing.
#
# As before: write the cells that say `# YOUR CODE HERE`; the cell after each checks it (✓, ✗
# what is wrong, or ◻ not done yet: the kit did it for you). Stuck? `reveal("the-challenge-id")`.

# %% tags=["nbval-ignore-output"]
import time

from infra import lessons
from infra.challenges import lesson03 as check
from infra.challenges import reveal  # noqa: F401 (yours: reveal("id") shows an answer)
from infra.session import use_cloud

cloud = use_cloud()
lessons.catch_up(3)

# %% [markdown]
# ## The API
#
# `apis.create_api(...)` makes the API:
#
# | parameter | here |
# |---|---|
# | `Name` | `"chat-api"` |
# | `ProtocolType` | `"WEBSOCKET"` (the other kind, `HTTP`, has paths and methods) |
# | `RouteSelectionExpression` | `"$request.body.action"`: the `action` field of each JSON frame |
# | `Tags` | `{"workshop:app": "chat"}`: later lessons and `teardown("chat")` find the API by it |
#
# It returns the API's description: `ApiId`, and `ApiEndpoint`, where clients connect
# (`wss://{apiId}.execute-api.{region}.amazonaws.com` on AWS, a `ws://` address on the local cloud).
#
# ### Challenge `chat-api` · 3 min
#
# API names need not be unique: a second `create_api` makes a second API. So the cell looks for
# `chat-api` first; write the call that creates it when there is none, and keep what it returns in
# `api`.

# %% tags=["exercise:chat-api"]
import boto3

apis = boto3.client("apigatewayv2")
api = next((api for api in apis.get_apis()["Items"] if api["Name"] == "chat-api"), None)
if api is None:
    ### BEGIN SOLUTION
    api = apis.create_api(
        Name="chat-api",
        ProtocolType="WEBSOCKET",
        RouteSelectionExpression="$request.body.action",
        Tags={"workshop:app": "chat"},
    )
    ### END SOLUTION

# %% tags=["check:chat-api"]
check.chat_api()

# %% tags=["nbval-ignore-output"]
api = next(api for api in apis.get_apis()["Items"] if api["Name"] == "chat-api")
api_id = api["ApiId"]
api["ApiEndpoint"], api["RouteSelectionExpression"]

# %% [markdown]
# ## Wire `$connect`
#
# Three calls wire a route to a function:
#
# 1. `apis.create_integration(...)`: what to call. `ApiId=api_id`, `IntegrationType="AWS_PROXY"`
#    (hand the function the whole event, send back what it returns), `IntegrationMethod="POST"`
#    (Lambda is always invoked with a POST) and `IntegrationUri`, which names the function:
#    `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations`.
#    `lambda_.get_function_configuration(FunctionName=...)["FunctionArn"]` is the function's ARN.
#    It returns the integration's `IntegrationId`.
# 2. `apis.create_route(...)`: `ApiId`, the `RouteKey`, and its `Target`,
#    `f"integrations/{integration_id}"`.
# 3. `lambda_.add_permission(...)` on the **function**: a statement in its resource policy (the
#    dashed arrow of lesson 02's picture) that lets API Gateway invoke it. `FunctionName`,
#    `Action="lambda:InvokeFunction"`, `Principal="apigateway.amazonaws.com"`, a `StatementId`
#    unique for the function (letters, digits, `-` and `_`: `f"apigateway-{api_id}-connect"`, say,
#    from `route_key.removeprefix("$")`) and `SourceArn`, which limits it to this route of this
#    API: `f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{route_key}"` (the `*` is any
#    stage). Without it, API Gateway answers every connect with 500. A statement that exists
#    already is a `lambda_.exceptions.ResourceConflictException`: catch it, the permission is
#    there.
#
# ### Challenge `connect-route` · 7 min
#
# Write `wire_route(route_key, function_name)` with these three calls. The cell then wires
# `$connect` to `chat-connect` (only when the API has no `$connect` yet, so running it again is
# safe); you will call it again for `$disconnect` below.

# %% tags=["exercise:connect-route"]
lambda_ = boto3.client("lambda")
region = apis.meta.region_name
account = boto3.client("sts").get_caller_identity()["Account"]


def wire_route(route_key: str, function_name: str) -> None:
    """Route `route_key` of the chat API to the function: integration, route, permission."""
    ### BEGIN SOLUTION
    function_arn = lambda_.get_function_configuration(FunctionName=function_name)["FunctionArn"]
    integration = apis.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationMethod="POST",
        IntegrationUri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    apis.create_route(
        ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration['IntegrationId']}"
    )
    try:
        lambda_.add_permission(
            FunctionName=function_name,
            StatementId=f"apigateway-{api_id}-{route_key.removeprefix('$')}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{route_key}",
        )
    except lambda_.exceptions.ResourceConflictException:
        print(f"{function_name}: API Gateway may invoke it already")
    print(f"{route_key}: wired to {function_name}")
    ### END SOLUTION


if "$connect" not in lessons.routes_of(api_id):
    wire_route("$connect", "chat-connect")

# %% tags=["check:connect-route"]
check.route("$connect", "chat-connect")

# %% [markdown]
# ## Deploy to a stage
#
# Two calls make the route live:
#
# 1. `apis.create_deployment(ApiId=api_id)` snapshots the routes as they are now; it returns the
#    deployment's `DeploymentId`.
# 2. The first time, `apis.create_stage(ApiId=..., StageName="dev", DeploymentId=...)` makes the
#    stage `dev` serve it. When the stage exists, `apis.update_stage(...)` with the same three
#    parameters moves it to the new deployment instead. `apis.get_stage(ApiId=...,
#    StageName="dev")` tells which case it is: for a stage that does not exist it raises
#    `apis.exceptions.NotFoundException`.
#
# ### Challenge `dev-stage` · 4 min
#
# Deploy the API to `dev`, whether or not the stage exists yet.

# %% tags=["exercise:dev-stage"]
### BEGIN SOLUTION
deployment = apis.create_deployment(ApiId=api_id)["DeploymentId"]
try:
    apis.get_stage(ApiId=api_id, StageName="dev")
    apis.update_stage(ApiId=api_id, StageName="dev", DeploymentId=deployment)
except apis.exceptions.NotFoundException:
    apis.create_stage(ApiId=api_id, StageName="dev", DeploymentId=deployment)
### END SOLUTION

# %% tags=["check:dev-stage"]
check.dev_stage()

# %% [markdown]
# The stage's URL is the API's endpoint plus the stage name:

# %% tags=["nbval-ignore-output"]
url = f"{api['ApiEndpoint']}/dev"
url

# %% [markdown]
# ## Connect, like wscat
#
# The classic tutorial connects with `wscat -c wss://…/dev`. In Python, the `websockets` library
# opens a connection in one line. (From a terminal, `python -m websockets <url>` is an interactive
# client.) While ada is connected, `$connect` has stored her row.
#
# **Predict, then run.** Then ada leaves. Is her row still in the table two seconds later? Write
# your guess down, then run the cell.

# %% tags=["nbval-ignore-output"]
from websockets.sync.client import connect


def ids_named(name: str) -> set[str]:
    """The connection ids of the table's rows that carry this name."""
    rows = lessons.table_rows("chat-connections")
    return {row["connectionId"] for row in rows if row["name"] == name}


before = ids_named("ada")
with connect(url + "?name=ada"):
    ada = ids_named("ada") - before  # the row of this connection
time.sleep(2)  # time for a $disconnect, if anything runs one
print(f"ada's row while she was connected: {ada}")
print(f"still there after she left: {ada & ids_named('ada')}")

# %%
assert ada, "no row for ada: is $connect deployed? Run the dev-stage check again"

# %% [markdown]
# Her row stays: nothing routes `$disconnect` yet, so nobody tells the table she left. A row
# whose connection has gone is a **ghost**. (Ran this lesson before? Then `$disconnect` was wired
# and deployed already, and her row went.) Wire `$disconnect` to `chat-disconnect` with your
# function:

# %% tags=["nbval-ignore-output"]
if "$disconnect" not in lessons.routes_of(api_id):
    wire_route("$disconnect", "chat-disconnect")

# %% tags=["nbval-ignore-output"]
check.route("$disconnect", "chat-disconnect")
lessons.routes_of(api_id)

# %% [markdown]
# **Predict, then run.** The API has both routes now. grace connects and leaves, like ada. Is her
# row gone two seconds later? Look at the second picture above before you run the cell.

# %% tags=["nbval-ignore-output"]
before = ids_named("grace")
with connect(url + "?name=grace"):
    grace = ids_named("grace") - before
time.sleep(2)
print(f"grace's row while she was connected: {grace}")
print(f"still there after she left: {grace & ids_named('grace')}")

# %% [markdown]
# Still there: the route is **added but not deployed**. The API has `$disconnect`, but the stage
# serves the snapshot you deployed before you added it. (Ran this lesson before? Then an older
# deployment had `$disconnect` already.) Deploy again: `infra.deploy.deploy_stage` is your
# dev-stage cell in one call, `create_deployment` then `update_stage`.

# %% tags=["nbval-ignore-output"]
from infra.deploy import deploy_stage

deploy_stage(api_id, "dev")
apis.get_stage(ApiId=api_id, StageName="dev")["DeploymentId"]

# %% [markdown]
# The stage serves a new deployment, a snapshot with both routes. grace tries again:

# %% tags=["nbval-ignore-output"]
before = ids_named("grace")
with connect(url + "?name=grace"):
    grace_again = ids_named("grace") - before
print(f"grace's row while she was connected: {grace_again}")

# %%
assert grace_again, "no row for grace: run the dev-stage check, then this cell again"
assert lessons.wait_until(lambda: not grace_again & ids_named("grace")), (
    "$disconnect did not delete grace's row: run the connect-route check for $disconnect, then"
    " deploy again (the cell with deploy_stage)"
)

# %% [markdown]
# Gone. The ghosts of ada and grace are still in the table; delete them by hand (lesson 04 shows
# how the app finds and removes such rows by itself).

# %%
table = boto3.resource("dynamodb").Table("chat-connections")
for ghost in ada | grace:
    table.delete_item(Key={"connectionId": ghost})
assert not (ada | grace) & (ids_named("ada") | ids_named("grace")), (
    "a ghost row is still there: run this cell again"
)

# %% [markdown]
# ## Who may call whom, now
#
# Lesson 02's picture is complete: `add_permission` wrote the resource policy that lets API
# Gateway invoke each function, for one route of this API.
#
# ```mermaid
# flowchart LR
#     C["client"] --> AG(["API Gateway<br/>chat-api, stage dev"])
#     AG -->|"resource policy (add_permission):<br/>may invoke, for $connect / $disconnect"| F["chat-connect<br/>chat-disconnect"]
#     LS(["Lambda service"]) -->|"trust policy:<br/>may assume the role"| R["chat-lambda-role"]
#     F -->|runs as| R
#     R -->|"role policy:<br/>PutItem, DeleteItem, …"| T[("chat-connections")]
# ```

# %% [markdown]
# ## Key points
#
# - A WebSocket API picks a route for each frame with its route selection expression
#   (`$request.body.action`); `$connect`, `$disconnect` and `$default` are special keys.
# - A route needs an `AWS_PROXY` integration naming the function, and the function needs a
#   resource policy statement (`add_permission`) for `apigateway.amazonaws.com`, scoped to the
#   route.
# - Nothing is live until deployed: a deployment is a snapshot, a stage serves one at a URL. A
#   route added after the snapshot is **added but not deployed** until `update_stage` moves the
#   stage to a new deployment.
# - Without `$disconnect`, rows of connections that have gone stay behind: ghosts.
# - A frame no route matches, with no `$default`, gets `Forbidden` (lesson 04 shows it).
#
# **Exercises:** [03 · Routes and stages](../exercises/03-routes-and-stages-exercises.ipynb):
# `api-create`, `routes-wire` and `stage-deploy`: an API for a game that updates itself, a route
# that answers the sender, and a second stage that serves what `dev` has tried.
#
# **Next:** [04 · `sendMessage` and `@connections`](04-send-message.ipynb): the route that relays a
# message to everyone.
