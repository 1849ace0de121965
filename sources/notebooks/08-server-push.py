# %% [markdown]
# # 08 · Server push from a schedule
#
# **Teaching** 10 min · **Exercises** 20 min
#
# **Questions**
# - How can the server speak when no client has said anything?
# - Where does a function find the `@connections` address when no request context comes with it?
#
# **Objectives**
# - Schedule a function with an EventBridge rule: `put_rule`, `put_targets` and the matching
#   `add_permission`.
# - Fire the rule now, without waiting for the schedule, and see the push arrive.
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
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00) and builds the push app with
# > everything the earlier lessons taught (its table, functions, routes and stage); the schedule
# > is left for this lesson. Every step is idempotent, so running it again, or after
# > `deploy_app("push")`, changes nothing.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.session import use_cloud

cloud = use_cloud()
url = lessons.catch_up_app("push")

# %% [markdown]
# ## The code
#
# The handler takes the text and the time from the event, and `push_to_all` posts to every stored
# connection (exercise `push-time` asks you to write it):

# %%
lessons.show_source("push/push.py", "lambda_handler")

# %% [markdown]
# ## The rule
#
# Three calls, as for a route (lesson 03):
#
# 1. `put_rule`: the rule and its **schedule expression**, `rate(1 minute)` (or `cron(...)`);
# 2. `put_targets`: what the rule invokes, here the function's ARN;
# 3. `add_permission` on the function, for `events.amazonaws.com` and this rule only.
#
# `put_rule` and `put_targets` replace what is there; the permission is added once.

# %% tags=["nbval-ignore-output"]
import boto3

events, lambda_ = boto3.client("events"), boto3.client("lambda")
rule_arn = events.put_rule(
    Name="push-schedule",
    ScheduleExpression="rate(1 minute)",
    State="ENABLED",
    Tags=[{"Key": "workshop:app", "Value": "push"}],
)["RuleArn"]
function_arn = lambda_.get_function_configuration(FunctionName="push-broadcast")["FunctionArn"]
events.put_targets(Rule="push-schedule", Targets=[{"Id": "function", "Arn": function_arn}])
try:
    lambda_.add_permission(
        FunctionName="push-broadcast",
        StatementId="events-push-schedule",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
except lambda_.exceptions.ResourceConflictException:
    print("EventBridge may invoke push-broadcast already")
rule = events.describe_rule(Name="push-schedule")
targets = events.list_targets_by_rule(Rule="push-schedule")["Targets"]
rule["ScheduleExpression"], [target["Arn"].split(":")[-1] for target in targets]

# %%
assert [target["Arn"] for target in targets] == [function_arn]

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

# %%
ada.close()

# %% [markdown]
# ## Key points
#
# - `@connections` can be called by any code with the permission: a schedule, a queue, a build.
# - An EventBridge rule needs its target and the function's permission for
#   `events.amazonaws.com`, scoped to the rule.
# - Events without a request context carry no `@connections` address: the function gets it from
#   its environment (`CONNECTIONS_URL`).
#
# **Exercises:** [08 · Server push](../exercises/08-server-push-exercises.ipynb): `schedule-rule`,
# `push-time` and `policy`.
#
# **Next:** [09 · Going to real AWS](09-real-aws.ipynb): costs, least privilege, teardown.
