# %% [markdown]
# # 05 · Live chat
#
# **Teaching** 20 min · **Exercises** 5 min
#
# **Questions**
# - What does the finished chat look like to the people using it?
# - What happens to a frame on its way from one person to another?
# - What answers a frame that no route knows?
# - How do my neighbours join my chat room?
#
# **Objectives**
# - Chat between two widgets in one kernel, and join the room with a client of your own.
# - Follow a message's hops (frame in, route, Lambda, posts out) on a live trace.
# - Write the `$default` route's reply, and find its route response with `get_route_responses`.
#
# ## Why?
#
# Lessons 01–04 built the chat app one piece at a time. `deploy_app("chat")` runs those same steps
# in one go and adds two routes: `whisper` and `$default`, which answers any unknown frame with a
# help text (its reply goes back to the sender through a **route response**, lesson 06). You
# can see its plan: `from infra.deploy.apps import CHAT`, then `CHAT` in a cell.
#
# Now use it like a person would: `ChatClient` is a chat widget (message log, text box, Send
# button). All widgets in this kernel share one background thread for their network I/O, so they
# keep receiving while you run other cells, and they never print into your notebook.
#
# One message takes **four hops**, numbered in the picture: ① ada's frame comes in,
# ② the gateway chooses a route from the frame's `action`, ③ it invokes that route's function,
# ④ the function posts the message to every other connection through `@connections`:
#
# ```mermaid
# sequenceDiagram
#     participant A as ada's widget
#     participant G as API Gateway (chat-api, dev)
#     participant L as chat-sendMessage
#     participant T as chat-connections
#     participant B as bob's widget
#     A->>G: ① frame in: {"action": "sendMessage", "data": "hi"}
#     Note over G: ② route chosen: sendMessage
#     G->>L: ③ Lambda invoked with the MESSAGE event
#     L->>T: Scan: who is connected?
#     L->>G: ④ post to each other connection (@connections)
#     G->>B: {"type": "message", "from": "ada", "text": "hi"}
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones (here: the whole chat app). Every step is idempotent, so
# > running it again, or after the earlier notebooks, changes nothing.
#
# **How the challenges work.** Where a cell says `# YOUR CODE HERE`, you write the code; the cell
# after it checks what you did and answers in one line: ✓ done, ✗ what is still wrong, or
# ◻ not done yet (then the kit does that step for you, so the lesson can go on). Stuck? Run
# `reveal("the-challenge-id")` in a new cell to see an answer.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.challenges import lesson05 as check
from infra.challenges import reveal  # noqa: F401 (yours: reveal("id") shows an answer)
from infra.session import use_cloud

cloud = use_cloud()
url = lessons.catch_up(5)

# %% [markdown]
# ## Two people in one kernel
#
# The cell below shows two chat widgets: **ada** on top, **bob** below it. Type into ada's box
# (the upper one) and press Enter: the message appears in bob's log, marked `ada:`. Then type
# into bob's box, and it appears in ada's. (Each widget marks its own lines `(you)`.)

# %% tags=["nbval-ignore-output"]
from IPython.display import display

from infra.widgets import ChatClient

ada = ChatClient(url, "ada")
bob = ChatClient(url, "bob")
display(ada, bob)

# %% [markdown]
# A widget can be driven from Python too: `ada.send(text)` sends as if ada typed it, and
# `bob.wait_for(test)` waits until bob receives a frame that passes the test.

# %% tags=["nbval-ignore-output"]
ada.send("hello bob")
frame = bob.wait_for(lambda f: f["text"] == "hello bob", timeout=5)

# %%
assert frame == {"type": "message", "from": "ada", "text": "hello bob"}, (
    f"bob received {frame}: run the catch-up cell again, then the widget cell"
)
assert ("ada", "hello bob") in bob.messages, "bob's log lacks ada's message: run the cells again"

# %% [markdown]
# ## Watch the hops
#
# The local cloud reports each hop of the picture above on a trace feed; the `Trace` widget shows
# them live. Keep it open while you chat in the widgets above, and watch a `$default` reply or a
# stale connection go by.
#
# The trace feed is the local cloud's teaching aid: on AWS the widget says it has nothing to show.
# There, each function's `print` lines and errors are in CloudWatch Logs (`lessons.recent_logs`),
# and a Lambda function's own **active tracing** (X-Ray) follows the function and the calls it
# makes (DynamoDB, `@connections`). API Gateway itself sends X-Ray traces for REST APIs only, not
# for WebSocket APIs: hops ① and ② have no trace on AWS.

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
assert {"frame_in", "route", "lambda", "post"} <= set(hops) or not trace.available, (
    f"the trace lacks a hop ({trace.status}): run the Trace cell, then the cell above, again"
)

# %% [markdown]
# ## A client of your own
#
# The widgets hide the frames. Underneath, the chat is plain WebSocket frames, and any client can
# join: carol joins with `lessons.WsCat` (lesson 03's client, which prints `>` for what it sends
# and `<` for what it receives).

# %% tags=["nbval-ignore-output"]
carol = lessons.WsCat(url + "?name=carol")

# %% [markdown]
# A chat frame is a JSON object. The API's route selection expression is
# `$request.body.action`: the gateway reads the frame's `action` and picks the route of that
# name; whatever else the frame holds is for the function.
#
# | field | what it says | for a chat message |
# |---|---|---|
# | `action` | the route key | `"sendMessage"` |
# | `data` | what `on_send_message` relays as the text | your message |
#
# `carol.send(message)` sends a dict as its JSON text.
#
# ### Challenge `own-client-frame` · 3 min
#
# Make carol say something to the room. Watch both widgets above: who gets it, and who does not?

# %% tags=["exercise:own-client-frame"]
### BEGIN SOLUTION
carol.send({"action": "sendMessage", "data": "hi, I am carol"})
### END SOLUTION

# %% tags=["check:own-client-frame"]
check.own_client_frame(carol, bob)

# %% [markdown]
# **Predict, then run.** Route keys are matched exactly. What does carol get back if she spells
# the action `sendmessage`, all lower case: nothing, an error, or something else? Guess, then run
# (the cell waits for a frame of type `help`, printing any other it meets on the way):

# %% tags=["nbval-ignore-output"]
carol.send({"action": "sendmessage", "data": "hello?"})
answer = carol.receive(of_type="help")

# %%
assert answer["type"] == "help", f"carol got {answer}: run the catch-up cell again"

# %% [markdown]
# ## The `$default` route answers
#
# A frame whose `action` matches no route goes to `$default`. Its function, `chat-default`, posts
# nothing through `@connections`: the route has a **route response**, so what the function
# returns as `body` goes straight back to the sender, as the frame's text. `body` must be text,
# so a JSON frame is `json.dumps(...)` of a dict. The help frame is the constant `HELP`:

# %% tags=["nbval-ignore-output"]
import json

HELP = check.HELP
HELP

# %% [markdown]
# ### Challenge `default-reply` · 5 min
#
# Write the body of `on_default(event)`, `chat-default`'s handler: return status 200 and the
# `HELP` frame as the body, for any frame. (`event` is the `MESSAGE` event of lesson 04; this
# reply needs nothing from it.)
#
# The check calls your function here, then deploys it: `chat-default` runs the chat's code with
# your `on_default` in place of the kit's in `default.py`.


# %% tags=["exercise:default-reply"]
def on_default(event: dict) -> dict:
    """Any frame no route matched gets the help frame back (through the route response)."""
    ### BEGIN SOLUTION
    return {"statusCode": 200, "body": json.dumps(HELP)}
    ### END SOLUTION


# %% tags=["check:default-reply"]
check.default_reply(on_default, url)

# %% [markdown]
# Your function at work, for a frame with an action nobody knows:

# %% tags=["nbval-ignore-output"]
with lessons.WsCat(url + "?name=curious") as cat:
    cat.send({"action": "hello?"})
    help_frame = cat.receive()

# %%
assert help_frame == HELP, f"$default answered {help_frame}: run the check above again"

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
assert [response["RouteResponseKey"] for response in responses] == ["$default"], (
    "the $default route has no $default route response: run the catch-up cell again"
)

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
# ## When you are done: clean up
#
# The widgets above stay live until you close them: chat on as long as you like. When you are
# done, close them in a new cell (closing a client runs `$disconnect`, and the widget stays on
# screen, marked *disconnected*):
#
# ```python
# ada.close()
# bob.close()
# carol.close()
# trace.close()
# ```

# %% [markdown]
# ## Key points
#
# - The widgets' network I/O runs on one background thread, so they keep receiving between cells
#   and never print into the notebook.
# - One message takes four hops: frame in, route chosen, Lambda invoked, posts out.
# - The frame's `action` chooses the route, exactly as spelled; anything else goes to `$default`.
# - A route with a route response sends the function's returned `body` back to the sender.
# - Anyone who can reach the endpoint can join; in a room, everyone joins the instructor's apps by
#   URL and builds in their own cloud.
# - On AWS, CloudWatch Logs and a function's active tracing follow a message inside Lambda; the
#   WebSocket gateway's own hops are not traced.
#
# **Exercises:** [05 · Live chat](../exercises/05-live-chat-exercises.ipynb): `chat-who`, a
# `$default` reply that lists who is online.
#
# **Next:** [06 · The pointer arena](06-pointer-arena.ipynb): replies through route responses,
# and a DynamoDB stream trigger.
