# %% [markdown]
# # 11 · Appendix: the chat's `sendMessage` in JavaScript
#
# **Optional appendix**, for after lesson 05: nothing in the workshop depends on it.
#
# **Teaching** 15 min · **Exercises** 0 min
#
# **Questions**
# - Does API Gateway care which language answers a route?
# - What does the chat's JavaScript ancestor look like, and what changed in the AWS SDK since?
# - How does a Node.js function's log read in CloudWatch Logs?
#
# **Objectives**
# - Deploy a Node.js `sendMessage` beside the Python one, over the same table, and point the
#   chat's route at it, then back.
# - Compare the Python and JavaScript handlers: scan, post, prune on 410.
# - Tell a Node.js function's log lines from a Python function's.
#
# ## Why?
#
# One of the designs your chat came from gives its handlers in JavaScript: AWS's sample
# `simple-websockets-chat-app`, three Node.js handlers. Lambda runs Node.js as it runs Python, and
# a route's integration names a function, not a language: the gateway sends the same event
# whatever answers it. So a JavaScript `sendMessage` can serve your chat's route, reading the same
# `chat-connections` table that your Python `$connect` fills.
#
# The local cloud runs Node.js functions with the Node.js 20 or later on your machine (or the one
# `make workshop` installs into `.venv`) and the AWS SDK for JavaScript v3 that `make workshop`
# installs too (Lambda's Node.js runtimes include it).
# On a machine without Node.js, the deploy cell says so in one line and the JavaScript cells
# skip themselves: read them, and your Python chat stays as it is.

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds the whole chat
# > app, as lesson 05 left it. Every step is idempotent, and it points `sendMessage` back at the
# > Python function if a run of this appendix left it on the JavaScript one.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
url = lessons.catch_up(11)
api_id = lessons.chat_api_id()

# %% [markdown]
# ## Two handlers for one route
#
# On the left, the chat's Python `sendMessage` (lessons 04 and 05); on the right, AWS's sample
# `sendmessage` as it is today: an ES module (`app.mjs`, `export const handler`) on the SDK v3,
# which it imports without bundling it, since Lambda's Node.js runtimes include it.

# %% tags=["nbval-ignore-output"]
lessons.side_by_side("chat/send_message.py", "chat-javascript/sendmessage/app.mjs")

# %% [markdown]
# The Python handler's pruning is in `common.send`; the JavaScript one does it inline:

# %% tags=["nbval-ignore-output"]
lessons.show_source("chat/common.py", "send")

# %% [markdown]
# Same table, same event, same @connections endpoint (`https://{domainName}/{stage}`, built from
# the event in both). What differs:
#
# | | Python (`chat-sendMessage`) | JavaScript (`chat-sendMessage-js`) |
# |---|---|---|
# | the frame posted | `{"type": "message", "from": "ada", "text": "hi"}` | the frame's `data` as it is: `hi` |
# | who gets it | everyone but the sender | everyone, the sender too |
# | the posts | one after another | all at once (`Promise.all`) |
# | a gone connection | `ClientError` with code `GoneException` | `err.$metadata.httpStatusCode === 410` |
# | the table | `Scan` of ids and names, `GetItem` of the sender's name | `Scan` of ids only |
#
# ## The older JavaScript: the SDK v2
#
# The chat's design document gave this handler on the SDK's version 2 (`aws-sdk`, CommonJS), as
# AWS's sample was written then. On the right, today's version again:

# %% tags=["nbval-ignore-output"]
lessons.side_by_side("chat-javascript/sdk-v2/sendMessage.js", "chat-javascript/sendmessage/app.mjs")

# %% [markdown]
# v2 has a client per service with a method per call, and `.promise()` to await it; v3 has a
# package per service and a command object per call, sent with `client.send(...)`, and its error
# keeps the HTTP status in `$metadata`. Lambda's `nodejs18.x` and later runtimes include only v3:
# the v2 code fails there with `Runtime.ImportModuleError` ("Cannot find module 'aws-sdk'")
# unless its zip bundles the `aws-sdk` package (about 100 MB of it). The local cloud behaves
# the same. This appendix runs the v3 handler, which needs nothing in its zip; the kit's tests
# run the v2 one too, with `aws-sdk` bundled (`tests/notebooks/test_lessons_javascript.py`). Both
# files, and what they need, are in the folder's
# [README](../exercises/lambdas/chat-javascript/README.md).
#
# ## Deploy it beside the Python one
#
# The function gets a role of its own, with only what `app.mjs` does: `Scan` and `DeleteItem`
# on the table, posting to the chat's stage, and writing its own log group. The deploy is the
# step you know from lesson 02 with another `Runtime` and `Handler` (`app.handler`: the export
# `handler` of `app.mjs`):

# %% tags=["nbval-ignore-output"]
lessons.show_source("infra/lessons/javascript.py", "deploy_javascript_send_message")

# %% tags=["nbval-ignore-output"]
javascript = lessons.deploy_javascript_send_message()

# %% [markdown]
# ## Point the route at it
#
# Lesson 03's two steps: `add_route` repoints the existing `sendMessage` route's integration at
# the JavaScript function (and lets API Gateway invoke it), and a new deployment puts the change
# on the `dev` stage. `route_summary` shows which function now answers the route.

# %% tags=["nbval-ignore-output"]
from infra.deploy import add_route, deploy_stage

if javascript:
    add_route(api_id, "sendMessage", javascript)
    deploy_stage(api_id, lessons.STAGE)
lessons.route_summary(api_id, "sendMessage")

# %%
assert lessons.route_summary(api_id, "sendMessage")["Function"] == (
    javascript or "chat-sendMessage"
), "the route answers with another function: run the cell above again"

# %% [markdown]
# ## Chat with it
#
# ada and bob join as in lesson 05, and carol with `WsCat`, which prints each frame as it
# arrives. **Predict, then run:** ada says hello. What do bob's and carol's screens show, and
# does ada see her own message?

# %% tags=["nbval-ignore-output"]
from IPython.display import display

from infra.widgets import ChatClient

ada = ChatClient(url, "ada")
bob = ChatClient(url, "bob")
display(ada, bob)

# %% tags=["nbval-ignore-output"]
carol = lessons.WsCat(url + "?name=carol")
if javascript:
    ada.send("hello from JavaScript")
    heard = carol.receive(timeout=15)
    echoed = ada.wait_for(lambda frame: frame == "hello from JavaScript", timeout=15)

# %%
assert not javascript or (heard, echoed) == ("hello from JavaScript", "hello from JavaScript"), (
    f"carol heard {heard!r} and ada {echoed!r}: run the route cell above again, then this one"
)

# %% [markdown]
# Everyone, ada included, got the plain text `hello from JavaScript`: no JSON, no sender's name,
# so the widgets show the line without a name. Your `$connect` still stores the names, but the
# JavaScript handler never reads them. A route's function and its clients agree on the frames;
# the gateway does not check them.
#
# ## Pruning, and the log of a Node.js function
#
# A ghost row, as in lesson 04: the JavaScript handler meets it, gets the 410 and deletes it,
# logging one line with `console.log`.

# %% tags=["nbval-ignore-output"]
import boto3

table = boto3.resource("dynamodb").Table("chat-connections")


def ghost_is_gone() -> bool:
    ids = [row["connectionId"] for row in lessons.table_rows("chat-connections")]
    return "ghostConnectionId" not in ids


started = lessons.now_ms()
node_lines = []
if javascript:
    table.put_item(Item={"connectionId": "ghostConnectionId", "name": "ghost"})
    ada.send("anyone else?")
    lessons.wait_until(ghost_is_gone, timeout=15)
    lessons.recent_logs(javascript, since_ms=started, contains="ghostConnectionId", wait=30)
    node_lines = lessons.recent_logs(javascript, since_ms=started)
node_lines

# %%
assert ghost_is_gone(), "the ghost's row is still there: run the route cell, then this one again"
assert not javascript or any("\tINFO\tFound stale connection" in line for line in node_lines), (
    f"no framed INFO line about the ghost in {node_lines}: run the cell above again"
)

# %% [markdown]
# Lambda frames each `console.log` of a Node.js function as
# `<time>\t<request id>\tINFO\t<message>` (`console.error` gives `ERROR`, `console.warn`
# `WARN`), between the `START`, `END` and `REPORT` lines every function gets. The Python
# function's `print` lines are written as they are, with no time and no request id.
#
# ## Point the route back
#
# The same two steps, with the Python function. Run All leaves your chat as lesson 05 left it.

# %% tags=["nbval-ignore-output"]
add_route(api_id, "sendMessage", "chat-sendMessage")
deploy_stage(api_id, lessons.STAGE)
ada.send("back in Python")
frame = bob.wait_for(
    lambda frame: frame == {"type": "message", "from": "ada", "text": "back in Python"}, timeout=15
)

# %%
assert lessons.route_summary(api_id, "sendMessage")["Function"] == "chat-sendMessage", (
    "the route still answers with another function: run the cell above again"
)

# %% [markdown]
# Now the Python function meets a ghost: compare its log line with the JavaScript one above.

# %% tags=["nbval-ignore-output"]
started = lessons.now_ms()
table.put_item(Item={"connectionId": "ghostConnectionId", "name": "ghost"})
ada.send("anyone else, in Python?")
lessons.wait_until(ghost_is_gone, timeout=15)
lessons.recent_logs("chat-sendMessage", since_ms=started, contains="ghostConnectionId", wait=30)
python_lines = lessons.recent_logs("chat-sendMessage", since_ms=started)
python_lines

# %%
assert "Found stale connection, deleting ghostConnectionId" in python_lines, (
    f"no line about the ghost in {python_lines}: run the cell above again"
)

# %% [markdown]
# ## When you are done
#
# The widgets stay live: chat on. Close them in a new cell when you are done (`ada.close()`,
# `bob.close()`, `carol.close()`). The JavaScript function and its role stay, answering nothing;
# they carry the chat's tag, so `workshop teardown chat` (lesson 09) removes them with the rest.

# %% [markdown]
# ## Key points
#
# - A route's integration names a function, not a language: a Node.js function can answer a route
#   of the Python chat, over the same table, and the route can be pointed back.
# - Lambda's Node.js runtimes include the AWS SDK for JavaScript v3 (`@aws-sdk/*`); code on the
#   v2 `aws-sdk` runs only with v2 bundled in its zip.
# - The function and its clients agree on the frames: AWS's sample posts plain text to everyone,
#   the kit's chat posts JSON to everyone else.
# - A Node.js function's `console.log` lines are framed with time, request id and level; a Python
#   function's `print` lines are not.
#
# **Exercises:** none: this appendix is optional and has no exercise notebook.
#
# **Back to:** [05 · Live chat](05-live-chat.ipynb), or on to
# [09 · Going to real AWS](09-real-aws.ipynb), where the same cells run on a real account.
