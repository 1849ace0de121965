# %% [markdown]
# # 09 · Going to real AWS
#
# **Teaching** 10 min · **Exercises** 0 min
#
# **Questions**
# - What does running these apps on AWS cost, and where do I check?
# - How do I know my functions may do no more than they need?
# - How do I remove everything I deployed, and only that?
#
# **Objectives**
# - Read a deployed role's inline policy and check it for wildcards and `*FullAccess`.
# - Delete a resource by hand, then the rest of an app by its tags.
#
# Everything you ran works unchanged against a real account: start JupyterLab with
# `workshop up --aws` (or `WORKSHOP_TARGET=aws workshop up`), with credentials boto3 can find
# (`aws configure`, `AWS_PROFILE`, SSO...), and `use_cloud()` says *aws*. Only the local cloud's
# teaching aid, the `Trace` widget, has nothing to show there: it says so in its status line.
# Before you do, three things: what it costs, what your functions are allowed to do, and how to
# remove it all.
#
# ```mermaid
# flowchart LR
#     subgraph you pay for
#       M["API Gateway<br/>messages + connection minutes"]
#       L["Lambda<br/>requests + GB-seconds"]
#       D["DynamoDB on-demand<br/>reads + writes + storage"]
#       W["CloudWatch Logs<br/>ingestion + storage"]
#     end
#     T["teardown(app)"] -->|deletes everything tagged workshop:app| M & L & D & W
# ```

# %% [markdown]
# > **Catch-up cell.** Run it first: it picks the cloud (see lesson 00). This lesson needs
# > nothing built by the earlier ones, so that is all it does; running it again changes nothing.

# %% tags=["nbval-ignore-output"]
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## Costs: what is charged, and where to check
#
# Prices change and differ by region, so check the official pages rather than trusting numbers
# copied into a notebook. What each service charges for:
#
# - **API Gateway WebSocket APIs** ([pricing](https://aws.amazon.com/api-gateway/pricing/)):
#   *messages* sent and received, billed per million (and counted in 32 KB units), plus
#   *connection minutes*, billed per million minutes that connections stay open. An idle tab left
#   connected all day costs connection minutes.
# - **Lambda** ([pricing](https://aws.amazon.com/lambda/pricing/)): *requests* per million, plus
#   *duration* in GB-seconds (memory × time). The chat functions use 128 MB and run milliseconds.
# - **DynamoDB on-demand** ([pricing](https://aws.amazon.com/dynamodb/pricing/on-demand/)):
#   read and write *request units*, plus storage per GB-month. A broadcast `Scan` reads the whole
#   table each time.
# - **CloudWatch Logs** ([pricing](https://aws.amazon.com/cloudwatch/pricing/)): ingestion and
#   storage of every printed line.
#
# The [AWS Free Tier](https://aws.amazon.com/free/) covers a workshop's traffic for many accounts;
# the [AWS Pricing Calculator](https://calculator.aws/) estimates your own. Set a
# [budget alert](https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html)
# before you start.
#
# ## Least privilege
#
# To show the whole life cycle, this lesson deploys its own copy of the chat app, named `lesson09`,
# and removes it at the end.

# %% tags=["nbval-ignore-output"]
from dataclasses import replace

from infra.deploy.apps import CHAT, deploy_plan

url = deploy_plan(replace(CHAT, app="lesson09"), folder="chat")

# %% [markdown]
# The deploy library gives the functions' role one inline policy and nothing else. Read it
# below: each statement names its actions, and all but one name their resources too: this table,
# `POST @connections` on this API's stage only, writing to these functions' own log groups.

# %% tags=["nbval-ignore-output"]
import json

import boto3

iam = boto3.client("iam")
policy = iam.get_role_policy(RoleName="lesson09-lambda-role", PolicyName="least-privilege")
document = policy["PolicyDocument"]
print(json.dumps(document, indent=2))

# %% [markdown]
# The one exception is `logs:CreateLogGroup`, on `arn:aws:logs:<region>:<account>:*`: any log
# group of this account and region. Lambda creates a function's log group, with the function's
# role, the first time the function prints; and this is how AWS's own managed policy
# `AWSLambdaBasicExecutionRole`, the one the console gives every new function, writes that
# statement: the role is made before its functions (lesson 02), and a function added later gets
# its log group without a change to the policy. The risk is small: the action creates an empty
# log group, and reads, writes or deletes nothing; what is written, `CreateLogStream` and
# `PutLogEvents`, is on the named log groups only. You could still narrow it, to
# `arn:aws:logs:<region>:<account>:log-group:/aws/lambda/lesson09-*` say. Each statement's
# resources:

# %%
{statement["Sid"]: statement["Resource"] for statement in document["Statement"]}

# %% [markdown]
# `check_least_privilege` flags what makes a policy broader than it needs to be:

# %%
from infra.deploy import check_least_privilege

assert check_least_privilege(document) == [], (
    "lesson09-lambda-role's policy is broader than it needs: run the deploy_plan cell again,"
    " which puts the kit's policy back"
)

# %% [markdown]
# Compare the classic tutorial's way: managed `*FullAccess` policies give every function every
# DynamoDB action on every table in the account.

# %%
everything = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
classic = {"Version": "2012-10-17", "Statement": [everything]}
managed = ["arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"]
check_least_privilege(classic, managed)

# %%
assert len(check_least_privilege(classic, managed)) == 3, (
    "expected three findings (the wildcard action, Resource '*' and the FullAccess policy):"
    " run the cell that builds `classic` again"
)

# %% [markdown]
# ## Teardown
#
# Every `create_*` call you wrote has its `delete_*`: `delete_table`, `delete_function`,
# `delete_api`, `delete_role_policy` and `delete_role`, `delete_schedule` (and for a legacy rule,
# `remove_targets` and `delete_rule`). One by hand, with its waiter (asking every second, as in
# lesson 01: its own default is every 20 s):

# %% tags=["nbval-ignore-output"]
dynamodb = boto3.client("dynamodb")
dynamodb.delete_table(TableName="lesson09-connections")
dynamodb.get_waiter("table_not_exists").wait(
    TableName="lesson09-connections", WaiterConfig={"Delay": 1}
)

# %% [markdown]
# For the rest, every resource the deploy steps create is tagged `workshop:app=<app>`.
# `teardown` finds them through each service's tags and deletes them, in an order AWS accepts:
# rules, the schedules whose target is one of the app's functions (schedules carry no tags),
# functions (with their stream mappings and log groups), APIs, roles, tables. Untagged resources
# are never touched.

# %% tags=["nbval-ignore-output"]
from infra.deploy import find_api, teardown

removed = teardown("lesson09")

# %%
assert find_api("lesson09", "lesson09-api") is None, (
    "lesson09-api is still there: run teardown('lesson09') again"
)
assert "lesson09-connections" not in dynamodb.list_tables()["TableNames"], (
    "lesson09-connections is still there: run teardown('lesson09') again"
)
functions = boto3.client("lambda").list_functions()["Functions"]
assert not any(function["FunctionName"].startswith("lesson09-") for function in functions), (
    "a lesson09- function is still there: run teardown('lesson09') again"
)

# %% [markdown]
# On real AWS, run `teardown` for every app you deployed (`chat`, `arena`, `tictactoe`, `push`),
# or from a terminal: `workshop teardown chat`. Then check the
# [Billing console](https://console.aws.amazon.com/billing/) a day later.
#
# On your own account you will more likely deploy each app as a **template**: one file that
# CloudFormation turns into a stack, and one `delete_stack` that removes all of it. Every app has
# one (`lambdas/<app>/template.yaml`), and it deploys unchanged to AWS with
# `aws cloudformation deploy`: lesson 10 walks through the chat's.

# %% [markdown]
# ## Key points
#
# - You pay per message, connection minute, request, GB-second, read, write and logged byte:
#   check the pricing pages and set a budget alert before you start.
# - A least-privilege policy names each action on each resource; `check_least_privilege` flags
#   wildcards, `Resource: "*"` and `*FullAccess`. The one broad statement left,
#   `logs:CreateLogGroup` on the account's log groups, is AWS's own form, and harmless.
# - Tag what you create, and tear down by tag: nothing else is touched.
#
# **Exercises:** none for this lesson; the `policy` exercise of
# [08](../exercises/08-server-push-exercises.ipynb) practises least privilege.
#
# **Next:** [10 · The same app as a template](10-templates.ipynb): the chat as one SAM template,
# created, updated and deleted as a CloudFormation stack, the way you would deploy it to AWS.
