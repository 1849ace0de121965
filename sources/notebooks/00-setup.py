# %% [markdown]
# # 00 · Setup: which cloud are we talking to?
#
# **Teaching** 5 min · **Exercises** 0 min
#
# **Questions**
# - Where do this notebook's AWS calls go, and who decides?
# - How can the same code run offline and on a real AWS account?
#
# **Objectives**
# - Start (or join) a local cloud and check that it answers.
# - Make a first boto3 call and read its answer.
#
# In this workshop you build real-time apps on **Amazon API Gateway WebSocket APIs**, **AWS Lambda**
# and **Amazon DynamoDB**: a chat room, a shared pointer arena, noughts and crosses, and a server
# that pushes on a schedule.
#
# ## Why a local cloud?
#
# Real AWS needs an account, credentials and a card, and every learner's mistakes cost time (and a
# little money). So the kit brings a **local cloud**: AWS's APIs (played by
# [moto](https://docs.getmoto.org/)) plus a working WebSocket gateway, the `@connections` API and a
# Lambda runtime, all on **one port**. Your code cannot tell the difference: boto3 is simply pointed
# somewhere else by the standard `AWS_ENDPOINT_URL` variable, and the same notebooks run unchanged
# against a real account (lesson 09).
#
# ```mermaid
# flowchart LR
#     nb["this notebook<br/>(boto3)"] -->|AWS_ENDPOINT_URL set| local["local cloud<br/>one port: APIs + WebSockets + Lambda"]
#     nb -->|WORKSHOP_TARGET=aws| aws["your AWS account"]
#     browser["chat widgets, wscat"] -->|ws://| local
#     browser -->|wss://| aws
# ```
#
# **The switch is how you start JupyterLab.** `workshop up` (what `make workshop` runs) starts the
# local cloud and hands JupyterLab its `AWS_ENDPOINT_URL` and test keys. `workshop up --aws`
# (or `WORKSHOP_TARGET=aws workshop up`) starts no local cloud and hands JupyterLab no endpoint and
# no keys: boto3 then finds your own credentials (`aws configure`, `AWS_PROFILE`, SSO...) and
# talks to AWS's public endpoints. It prints which account and region that will be; the cell
# below asks AWS to confirm.
#
# In this kernel, `use_cloud()` reads that environment once and says which cloud it is:
#
# | environment | cloud |
# |---|---|
# | `WORKSHOP_TARGET=aws` (from `workshop up --aws`) | your AWS account, with whatever credentials boto3 finds |
# | `AWS_ENDPOINT_URL` set (by `workshop up`, or your instructor's room address) | that local cloud |
# | neither | a local cloud started inside this kernel, in the background |

# %% [markdown]
# > **Catch-up cell.** Every lesson starts with one. Here it only picks the cloud, as the table
# > above says; in later lessons it also builds what the earlier ones built. Running it again
# > changes nothing.

# %% tags=["nbval-ignore-output"]
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## Does it answer?
#
# Ask *who am I?* (STS `GetCallerIdentity`): the local cloud answers with the fixed test account
# `123456789012`; real AWS answers with your account and user.

# %% tags=["nbval-ignore-output"]
import boto3

identity = boto3.client("sts").get_caller_identity()
identity["Account"], identity["Arn"]

# %%
assert identity["Account"].isdigit() and len(identity["Account"]) == 12, (
    "STS did not answer with an account: run the first cell again, or `workshop doctor` in a"
    " terminal"
)

# %% [markdown]
# And list the DynamoDB tables: an empty list on a fresh local cloud, the tables of earlier lessons
# otherwise.

# %% tags=["nbval-ignore-output"]
boto3.client("dynamodb").list_tables()["TableNames"]

# %% [markdown]
# ## Working in a room
#
# In a room, you still build everything in your own cloud. Your instructor's machine hosts the
# room's chat and arena and puts their URLs on the screen (`ws://<their address>:4599/…/dev`):
# you join those from your notebook in lessons 05 and 06, by URL, like any WebSocket client.

# %% [markdown]
# ## Key points
#
# - boto3 reads its target from the standard environment: `AWS_ENDPOINT_URL` points it at the local
#   cloud, and without it the same code talks to AWS.
# - `workshop up` is the local cloud; `workshop up --aws` is your real account, with no endpoint
#   and no keys of the kit's.
# - `use_cloud()` picks the cloud once per kernel and says which in one line.
# - Every lesson starts with a catch-up cell, so any notebook can be run on its own.
#
# **Exercises:** none for this lesson; each of the lessons 01 to 08, and 10, has its own
# notebook in [`exercises/`](../exercises/).
#
# **Next:** [01 · The connections table](01-connections-table.ipynb), the table that remembers
# who is connected.
