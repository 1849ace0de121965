# %% [markdown]
# # 03 · Routes and stages
#
# **Teaching** 15 min · **Exercises** 20 min
#
# **Questions**
# - What do clients connect to, and how does a frame find its function?
# - Why does a new route do nothing until it is deployed?
#
# **Objectives**
# - Create a WebSocket API with a route selection expression (`create_api`).
# - Wire a route to a Lambda function: an integration, the route, and the permission to invoke.
# - Deploy the routes to a stage (`create_deployment`, `create_stage`) and connect to its URL.
#
# ## Why?
#
# The functions of lesson 02 exist, but nothing calls them yet. A **WebSocket API** is the address
# clients connect to. It receives **frames**, not HTTP requests with paths, so it picks a route for
# each frame with its **route selection expression**: for the chat, `$request.body.action`, the
# `action` field of the JSON frame. `{"action": "sendMessage", ...}` goes to the `sendMessage`
# route. Three route keys are special: `$connect`, `$disconnect` and `$default` (frames no other
# route matches; without it, the client gets a `Forbidden` frame).
#
# A route's **integration** says what to call: for a Lambda function, an `AWS_PROXY` integration.
# And routes are not live when you create them: a **deployment** is a frozen snapshot of the
# API's routes, and a **stage** (`dev`) serves one deployment at a URL.
#
# ```mermaid
# flowchart LR
#     C[client] -->|"open ws://…/dev?name=ada"| R1["route $connect"] --> L1[chat-connect]
#     F["frame {action: sendMessage}"] --> S{"$request.body.action"}
#     S -->|sendMessage| R2[route sendMessage, lesson 04]
#     S -->|no match| R3["$default, or Forbidden"]
#     subgraph stage dev
#       D[deployment: snapshot of the routes]
#     end
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones (the table, the role, the two functions). Every step is
# > idempotent, so running it again, or after the earlier notebooks, changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
lessons.catch_up(3)

# %% [markdown]
# ## The API
#
# `create_api` with `ProtocolType="WEBSOCKET"` and the route selection expression. API names need
# not be unique, so the cell looks for the chat's API first and creates it only once. Its
# `ApiEndpoint` is where clients connect (`wss://{apiId}.execute-api.{region}.amazonaws.com` on
# AWS, a `ws://` address on the local cloud).

# %% tags=["nbval-ignore-output"]
import boto3

apis = boto3.client("apigatewayv2")
api = next((api for api in apis.get_apis()["Items"] if api["Name"] == "chat-api"), None)
if api is None:
    api = apis.create_api(
        Name="chat-api",
        ProtocolType="WEBSOCKET",
        RouteSelectionExpression="$request.body.action",
        Tags={"workshop:app": "chat"},
    )
api_id = api["ApiId"]
api["ApiEndpoint"], api["RouteSelectionExpression"]

# %%
assert apis.get_api(ApiId=api_id)["ProtocolType"] == "WEBSOCKET"

# %% [markdown]
# ## Wire `$connect` and `$disconnect`
#
# Three calls per route:
#
# 1. `create_integration`: an `AWS_PROXY` integration whose URI names the function (API Gateway
#    invokes Lambda with a `POST`, and hands it the whole event);
# 2. `create_route`: the route key, and its `Target`, the integration;
# 3. `add_permission` on the **function**: a resource policy statement that lets
#    `apigateway.amazonaws.com` invoke it, for this route of this API only (`SourceArn`). Without
#    it, API Gateway answers every connect with 500.

# %% tags=["nbval-ignore-output"]
lambda_ = boto3.client("lambda")
region = apis.meta.region_name
account = boto3.client("sts").get_caller_identity()["Account"]
existing = {route["RouteKey"] for route in apis.get_routes(ApiId=api_id)["Items"]}
for route_key, function in [("$connect", "chat-connect"), ("$disconnect", "chat-disconnect")]:
    if route_key in existing:
        print(f"{route_key}: wired already")
        continue
    function_arn = lambda_.get_function_configuration(FunctionName=function)["FunctionArn"]
    integration = apis.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationMethod="POST",
        IntegrationUri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    apis.create_route(
        ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration['IntegrationId']}"
    )
    lambda_.add_permission(
        FunctionName=function,
        StatementId=f"apigateway-{api_id}-{route_key.removeprefix('$')}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{route_key}",
    )
    print(f"{route_key}: wired to {function}")
lessons.routes_of(api_id)

# %%
assert {"$connect", "$disconnect"} <= set(lessons.routes_of(api_id))

# %% [markdown]
# ## Deploy to a stage
#
# `create_deployment` snapshots the routes as they are now; the stage `dev` serves that snapshot.
# The first time, `create_stage` makes the stage; afterwards `update_stage` moves it to the newest
# deployment. The stage's URL is the API's endpoint plus the stage name.

# %% tags=["nbval-ignore-output"]
deployment = apis.create_deployment(ApiId=api_id)["DeploymentId"]
try:
    apis.get_stage(ApiId=api_id, StageName="dev")
    apis.update_stage(ApiId=api_id, StageName="dev", DeploymentId=deployment)
except apis.exceptions.NotFoundException:
    apis.create_stage(
        ApiId=api_id, StageName="dev", DeploymentId=deployment, Tags={"workshop:app": "chat"}
    )
url = f"{api['ApiEndpoint']}/dev"
url

# %%
assert apis.get_stage(ApiId=api_id, StageName="dev")["DeploymentId"] == deployment

# %% [markdown]
# ## Connect, like wscat
#
# The classic tutorial connects with `wscat -c wss://…/dev`. In Python, the `websockets` library
# opens a connection in one line. While ada is connected, `$connect` has stored her row; once she
# leaves, `$disconnect` deletes it. (From a terminal, `python -m websockets <url>` is an
# interactive client.)

# %% tags=["nbval-ignore-output"]
from websockets.sync.client import connect

with connect(url + "?name=ada") as ws:
    while_connected = lessons.table_rows("chat-connections")
while_connected

# %%
assert any(row["name"] == "ada" for row in while_connected)


def ada_is_gone() -> bool:
    return all(row["name"] != "ada" for row in lessons.table_rows("chat-connections"))


assert lessons.wait_until(ada_is_gone), "$disconnect did not delete ada's row"

# %% [markdown]
# ## Key points
#
# - A WebSocket API picks a route for each frame with its route selection expression
#   (`$request.body.action`); `$connect`, `$disconnect` and `$default` are special keys.
# - A route needs an `AWS_PROXY` integration naming the function, and the function needs a
#   permission for `apigateway.amazonaws.com`, scoped to the route.
# - Nothing is live until deployed: a deployment is a snapshot, a stage serves one at a URL.
# - A frame no route matches, with no `$default`, gets `Forbidden` (lesson 04 shows it).
#
# **Exercises:** [03 · Routes and stages](../exercises/03-routes-and-stages-exercises.ipynb):
# `api-create`, `routes-wire` and `stage-deploy`, a chat wired by your own functions.
#
# **Next:** [04 · `sendMessage` and `@connections`](04-send-message.ipynb): the route that relays a
# message to everyone.
