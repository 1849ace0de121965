# %% [markdown]
# # 04 · `sendMessage` and the `@connections` API
#
# **Teaching** 25 min · **Exercises** 15 min
#
# **Questions**
# - How does a message from one client reach all the others?
# - What happens to the rows of clients that vanished without saying goodbye?
# - Why does a route I just added answer `Forbidden`?
#
# **Objectives**
# - Post to a connection from any code with the `@connections` API (`post_to_connection`).
# - Grant the permission to post, for one stage of one API.
# - Write the function's `send`: post one frame, prune a gone connection, and deploy it.
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
#
# **How the challenges work.** Where a cell says `# YOUR CODE HERE`, you write the code; the cell
# after it checks what you did and answers in one line: ✓ done, ✗ what is still wrong, or
# ◻ not done yet (then the kit does that step for you, so the lesson can go on). Stuck? Run
# `reveal("the-challenge-id")` in a new cell to see an answer.

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
# `on_send_message` builds one frame and hands it to `common.send_to_all`, for every connection but
# the sender's; `send_to_all` calls `common.send(api, table, connection, frame)` once per
# connection. You write that `send` in this lesson: it is the heart of the function.

# %%
lessons.show_source("chat/send_message.py")

# %% [markdown]
# ## Permission to post
#
# Posting is a permission of its own, `execute-api:ManageConnections`, on the resource
# `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/POST/@connections/*`. Now that the API
# exists, the role's policy grants it for **this API's `dev` stage, POST only**:

# %% tags=["nbval-ignore-output"]
import json

import boto3

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
# does; the notebook finds her row (her connection id) and makes an `@connections` client:

# %% tags=["nbval-ignore-output"]
from infra.challenges import lesson04 as check
from infra.challenges import reveal  # noqa: F401 (yours: reveal("id") shows an answer)

ada = lessons.WsCat(url + "?name=ada")
ada_id = next(
    row["connectionId"] for row in lessons.table_rows("chat-connections") if row["name"] == "ada"
)
endpoint = url.replace("wss://", "https://").replace("ws://", "http://")
connections = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)

# %% [markdown]
# `connections.post_to_connection(...)` sends one frame down one connection. It takes:
#
# | parameter | what it is | here |
# |---|---|---|
# | `ConnectionId` | the connection to post to: the id in the table | `ada_id` |
# | `Data` | the frame, as **bytes**; the chat's frames are JSON text | the JSON of `{"text": "hi ada"}` |
#
# It returns as soon as API Gateway has the frame; ada's client prints it when her side reads it.
#
# ### Challenge `post-to-connection` · 3 min
#
# Post the frame `{"text": "hi ada"}` to ada. (`json.dumps(...)` makes the text;
# `.encode()` makes bytes of it.) The check reads ada's side.

# %% tags=["exercise:post-to-connection"]
### BEGIN SOLUTION
connections.post_to_connection(ConnectionId=ada_id, Data=json.dumps({"text": "hi ada"}).encode())
### END SOLUTION

# %% tags=["check:post-to-connection"]
check.post_to_connection(ada, ada_id, connections)

# %% [markdown]
# ada received a frame although she never sent anything: **the backend can talk to a client at any
# time**, which lesson 08 turns into server push.
#
# **Predict, then run.** The table may hold a *ghost*: the row of a connection that no longer
# exists. What does `post_to_connection` answer for such an id: nothing, an error, a status
# code? Write your guess down, then run the cell (it catches the error to show its name and
# HTTP status).

# %%
try:
    connections.post_to_connection(ConnectionId="ghostConnectionId", Data=b"{}")
    gone = None
except connections.exceptions.ClientError as error:
    gone = (error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"])
gone

# %%
assert gone == ("GoneException", 410), (
    f"expected ('GoneException', 410), got {gone}: is the catch-up cell's stage deployed?"
)

# %% [markdown]
# ## `send`: post one frame, prune a ghost
#
# `GoneException` (HTTP 410) is how the `@connections` API says "this client is gone". Posting
# to every row of the table, the function will meet ghosts: a laptop lid closed, a network
# dropped, `$disconnect` never ran. The fix, from the classic tutorial: delete that row and carry
# on (*pruning*). Any other error is a real problem and must not be hidden.
#
# Every boto3 error is a `botocore.exceptions.ClientError`; its code is
# `error.response["Error"]["Code"]`. `table` is the `chat-connections` table (a boto3 `Table`),
# `api` an `@connections` client like `connections` above.
#
# ### Challenge `send-and-prune` · 8 min
#
# Write the body of `send(api, table, connection, frame)`:
#
# 1. post `frame` (a dict) as JSON bytes to `connection`, and return `True`;
# 2. if the post raises a `ClientError` whose code is `GoneException`: `print` a line saying
#    which connection you prune (it is what the function's log will show), delete that
#    connection's row (`table.delete_item(Key={"connectionId": ...})`) and return `False`;
# 3. any other `ClientError`: `raise` it again.
#
# The check calls your `send` here (a post to ada, to a ghost, and one that fails otherwise),
# then **deploys it**: it creates the `chat-sendMessage` function (as lesson 02's
# `create_function` did) from the chat's code with your `send` in place of the kit's in
# `common.py`. From then on the Lambda function runs your code.

# %% tags=["exercise:send-and-prune"]
from botocore.exceptions import ClientError


def send(api, table, connection: str, frame: dict) -> bool:
    """Post one JSON frame; prune the row and return False if the connection is gone."""
    ### BEGIN SOLUTION
    try:
        api.post_to_connection(ConnectionId=connection, Data=json.dumps(frame).encode())
    except ClientError as error:
        if error.response["Error"]["Code"] != "GoneException":
            raise
        print(f"{connection} is gone: pruning its row")
        key = {"connectionId": connection}
        table.delete_item(Key=key)
        return False
    return True
    ### END SOLUTION


# %% tags=["check:send-and-prune"]
check.send_and_prune(send, connections, ada, ada_id)

# %% [markdown]
# ## The route, and the gotcha
#
# Wire `sendMessage` to its function: lesson 03's three calls (integration, route, permission),
# which `infra.deploy.add_route` makes in one step. bob joins too:

# %% tags=["nbval-ignore-output"]
from infra.deploy import add_route

add_route(api_id, "sendMessage", "chat-sendMessage")
bob = lessons.WsCat(url + "?name=bob")

# %% [markdown]
# **Predict, then run.** The route exists now, but nobody deployed the API since lesson 03. When
# ada sends a `sendMessage` frame, does bob get it? What does ada get back? Guess, then run:

# %% tags=["nbval-ignore-output"]
ada.send({"action": "sendMessage", "data": "Ground Control to Major Tom"})
reply = ada.receive()

# %%
assert reply.get("message") == "Forbidden", (
    f"expected API Gateway's Forbidden, got {reply}: run the cell that starts from lesson 03's"
    " state (it removes the route and redeploys), then this section again"
)

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
assert frame == {"type": "message", "from": "ada", "text": "Ground Control to Major Tom"}, (
    f"bob received {frame}: if your send passed its check, run the deploy cell again"
)

# %% [markdown]
# ## Pruning, live
#
# Now a ghost in the table, as a vanished laptop would leave it. **Predict, then run:** ada's next
# message meets the ghost in the Lambda function. Does bob still get it? Is the ghost's row still
# there afterwards?

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
assert frame["text"] == "anyone else?", f"bob received {frame}, not ada's message"


def ghost_is_gone() -> bool:
    ids = [row["connectionId"] for row in lessons.table_rows("chat-connections")]
    return "ghostConnectionId" not in ids


assert lessons.wait_until(ghost_is_gone), (
    "the ghost's row is still in the table: does your send delete the row on GoneException?"
)

# %% [markdown]
# bob got the message and the ghost row is gone. The function's log (since ada's message) shows
# the line `send` printed about the ghost (yours, once your `send` passed its check):

# %% tags=["nbval-ignore-output"]
lessons.recent_logs("chat-sendMessage", since_ms=started, wait=30)

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
# - A gone connection answers `GoneException` (410): delete its row and carry on; re-raise any
#   other error.
# - The function's code is yours: the `send` you wrote runs inside `chat-sendMessage`.
# - A route that is added but not deployed answers `Forbidden`: deploy after every route change.
#
# **Exercises:** [04 · `sendMessage` and `@connections`](../exercises/04-send-message-exercises.ipynb):
# `chat-named` (find connections by nickname) and `chat-whisper` (a message to one person, or an
# error frame back), in the chat's Lambda code.
#
# **Next:** [05 · Live chat](05-live-chat.ipynb): the finished chat room, with a chat widget.
