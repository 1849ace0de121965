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
# - Schedule a function with EventBridge Scheduler: a role it may assume, allowed to invoke the
#   function, and `create_schedule`; say why not a (legacy) scheduled rule.
# - Read a function's resource policy and say who may invoke it, next to a role's trust policy
#   and role policy.
# - Fire the schedule now, without waiting for it, and see the push arrive.
#
# ## Why?
#
# So far the server only spoke when a client spoke first. But `@connections` can be called by
# **any** code with the permission (lesson 04): a price alert, a build finishing, a reminder. Here
# an **EventBridge Scheduler** schedule invokes `push-broadcast` every minute, and it posts to
# every connection.
#
# A scheduled invocation has no `requestContext`, so the function cannot read the `@connections`
# address from its event: the deploy step gives it `CONNECTIONS_URL` in its environment.
#
# ```mermaid
# sequenceDiagram
#     participant R as Scheduler schedule push-schedule
#     participant L as push-broadcast
#     participant T as push-connections
#     participant G as API Gateway @connections
#     participant C as clients
#     R->>L: invoke, as push-scheduler-role (every minute)
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
# ## Scheduler, not a scheduled rule
#
# EventBridge can run a function on a schedule two ways. A **scheduled rule** (`events.put_rule`
# with a `ScheduleExpression`) is the older one, and AWS's EventBridge guide now says: "Scheduled
# rules are a legacy feature of EventBridge ... We recommend that you use Scheduler to invoke
# targets on a schedule." **EventBridge Scheduler** is the service built for it: one call,
# `scheduler.create_schedule`, with time zones, one-time schedules and flexible windows, and
# millions of schedules per account. This lesson uses Scheduler.
#
# (Rules still run, and much code out there uses them: the blog post this app comes from, seed
# 004, does `put_rule`, `put_targets` and `add_permission`. `infra.deploy.schedule_rule` is that
# path, the local cloud runs both, and `workshop fire NAME` fires either.)
#
# ## Who may call whom
#
# Three kinds of policy decide who may call whom here, and the schedule adds the last arrow:
#
# - the **trust policy** of a role: who may assume it. `lambda.amazonaws.com` may assume
#   `push-lambda-role` (lesson 02); now `scheduler.amazonaws.com` may assume a role of its own,
#   `push-scheduler-role`;
# - the **role policy**: what whoever assumes the role may do. The functions may `Scan`,
#   `PutItem`, `DeleteItem` and `POST` to `@connections` (lesson 04); Scheduler may
#   `lambda:InvokeFunction` on `push-broadcast`, and nothing else;
# - a function's **resource policy**: who may invoke it (`add_permission`, lesson 03). Scheduler
#   needs none: it comes in with its role. (A legacy rule has no role, so it needs a statement
#   for `events.amazonaws.com` there: the dotted arrow.)
#
# ```mermaid
# flowchart LR
#     S["EventBridge Scheduler<br/>schedule push-schedule"] -->|"assumes: trust policy<br/>(scheduler.amazonaws.com)"| SR["role push-scheduler-role"]
#     SR -->|"role policy:<br/>lambda:InvokeFunction"| F["push-broadcast"]
#     G["API Gateway push-api"] -->|"invoke: resource policy<br/>(apigateway.amazonaws.com, lesson 03)"| C["push-connect<br/>push-disconnect"]
#     F & C -.->|"run as: trust policy<br/>(lambda.amazonaws.com may assume it)"| Role["role push-lambda-role"]
#     Role -->|"role policy: Scan, PutItem, DeleteItem"| T[("push-connections")]
#     Role -->|"role policy: ManageConnections,<br/>POST @connections (lesson 04)"| M["@connections of push-api/dev"]
#     R["legacy: EventBridge rule"] -.->|"invoke: resource policy<br/>(events.amazonaws.com, SourceArn = the rule)"| F
# ```
#
# ## The role Scheduler assumes
#
# As in lesson 02, a role is a trust policy plus a role policy:
#
# 1. `iam.create_role(RoleName=..., AssumeRolePolicyDocument=json.dumps(trust), Tags=[...])`,
#    where `trust` lets the service principal `scheduler.amazonaws.com` call `sts:AssumeRole`;
# 2. `iam.put_role_policy(RoleName=..., PolicyName=..., PolicyDocument=json.dumps(policy))`,
#    where `policy` allows `lambda:InvokeFunction` on the function's ARN (and `ARN:*`, its
#    versions and aliases) only.
#
# ### Challenge `push-scheduler-role` · 4 min
#
# Make the role `push-scheduler-role`, trusted by `scheduler.amazonaws.com`, tagged
# `workshop:app` = `push`, with an inline policy that lets it invoke `push-broadcast`. Keep its
# ARN in `role_arn`. Creating a role that exists is an error, `iam.exceptions.EntityAlreadyExistsException`:
# catch it, so the cell can run again.

# %% tags=["exercise:push-scheduler-role"]
import json

import boto3

iam, lambda_ = boto3.client("iam"), boto3.client("lambda")
function_arn = lambda_.get_function_configuration(FunctionName="push-broadcast")["FunctionArn"]
### BEGIN SOLUTION
trust = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
policy = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": [function_arn, f"{function_arn}:*"],
        }
    ],
}
try:
    iam.create_role(
        RoleName="push-scheduler-role",
        Path="/workshop/",
        AssumeRolePolicyDocument=json.dumps(trust),
        Tags=[{"Key": "workshop:app", "Value": "push"}],
    )
except iam.exceptions.EntityAlreadyExistsException:
    print("push-scheduler-role exists already")
iam.put_role_policy(
    RoleName="push-scheduler-role", PolicyName="invoke-function", PolicyDocument=json.dumps(policy)
)
iam.get_waiter("role_exists").wait(RoleName="push-scheduler-role", WaiterConfig={"Delay": 1})
role_arn = iam.get_role(RoleName="push-scheduler-role")["Role"]["Arn"]
### END SOLUTION

# %% tags=["check:push-scheduler-role"]
check.scheduler_role()

# %% [markdown]
# ## The schedule
#
# One call, `scheduler.create_schedule`:
#
# | parameter | what it says | here |
# |---|---|---|
# | `Name` | the schedule's name (in the schedule group `default`) | `"push-schedule"` |
# | `ScheduleExpression` | when: `rate(N minute[s] / hour[s] / day[s])` (a minute at least), `cron(min hour day-of-month month day-of-week year)`, or once: `at(2026-12-24T18:00:00)` | every minute |
# | `ScheduleExpressionTimezone` | where `cron()` and `at()` count their hours (`"Europe/Paris"`); UTC without it | leave it out |
# | `FlexibleTimeWindow` | `{"Mode": "OFF"}` fires on time; `{"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}` lets Scheduler pick any moment in the 15 minutes after, to spread the load | `OFF` |
# | `Target` | `{"Arn": function_arn, "RoleArn": role_arn}`, and optionally `"Input"`: the JSON text the function gets as its event (`{}` without it) | `push-broadcast`, with `push-scheduler-role` |
# | `State` | `ENABLED` (the default) or `DISABLED` | `ENABLED` |
# | `ActionAfterCompletion` | `DELETE` removes a one-time `at()` schedule once it ran | leave it out |
#
# It returns the schedule's ARN as `ScheduleArn`. Schedules carry no tags (only schedule groups
# do): `teardown("push")` (lesson 09) finds this one by its target, one of the app's functions.
# Creating a schedule that exists is an error, `scheduler.exceptions.ConflictException`;
# `update_schedule` takes the same parameters and replaces every setting.
#
# ### Challenge `push-schedule` · 4 min
#
# Make the schedule `push-schedule`: every minute, on time, invoking `push-broadcast` with
# `push-scheduler-role`. When it exists, update it instead, so the cell can run again.
#
# IAM is eventually consistent, as lesson 02 showed for Lambda: Scheduler checks that it may
# assume the role when you create the schedule, and for a few seconds after `create_role` it
# answers `ValidationException`: *The execution role you provide must allow AWS EventBridge
# Scheduler to assume the role.* No waiter exists for it; `once_role_spread(call)`, given in the
# cell, runs a call again while that is the answer.

# %% tags=["exercise:push-schedule"]
import time

scheduler = boto3.client("scheduler")
role_arn = iam.get_role(RoleName="push-scheduler-role")["Role"]["Arn"]


def once_role_spread(call):
    """`call()`, again while Scheduler cannot assume the (new) role yet."""
    for _ in range(15):
        try:
            return call()
        except scheduler.exceptions.ValidationException as error:
            if "assume the role" not in str(error):
                raise  # another mistake: retrying will not help
            print("refused:", error.response["Error"]["Message"], "Trying again in 2 s.")
            time.sleep(2)
    raise TimeoutError("Scheduler still cannot assume the role after 30 s: is its trust right?")


### BEGIN SOLUTION
settings = {
    "Name": "push-schedule",
    "ScheduleExpression": "rate(1 minute)",
    "FlexibleTimeWindow": {"Mode": "OFF"},
    "Target": {"Arn": function_arn, "RoleArn": role_arn},
}
try:
    once_role_spread(lambda: scheduler.create_schedule(**settings))
except scheduler.exceptions.ConflictException:
    once_role_spread(lambda: scheduler.update_schedule(**settings))
### END SOLUTION

# %% tags=["check:push-schedule"]
check.schedule()

# %% [markdown]
# **Predict, then run.** Who may invoke `push-broadcast` now? Guess how many statements its
# resource policy holds; then read it (a function with none answers
# `ResourceNotFoundException`):

# %%
try:
    policy_text = lambda_.get_policy(FunctionName="push-broadcast")["Policy"]
    statements = json.loads(policy_text)["Statement"]
except lambda_.exceptions.ResourceNotFoundException:
    statements = []
statements

# %% [markdown]
# (None: no API route invokes this function, and Scheduler comes in with its role, whose policy
# you wrote. A legacy rule would have needed a statement here for `events.amazonaws.com`.) The
# kit's own step makes the same role and schedule, and is what `deploy_app("push")` runs:

# %% tags=["nbval-ignore-output"]
from infra.deploy.schedules import schedule_function

lessons.show_source(schedule_function)

# %%
described = scheduler.get_schedule(Name="push-schedule")
assert described["ScheduleExpression"] == "rate(1 minute)", (
    "push-schedule does not run every minute: run the push-schedule cell again"
)
assert described["Target"]["Arn"] == function_arn, (
    "push-schedule's target should be push-broadcast: run the push-schedule cell again"
)
assert described["Target"]["RoleArn"] == role_arn, (
    "push-schedule should run with push-scheduler-role: run the push-schedule cell again"
)
assert statements == [], (
    f"push-broadcast's resource policy has {len(statements)} statements: Scheduler needs none;"
    " remove them with lambda_.remove_permission(FunctionName='push-broadcast', StatementId=...)"
)

# %% [markdown]
# ## Listen, and fire the schedule now
#
# Waiting a minute is dull, so fire the schedule at once: `fire` invokes its target with the
# `Input` Scheduler would send. It is a plain `lambda:Invoke` with your own credentials, so it
# works on real AWS too (where nothing else fires a schedule early); `workshop fire push-schedule`
# does the same from a terminal, for a schedule or a legacy rule.

# %% tags=["nbval-ignore-output"]
from infra.widgets import ChatClient

ada = ChatClient(url, "ada")
ada

# %% tags=["nbval-ignore-output"]
from infra.deploy import fire

fire("push-schedule")
pushed = ada.wait_for(lambda f: f["type"] == "push", timeout=10)
pushed

# %%
assert pushed is not None, "no push reached ada within 10 s: run the fire cell again"
assert pushed["text"] == "Hello from a scheduled Lambda", (
    "the push did not carry the default text: run the catch-up cell again (it deploys push.py)"
)

# %% [markdown]
# Leave the widget on screen for a minute: the schedule itself pushes again (the local cloud runs
# schedules as Scheduler does, role check included). When you are done with it, `ada.close()` in
# a new cell lets it go.

# %% [markdown]
# ## Key points
#
# - `@connections` can be called by any code with the permission: a schedule, a queue, a build.
# - EventBridge Scheduler runs a target with a role it assumes: the role's trust policy names
#   `scheduler.amazonaws.com`, its policy allows `lambda:InvokeFunction` on the one function.
#   A role made seconds ago is refused for a moment (IAM is eventually consistent): try again.
#   Scheduled rules are legacy; a rule needs a resource-policy statement for
#   `events.amazonaws.com` instead.
# - A trust policy says who may assume a role, a role policy what the role may do, a resource
#   policy who may invoke a function.
# - Events without a request context carry no `@connections` address: the function gets it from
#   its environment (`CONNECTIONS_URL`).
#
# **Exercises:** [08 · Server push](../exercises/08-server-push-exercises.ipynb): `reminder`,
# `push-time` and `policy`.
#
# **Next:** [09 · Going to real AWS](09-real-aws.ipynb): costs, least privilege, teardown.
