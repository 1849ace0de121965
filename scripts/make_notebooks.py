"""Write the lesson notebooks notebooks/00-setup.ipynb ... 09-real-aws.ipynb (with no outputs).

Edit the lessons here, then run `.venv/bin/python scripts/make_notebooks.py`.
Every code cell stays short and calls tested code (`infra`, `lambdas`); cells whose output changes
from run to run (ids, times, URLs, widgets) carry the `nbval-ignore-output` tag.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
VARIES = "nbval-ignore-output"  # the output differs between runs: nbval must not compare it

Cell = nbformat.NotebookNode


def md(text: str) -> Cell:
    """A markdown cell (leading and trailing blank lines trimmed)."""
    return new_markdown_cell(text.strip("\n"))


def code(text: str, *, varies: bool = False) -> Cell:
    """A code cell; ``varies`` marks output that changes between runs."""
    cell = new_code_cell(text.strip("\n"))
    if varies:
        cell.metadata["tags"] = [VARIES]
    return cell


def notebook(cells: list[Cell]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


CATCH_UP_NOTE = """
> **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
> lesson needs from the earlier ones. Every step is idempotent, so running it again, or after the earlier notebooks,
> changes nothing.
"""

# --------------------------------------------------------------------------------------- 00


SETUP = [
    md("""
# 00 · Setup: which cloud are we talking to?

In this workshop you build real-time apps on **Amazon API Gateway WebSocket APIs**, **AWS Lambda**
and **Amazon DynamoDB**: a chat room, a shared pointer arena, noughts and crosses, and a server
that pushes on a schedule.

## Why a local cloud?

Real AWS needs an account, credentials and a card, and every learner's mistakes cost time (and a
little money). So the kit brings a **local cloud**: AWS's APIs (played by
[moto](https://docs.getmoto.org/)) plus a working WebSocket gateway, the `@connections` API and a
Lambda runtime, all on **one port**. Your code cannot tell the difference: boto3 is simply pointed
somewhere else by the standard `AWS_ENDPOINT_URL` variable, and the same notebooks run unchanged
against a real account (lesson 09).

```mermaid
flowchart LR
    nb["this notebook<br/>(boto3)"] -->|AWS_ENDPOINT_URL set| local["local cloud<br/>one port: APIs + WebSockets + Lambda"]
    nb -->|WORKSHOP_TARGET=aws| aws["your AWS account"]
    browser["chat widgets, wscat"] -->|ws://| local
    browser -->|wss://| aws
```

`use_cloud()` decides, once per kernel:

| environment | cloud |
|---|---|
| `AWS_ENDPOINT_URL` set (by `workshop up`, or your instructor's room address) | that local cloud |
| `WORKSHOP_TARGET=aws` | a real AWS account, with whatever credentials boto3 finds |
| neither | a local cloud started inside this kernel, in the background |
"""),
    md(CATCH_UP_NOTE),
    code(
        """
from infra.session import use_cloud

cloud = use_cloud()
""",
        varies=True,
    ),
    md("""
## Does it answer?

Ask *who am I?* (STS `GetCallerIdentity`): the local cloud answers with the fixed test account
`123456789012`; real AWS answers with your account and user.
"""),
    code(
        """
import boto3

identity = boto3.client("sts").get_caller_identity()
identity["Account"], identity["Arn"]
""",
        varies=True,
    ),
    code(
        """
assert identity["Account"].isdigit() and len(identity["Account"]) == 12
"""
    ),
    md("""
And list the DynamoDB tables: an empty list on a fresh local cloud, the tables of earlier lessons
otherwise.
"""),
    code(
        """
boto3.client("dynamodb").list_tables()["TableNames"]
""",
        varies=True,
    ),
    md("""
## Working in a room

In a room, you still build everything in your own cloud. Your instructor's machine hosts the
room's chat and arena and puts their URLs on the screen (`ws://<their address>:4599/…/dev`):
you join those from your notebook in lessons 05 and 06, by URL, like any WebSocket client.

**Next:** 01, the table that remembers who is connected.
"""),
]

# --------------------------------------------------------------------------------------- 01


TABLE = [
    md("""
# 01 · The connections table

## Why a table?

API Gateway holds every WebSocket open for you, so your code never runs a server. But it only
tells your Lambda functions about **one** connection at a time (in the event), and Lambda
functions keep nothing between invocations. To send a message to *everyone in the room* you need
a list of who is in the room: a DynamoDB table with one row per open connection.

```mermaid
flowchart LR
    A[client A] <-->|WebSocket| G[API Gateway]
    B[client B] <-->|WebSocket| G
    G -->|"$connect: put row"| L[Lambda]
    G -->|"$disconnect: delete row"| L
    L <--> T[("DynamoDB<br/>chat-connections")]
```

The key is `connectionId`, the id API Gateway gives each connection: it is what you need later to
send to that client. The table is **on demand** (`PAY_PER_REQUEST`): no capacity to plan, you pay
per request, which suits a workshop's bursts.
"""),
    md(CATCH_UP_NOTE),
    code(
        """
from infra.session import use_cloud
from infra import lessons

cloud = use_cloud()
lessons.catch_up(1)
""",
        varies=True,
    ),
    md("""
## The step

Every step of the workshop lives in `infra/deploy/`, so you can read the very code you run:
"""),
    code(
        """
from infra.deploy import create_connections_table

lessons.show_source(create_connections_table)
"""
    ),
    code(
        """
table_arn = create_connections_table("chat")
table_arn
""",
        varies=True,
    ),
    md("""
Run the cell again: it reports `(exists)` and changes nothing. Every step is **idempotent**, so
re-running a notebook is always safe.

## Look inside

The key schema and the billing mode, as DynamoDB reports them:
"""),
    code(
        """
import boto3

description = boto3.client("dynamodb").describe_table(TableName="chat-connections")["Table"]
description["KeySchema"], description["BillingModeSummary"]["BillingMode"]
"""
    ),
    code(
        """
assert description["KeySchema"] == [{"AttributeName": "connectionId", "KeyType": "HASH"}]
assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
"""
    ),
    md("""
## A row by hand

This is exactly what the `$connect` function of lesson 02 will do for every new client:
"""),
    code(
        """
table = boto3.resource("dynamodb").Table("chat-connections")
table.put_item(Item={"connectionId": "handMadeRow", "name": "test"})
rows = lessons.table_rows("chat-connections")
rows
""",
        varies=True,
    ),
    code(
        """
assert {"connectionId": "handMadeRow", "name": "test"} in rows
"""
    ),
    md("""
And what `$disconnect` will do when the client leaves:
"""),
    code(
        """
table.delete_item(Key={"connectionId": "handMadeRow"})
assert {"connectionId": "handMadeRow", "name": "test"} not in lessons.table_rows("chat-connections")
"""
    ),
    md("""
**Next:** 02, the Lambda functions that keep this table up to date.
"""),
]

# --------------------------------------------------------------------------------------- 02


CONNECT = [
    md("""
# 02 · The `$connect` and `$disconnect` functions

## Why?

API Gateway calls the `$connect` route when a client opens a WebSocket, **before** the handshake
completes: return status 200 and the client is in; return anything else and the connection is
refused. `$disconnect` runs after a client has gone (best effort: if it never runs, lesson 03
shows how to clean up). Together they keep the table of lesson 01 true.

```mermaid
sequenceDiagram
    participant C as client
    participant G as API Gateway
    participant L as chat-connect
    participant T as chat-connections
    C->>G: open wss://…/dev?name=ada
    G->>L: event {requestContext: {connectionId, …}, queryStringParameters: {name: ada}}
    L->>T: PutItem {connectionId, name: ada}
    L-->>G: {statusCode: 200}
    G-->>C: 101 Switching Protocols (connected)
```
"""),
    md(CATCH_UP_NOTE),
    code(
        """
from infra.session import use_cloud
from infra import lessons

cloud = use_cloud()
lessons.catch_up(2)
""",
        varies=True,
    ),
    md("""
## The code

Each chat function is one small module in `lambdas/chat/`; what they share is in `common.py`.
"""),
    code(
        """
lessons.show_source("chat/connect.py")
"""
    ),
    code(
        """
lessons.show_source("chat/common.py", "nickname")
"""
    ),
    code(
        """
lessons.show_source("chat/disconnect.py")
"""
    ),
    md("""
## Permission to run: the role

A Lambda function runs *as* an IAM role. The classic tutorial attaches `AmazonDynamoDBFullAccess`;
we grant only what the chat functions use, on this one table (lesson 09 comes back to this):
"""),
    code(
        """
import json
from infra.deploy import create_connections_table, create_lambda_role

table_arn = create_connections_table("chat")
policy = lessons.chat_policy(table_arn)
print(json.dumps(policy["Statement"][0], indent=2))
""",
        varies=True,
    ),
    code(
        """
role_arn = create_lambda_role("chat", policy)
""",
        varies=True,
    ),
    md("""
## Package and create the functions

The deployment package is a zip of `lambdas/chat/`. Both functions get the same zip and differ by
their **handler** (`module.function`); `TABLE_NAME` tells the code which table to use.
"""),
    code(
        """
from infra.deploy import create_or_update_function, package_lambda

code = package_lambda("chat")
lessons.zip_names(code)
"""
    ),
    code(
        """
environment = {"TABLE_NAME": "chat-connections"}
create_or_update_function(
    "chat", "chat-connect", "connect.lambda_handler", role_arn, code, environment=environment
)
create_or_update_function(
    "chat", "chat-disconnect", "disconnect.lambda_handler", role_arn, code, environment=environment
)
""",
        varies=True,
    ),
    md("""
## Test it the way the console does

In the Lambda console you would *Configure test event* with a hand-written event and press
**Test**. The classic tutorial's event is just a connection id:
"""),
    code(
        """
event = lessons.test_event()
event
"""
    ),
    md("""
`lessons.invoke` is `lambda invoke` with this JSON payload (and `LogType="Tail"`, which returns
the end of the log, as the console shows it under *Execution result*):
"""),
    code(
        """
lessons.show_source(lessons.invoke)
"""
    ),
    code(
        """
started = lessons.now_ms()
result = lessons.invoke("chat-connect", event)
print(result)
""",
        varies=True,
    ),
    code(
        """
assert result.error is None and result.payload == {"statusCode": 200}
rows = lessons.table_rows("chat-connections")
assert {"connectionId": "testConnectionId", "name": "guest"} in rows
"""
    ),
    md("""
The row is there, with the default nickname `guest`: the test event has no `?name=`.

## Read the logs

Everything a function prints, plus Lambda's own `START` / `END` / `REPORT` lines, goes to the log
group `/aws/lambda/<function name>` in CloudWatch Logs. `recent_logs` reads it with
`logs filter_log_events` (on AWS, log events show up a few seconds late, hence `wait`):
"""),
    code(
        """
for line in lessons.recent_logs("chat-connect", since_ms=started, wait=30):
    print(line)
""",
        varies=True,
    ),
    code(
        """
report = lessons.recent_logs("chat-connect", since_ms=started, contains="REPORT", wait=30)
assert report[0].startswith("REPORT RequestId")
"""
    ),
    md("""
## And `$disconnect`

The same test event, sent to the other function, removes the row again:
"""),
    code(
        """
print(lessons.invoke("chat-disconnect", event))
ids = [row["connectionId"] for row in lessons.table_rows("chat-connections")]
assert "testConnectionId" not in ids
""",
        varies=True,
    ),
    md("""
**Next:** 03, sending a message to everyone: the `sendMessage` function and the `@connections` API.
"""),
]

# --------------------------------------------------------------------------------------- 03


SEND = [
    md("""
# 03 · `sendMessage` and the `@connections` API

## Why?

A client's message reaches **one** Lambda invocation. To pass it on, the function calls API
Gateway back: the **`@connections` API** (`apigatewaymanagementapi` in boto3) posts data down
any open connection, addressed by its id, at
`https://{apiId}.execute-api.{region}.amazonaws.com/{stage}/@connections/{connectionId}`.

Some rows in the table may be **stale**: a laptop lid closed, a network dropped, `$disconnect`
never ran. Posting to such a connection fails with `GoneException` (HTTP 410). The fix, from the
classic tutorial: delete that row and carry on (*pruning*).

```mermaid
sequenceDiagram
    participant A as ada
    participant G as API Gateway
    participant L as chat-sendMessage
    participant T as chat-connections
    A->>G: {"action": "sendMessage", "data": "hi"}
    G->>L: MESSAGE event (connectionId of ada, domainName, stage)
    L->>T: Scan: who is connected?
    L->>G: POST @connections/bob
    G-->>L: 200 (bob gets the frame)
    L->>G: POST @connections/ghost
    G-->>L: 410 GoneException
    L->>T: DeleteItem ghost (pruned)
```
"""),
    md(CATCH_UP_NOTE),
    code(
        """
from infra.session import use_cloud
from infra import lessons

cloud = use_cloud()
lessons.catch_up(3)
""",
        varies=True,
    ),
    md("""
## The code

`on_send_message` builds one frame and sends it to every connection but the sender's;
`common.send` does the pruning:
"""),
    code(
        """
lessons.show_source("chat/send_message.py")
"""
    ),
    code(
        """
lessons.show_source("chat/common.py", "send")
"""
    ),
    md("""
Create the function, like those of lesson 02:
"""),
    code(
        """
import boto3
from infra.deploy import create_or_update_function, package_lambda

role_arn = boto3.client("iam").get_role(RoleName="chat-lambda-role")["Role"]["Arn"]
code = package_lambda("chat")
env = {"TABLE_NAME": "chat-connections"}
create_or_update_function(
    "chat", "chat-sendMessage", "send_message.lambda_handler", role_arn, code, environment=env
)
""",
        varies=True,
    ),
    md("""
## `@connections` needs an address

`@connections` belongs to a **deployed stage** of an API, so the chat app needs its API now. Here
is the minimum: the API, its `$connect` / `$disconnect` routes to lesson 02's functions, deployed
to a stage called `dev`. Lesson 04 explains routes and deployments properly.
"""),
    code(
        """
from infra.deploy import add_route, create_websocket_api, deploy_stage

api_id = create_websocket_api("chat")
add_route(api_id, "$connect", "chat-connect")
add_route(api_id, "$disconnect", "chat-disconnect")
url = deploy_stage(api_id, "dev")
""",
        varies=True,
    ),
    md("""
Posting is a permission of its own, `execute-api:ManageConnections`. Now that the API exists, the
role can be granted it for **this API's `dev` stage only**:
"""),
    code(
        """
import json
from infra.deploy import create_connections_table, create_lambda_role

policy = lessons.chat_policy(create_connections_table("chat"))
create_lambda_role("chat", policy)
print(json.dumps([s for s in policy["Statement"] if s["Sid"] == "ManageConnections"], indent=2))
""",
        varies=True,
    ),
    md("""
## A live client and a ghost

`lessons.WsCat` is a tiny WebSocket client (lesson 04 shows its code). `ada` connects for real,
so `$connect` stores her row. The *ghost* is a row whose connection no longer exists: the
leftover of a client that vanished without `$disconnect`.
"""),
    code(
        """
ada = lessons.WsCat(url + "?name=ada")
table = boto3.resource("dynamodb").Table("chat-connections")
table.put_item(Item={"connectionId": "ghostConnectionId", "name": "ghost"})
[row["name"] for row in lessons.table_rows("chat-connections")]
""",
        varies=True,
    ),
    md("""
## Test `sendMessage` with a hand-made message

There is no `sendMessage` route yet (that's lesson 04), so we invoke the function the way API
Gateway will: with a MESSAGE event whose `requestContext` says which API and stage it came from
(`domainName`, `stage`). That is how the function knows where `@connections` is.
"""),
    code(
        """
message = {"action": "sendMessage", "data": "Ground Control to Major Tom"}
event = lessons.message_event(api_id, message)
event
""",
        varies=True,
    ),
    code(
        """
started = lessons.now_ms()
print(lessons.invoke("chat-sendMessage", event))
frame = ada.receive(timeout=5)
""",
        varies=True,
    ),
    code(
        """
assert frame == {"type": "message", "from": "guest", "text": "Ground Control to Major Tom"}
ids = [row["connectionId"] for row in lessons.table_rows("chat-connections")]
assert "ghostConnectionId" not in ids
"""
    ),
    md("""
`ada` received the message although she never sent anything: **the backend can talk to a client
at any time**, which lesson 08 turns into server push. And the ghost row is gone. The function's
log says why:
"""),
    code(
        """
lessons.recent_logs("chat-sendMessage", since_ms=started, contains="stale", wait=30)
""",
        varies=True,
    ),
    md("""
## `@connections` from the notebook

Any code with the permission can post: here the notebook posts to `ada` directly, then to the ghost
(now the answer is `GoneException`, HTTP 410). The endpoint is the stage URL with `wss` → `https`
(`ws` → `http` locally):
"""),
    code(
        """
lessons.show_source(lessons.post_to)
"""
    ),
    code(
        """
rows = lessons.table_rows("chat-connections")
ada_id = next(row["connectionId"] for row in rows if row["name"] == "ada")
print(lessons.post_to(url, ada_id, {"type": "message", "from": "notebook", "text": "hi ada"}))
print(ada.receive(timeout=5))
""",
        varies=True,
    ),
    code(
        """
assert lessons.post_to(url, "ghostConnectionId", {"text": "anyone?"}) == "GoneException (410)"
"""
    ),
    md("""
## Clean up

Close the client: API Gateway runs `$disconnect`, which deletes `ada`'s row.

**Next:** 04, routes and stages: letting clients call `sendMessage` themselves.
"""),
    code(
        """
ada.close()
"""
    ),
]

# --------------------------------------------------------------------------------------- 04


ROUTES = [
    md("""
# 04 · Routes, deployments and stages

## Why?

A WebSocket API receives **frames**, not HTTP requests with paths. API Gateway picks a route for
each frame with the **route selection expression**: for the chat, `$request.body.action`, the
`action` field of the JSON frame. `{"action": "sendMessage", ...}` goes to the `sendMessage`
route, whose **integration** invokes `chat-sendMessage`. Frames that match no route go to
`$default`; if there is no `$default`, the client gets a `Forbidden` frame.

Your routes are not live when you create them: a **deployment** is a frozen snapshot of the
API's configuration, and a **stage** (`dev`) serves one deployment at a URL. Change a route and
nothing happens until you deploy again.

```mermaid
flowchart LR
    F["frame<br/>{action: sendMessage}"] --> S{"$request.body.action"}
    S -->|sendMessage| R1[route sendMessage] --> L1[chat-sendMessage]
    S -->|whisper| R2[route whisper] --> L2[chat-whisper]
    S -->|no match| R3["$default, or Forbidden"]
    subgraph stage dev
      D[deployment: snapshot of the routes]
    end
```
"""),
    md(CATCH_UP_NOTE),
    code(
        """
from infra.session import use_cloud
from infra import lessons

cloud = use_cloud()
url = lessons.catch_up(4)
api_id = lessons.chat_api_id()
""",
        varies=True,
    ),
    md("""
### Start from lesson 03's state

So that this lesson can run again (or after lesson 05), remove the routes it is about to add and
deploy, which puts the stage back where lesson 03 left it. (If a neighbour uses your chat room
right now, their messages stop working until the end of this lesson.)
"""),
    code(
        """
from infra.deploy import deploy_stage

for key in ("sendMessage", "whisper", "$default"):
    lessons.remove_route(api_id, key)
url = deploy_stage(api_id, "dev")
lessons.routes_of(api_id)
""",
        varies=True,
    ),
    md("""
## Wire a route

`add_route` creates the Lambda proxy integration, the route, and the permission for API Gateway
to invoke the function (for this route only):
"""),
    code(
        """
from infra.deploy import add_route

lessons.show_source(add_route)
"""
    ),
    code(
        """
add_route(api_id, "sendMessage", "chat-sendMessage")
url = deploy_stage(api_id, "dev")
""",
        varies=True,
    ),
    md("""
## A plain WebSocket client, like wscat

The classic tutorial talks to the API with `wscat -c wss://…/beta`. In Python, the `websockets`
library does the same in a few lines: `WsCat` prints `>` for what it sends and `<` for what it
receives. (From a terminal: `python -m websockets <url>` is an interactive client.)
"""),
    code(
        """
lessons.show_source(lessons.WsCat)
"""
    ),
    code(
        """
ada = lessons.WsCat(url + "?name=ada")
bob = lessons.WsCat(url + "?name=bob")
ada.send({"action": "sendMessage", "data": "Ground Control to Major Tom"})
frame = bob.receive()
""",
        varies=True,
    ),
    code(
        """
assert frame == {"type": "message", "from": "ada", "text": "Ground Control to Major Tom"}
"""
    ),
    md("""
## The gotcha: a route added but not deployed

Add a `whisper` route (a private message to one nickname) and try it **without deploying**:
"""),
    code(
        """
import boto3

role_arn = boto3.client("iam").get_role(RoleName="chat-lambda-role")["Role"]["Arn"]
lessons.chat_function("whisper", role_arn)
add_route(api_id, "whisper", "chat-whisper")
ada.send({"action": "whisper", "to": "bob", "data": "psst"})
reply = ada.receive()
""",
        varies=True,
    ),
    code(
        """
assert reply["message"] == "Forbidden"
"""
    ),
    md("""
`Forbidden`: the stage still serves the old deployment, which has no `whisper` route and no
`$default`. (The classic tutorial blames IAM's eventual consistency for this message; most often
the route just isn't deployed.) Deploy, and the very same frame works:
"""),
    code(
        """
url = deploy_stage(api_id, "dev")
ada.send({"action": "whisper", "to": "bob", "data": "psst"})
whisper = bob.receive()
""",
        varies=True,
    ),
    code(
        """
assert whisper == {"type": "whisper", "from": "ada", "text": "psst"}
"""
    ),
    md("""
Each `deploy_stage` made a new deployment and pointed the stage at it:
"""),
    code(
        """
boto3.client("apigatewayv2").get_stage(ApiId=api_id, StageName="dev")["DeploymentId"]
""",
        varies=True,
    ),
    md("""
## Clean up

**Next:** 05, the finished chat room with a chat widget, and inviting your neighbours.
"""),
    code(
        """
ada.close()
bob.close()
"""
    ),
]

# --------------------------------------------------------------------------------------- 05


CHAT = [
    md("""
# 05 · Live chat

## Why?

Lessons 01–04 built the chat app one piece at a time. `deploy_app("chat")` runs those same steps
in one go and adds the last route, `$default`, which answers any unknown frame with a help text
(its reply goes back to the sender through a **route response**, lesson 06).

Now use it like a person would: `ChatClient` is a chat widget (message log, text box, Send
button). All widgets in this kernel share **one background thread** for their network I/O, so
they keep receiving while you run other cells, and they never print into your notebook.

```mermaid
flowchart LR
    subgraph kernel["this notebook's kernel"]
      ada[ChatClient ada]
      bob[ChatClient bob]
      loop(("one background<br/>event loop"))
      ada --- loop
      bob --- loop
    end
    neighbour["a neighbour's ChatClient"] -->|ws://your address/…/dev| G
    loop <-->|WebSocket| G[API Gateway: chat-api, stage dev]
    G --> L[chat functions] --> T[(chat-connections)]
```
"""),
    md(CATCH_UP_NOTE),
    code(
        """
from infra.session import use_cloud
from infra import lessons

cloud = use_cloud()
url = lessons.catch_up(5)
""",
        varies=True,
    ),
    md("""
## Two people in one kernel

Type into the widget below and press Enter: `bob` receives it. (`ada` is driven from Python.)
"""),
    code(
        """
from infra.widgets import ChatClient

ada = ChatClient(url, "ada")
bob = ChatClient(url, "bob")
bob
""",
        varies=True,
    ),
    code(
        """
ada.send("hello bob")
frame = bob.wait_for(lambda f: f["text"] == "hello bob", timeout=5)
""",
        varies=True,
    ),
    code(
        """
assert frame == {"type": "message", "from": "ada", "text": "hello bob"}
assert ("ada", "hello bob") in bob.messages
"""
    ),
    md("""
## Watch the hops

What just happened took four hops: ada's **frame in** -> the gateway **chose a route**
(`sendMessage`, from the frame's `action`) -> it **invoked** the `chat-sendMessage` function
-> the function **posted** to every other connection through @connections. The local cloud
reports each hop on a trace feed; the `Trace` widget shows them live. Keep it open while you
chat, and watch a $default reply or a stale connection go by. (The trace feed is the local
cloud's teaching aid; on AWS the same story is told by CloudWatch Logs and X-Ray.)
"""),
    code(
        """
from infra.widgets import Trace

trace = Trace(api_id=lessons.chat_api_id())
trace
""",
        varies=True,
    ),
    code(
        """
ada.send("watch the hops")
bob.wait_for(lambda f: f["text"] == "watch the hops", timeout=5)
trace.wait_for(lambda hop: hop["hop"] == "post", timeout=5)
""",
        varies=True,
    ),
    code(
        """
hops = [hop["hop"] for hop in trace.hops]
assert {"frame_in", "route", "lambda", "post"} <= set(hops), hops
"""
    ),
    md("""
## The `$default` route answers

A frame with an unknown `action` goes to `$default`, whose function returns a help text **as its
reply**:
"""),
    code(
        """
with lessons.WsCat(url + "?name=curious") as cat:
    cat.send({"action": "hello?"})
    help_frame = cat.receive()
""",
        varies=True,
    ),
    code(
        """
assert help_frame["type"] == "help"
"""
    ),
    md("""
## Invite your neighbours

A chat room alone is quiet. Anyone who can reach your endpoint can join it with
`ChatClient(url, "their name")`, or with any WebSocket client (`wscat -c <url>`).

- With a cloud started **inside this kernel** (the default), the URL is `ws://127.0.0.1:…`:
  only you can reach it.
- In a **room**, the instructor's machine serves the cloud on the LAN
  (`workshop up --host 0.0.0.0`) and hosts the room's chat and arena there; their URLs carry
  the instructor's address (`ws://192.168.1.20:4599/<apiId>/dev`). Join with
  `ChatClient(room_url, "your name")` from this notebook: your own cloud keeps your own apps.
"""),
    code(
        """
print(lessons.room_invitation(url))
""",
        varies=True,
    ),
    md("""
On real AWS (lesson 09) the URL is `wss://{apiId}.execute-api.{region}.amazonaws.com/dev`, and
anyone on the internet can join.

## Clean up

Closing a client runs `$disconnect` and leaves the widget on screen, marked *disconnected*.

**Next:** 06, the pointer arena: replies through route responses, and a DynamoDB stream trigger.
"""),
    code(
        """
ada.close()
bob.close()
trace.close()
"""
    ),
]

# --------------------------------------------------------------------------------------- 06


ARENA = [
    md("""
# 06 · The pointer arena: route responses and stream triggers

## Why?

Everyone's mouse pointer in one shared square. Two new ideas:

1. **A reply to the sender.** `{"action": "list"}` asks "who is here?". Instead of posting back
   through `@connections`, the `list` function simply **returns** the answer: a route with a
   `$default` **route response** sends the function's returned `body` back down the same
   connection (a *two-way* route).
2. **Reacting to the data, not to the message.** `move` only writes the new position to the
   table. A **DynamoDB stream** records every change to the table, and Lambda reads it in batches
   and invokes `arena-tableTriggers`, which tells everybody. Writers stay fast and simple; the fan
   out happens once per batch.

```mermaid
flowchart LR
    C[client] -->|"{action: list}"| G[API Gateway]
    G --> OL[arena-list] -->|"returns body: route response"| G -->|"{type: list, …}"| C
    C -->|"{action: move, clientX, clientY}"| G --> OM[arena-move] -->|UpdateItem| T[(arena-connections)]
    T -->|stream: NEW_AND_OLD_IMAGES| TT[arena-tableTriggers]
    TT -->|"POST @connections: {type: changes}"| G
    G --> C2[everyone]
```
"""),
    md(CATCH_UP_NOTE),
    code(
        """
from infra.session import use_cloud
from infra import lessons

cloud = use_cloud()
""",
        varies=True,
    ),
    md("""
## Deploy the arena

The same steps as the chat (lessons 01–04), plus `add_route_response` for `list` and
`map_stream` for the trigger. Watch for them in the output:
"""),
    code(
        """
from infra.deploy import deploy_app, find_api

url = deploy_app("arena")
api_id = find_api("arena", "arena-api")["ApiId"]
""",
        varies=True,
    ),
    md("""
## 1 · `list` answers through a route response
"""),
    code(
        """
lessons.show_source("arena/on_list.py")
"""
    ),
    code(
        """
from infra.deploy import add_route_response

lessons.show_source(add_route_response)
"""
    ),
    code(
        """
lessons.route_summary(api_id, "list"), lessons.route_summary(api_id, "move")
""",
        varies=True,
    ),
    code(
        """
assert lessons.route_summary(api_id, "list")["RouteResponses"] == ["$default"]
assert lessons.route_summary(api_id, "move")["RouteResponses"] == []
"""
    ),
    code(
        """
with lessons.WsCat(url) as cat:
    cat.send({"action": "list"})
    listed = cat.receive(of_type="list")
""",
        varies=True,
    ),
    code(
        """
assert listed["type"] == "list" and "you" in listed and "pointers" in listed
"""
    ),
    md("""
`receive(of_type="list")` skips other frames: the stream trigger may tell us about our own
arrival (a `changes` frame with a `join`) before the `list` reply comes back.

## 2 · The stream trigger
"""),
    code(
        """
lessons.show_source("arena/table_triggers.py")
"""
    ),
    code(
        """
lessons.stream_mappings("arena-tableTriggers")
""",
        varies=True,
    ),
    md("""
`StartingPosition: LATEST`: the trigger sees changes made after the mapping was enabled.

## Play

Move your mouse over the arena below. `ada` is driven from Python: when she moves, the stream
trigger tells `bob`, who sees her pointer at the new place.
"""),
    code(
        """
from infra.widgets import Arena

ada = Arena(url, "ada")
bob = Arena(url, "bob")
bob
""",
        varies=True,
    ),
    code(
        """
ada.wait_for(lambda f: f["type"] == "list", timeout=10)
ada_id = ada.you["id"]
ada.move(0.25, 0.75)


def ada_moved(frame):
    return frame["type"] == "changes" and any(
        change["id"] == ada_id and change.get("x") == 0.25 for change in frame["changes"]
    )


bob.wait_for(ada_moved, timeout=10)
bob.pointers[ada_id]
""",
        varies=True,
    ),
    code(
        """
assert (bob.pointers[ada_id]["x"], bob.pointers[ada_id]["y"]) == (0.25, 0.75)
"""
    ),
    md("""
## Join the room's arena

An arena is more fun with the whole room in it. Your instructor hosts one and shows its URL
(`ws://<their address>:4599/…/dev`). Join it from here, with your name:

```python
room = Arena("ws://192.168.1.20:4599/ab12cd34/dev", "your name")
room
```

Nothing about the code changes: the widget only needs a WebSocket URL. The instructor's stream
trigger now fans every move out to the whole room, one batched frame per person per batch.

## Clean up

**Next:** 07, noughts and crosses: routing on another field, and rows that expire.
"""),
    code(
        """
ada.close()
bob.close()
"""
    ),
]

# --------------------------------------------------------------------------------------- 07


TICTACTOE = [
    md("""
# 07 · Noughts and crosses: routing on `type`, and TTL

## Why?

1. **Your protocol, your field.** The game's client speaks `{"type": "start"}`,
   `{"type": "join", "gameId": …}`, `{"type": "move", …}`. Nothing forces the field to be called
   `action`: the API's route selection expression is `$request.body.type`.
2. **Rows that clean up after themselves.** Abandoned games would pile up forever. Each game row
   carries a `ttl` attribute (epoch seconds, two hours after the start); with **Time to Live**
   switched on for that attribute, DynamoDB deletes expired rows by itself, for free. It is a
   background process: on AWS, deletion typically happens within a few days of expiry, so code
   that cares must still compare `ttl` with the clock.

```mermaid
flowchart LR
    X[player X] -->|"{type: start}"| G{"$request.body.type"}
    O[player O] -->|"{type: join, gameId}"| G
    G -->|start| S[tictactoe-start]
    G -->|join| J[tictactoe-join]
    G -->|move| M[tictactoe-move]
    S & J & M <--> T[("tictactoe-games<br/>key GameId, ttl")]
    T -. TTL deletes expired rows .-> T
```
"""),
    md(CATCH_UP_NOTE),
    code(
        """
from infra.session import use_cloud
from infra import lessons

cloud = use_cloud()
""",
        varies=True,
    ),
    code(
        """
from infra.deploy import deploy_app, find_api

url = deploy_app("tictactoe")
api = find_api("tictactoe", "tictactoe-api")
""",
        varies=True,
    ),
    md("""
## 1 · Routing on `type`
"""),
    code(
        """
api["RouteSelectionExpression"], lessons.routes_of(api["ApiId"])
""",
        varies=True,
    ),
    code(
        """
assert api["RouteSelectionExpression"] == "$request.body.type"
"""
    ),
    md("""
The rules of the game are plain Python, with no AWS in them (and tested on their own):
"""),
    code(
        """
lessons.show_source("tictactoe/game.py", "winner")
"""
    ),
    md("""
## Play

`x` starts a game and `o` joins it by id. Click the board below to play `x`'s moves yourself, or
let the next cell play a quick game.
"""),
    code(
        """
from infra.widgets import TicTacToe

x = TicTacToe(url)
o = TicTacToe(url)
game_id = x.start()
o.join(game_id)
x
""",
        varies=True,
    ),
    code(
        """
moves = [(x, o, 0, 0), (o, x, 1, 0), (x, o, 0, 1), (o, x, 1, 1), (x, o, 0, 2)]
for player, opponent, row, col in moves:
    state = lessons.play_and_wait(player, opponent, row, col)
state["board"], state["winner"]
"""
    ),
    code(
        """
assert state["winner"] == "X"
"""
    ),
    md("""
## 2 · TTL

The game's row, and the table's TTL setting:
"""),
    code(
        """
import time
import boto3

row = boto3.resource("dynamodb").Table("tictactoe-games").get_item(Key={"GameId": game_id})["Item"]
settings = boto3.client("dynamodb").describe_time_to_live(TableName="tictactoe-games")
ttl = settings["TimeToLiveDescription"]
print("this game expires in", round((int(row["ttl"]) - time.time()) / 3600, 1), "hours")
ttl
""",
        varies=True,
    ),
    code(
        """
assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
assert int(row["ttl"]) > time.time()
"""
    ),
    md("""
## Clean up

**Next:** 08, the server speaks first: pushing from a schedule.
"""),
    code(
        """
x.close()
o.close()
"""
    ),
]

# --------------------------------------------------------------------------------------- 08


PUSH = [
    md("""
# 08 · Server push from a schedule

## Why?

So far the server only spoke when a client spoke first. But `@connections` can be called by
**any** code with the permission (lesson 03): a price alert, a build finishing, a reminder. Here
an **EventBridge rule** invokes `push-broadcast` every minute, and it posts to every connection.

A scheduled event has no `requestContext`, so the function cannot read the `@connections`
address from its event: the deploy step gives it `CONNECTIONS_URL` in its environment.

```mermaid
sequenceDiagram
    participant R as EventBridge rule push-schedule
    participant L as push-broadcast
    participant T as push-connections
    participant G as API Gateway @connections
    participant C as clients
    R->>L: Scheduled Event (every minute)
    L->>T: Scan
    L->>G: POST @connections/{id} for each row
    G->>C: {"type": "push", "text": …}
```
"""),
    md(CATCH_UP_NOTE),
    code(
        """
from infra.session import use_cloud
from infra import lessons

cloud = use_cloud()
""",
        varies=True,
    ),
    code(
        """
from infra.deploy import deploy_app

url = deploy_app("push")
""",
        varies=True,
    ),
    md("""
## The code and the rule
"""),
    code(
        """
lessons.show_source("push/push.py", "lambda_handler")
"""
    ),
    code(
        """
lessons.show_source("push/push.py", "push_to_all")
"""
    ),
    code(
        """
import boto3

events = boto3.client("events")
rule = events.describe_rule(Name="push-schedule")
targets = events.list_targets_by_rule(Rule="push-schedule")["Targets"]
rule["ScheduleExpression"], [target["Arn"].split(":")[-1] for target in targets]
""",
        varies=True,
    ),
    md("""
## Listen, and fire the rule now

Waiting a minute is dull, so fire the rule at once: `fire_rule` invokes each of the rule's Lambda
targets with the event EventBridge would send. It is a plain `lambda:Invoke`, so it works on real
AWS too; `workshop fire push-schedule` does the same from a terminal.
"""),
    code(
        """
from infra.widgets import ChatClient

ada = ChatClient(url, "ada")
ada
""",
        varies=True,
    ),
    code(
        """
from infra.deploy import fire_rule

fire_rule("push-schedule")
pushed = ada.wait_for(lambda f: f["type"] == "push", timeout=10)
pushed
""",
        varies=True,
    ),
    code(
        """
assert pushed["text"] == "Hello from a scheduled Lambda"
"""
    ),
    md("""
Leave the widget on screen for a minute: the schedule itself pushes again.

## Clean up

**Next:** 09, going to real AWS: costs, least privilege, teardown.
"""),
    code(
        """
ada.close()
"""
    ),
]

# --------------------------------------------------------------------------------------- 09


REAL_AWS = [
    md("""
# 09 · Going to real AWS

Everything you ran works unchanged against a real account: start Jupyter with
`WORKSHOP_TARGET=aws` (and credentials boto3 can find: `aws configure`, `AWS_PROFILE`, SSO...),
and `use_cloud()` says *aws*. Before you do, three things: what it costs, what your functions
are allowed to do, and how to remove it all.

```mermaid
flowchart LR
    subgraph you pay for
      M["API Gateway<br/>messages + connection minutes"]
      L["Lambda<br/>requests + GB-seconds"]
      D["DynamoDB on-demand<br/>reads + writes + storage"]
      W["CloudWatch Logs<br/>ingestion + storage"]
    end
    T["teardown(app)"] -->|deletes everything tagged workshop:app| M & L & D & W
```
"""),
    md(CATCH_UP_NOTE),
    code(
        """
from infra.session import use_cloud
from infra import lessons

cloud = use_cloud()
""",
        varies=True,
    ),
    md("""
## Costs: what is charged, and where to check

Prices change and differ by region, so check the official pages rather than trusting numbers
copied into a notebook. What each service charges for:

- **API Gateway WebSocket APIs** ([pricing](https://aws.amazon.com/api-gateway/pricing/)):
  *messages* sent and received, billed per million (and counted in 32 KB units), plus
  *connection minutes*, billed per million minutes that connections stay open. An idle tab left
  connected all day costs connection minutes.
- **Lambda** ([pricing](https://aws.amazon.com/lambda/pricing/)): *requests* per million, plus
  *duration* in GB-seconds (memory × time). The chat functions use 128 MB and run milliseconds.
- **DynamoDB on-demand** ([pricing](https://aws.amazon.com/dynamodb/pricing/on-demand/)):
  read and write *request units*, plus storage per GB-month. A broadcast `Scan` reads the whole
  table each time.
- **CloudWatch Logs** ([pricing](https://aws.amazon.com/cloudwatch/pricing/)): ingestion and
  storage of every printed line.

The [AWS Free Tier](https://aws.amazon.com/free/) covers a workshop's traffic for many accounts;
the [AWS Pricing Calculator](https://calculator.aws/) estimates your own. Set a
[budget alert](https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html)
before you start.

## Least privilege

To show the whole life cycle, this lesson deploys its own copy of the chat app, named `lesson09`,
and removes it at the end.
"""),
    code(
        """
from dataclasses import replace
from infra.deploy.apps import CHAT, deploy_plan

url = deploy_plan(replace(CHAT, app="lesson09"), folder="chat")
""",
        varies=True,
    ),
    md("""
The deploy library gives the functions' role one inline policy and nothing else. Every statement
names its resource: this table, this API's stage and `POST @connections` only, these functions'
log groups.
"""),
    code(
        """
import json
import boto3

iam = boto3.client("iam")
policy = iam.get_role_policy(RoleName="lesson09-lambda-role", PolicyName="least-privilege")
document = policy["PolicyDocument"]
print(json.dumps(document, indent=2))
""",
        varies=True,
    ),
    md("""
`check_least_privilege` flags what makes a policy broader than it needs to be:
"""),
    code(
        """
from infra.deploy import check_least_privilege

assert check_least_privilege(document) == []
"""
    ),
    md("""
Compare the classic tutorial's way: managed `*FullAccess` policies give every function every
DynamoDB action on every table in the account.
"""),
    code(
        """
everything = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
classic = {"Version": "2012-10-17", "Statement": [everything]}
managed = ["arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"]
check_least_privilege(classic, managed)
"""
    ),
    code(
        """
assert len(check_least_privilege(classic, managed)) == 3
"""
    ),
    md("""
## Teardown

Every resource the deploy steps create is tagged `workshop:app=<app>`. `teardown` finds them
through each service's tags and deletes them, in an order AWS accepts: rules, functions (with
their stream mappings and log groups), APIs, roles, tables. Untagged resources are never touched.
"""),
    code(
        """
from infra.deploy import find_api, teardown

lessons.show_source(teardown)
"""
    ),
    code(
        """
removed = teardown("lesson09")
""",
        varies=True,
    ),
    code(
        """
assert find_api("lesson09", "lesson09-api") is None
assert "lesson09-connections" not in boto3.client("dynamodb").list_tables()["TableNames"]
"""
    ),
    md("""
On real AWS, run `teardown` for every app you deployed (`chat`, `arena`, `tictactoe`, `push`),
or from a terminal: `workshop teardown chat`. Then check the
[Billing console](https://console.aws.amazon.com/billing/) a day later.
"""),
]

LESSONS = {
    "00-setup": SETUP,
    "01-connections-table": TABLE,
    "02-connect-lambda": CONNECT,
    "03-send-message": SEND,
    "04-routes-and-stages": ROUTES,
    "05-live-chat": CHAT,
    "06-pointer-arena": ARENA,
    "07-noughts-and-crosses": TICTACTOE,
    "08-server-push": PUSH,
    "09-real-aws": REAL_AWS,
}


def main(target: Path = NOTEBOOKS) -> None:
    for name, cells in LESSONS.items():
        path = target / f"{name}.ipynb"
        nb = notebook(cells)
        for index, cell in enumerate(nb.cells):
            cell.id = f"{name[:2]}-{index:02d}"  # stable ids: rebuilding changes nothing
        nbformat.validate(nb)
        path.write_text(nbformat.writes(nb) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
