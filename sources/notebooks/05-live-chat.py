# %% [markdown]
# # 05 · Live chat
#
# **Teaching** 10 min · **Exercises** 5 min
#
# **Questions**
# - What does the finished chat look like to the people using it?
# - What happens to a frame on its way from one person to another?
# - How do my neighbours join my chat room?
#
# **Objectives**
# - Chat between two widgets in one kernel, and drive one of them from Python.
# - Follow a message's hops (frame in, route, Lambda, posts out) on a live trace.
# - Find the `$default` route's route response with `get_route_responses`.
#
# ## Why?
#
# Lessons 01–04 built the chat app one piece at a time. `deploy_app("chat")` runs those same steps
# in one go (`infra/deploy/apps.py` lists them) and adds two routes: `whisper` and `$default`,
# which answers any unknown frame with a help text (its reply goes back to the sender through a
# **route response**, lesson 06).
#
# Now use it like a person would: `ChatClient` is a chat widget (message log, text box, Send
# button). All widgets in this kernel share **one background thread** for their network I/O, so
# they keep receiving while you run other cells, and they never print into your notebook.
#
# ```mermaid
# flowchart LR
#     subgraph kernel["this notebook's kernel"]
#       ada[ChatClient ada]
#       bob[ChatClient bob]
#       loop(("one background<br/>event loop"))
#       ada --- loop
#       bob --- loop
#     end
#     neighbour["a neighbour's ChatClient"] -->|ws://your address/…/dev| G
#     loop <-->|WebSocket| G[API Gateway: chat-api, stage dev]
#     G --> L[chat functions] --> T[(chat-connections)]
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones. Every step is idempotent, so running it again, or after the earlier notebooks,
# > changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
url = lessons.catch_up(5)

# %% [markdown]
# ## Two people in one kernel
#
# Type into the widget below and press Enter: `bob` receives it. (`ada` is driven from Python.)

# %% tags=["nbval-ignore-output"]
from infra.widgets import ChatClient

ada = ChatClient(url, "ada")
bob = ChatClient(url, "bob")
bob

# %% tags=["nbval-ignore-output"]
ada.send("hello bob")
frame = bob.wait_for(lambda f: f["text"] == "hello bob", timeout=5)

# %%
assert frame == {"type": "message", "from": "ada", "text": "hello bob"}
assert ("ada", "hello bob") in bob.messages

# %% [markdown]
# ## Watch the hops
#
# What just happened took four hops: ada's **frame in** -> the gateway **chose a route**
# (`sendMessage`, from the frame's `action`) -> it **invoked** the `chat-sendMessage` function
# -> the function **posted** to every other connection through @connections. The local cloud
# reports each hop on a trace feed; the `Trace` widget shows them live. Keep it open while you
# chat, and watch a $default reply or a stale connection go by. (The trace feed is the local
# cloud's teaching aid; on AWS the widget says it has nothing to show, and the same story is told
# by CloudWatch Logs and X-Ray.)

# %% tags=["nbval-ignore-output"]
from infra.widgets import Trace

trace = Trace(api_id=lessons.chat_api_id())
trace

# %% tags=["nbval-ignore-output"]
ada.send("watch the hops")
bob.wait_for(lambda f: f["text"] == "watch the hops", timeout=5)
trace.wait_for(lambda hop: hop["hop"] == "post", timeout=5)

# %%
hops = [hop["hop"] for hop in trace.hops]
assert {"frame_in", "route", "lambda", "post"} <= set(hops) or not trace.available, trace.status

# %% [markdown]
# ## The `$default` route answers
#
# A frame with an unknown `action` goes to `$default`, whose function returns a help text **as its
# reply**:

# %% tags=["nbval-ignore-output"]
with lessons.WsCat(url + "?name=curious") as cat:
    cat.send({"action": "hello?"})
    help_frame = cat.receive()

# %%
assert help_frame["type"] == "help"

# %% [markdown]
# That reply travels back through the route's **route response**, which `get_route_responses`
# lists (lesson 06 creates one by hand):

# %% tags=["nbval-ignore-output"]
import boto3

apis = boto3.client("apigatewayv2")
api_id = lessons.chat_api_id()
default = next(r for r in apis.get_routes(ApiId=api_id)["Items"] if r["RouteKey"] == "$default")
responses = apis.get_route_responses(ApiId=api_id, RouteId=default["RouteId"])["Items"]
[response["RouteResponseKey"] for response in responses]

# %%
assert [response["RouteResponseKey"] for response in responses] == ["$default"]

# %% [markdown]
# ## Invite your neighbours
#
# A chat room alone is quiet. Anyone who can reach your endpoint can join it with
# `ChatClient(url, "their name")`, or with any WebSocket client (`wscat -c <url>`).
#
# - With a cloud started **inside this kernel** (the default), the URL is `ws://127.0.0.1:…`:
#   only you can reach it.
# - In a **room**, the instructor's machine serves the cloud on the LAN
#   (`workshop up --host 0.0.0.0`) and hosts the room's chat and arena there; their URLs carry
#   the instructor's address (`ws://192.168.1.20:4599/<apiId>/dev`). Join with
#   `ChatClient(room_url, "your name")` from this notebook: your own cloud keeps your own apps.

# %% tags=["nbval-ignore-output"]
print(lessons.room_invitation(url))

# %% [markdown]
# On real AWS (lesson 09) the URL is `wss://{apiId}.execute-api.{region}.amazonaws.com/dev`, and
# anyone on the internet can join.
#
# ## Clean up
#
# Closing a client runs `$disconnect` and leaves the widget on screen, marked *disconnected*.

# %%
ada.close()
bob.close()
trace.close()

# %% [markdown]
# ## Key points
#
# - The widgets' network I/O runs on one background thread, so they keep receiving between cells
#   and never print into the notebook.
# - One message takes four hops: frame in, route chosen, Lambda invoked, posts out.
# - A route with a route response sends the function's returned `body` back to the sender.
# - Anyone who can reach the endpoint can join; in a room, everyone joins the instructor's apps by
#   URL and builds in their own cloud.
#
# **Exercises:** [05 · Live chat](../exercises/05-live-chat-exercises.ipynb): `chat-default`, the
# help reply.
#
# **Next:** [06 · The pointer arena](06-pointer-arena.ipynb): replies through route responses,
# and a DynamoDB stream trigger.
