# %% [markdown]
# # 03 · `sendMessage` and the `@connections` API
#
# ## Why?
#
# A client's message reaches **one** Lambda invocation. To pass it on, the function calls API
# Gateway back: the **`@connections` API** (`apigatewaymanagementapi` in boto3) posts data down
# any open connection, addressed by its id, at
# `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}/@connections/{connectionId}`.
#
# Some rows in the table may be **stale**: a laptop lid closed, a network dropped, `$disconnect`
# never ran. Posting to such a connection fails with `GoneException` (HTTP 410). The fix, from the
# classic tutorial: delete that row and carry on (*pruning*).
#
# ```mermaid
# sequenceDiagram
#     participant A as ada
#     participant G as API Gateway
#     participant L as chat-sendMessage
#     participant T as chat-connections
#     A->>G: {"action": "sendMessage", "data": "hi"}
#     G->>L: MESSAGE event (connectionId of ada, domainName, stage)
#     L->>T: Scan: who is connected?
#     L->>G: POST @connections/bob
#     G-->>L: 200 (bob gets the frame)
#     L->>G: POST @connections/ghost
#     G-->>L: 410 GoneException
#     L->>T: DeleteItem ghost (pruned)
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones. Every step is idempotent, so running it again, or after the earlier notebooks,
# > changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
lessons.catch_up(3)

# %% [markdown]
# ## The code
#
# `on_send_message` builds one frame and sends it to every connection but the sender's;
# `common.send` does the pruning:

# %%
lessons.show_source("chat/send_message.py")

# %%
lessons.show_source("chat/common.py", "send")

# %% [markdown]
# Create the function, like those of lesson 02:

# %% tags=["nbval-ignore-output"]
import boto3

from infra.deploy import create_or_update_function, package_lambda

role_arn = boto3.client("iam").get_role(RoleName="chat-lambda-role")["Role"]["Arn"]
code = package_lambda("chat")
env = {"TABLE_NAME": "chat-connections"}
create_or_update_function(
    "chat", "chat-sendMessage", "send_message.lambda_handler", role_arn, code, environment=env
)

# %% [markdown]
# ## `@connections` needs an address
#
# `@connections` belongs to a **deployed stage** of an API, so the chat app needs its API now. Here
# is the minimum: the API, its `$connect` / `$disconnect` routes to lesson 02's functions, deployed
# to a stage called `dev`. Lesson 04 explains routes and deployments properly.

# %% tags=["nbval-ignore-output"]
from infra.deploy import add_route, create_websocket_api, deploy_stage

api_id = create_websocket_api("chat")
add_route(api_id, "$connect", "chat-connect")
add_route(api_id, "$disconnect", "chat-disconnect")
url = deploy_stage(api_id, "dev")

# %% [markdown]
# Posting is a permission of its own, `execute-api:ManageConnections`. Now that the API exists, the
# role can be granted it for **this API's `dev` stage only**:

# %% tags=["nbval-ignore-output"]
import json

from infra.deploy import create_connections_table, create_lambda_role

policy = lessons.chat_policy(create_connections_table("chat"))
create_lambda_role("chat", policy)
print(json.dumps([s for s in policy["Statement"] if s["Sid"] == "ManageConnections"], indent=2))

# %% [markdown]
# ## A live client and a ghost
#
# `lessons.WsCat` is a tiny WebSocket client (lesson 04 shows its code). `ada` connects for real,
# so `$connect` stores her row. The *ghost* is a row whose connection no longer exists: the
# leftover of a client that vanished without `$disconnect`.

# %% tags=["nbval-ignore-output"]
ada = lessons.WsCat(url + "?name=ada")
table = boto3.resource("dynamodb").Table("chat-connections")
table.put_item(Item={"connectionId": "ghostConnectionId", "name": "ghost"})
[row["name"] for row in lessons.table_rows("chat-connections")]

# %% [markdown]
# ## Test `sendMessage` with a hand-made message
#
# There is no `sendMessage` route yet (that's lesson 04), so we invoke the function the way API
# Gateway will: with a MESSAGE event whose `requestContext` says which API and stage it came from
# (`domainName`, `stage`). That is how the function knows where `@connections` is.

# %% tags=["nbval-ignore-output"]
message = {"action": "sendMessage", "data": "Ground Control to Major Tom"}
event = lessons.message_event(api_id, message)
event

# %% tags=["nbval-ignore-output"]
started = lessons.now_ms()
print(lessons.invoke("chat-sendMessage", event))
frame = ada.receive(timeout=5)

# %%
assert frame == {"type": "message", "from": "guest", "text": "Ground Control to Major Tom"}
ids = [row["connectionId"] for row in lessons.table_rows("chat-connections")]
assert "ghostConnectionId" not in ids

# %% [markdown]
# `ada` received the message although she never sent anything: **the backend can talk to a client
# at any time**, which lesson 08 turns into server push. And the ghost row is gone. The function's
# log says why:

# %% tags=["nbval-ignore-output"]
lessons.recent_logs("chat-sendMessage", since_ms=started, contains="stale", wait=30)

# %% [markdown]
# ## `@connections` from the notebook
#
# Any code with the permission can post: here the notebook posts to `ada` directly, then to the ghost
# (now the answer is `GoneException`, HTTP 410). The endpoint is the stage URL with `wss` → `https`
# (`ws` → `http` locally):

# %%
lessons.show_source(lessons.post_to)

# %% tags=["nbval-ignore-output"]
rows = lessons.table_rows("chat-connections")
ada_id = next(row["connectionId"] for row in rows if row["name"] == "ada")
print(lessons.post_to(url, ada_id, {"type": "message", "from": "notebook", "text": "hi ada"}))
print(ada.receive(timeout=5))

# %%
assert lessons.post_to(url, "ghostConnectionId", {"text": "anyone?"}) == "GoneException (410)"

# %% [markdown]
# ## Clean up
#
# Close the client: API Gateway runs `$disconnect`, which deletes `ada`'s row.
#
# **Next:** 04, routes and stages: letting clients call `sendMessage` themselves.

# %%
ada.close()
