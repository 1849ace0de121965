# %% [markdown]
# # 04 · `sendMessage` and the `@connections` API
#
# **Teaching** 15 min · **Exercises** 15 min
#
# **Questions**
# - How does a message from one client reach all the others?
# - What happens to the rows of clients that vanished without saying goodbye?
# - Why does a route I just added answer `Forbidden`?
#
# **Objectives**
# - Post to a connection from any code with the `@connections` API (`post_to_connection`).
# - Grant the permission to post, for one stage of one API.
# - Add a route, see it fail until deployed, deploy it, and chat.
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
# > lesson needs from the earlier ones (the chat of lesson 03: `$connect` and `$disconnect` deployed
# > to `dev`). Every step is idempotent, so running it again, or after the earlier notebooks,
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
# ## The code
#
# `on_send_message` builds one frame and hands it to `common.send_to_all` for every connection but
# the sender's. `common.send` posts one frame and prunes a gone connection (exercise `chat-prune`
# asks you to write that part).

# %%
lessons.show_source("chat/send_message.py")

# %% [markdown]
# The function is created like those of lesson 02 (`lessons.chat_function` is lesson 02's
# `create_function` call, for the chat's other routes):

# %% tags=["nbval-ignore-output"]
import boto3

role_arn = boto3.client("iam").get_role(RoleName="chat-lambda-role")["Role"]["Arn"]
lessons.chat_function("sendMessage", role_arn)

# %% [markdown]
# ## Permission to post
#
# Posting is a permission of its own, `execute-api:ManageConnections`, on the resource
# `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/POST/@connections/*`. Now that the API
# exists, the role's policy grants it for **this API's `dev` stage, POST only**:

# %% tags=["nbval-ignore-output"]
import json

table_arn = boto3.client("dynamodb").describe_table(TableName="chat-connections")["Table"][
    "TableArn"
]
policy = lessons.chat_policy(table_arn)
boto3.client("iam").put_role_policy(
    RoleName="chat-lambda-role", PolicyName="least-privilege", PolicyDocument=json.dumps(policy)
)
print(json.dumps([s for s in policy["Statement"] if s["Sid"] == "ManageConnections"], indent=2))

# %% [markdown]
# ## `@connections` from the notebook
#
# Any code with the permission can post, not only a Lambda function. The endpoint is the stage's
# URL with `wss` → `https` (`ws` → `http` locally). ada connects with `lessons.WsCat`, lesson 03's
# `websockets` client that prints `>` for what it sends and `<` for what it receives, as wscat
# does; the notebook finds her row and posts to her connection:

# %% tags=["nbval-ignore-output"]
ada = lessons.WsCat(url + "?name=ada")
ada_id = next(
    row["connectionId"] for row in lessons.table_rows("chat-connections") if row["name"] == "ada"
)
endpoint = url.replace("wss://", "https://").replace("ws://", "http://")
connections = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
connections.post_to_connection(ConnectionId=ada_id, Data=json.dumps({"text": "hi ada"}).encode())
from_notebook = ada.receive()

# %%
assert from_notebook == {"text": "hi ada"}

# %% [markdown]
# ada received a frame although she never sent anything: **the backend can talk to a client at any
# time**, which lesson 08 turns into server push. A connection that no longer exists answers
# `GoneException`:

# %%
try:
    connections.post_to_connection(ConnectionId="ghostConnectionId", Data=b"{}")
    gone = None
except connections.exceptions.GoneException as error:
    gone = error.response["ResponseMetadata"]["HTTPStatusCode"]
gone

# %%
assert gone == 410

# %% [markdown]
# ## The route, and the gotcha
#
# Wire `sendMessage` to its function: lesson 03's three calls (integration, route, permission),
# which `infra.deploy.add_route` makes in one step. Then let ada talk to bob **without deploying**:

# %% tags=["nbval-ignore-output"]
from infra.deploy import add_route

add_route(api_id, "sendMessage", "chat-sendMessage")
bob = lessons.WsCat(url + "?name=bob")
ada.send({"action": "sendMessage", "data": "Ground Control to Major Tom"})
reply = ada.receive()

# %%
assert reply["message"] == "Forbidden"

# %% [markdown]
# `Forbidden`: the stage still serves the old deployment, which has no `sendMessage` route (and no
# `$default`). The classic tutorial blames IAM's eventual consistency for this message; most often
# the route just isn't deployed. Deploy (lesson 03's `create_deployment` and `update_stage`, in one
# step), and the very same frame works:

# %% tags=["nbval-ignore-output"]
url = deploy_stage(api_id, "dev")
ada.send({"action": "sendMessage", "data": "Ground Control to Major Tom"})
frame = bob.receive()

# %%
assert frame == {"type": "message", "from": "ada", "text": "Ground Control to Major Tom"}

# %% [markdown]
# ## Pruning, live
#
# A *ghost* is a row whose connection no longer exists: the leftover of a client that vanished
# without `$disconnect`. ada's next message meets it:

# %% tags=["nbval-ignore-output"]
table = boto3.resource("dynamodb").Table("chat-connections")
table.put_item(Item={"connectionId": "ghostConnectionId", "name": "ghost"})
started = lessons.now_ms()
ada.send({"action": "sendMessage", "data": "anyone else?"})
frame = bob.receive()

# %% [markdown]
# bob may have his frame before the function has reached the ghost (it posts to one
# connection after another), so the check waits a moment for the ghost's row to go:

# %%
assert frame["text"] == "anyone else?"


def ghost_is_gone() -> bool:
    ids = [row["connectionId"] for row in lessons.table_rows("chat-connections")]
    return "ghostConnectionId" not in ids


assert lessons.wait_until(ghost_is_gone), "the ghost's row is still in the table"

# %% [markdown]
# bob got the message and the ghost row is gone. The function's log says why:

# %% tags=["nbval-ignore-output"]
lessons.recent_logs("chat-sendMessage", since_ms=started, contains="stale", wait=30)

# %% [markdown]
# ## Clean up
#
# Close the clients: API Gateway runs `$disconnect`, which deletes their rows.

# %%
ada.close()
bob.close()

# %% [markdown]
# ## Key points
#
# - The `@connections` API posts to any open connection by id; any code with
#   `execute-api:ManageConnections` on the stage may call it, so the server can speak first.
# - A gone connection answers `GoneException` (410): delete its row and carry on.
# - A route that is added but not deployed answers `Forbidden`: deploy after every route change.
#
# **Exercises:** [04 · `sendMessage` and `@connections`](../exercises/04-send-message-exercises.ipynb):
# `chat-prune` and `chat-whisper`, in the chat's Lambda code.
#
# **Next:** [05 · Live chat](05-live-chat.ipynb): the finished chat room, with a chat widget.
