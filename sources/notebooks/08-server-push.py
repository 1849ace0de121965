# %% [markdown]
# # 08 · Server push from a schedule
#
# ## Why?
#
# So far the server only spoke when a client spoke first. But `@connections` can be called by
# **any** code with the permission (lesson 03): a price alert, a build finishing, a reminder. Here
# an **EventBridge rule** invokes `push-broadcast` every minute, and it posts to every connection.
#
# A scheduled event has no `requestContext`, so the function cannot read the `@connections`
# address from its event: the deploy step gives it `CONNECTIONS_URL` in its environment.
#
# ```mermaid
# sequenceDiagram
#     participant R as EventBridge rule push-schedule
#     participant L as push-broadcast
#     participant T as push-connections
#     participant G as API Gateway @connections
#     participant C as clients
#     R->>L: Scheduled Event (every minute)
#     L->>T: Scan
#     L->>G: POST @connections/{id} for each row
#     G->>C: {"type": "push", "text": …}
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds whatever this
# > lesson needs from the earlier ones. Every step is idempotent, so running it again, or after the earlier notebooks,
# > changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()

# %% tags=["nbval-ignore-output"]
from infra.deploy import deploy_app

url = deploy_app("push")

# %% [markdown]
# ## The code and the rule

# %%
lessons.show_source("push/push.py", "lambda_handler")

# %%
lessons.show_source("push/push.py", "push_to_all")

# %% tags=["nbval-ignore-output"]
import boto3

events = boto3.client("events")
rule = events.describe_rule(Name="push-schedule")
targets = events.list_targets_by_rule(Rule="push-schedule")["Targets"]
rule["ScheduleExpression"], [target["Arn"].split(":")[-1] for target in targets]

# %% [markdown]
# ## Listen, and fire the rule now
#
# Waiting a minute is dull, so fire the rule at once: `fire_rule` invokes each of the rule's Lambda
# targets with the event EventBridge would send. It is a plain `lambda:Invoke`, so it works on real
# AWS too; `workshop fire push-schedule` does the same from a terminal.

# %% tags=["nbval-ignore-output"]
from infra.widgets import ChatClient

ada = ChatClient(url, "ada")
ada

# %% tags=["nbval-ignore-output"]
from infra.deploy import fire_rule

fire_rule("push-schedule")
pushed = ada.wait_for(lambda f: f["type"] == "push", timeout=10)
pushed

# %%
assert pushed["text"] == "Hello from a scheduled Lambda"

# %% [markdown]
# Leave the widget on screen for a minute: the schedule itself pushes again.
#
# ## Clean up
#
# **Next:** 09, going to real AWS: costs, least privilege, teardown.

# %%
ada.close()
