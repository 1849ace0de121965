# %% [markdown]
# # 08 · Server push from a schedule
#
# **Teaching** 17 min · **Exercises** 20 min
#
# **Questions**
# - How can the server speak when no client has said anything?
# - Where does a function find the `@connections` address when no request context comes with it?
#
# **Objectives**
# - Schedule a function with an EventBridge rule: `put_rule`, `put_targets` and the matching
#   `add_permission`.
# - Read a function's resource policy and say who may invoke it, next to its role's trust
#   policy and role policy.
# - Fire the rule now, without waiting for the schedule, and see the push arrive.
#
# ## Why?
#
# So far the server only spoke when a client spoke first. But `@connections` can be called by
# **any** code with the permission (lesson 04): a price alert, a build finishing, a reminder. Here
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
#
# Where a cell says `# YOUR CODE HERE`, you write the code and the cell after it checks it (see
# lesson 01); stuck? `reveal("the-challenge-id")` in a new cell shows an answer.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.challenges import lesson08 as check
from infra.challenges import reveal  # noqa: F401 (yours: reveal("id") shows an answer)
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
# ## Who may call whom
#
# Three kinds of policy decide who may call whom here, and the rule adds the last arrow:
#
# - the **trust policy** of the functions' role: `lambda.amazonaws.com` may assume
#   `push-lambda-role` (lesson 02);
# - the **role policy** on that role: what the functions' code may do, here `Scan`, `PutItem`
#   and `DeleteItem` on the table, and `POST` to `@connections` (lesson 04);
# - a function's **resource policy**: who may invoke it. `add_permission` writes one statement
#   of it: API Gateway for a route (lesson 03), and now EventBridge for the rule.
#
# ```mermaid
# flowchart LR
#     R["EventBridge rule<br/>push-schedule"] -->|"invoke: push-broadcast's resource policy<br/>(add_permission: events.amazonaws.com,<br/>SourceArn = the rule)"| F["push-broadcast"]
#     G["API Gateway push-api"] -->|"invoke: resource policy<br/>(apigateway.amazonaws.com, lesson 03)"| C["push-connect<br/>push-disconnect"]
#     F & C -.->|"run as: trust policy<br/>(lambda.amazonaws.com may assume it)"| Role["role push-lambda-role"]
#     Role -->|"role policy: Scan, PutItem, DeleteItem"| T[("push-connections")]
#     Role -->|"role policy: ManageConnections,<br/>POST @connections (lesson 04)"| M["@connections of push-api/dev"]
#     S["EventBridge Scheduler<br/>(the newer service, not used here)"] -.->|"assumes its own role instead:<br/>trust scheduler.amazonaws.com,<br/>role policy lambda:InvokeFunction"| F
# ```
#
# An EventBridge **rule** needs no role to invoke a Lambda function: the function's resource
# policy lets it in. (EventBridge **Scheduler**, the dotted arrow, works the other way round: you
# give it a role it may assume, and that role's policy allows `lambda:InvokeFunction`.)
#
# ## The rule
#
# Three calls, as for a route (lesson 03):
#
# 1. `events.put_rule`: the rule and its **schedule expression**;
# 2. `events.put_targets`: what the rule invokes, here the function's ARN;
# 3. `lambda_.add_permission` on the function, for `events.amazonaws.com` and this rule only.
#
# `put_rule` takes:
#
# | parameter | what it says | here |
# |---|---|---|
# | `Name` | the rule's name | `"push-schedule"` |
# | `ScheduleExpression` | when: `rate(N minute[s] / hour[s] / day[s])`, or `cron(min hour day-of-month month day-of-week year)`, in UTC | every minute |
# | `State` | `ENABLED` or `DISABLED` | `ENABLED` |
# | `Tags` | a list of `{"Key": ..., "Value": ...}`; `teardown("push")` (lesson 09) finds the rule by them | `workshop:app` = `push` |
#
# It returns the rule's ARN as `RuleArn`. `put_targets(Rule=..., Targets=[...])` takes a list of
# targets, each a dict with an `Id` you choose (say `"function"`) and the `Arn` to invoke. Both
# calls replace what is there, so running them again is safe (but `put_rule` applies `Tags` only
# when it creates the rule).
#
# ### Challenge `push-rule` · 4 min
#
# Make the rule `push-schedule`, every minute, enabled and tagged, with `push-broadcast` as its
# one target. Keep the rule's ARN in `rule_arn`.

# %% tags=["exercise:push-rule"]
import boto3

events, lambda_ = boto3.client("events"), boto3.client("lambda")
function_arn = lambda_.get_function_configuration(FunctionName="push-broadcast")["FunctionArn"]
### BEGIN SOLUTION
rule_arn = events.put_rule(
    Name="push-schedule",
    ScheduleExpression="rate(1 minute)",
    State="ENABLED",
    Tags=[{"Key": "workshop:app", "Value": "push"}],
)["RuleArn"]
events.put_targets(Rule="push-schedule", Targets=[{"Id": "function", "Arn": function_arn}])
### END SOLUTION

# %% tags=["check:push-rule"]
check.schedule_rule()

# %% [markdown]
# The rule now invokes `push-broadcast` every minute, or would: the function's resource policy
# does not let EventBridge in yet. `add_permission` adds one statement to it:
#
# | parameter | here |
# |---|---|
# | `FunctionName` | `"push-broadcast"` |
# | `StatementId` | a name for the statement, unique in the function's policy: `"events-push-schedule"` |
# | `Action` | `"lambda:InvokeFunction"` |
# | `Principal` | the service that calls: `"events.amazonaws.com"` |
# | `SourceArn` | the one rule that may: `rule_arn` (without it, any rule in any account could) |
#
# Adding a statement whose `StatementId` exists is an error,
# `lambda_.exceptions.ResourceConflictException`.
#
# ### Challenge `push-permission` · 3 min
#
# Let EventBridge invoke `push-broadcast` for `push-schedule` only. Catch the conflict, so the
# cell can run again.

# %% tags=["exercise:push-permission"]
rule_arn = events.describe_rule(Name="push-schedule")["Arn"]
### BEGIN SOLUTION
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
### END SOLUTION

# %% tags=["check:push-permission"]
check.events_may_invoke()

# %% [markdown]
# **Predict, then run.** Who may invoke `push-broadcast` now? Guess how many statements its
# resource policy holds, which principals they name, and for which source; then read it:

# %%
import json

statements = json.loads(lambda_.get_policy(FunctionName="push-broadcast")["Policy"])["Statement"]
[(statement["Principal"], statement.get("Condition")) for statement in statements]

# %% [markdown]
# (One statement, for `events.amazonaws.com` and the rule only: no API route invokes this
# function, so API Gateway has none. Running your cell again adds nothing: the same
# `StatementId` is a conflict, which it catches. The check above passes only with exactly that
# one statement.) The kit's own step does the same three calls, and is what
# `deploy_app("push")` runs:

# %% tags=["nbval-ignore-output"]
from infra.deploy.schedules import schedule_rule

lessons.show_source(schedule_rule)

# %%
rule = events.describe_rule(Name="push-schedule")
targets = events.list_targets_by_rule(Rule="push-schedule")["Targets"]
assert rule["ScheduleExpression"] == "rate(1 minute)", (
    "push-schedule does not run every minute: run the push-rule cell again"
)
assert [target["Arn"] for target in targets] == [function_arn], (
    "push-schedule's one target should be push-broadcast: run the push-rule cell again"
)
assert len(statements) == 1, (
    f"push-broadcast's policy has {len(statements)} statements, not one: run the push-permission"
    " check again, it says which to remove"
)

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
assert pushed is not None, "no push reached ada within 10 s: run the fire_rule cell again"
assert pushed["text"] == "Hello from a scheduled Lambda", (
    "the push did not carry the default text: run the catch-up cell again (it deploys push.py)"
)

# %% [markdown]
# Leave the widget on screen for a minute: the schedule itself pushes again. When you are done
# with it, `ada.close()` in a new cell lets it go.

# %% [markdown]
# ## Key points
#
# - `@connections` can be called by any code with the permission: a schedule, a queue, a build.
# - An EventBridge rule needs its target and the function's permission for
#   `events.amazonaws.com`, scoped to the rule (`SourceArn`): a resource policy says who may
#   invoke a function; the role's trust policy and role policy say what the function may do.
# - Events without a request context carry no `@connections` address: the function gets it from
#   its environment (`CONNECTIONS_URL`).
#
# **Exercises:** [08 · Server push](../exercises/08-server-push-exercises.ipynb): `schedule-rule`,
# `push-time` and `policy`.
#
# **Next:** [09 · Going to real AWS](09-real-aws.ipynb): costs, least privilege, teardown.
