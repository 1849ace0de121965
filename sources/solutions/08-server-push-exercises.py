# %% [markdown]
# # Exercises 08 · Server push
#
# After lesson [08 · Server push](../notebooks/08-server-push.ipynb): the schedule, the function it
# runs, and a policy with nothing to spare. The push code is in [`lambdas/push/`](lambdas/push/)
# next to this notebook (see its [README](lambdas/push/README.md)).
#
# **How these exercises work.** Write your answer where a cell (or the file an exercise names) says
# `# YOUR CODE HERE`, replacing the `raise NotImplementedError()` under it, then run the check right
# after it (a check of a Lambda file deploys your `lambdas/push/` first). A check answers in one
# line: ✓ and what passed, or ✗ and what is wrong, with a hint at the fix. Each exercise's setup
# builds what it needs, so you can do them in any order. Your instructor's grading also runs
# each check with names you have not seen: use the parameters, not the examples.

# %% tags=["nbval-ignore-output"]
from infra.exercises import checks
from infra.session import use_cloud

cloud = use_cloud()

# %% [markdown]
# ## 1 · A daily reminder `[reminder]` · 5 min
#
# **Why?** Lesson 08's schedule ran every minute with `rate(...)` and pushed the function's
# default greeting. A real reminder fires at a time of day, which is what `cron(...)` expressions
# say, at that time **where its people are**: a schedule counts its hours in its
# `ScheduleExpressionTimezone` (an IANA name such as `"Europe/Paris"`; UTC without it), and
# moves with daylight saving time. It also says something of its own: a target's **`Input`**,
# a JSON text, is the event Scheduler sends the function. `push.py` pushes the event's `text`
# when it has one.
#
# **What?** Write `remind(schedule_name, function_name, role_arn, hour, timezone, text)`: a
# schedule that invokes the function **every day at `hour`:00 in `timezone`**, with the role
# `role_arn` (made for you: Scheduler may assume it, and it may invoke the function) and the
# Input `{"text": text}`. Return the schedule's ARN.
#
# - A cron has six fields, `cron(minutes hours day-of-month month day-of-week year)`; `*` means
#   every, and one of the two day fields must be `?` (no matter which day).
#   `cron(30 18 ? * FRI *)` is Fridays at 18:30.
# - The target is `{"Arn": ..., "RoleArn": ..., "Input": ...}`; `Input` is a string:
#   `json.dumps({...})`. `FlexibleTimeWindow={"Mode": "OFF"}` fires on the minute.
# - No `add_permission` this time: Scheduler comes in through the role, not through the
#   function's resource policy.
#
# The check builds a copy of the push app with no schedule, runs your function, reads the
# schedule back and fires it: a connected client must receive your text.

# %% tags=["exercise:reminder"]
import json

import boto3


def remind(
    schedule_name: str, function_name: str, role_arn: str, hour: int, timezone: str, text: str
) -> str:
    """Push `text` every day at `hour`:00 in `timezone`; return the schedule's ARN."""
    ### BEGIN SOLUTION
    function_arn = boto3.client("lambda").get_function_configuration(FunctionName=function_name)[
        "FunctionArn"
    ]
    return boto3.client("scheduler").create_schedule(
        Name=schedule_name,
        ScheduleExpression=f"cron(0 {hour} * * ? *)",
        ScheduleExpressionTimezone=timezone,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": function_arn, "RoleArn": role_arn, "Input": json.dumps({"text": text})},
    )["ScheduleArn"]
    ### END SOLUTION


# %% tags=["check:reminder"]
checks.check_reminder(remind, "mypush", "mypush-coffee", 10, "Europe/Paris", "Coffee in the lobby")

# %% tags=["hidden:reminder"]
app = checks.unique("push")
checks.check_reminder(
    remind, app, f"{app}-stand-up", 7, "America/New_York", checks.unique("Stand-up in 5")
)

# %% [markdown]
# ## 2 · Push the time, on a schedule `[push-time]` · 10 min
#
# **Why?** Lesson 08: an EventBridge Scheduler schedule invokes `push-broadcast` every minute and
# the server speaks first. A scheduled invocation carries no `requestContext`, so the function
# finds the `@connections` endpoint in its environment (`CONNECTIONS_URL`). A schedule sends its
# target's `Input` (or `{}`), with no time in it; a legacy EventBridge scheduled **rule** sends an
# event that carries the time it fired:
#
# ```json
# {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2024-02-09T12:00:00Z", "...": "..."}
# ```
#
# **What?** In [`lambdas/push/push.py`](lambdas/push/push.py) write
#
# - `now_iso()`: the current UTC time as `"2024-02-09T12:00:00Z"` (whole seconds, ending in `Z`;
#   `datetime.now(UTC)` is a start), used when the event carries no time (a schedule's `{}`, or
#   an invoke by hand);
# - `push_to_all(table, api, text, at)`: post `push_frame(text, at)` to every connection id
#   (`common.connection_ids(table)`) with `common.post(api, connection, frame)`; when that returns
#   `False` the client is gone: delete its row. Return `{"sent": …, "pruned": …}`.
#
# Every client then receives `{"type": "push", "text": "Hello from a scheduled Lambda", "at": "…"}`.
# The check deploys your `lambdas/push/`, fires the schedule (no need to wait a minute) and
# expects `at` to be within a minute of now; its hidden variant sends a rule's event and expects
# its `time`.

# %% tags=["check:push-time", "nbval-ignore-output"]
checks.check_push_time("lambdas/push")

# %% tags=["hidden:push-time"]
checks.check_push_time("lambdas/push", scheduled_at="2001-02-03T04:05:06Z")

# %% [markdown]
# ## 3 · A least-privilege policy `[policy]` · 5 min
#
# **Why?** Every function runs with a role, and the role's policy is everything that code may do
# if it has a bug, or is tricked. `AmazonDynamoDBFullAccess` would work, and would let a chat
# function delete every table in the account. **Least privilege**: the actions the code calls, on
# the resources it touches, nothing else.
#
# **What?** A new function for the push app stores connections (`dynamodb:PutItem`), forgets them
# (`dynamodb:DeleteItem`) and sends each newcomer a welcome (`execute-api:ManageConnections`; it only
# **posts**). Write `welcome_policy(table_arn, region, account, api_id)`, returning its policy as a
# Python dict:
#
# - the two table actions on exactly the table's ARN (`table_arn`);
# - `execute-api:ManageConnections` on exactly the POST `@connections` of the `dev` stage of the
#   API: `arn:aws:execute-api:{region}:{account}:{api_id}/dev/POST/@connections/*`;
# - no wildcards in actions, no `"Resource": "*"`.
#
# (Writing CloudWatch logs is left out here to keep it short.) The check calls your function with
# the push app's table and API, reads the document, then **uses** it: a function running as a
# role with only your policy must be allowed every call, and with any one statement taken away,
# exactly what that statement granted must be refused, as IAM refuses it on AWS.
#
# The push app, with your `lambdas/push/` code as exercise 2's check deploys it (made now if
# lesson 08 did not make it; running the cell again changes nothing), and its table and API:

# %% tags=["nbval-ignore-output"]
from infra.deploy import deploy_app, find_api
from infra.deploy.aws import account_of, region_of

deploy_app("push", folder="lambdas/push")
table_arn = boto3.client("dynamodb").describe_table(TableName="push-connections")["Table"][
    "TableArn"
]
api_id = find_api("push", "push-api")["ApiId"]
region, account = region_of(), account_of()
print(table_arn)
print(f"api_id={api_id} region={region} account={account}")

# %% [markdown]
# For comparison, the full document the deploy steps give every app's functions (the file is in
# the kit, not in your JupyterLab, so the cell prints it):

# %% tags=["nbval-ignore-output"]
from infra import lessons

lessons.show_source("infra/deploy/policies.py", "lambda_policy")


# %% tags=["exercise:policy"]
def welcome_policy(table_arn: str, region: str, account: str, api_id: str) -> dict:
    """Put and delete rows of the table, post to the connections of the API's dev stage."""
    ### BEGIN SOLUTION
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem"],
                "Resource": table_arn,
            },
            {
                "Effect": "Allow",
                "Action": "execute-api:ManageConnections",
                "Resource": f"arn:aws:execute-api:{region}:{account}:{api_id}/dev/POST/@connections/*",
            },
        ],
    }
    ### END SOLUTION


# %% tags=["check:policy"]
checks.check_policy(welcome_policy, table_arn, region, account, api_id)

# %% tags=["hidden:policy"]
checks.check_policy(
    welcome_policy,
    "arn:aws:dynamodb:eu-west-3:210987654321:table/welcomes",
    "eu-west-3",
    "210987654321",
    checks.unique("api").replace("-", ""),
)

# %% [markdown]
# ## Done?
#
# Next lesson: [09 · Going to real AWS](../notebooks/09-real-aws.ipynb), where the deploy steps'
# own policy is checked the same way; then [10 · The same app as a template](../notebooks/10-templates.ipynb).
