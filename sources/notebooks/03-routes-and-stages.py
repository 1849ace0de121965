# %% [markdown]
# # 04 · Routes, deployments and stages
#
# ## Why?
#
# A WebSocket API receives **frames**, not HTTP requests with paths. API Gateway picks a route for
# each frame with the **route selection expression**: for the chat, `$request.body.action`, the
# `action` field of the JSON frame. `{"action": "sendMessage", ...}` goes to the `sendMessage`
# route, whose **integration** invokes `chat-sendMessage`. Frames that match no route go to
# `$default`; if there is no `$default`, the client gets a `Forbidden` frame.
#
# Your routes are not live when you create them: a **deployment** is a frozen snapshot of the
# API's configuration, and a **stage** (`dev`) serves one deployment at a URL. Change a route and
# nothing happens until you deploy again.
#
# ```mermaid
# flowchart LR
#     F["frame<br/>{action: sendMessage}"] --> S{"$request.body.action"}
#     S -->|sendMessage| R1[route sendMessage] --> L1[chat-sendMessage]
#     S -->|whisper| R2[route whisper] --> L2[chat-whisper]
#     S -->|no match| R3["$default, or Forbidden"]
#     subgraph stage dev
#       D[deployment: snapshot of the routes]
#     end
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones. Every step is idempotent, so running it again, or after the earlier notebooks,
# > changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
url = lessons.catch_up(4)
api_id = lessons.chat_api_id()

# %% [markdown]
# ### Start from lesson 03's state
#
# So that this lesson can run again (or after lesson 05), remove the routes it is about to add and
# deploy, which puts the stage back where lesson 03 left it. (If a neighbour uses your chat room
# right now, their messages stop working until the end of this lesson.)

# %% tags=["nbval-ignore-output"]
from infra.deploy import deploy_stage

for key in ("sendMessage", "whisper", "$default"):
    lessons.remove_route(api_id, key)
url = deploy_stage(api_id, "dev")
lessons.routes_of(api_id)

# %% [markdown]
# ## Wire a route
#
# `add_route` creates the Lambda proxy integration, the route, and the permission for API Gateway
# to invoke the function (for this route only):

# %%
from infra.deploy import add_route

lessons.show_source(add_route)

# %% tags=["nbval-ignore-output"]
add_route(api_id, "sendMessage", "chat-sendMessage")
url = deploy_stage(api_id, "dev")

# %% [markdown]
# ## A plain WebSocket client, like wscat
#
# The classic tutorial talks to the API with `wscat -c wss://…/beta`. In Python, the `websockets`
# library does the same in a few lines: `WsCat` prints `>` for what it sends and `<` for what it
# receives. (From a terminal: `python -m websockets <url>` is an interactive client.)

# %%
lessons.show_source(lessons.WsCat)

# %% tags=["nbval-ignore-output"]
ada = lessons.WsCat(url + "?name=ada")
bob = lessons.WsCat(url + "?name=bob")
ada.send({"action": "sendMessage", "data": "Ground Control to Major Tom"})
frame = bob.receive()

# %%
assert frame == {"type": "message", "from": "ada", "text": "Ground Control to Major Tom"}

# %% [markdown]
# ## The gotcha: a route added but not deployed
#
# Add a `whisper` route (a private message to one nickname) and try it **without deploying**:

# %% tags=["nbval-ignore-output"]
import boto3

role_arn = boto3.client("iam").get_role(RoleName="chat-lambda-role")["Role"]["Arn"]
lessons.chat_function("whisper", role_arn)
add_route(api_id, "whisper", "chat-whisper")
ada.send({"action": "whisper", "to": "bob", "data": "psst"})
reply = ada.receive()

# %%
assert reply["message"] == "Forbidden"

# %% [markdown]
# `Forbidden`: the stage still serves the old deployment, which has no `whisper` route and no
# `$default`. (The classic tutorial blames IAM's eventual consistency for this message; most often
# the route just isn't deployed.) Deploy, and the very same frame works:

# %% tags=["nbval-ignore-output"]
url = deploy_stage(api_id, "dev")
ada.send({"action": "whisper", "to": "bob", "data": "psst"})
whisper = bob.receive()

# %%
assert whisper == {"type": "whisper", "from": "ada", "text": "psst"}

# %% [markdown]
# Each `deploy_stage` made a new deployment and pointed the stage at it:

# %% tags=["nbval-ignore-output"]
boto3.client("apigatewayv2").get_stage(ApiId=api_id, StageName="dev")["DeploymentId"]

# %% [markdown]
# ## Clean up
#
# **Next:** 05, the finished chat room with a chat widget, and inviting your neighbours.

# %%
ada.close()
bob.close()
