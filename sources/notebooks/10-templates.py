# %% [markdown]
# # 10 · The same app as a template
#
# **Teaching** 20 min · **Exercises** 15 min
#
# **Questions**
# - How do I stand the whole chat up in one call, and remove it in one call?
# - Which part of a template is which step of lessons 01–05?
# - Why does a route I added to the template not answer after `update_stack`?
#
# **Objectives**
# - Read the chat's SAM template and name the boto3 step each resource stands for.
# - Create a stack with `create_stack`, follow its events to `CREATE_COMPLETE`, and chat over
#   its `WebSocketURL` output.
# - Add a route with `update_stack`, see that the stage does not serve it, and redeploy it with a
#   new logical id for the `Deployment`.
# - Delete the stack and prove that nothing it made is left.
#
# ## Why?
#
# Lessons 01–05 built the chat one call at a time, in an order you had to know (the role before
# the function, the function before its integration, the routes before the deployment). Outside
# this workshop you will more often meet an app as a **template**: one file that describes every
# resource and how they refer to each other. **CloudFormation** reads it, works out the order,
# creates everything as one **stack**, records each step as a stack **event**, and later updates
# or deletes the whole stack at once. The chat's template is a **SAM** template
# (`Transform: AWS::Serverless-2016-10-31`): SAM adds short forms such as
# `AWS::Serverless::Function`, which CloudFormation expands before it creates anything.
#
# ```mermaid
# flowchart LR
#     T["lambdas/chat/template.yaml"] -->|package: zip the code to S3| P[packaged template]
#     P -->|create_stack / update_stack| CF[CloudFormation]
#     CF -->|in dependency order| R["table, role, functions, API, routes, deployment, stage"]
#     CF -->|one event per step| E[stack events]
#     CF -->|Outputs| U["WebSocketURL"]
#     U --> C[ChatClient]
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00). This lesson builds
# > everything from one file, so it needs nothing from the earlier ones; the cell only deletes
# > the stack a previous run of this lesson left, so that the lesson can run again.
#
# Where a cell says `# YOUR CODE HERE`, you write the code and the cell after it checks it (see
# lesson 01); stuck? `reveal("the-challenge-id")` in a new cell shows an answer.

# %% tags=["nbval-ignore-output"]
from infra import lessons
from infra.challenges import lesson10 as check
from infra.challenges import reveal  # noqa: F401 (yours: reveal("id") shows an answer)
from infra.deploy.stacks import delete_stack
from infra.session import use_cloud

cloud = use_cloud()
STACK = "lesson10"  # the stack's name, and the prefix of everything it makes
delete_stack(STACK)

# %% [markdown]
# ## The template
#
# `load_template` reads the YAML file (its short forms `!Ref`, `!GetAtt` and `!Sub` become
# `{"Ref": ...}` and so on). Its `Resources` are the steps of the earlier lessons:
#
# | resources | type | the boto3 step |
# |---|---|---|
# | `ConnectionsTable` | `AWS::Serverless::SimpleTable` (SAM) | `create_table`, lesson 01 |
# | `FunctionsRole` | `AWS::IAM::Role` | `create_role` and `put_role_policy`, lesson 02 |
# | `ConnectFunction`, ... | `AWS::Serverless::Function` (SAM) | `create_function`, lesson 02 |
# | `ConnectLogs`, ... | `AWS::Logs::LogGroup` | the log group Lambda made for you, lesson 02 |
# | `ChatApi` | `AWS::ApiGatewayV2::Api` | `create_api`, lesson 03 |
# | `ConnectIntegration`, `ConnectRoute`, `ConnectPermission`, ... | `Integration`, `Route`, `AWS::Lambda::Permission` | `create_integration`, `create_route`, `add_permission`, lesson 03 |
# | `DefaultRouteResponse` | `RouteResponse` | `create_route_response`, lessons 05 and 06 |
# | `Deployment`, `Stage` | `Deployment`, `Stage` | `create_deployment`, `create_stage`, lesson 03 |

# %% tags=["nbval-ignore-output"]
from infra.deploy.stacks import load_template, template_path

path = template_path("chat")
template = load_template(path)
{logical_id: resource["Type"] for logical_id, resource in template["Resources"].items()}

# %%
assert template["Transform"] == "AWS::Serverless-2016-10-31", (
    "this is not the chat's SAM template: run the cell above again"
)
assert {"ConnectionsTable", "ChatApi", "Deployment", "Stage"} <= set(template["Resources"]), (
    "the template lacks a resource of the table above: run the cell above again"
)

# %% [markdown]
# One route takes five resources: the function, its log group, the integration, the route and the
# permission to invoke. Here is `sendMessage`, as the file has it. `!GetAtt SendMessageFunction.Arn`
# is the function's ARN, and `${SendMessageFunction.Arn}` inside `!Sub` the same: so CloudFormation
# knows that the integration needs the function first. `${AWS::StackName}` is the stack's name,
# so two stacks of the same template never share a function name.

# %% tags=["nbval-ignore-output"]
lessons.show_template(
    "chat/template.yaml",
    "SendMessageFunction",
    "SendMessageLogs",
    "SendMessageIntegration",
    "SendMessageRoute",
    "SendMessagePermission",
)

# %% [markdown]
# The settings every function shares are in `Globals` (SAM copies them into each function), and
# the role's policy is the least-privilege one of lesson 09: the same statements as
# `deploy_app("chat")`, on this stack's table, API and log groups.

# %% tags=["nbval-ignore-output"]
lessons.show_template("chat/template.yaml", "Globals")

# %% [markdown]
# ## Package the code
#
# A function's `CodeUri: .` is the template's own folder, `lambdas/chat/`. CloudFormation cannot
# read your disk, so the code goes to S3 first: `package_template` zips the folder (the zip of
# lesson 02), uploads it to a bucket under its MD5, and puts the `s3://` location in a copy of the
# template. That is what `aws cloudformation package` does; the file itself never changes.

# %% tags=["nbval-ignore-output"]
from infra.deploy.stacks import artifacts_bucket, package_template

packaged = package_template(template, path.parent, artifacts_bucket())
code = packaged["Resources"]["ConnectFunction"]["Properties"]["CodeUri"]
code

# %%
assert template["Resources"]["ConnectFunction"]["Properties"]["CodeUri"] == ".", (
    "the template itself changed: run the load_template cell again"
)
assert code.startswith("s3://"), "the packaged copy points at no S3 object: run the cell again"

# %% [markdown]
# ## The first version: without `whisper`
#
# To watch an update later, the first stack is the chat without its `whisper` route: a copy of
# the template without the five `Whisper` resources, and without `WhisperRoute` in the
# `DependsOn` of the `Deployment` (the list of what must exist before it, see below).

# %%
import copy

WHISPER = [
    "WhisperFunction",
    "WhisperLogs",
    "WhisperIntegration",
    "WhisperRoute",
    "WhisperPermission",
]
first = copy.deepcopy(packaged)
for logical_id in WHISPER:
    del first["Resources"][logical_id]
first["Resources"]["Deployment"]["DependsOn"].remove("WhisperRoute")
assert not [logical_id for logical_id in first["Resources"] if logical_id.startswith("Whisper")], (
    "the first version still has a Whisper resource: run this cell again"
)

# %% [markdown]
# ## Create the stack
#
# `create_stack` takes the template as text, its parameters (the template's `StageName`) and tags
# (CloudFormation passes a stack's tags on to every resource that takes tags). It also wants you
# to acknowledge what the template does: a template that creates IAM resources needs
# `CAPABILITY_IAM`, one with a transform such as SAM's `CAPABILITY_AUTO_EXPAND`.
#
# **Predict, then run.** The cell below calls `create_stack` without any capabilities. Does
# CloudFormation create the resources it may and stop at the role, or refuse the whole call?
# Write your guess down, then run it.

# %% tags=["nbval-ignore-output"]
import json

import boto3

cloudformation = boto3.client("cloudformation")
try:
    cloudformation.create_stack(StackName=f"{STACK}-refused", TemplateBody=json.dumps(first))
    refused = None
except cloudformation.exceptions.InsufficientCapabilitiesException as error:
    refused = error.response["Error"]
refused

# %%
assert refused is not None and refused["Code"] == "InsufficientCapabilitiesException", (
    f"create_stack was not refused: delete_stack('{STACK}-refused'), then run the cell again"
)

# %% [markdown]
# Refused, before anything was created. With the capabilities, `create_stack` takes:
#
# | parameter | here |
# |---|---|
# | `StackName` | `STACK` |
# | `TemplateBody` | the template as JSON text: `json.dumps(first)` |
# | `Parameters` | a list of `{"ParameterKey": ..., "ParameterValue": ...}`: `StageName` = `dev` |
# | `Capabilities` | `["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]` |
# | `Tags` | a list of `{"Key": ..., "Value": ...}`: `workshop:app` = `STACK` |
#
# CloudFormation works in the background: `create_stack` returns at once, with the stack
# `CREATE_IN_PROGRESS`. The waiter `stack_create_complete` asks `describe_stacks` again and again
# until the stack is `CREATE_COMPLETE` (on AWS a minute or two; it raises if the stack fails).
# Its `WaiterConfig={"Delay": 2}` asks every 2 seconds instead of every 30. Creating a stack
# that exists is an error (`AlreadyExistsException`): `stack_exists(STACK)` tells you first.
#
# ### Challenge `stack-create` · 5 min
#
# Create the stack `STACK` from `first`, once (so the cell can run again), and wait until it is
# complete.

# %% tags=["exercise:stack-create", "nbval-ignore-output"]
from infra.deploy.stacks import stack_exists

### BEGIN SOLUTION
if not stack_exists(STACK):
    cloudformation.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(first),
        Parameters=[{"ParameterKey": "StageName", "ParameterValue": "dev"}],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Tags=[{"Key": "workshop:app", "Value": STACK}],
    )
cloudformation.get_waiter("stack_create_complete").wait(StackName=STACK, WaiterConfig={"Delay": 2})
### END SOLUTION

# %% tags=["check:stack-create", "nbval-ignore-output"]
check.stack_created(STACK, first)

# %% tags=["nbval-ignore-output"]
stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
stack["StackStatus"]

# %% [markdown]
# The stack's **events** tell what happened, newest first. Read them oldest first: each resource
# goes `CREATE_IN_PROGRESS`, then `CREATE_COMPLETE`, in an order that respects every `!Ref`,
# `!GetAtt` and `DependsOn`. The functions appear as `AWS::Lambda::Function` and the table as
# `AWS::DynamoDB::Table`: that is the SAM transform at work. (When a resource fails, its event's
# `ResourceStatusReason` says why, and the stack rolls back.)

# %% tags=["nbval-ignore-output"]
events = cloudformation.describe_stack_events(StackName=STACK)["StackEvents"]
for event in reversed(events):
    print(f"{event['ResourceStatus']:<20} {event['ResourceType']:<34} {event['LogicalResourceId']}")

# %%
assert stack["StackStatus"].endswith("_COMPLETE"), (
    "the stack is not complete: run the stack-create cell and its check again"
)
assert events[0]["LogicalResourceId"] == STACK, (
    "the newest event is not the stack's own: wait, then run the events cell again"
)

# %% [markdown]
# ## Outputs, and chat
#
# A template's `Outputs` are the values it hands back; the chat's `WebSocketURL` is
# `!Sub ${ChatApi.ApiEndpoint}/${Stage}`, the URL of lesson 03:

# %% tags=["nbval-ignore-output"]
lessons.show_template("chat/template.yaml", "Outputs")
outputs = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
url = outputs["WebSocketURL"]
outputs

# %% [markdown]
# Each resource has a logical id (its name in the template) and a physical id (its name in the
# cloud): the functions are called after the stack, the table got a name CloudFormation made up,
# the API an id.

# %% tags=["nbval-ignore-output"]
resources = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
shown = ("AWS::Lambda::Function", "AWS::DynamoDB::Table", "AWS::ApiGatewayV2::Api")
{r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if r["ResourceType"] in shown}

# %% [markdown]
# The stack is the same chat as lesson 05's: two people in one kernel.

# %% tags=["nbval-ignore-output"]
from infra.widgets import ChatClient

joined = lessons.now_ms()
ada = ChatClient(url, "ada")
bob = ChatClient(url, "bob")
bob

# %% tags=["nbval-ignore-output"]
ada.send("hello from a stack")
frame = bob.wait_for(lambda f: f.get("text") == "hello from a stack", timeout=5)

# %%
assert frame == {"type": "message", "from": "ada", "text": "hello from a stack"}, (
    "bob did not hear ada: run the two cells above again (the stack's clients, then send)"
)

# %% [markdown]
# ## Add a route: "added but not deployed", in a template
#
# `update_stack` sends the whole new template. CloudFormation compares it with the stack's:
# resources that are new are created, changed ones updated (or replaced, when a property cannot
# change in place), missing ones deleted, and the rest left alone. `infra.deploy.stacks` makes
# the call and the waiter, and prints each event as it comes (the file is tested like every step
# of the kit):

# %% tags=["nbval-ignore-output"]
from infra.deploy.stacks import update_stack

lessons.show_source(update_stack)

# %% [markdown]
# Update the stack to the whole template, `whisper` included:

# %% tags=["nbval-ignore-output"]
update_stack(STACK, packaged, parameters={"StageName": "dev"}, tags={"workshop:app": STACK})
api_id = cloudformation.describe_stack_resource(StackName=STACK, LogicalResourceId="ChatApi")[
    "StackResourceDetail"
]["PhysicalResourceId"]
lessons.routes_of(api_id)

# %% [markdown]
# The route is there. **Predict, then run.** ada whispers to bob: what comes back to ada, and
# does bob hear anything? Write your guess down, then run the cell.

# %% tags=["nbval-ignore-output"]
since = ada.frame_count
ada.whisper("bob", "psst")
reply = ada.wait_for(lambda f: f.get("type") in ("help", "whisper", "error"), since=since)
reply

# %%
assert reply is not None and reply["type"] == "help", (
    f"ada got {reply!r}, not the $default route's help: was the whole template deployed twice?"
    " Run the catch-up cell, then the lesson from the top"
)

# %% [markdown]
# The `$default` route answered: the stage still serves the **deployment** of the first version,
# a snapshot taken before the `whisper` route existed. This is lesson 04's gotcha, in a template:
# the `Deployment` resource did not change (its only property is `ApiId`), so CloudFormation left
# it alone, and nothing redeployed. The fix is a **new deployment resource**: give it a new
# logical id. CloudFormation then creates it (after `WhisperRoute`, which its `DependsOn`
# names), points the `Stage` at it, and deletes the old deployment last, in the
# `UPDATE_COMPLETE_CLEANUP_IN_PROGRESS` phase of the events. Here are the two resources as
# `packaged` has them, the template this lesson just deployed (`whisper` included):

# %% tags=["nbval-ignore-output"]
import yaml

shown = {logical_id: packaged["Resources"][logical_id] for logical_id in ("Deployment", "Stage")}
print(yaml.safe_dump(shown, sort_keys=False))

# %% [markdown]
# ### Challenge `stack-redeploy` · 5 min
#
# Make `second`, a copy of `packaged` (`copy.deepcopy`) in which the `Deployment` resource is
# called `DeploymentWithWhisper` (a dict's `pop` returns what it removes), and the `Stage`'s
# `Properties` say `DeploymentId: {"Ref": "DeploymentWithWhisper"}`. Then send it with
# `update_stack`, with the same parameters and tags as the update above.

# %% tags=["exercise:stack-redeploy", "nbval-ignore-output"]
### BEGIN SOLUTION
second = copy.deepcopy(packaged)
second["Resources"]["DeploymentWithWhisper"] = second["Resources"].pop("Deployment")
second["Resources"]["Stage"]["Properties"]["DeploymentId"] = {"Ref": "DeploymentWithWhisper"}
update_stack(STACK, second, parameters={"StageName": "dev"}, tags={"workshop:app": STACK})
### END SOLUTION

# %% tags=["check:stack-redeploy", "nbval-ignore-output"]
check.stage_serves_whisper(STACK, packaged)

# %% [markdown]
# Now the same whisper again: this time bob hears it.

# %% tags=["nbval-ignore-output"]
ada.whisper("bob", "psst")
whispered = bob.wait_for(lambda f: f.get("type") == "whisper", timeout=5)

# %%
assert whispered == {"type": "whisper", "from": "ada", "text": "psst"}, (
    f"bob got {whispered!r}, not ada's whisper: run the stack-redeploy cell and its check again"
)

# %% [markdown]
# (A stage with `AutoDeploy: true` redeploys on every change of the API, so this gotcha goes
# away; but then what the stage serves is whatever the API holds right now, half-done changes
# included. The kit keeps explicit deployments, as lessons 03 and 04 did: you decide when a
# snapshot goes live.)
#
# ## Delete the stack, and prove nothing is left
#
# First let the clients go, and wait until their `$disconnect` has run (its log shows a
# `REPORT` line per invocation): a function that runs while its stack is deleted writes its log
# lines into a log group that the stack no longer owns (Lambda makes it again), and that one
# would be left behind.

# %%
ada.close()
bob.close()


def both_disconnected() -> bool:
    reports = lessons.recent_logs(f"{STACK}-disconnect", since_ms=joined, contains="REPORT")
    return len(reports) >= 2


assert lessons.wait_until(both_disconnected, timeout=30), (
    "ada's and bob's $disconnect did not both run within 30 s: run this cell again"
)

# %% [markdown]
# `delete_stack` deletes every resource of the stack, in the reverse order of their creation,
# and the waiter `stack_delete_complete` waits until the stack is gone:

# %% tags=["nbval-ignore-output"]
cloudformation.delete_stack(StackName=STACK)
cloudformation.get_waiter("stack_delete_complete").wait(StackName=STACK, WaiterConfig={"Delay": 2})
stack_exists(STACK)

# %% [markdown]
# Everything the stack made carried the tag `workshop:app=lesson10`. Lesson 09's
# `tagged_resources` looks for it in every service: nothing is left. Neither are the functions'
# log groups, because the template declares them (`ConnectLogs`, ...): AWS's own
# `simple-websockets-chat-app` sample does not, and the log groups Lambda makes for it outlive
# its stack.

# %% tags=["nbval-ignore-output"]
from infra.deploy.teardown import tagged_resources

logs = boto3.client("logs")
log_groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{STACK}-")["logGroups"]
tagged_resources(STACK), log_groups

# %%
assert not stack_exists(STACK), "the stack is still there: run the delete_stack cell again"
assert tagged_resources(STACK) == [] and log_groups == [], (
    "something the stack made is left: teardown('lesson10') from infra.deploy removes it"
)

# %% [markdown]
# ## The same stack with `sam deploy` (or the AWS CLI)
#
# Outside a notebook, people deploy a SAM template with the **SAM CLI**: `sam deploy` does this
# lesson's steps in one command, the same API calls underneath.
#
# | This lesson (boto3) | SAM CLI | AWS CLI |
# |---|---|---|
# | `package_template`: zip `CodeUri`, upload it to S3 | `sam deploy --resolve-s3` (a bucket of its own, in the stack `aws-sam-cli-managed-default`) | `aws cloudformation package --s3-bucket B` |
# | `create_stack` / `update_stack`, then a waiter | the same `sam deploy`: a change set, shown, executed, waited for | `aws cloudformation deploy` |
# | `describe_stacks`: the `Outputs` | printed at the end of `sam deploy` | `aws cloudformation describe-stacks` |
# | `delete_stack` | `sam delete` (the stack, and the code it uploaded) | `aws cloudformation delete-stack` |
#
# From a terminal in `lambdas/chat/`, pointed at the local cloud (the `export` lines that
# `workshop cloud` prints) or at an AWS account (no `AWS_ENDPOINT_URL`), unchanged:
# ```
# sam deploy --resolve-s3 --stack-name chat --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND
# sam delete --stack-name chat
# ```
# The SAM CLI is not in the workshop's environment: its pins clash with the kit's, so install it
# in a venv of its own (`python3 -m venv ~/sam && ~/sam/bin/pip install aws-sam-cli`). After
# `sam delete`, the managed bucket stays, as on AWS, for your next `sam deploy`. The chat's
# [README](../exercises/lambdas/chat/README.md) has the AWS CLI's commands; `workshop deploy chat
# --template` does the same from the kit, and `workshop teardown chat --template` deletes it.

# %% [markdown]
# ## Key points
#
# - A template describes every resource and how they refer to each other (`!Ref`, `!GetAtt`,
#   `!Sub`, `DependsOn`); CloudFormation works out the order and records each step as an event.
# - `create_stack` needs the code in S3 first (`package`) and the capabilities the template
#   uses (`CAPABILITY_IAM`, `CAPABILITY_AUTO_EXPAND` for SAM); a waiter says when it is done.
# - `update_stack` changes only what changed: a new route is not served until the `Deployment`
#   gets a new logical id (or you redeploy some other way).
# - `delete_stack` removes everything the stack made, log groups included when the template
#   declares them; tags prove that nothing is left.
# - `sam deploy --resolve-s3` is package, change set, waiter and outputs in one command, on the
#   local cloud and on AWS alike; `sam delete` undoes it.
#
# **Exercises:** [10 · The same app as a template](../exercises/10-templates-exercises.ipynb):
# `template-whisper`, the whisper route added to the template by hand.
