"""Lesson 08's exercises (`solutions/08-server-push-exercises.ipynb`): the schedule, the pushed
time, least privilege.

- `reminder`: `check_reminder`, a daily Scheduler schedule in a time zone that pushes a text;
- `push-time`: `check_push_time`, the push function's frame stamped with the time;
- `policy`: `check_policy`, the welcome function's policy, checked as a document and in use.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.deploy import (
    check_least_privilege,
    create_lambda_role,
    create_or_update_function,
    create_scheduler_role,
    fire_schedule,
)
from infra.deploy.apps import PUSH, deploy_plan
from infra.deploy.aws import account_of, region_of
from infra.deploy.policies import execute_api_arn
from infra.deploy.schedules import once_scheduler_may_assume

from .common import (
    KIT_LAMBDAS,
    PROBE_APP,
    Client,
    Frame,
    answer,
    as_list,
    deployed,
    describe,
    error_code,
    failure,
    invoke,
    probe_role_policy,
    quietly,
    unique,
    zip_of,
)

# -- reminder: the schedule --------------------------------------------------------------------


def check_reminder(
    remind: Callable[[str, str, str, int, str, str], str],
    app: str,
    schedule: str,
    hour: int,
    timezone: str,
    text: str,
) -> None:
    """`remind(schedule, function, role_arn, hour, timezone, text)`: a daily Scheduler schedule
    in the time zone, whose target's Input pushes `text`, run with the role given."""
    scheduler = boto3.client("scheduler")
    url = _push_without_rule(app)
    function = f"{app}-broadcast"
    arn = boto3.client("lambda").get_function_configuration(FunctionName=function)["FunctionArn"]
    role_arn = _scheduler_role_ready(app, arn)
    _delete_schedule(schedule)
    schedule_arn = answer(remind, schedule, function, role_arn, hour, timezone, text)
    try:
        described = scheduler.get_schedule(Name=schedule)
    except ClientError:
        raise AssertionError(
            f"There is no schedule {schedule!r}: scheduler.create_schedule(Name=schedule_name, ...)"
        ) from None
    expression = described.get("ScheduleExpression")
    daily = f"cron(0 {hour} * * ? *)"
    assert _daily_hour(expression) == hour, (
        f"The schedule's expression is {expression!r}, not every day at {hour}:00: cron has six"
        f" fields, minutes hours day-of-month month day-of-week year, and one of the two days is"
        f" ?: {daily}"
    )
    zone = described.get("ScheduleExpressionTimezone")
    assert zone == timezone, (
        f"The schedule counts its hours in {zone!r}, not {timezone!r}:"
        " ScheduleExpressionTimezone=timezone (without it, cron() is in UTC)"
    )
    assert described.get("State") == "ENABLED", (
        f"The schedule is {described.get('State')}: State='ENABLED' (or leave State out)"
    )
    assert schedule_arn == described["Arn"], (
        f"remind returned {schedule_arn!r}, not the schedule's ARN (create_schedule's ScheduleArn)"
    )
    target = described.get("Target", {})
    assert target.get("Arn") == arn, (
        f"The schedule's target is {target.get('Arn')!r}, expected {function}'s ARN:"
        " Target={'Arn': function_arn, 'RoleArn': role_arn, 'Input': ...}"
    )
    assert target.get("RoleArn") == role_arn, (
        f"The schedule runs with the role {target.get('RoleArn')!r}, not the one given"
        f" ({role_arn}): Scheduler assumes Target's RoleArn to invoke the function"
    )
    given = target.get("Input")
    try:
        constant = json.loads(given) if given else None
    except ValueError:
        constant = given
    assert constant == {"text": text}, (
        f"The target's Input is {given!r}: the function pushes the event's `text`, so give the"
        " target the Input json.dumps({'text': text}) (a JSON string)"
    )
    with Client(url, "listener") as client, quietly():
        results = fire_schedule(schedule)
        pushed = client.wait_for(lambda frame: frame.get("type") == "push")
    errors = [result for result in results if result.get("error")]
    assert not errors, f"The schedule fired but its function failed: {errors[0].get('response')}"
    assert results and pushed is not None, f"Firing {schedule} pushed nothing to a connected client"
    assert pushed.get("text") == text, (
        f"Firing {schedule} pushed {pushed.get('text')!r}, not {text!r}: the target's Input is"
        " the event the function gets"
    )


def _scheduler_role_ready(app: str, function_arn: str) -> str:
    """The kit's scheduler role for `app`, once Scheduler can assume it (IAM is eventually
    consistent: a throwaway schedule is tried until it is accepted, then deleted)."""
    scheduler = boto3.client("scheduler")
    with quietly():
        role_arn = create_scheduler_role(app, function_arn)
    probe = f"{app}-role-probe"
    _delete_schedule(probe)
    once_scheduler_may_assume(
        lambda: scheduler.create_schedule(
            Name=probe,
            ScheduleExpression="rate(1 day)",
            FlexibleTimeWindow={"Mode": "OFF"},
            State="DISABLED",
            Target={"Arn": function_arn, "RoleArn": role_arn},
        )
    )
    _delete_schedule(probe)
    return role_arn


def _delete_schedule(name: str) -> None:
    try:
        boto3.client("scheduler").delete_schedule(Name=name)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise


def _daily_hour(expression: str | None) -> int | None:
    """The hour (UTC) of a cron expression that fires once a day at minute 0, else None."""
    fields = (expression or "").removeprefix("cron(").removesuffix(")").split()
    if not (expression or "").startswith("cron(") or len(fields) != 6:
        return None
    minutes, hours, day_of_month, month, day_of_week, year = fields
    days = {(day_of_month, day_of_week)} & {("*", "?"), ("?", "*")}
    if minutes not in ("0", "00") or not hours.isdigit() or not days or (month, year) != ("*", "*"):
        return None
    return int(hours)


def _push_without_rule(app: str) -> str:
    """A copy of the push app named `app` with no schedule; returns its URL."""
    with quietly():
        return deploy_plan(replace(PUSH, app=app, schedule=None), folder=KIT_LAMBDAS / "push")


# -- push-time: the pushed time ----------------------------------------------------------------


CLOCK_SLACK = 60.0  # seconds a pushed time may differ from the notebook's clock


def check_push_time(folder: str | Path, scheduled_at: str | None = None) -> None:
    """Firing the schedule pushes a frame stamped with the current time to a connected client.

    With `scheduled_at`, the function is invoked with a scheduled event of that `time`, which
    the frame must carry as it is.
    """
    url = deployed("push", folder)
    with Client(url, unique("listener")) as client:
        if scheduled_at is None:
            with quietly():
                results = fire_schedule("push-schedule")
            assert results, "The schedule push-schedule has no Lambda target"
            for result in results:
                assert result.get("error") is None, (
                    f"The scheduled push Lambda failed ({describe(result.get('response'))}): push_to_all"
                    " should post push_frame(text, at) to every stored connection (hint: the stub"
                    " still raises NotImplementedError?)"
                )
            frame = client.wait_for(lambda f: f.get("type") == "push")
            assert frame is not None, (
                "No push frame reached a connected client: post the frame to every id from"
                " common.connection_ids(table) (hint: api.post_to_connection via common.post)"
            )
            _assert_recent(frame, "now_iso() (a Scheduler schedule sends `{}`, with no `time`)")
        else:
            event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": scheduled_at}
            result = invoke("push-broadcast", event)
            assert result["FunctionError"] is None, f"push failed: {failure(result)}"
            frame = client.wait_for(lambda f: f.get("type") == "push")
            at = frame.get("at") if frame else None
            assert at == scheduled_at, (
                f"A schedule that fired at {scheduled_at} pushed `at` {at!r}: pass the event's"
                " `time` on to push_frame(text, at)"
            )
            return
        text = unique("It is time")
        result = invoke("push-broadcast", {"text": text})
        assert result["FunctionError"] is None, f"push failed: {failure(result)}"
        frame = client.wait_for(lambda f: f.get("text") == text)
        assert frame is not None, f"A test invoke with {{'text': {text!r}}} pushed nothing"
        _assert_recent(frame, "now_iso() (no scheduled time in a test invoke)")


def _assert_recent(frame: Frame, source: str) -> None:
    at = frame.get("at")
    try:
        when = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        raise AssertionError(
            f"The push frame's `at` is {at!r}, not an ISO time like '2024-02-09T12:00:00Z'"
        ) from None
    assert when.tzinfo is not None and str(at).endswith("Z"), (
        f"The push frame's `at` {at!r} should be UTC and end in 'Z' (hint: datetime.now(UTC))"
    )
    off = abs((datetime.now(UTC) - when).total_seconds())
    assert off <= CLOCK_SLACK, (
        f"The push frame's `at` {at!r} is {off:.0f} s away from now: it should be {source}"
    )


# -- policy: least privilege -------------------------------------------------------------------


def check_policy(
    welcome_policy: Callable[[str, str, str, str], Any],
    table_arn: str,
    region: str,
    account: str,
    api_id: str,
) -> None:
    """PutItem/DeleteItem on exactly the table, ManageConnections (POST) on exactly the stage."""
    policy = answer(welcome_policy, table_arn, region, account, api_id)
    assert isinstance(policy, dict), f"The policy should be a dict, not {type(policy).__name__}"
    assert policy.get("Version") == "2012-10-17", (
        "Start the policy with 'Version': '2012-10-17' (IAM's current policy language)"
    )
    problems = check_least_privilege(policy)
    assert not problems, f"Too broad: {problems[0]} (hint: name each action and resource)"
    statements = policy.get("Statement")
    assert isinstance(statements, list) and statements, "'Statement' should be a list of dicts"
    granted: dict[str, set[str]] = {}
    for statement in statements:
        assert isinstance(statement, dict), f"Each statement should be a dict: {statement!r}"
        assert statement.get("Effect") == "Allow", f"Each statement should Allow: {statement!r}"
        for action in as_list(statement.get("Action")):
            granted.setdefault(action, set()).update(as_list(statement.get("Resource")))
    needed = {"dynamodb:PutItem", "dynamodb:DeleteItem", "execute-api:ManageConnections"}
    missing = sorted(needed - granted.keys())
    assert not missing, f"The function also needs {', '.join(missing)}"
    extra = sorted(granted.keys() - needed)
    assert not extra, f"More than the function needs: drop {', '.join(extra)}"
    for action in ("dynamodb:PutItem", "dynamodb:DeleteItem"):
        assert granted[action] == {table_arn}, (
            f"{action} should be allowed on exactly {table_arn} (got {sorted(granted[action])})"
            " (hint: use the `table_arn` parameter)"
        )
    post = f"{execute_api_arn(region, account, api_id, 'dev')}/POST/@connections/*"
    assert granted["execute-api:ManageConnections"] == {post}, (
        f"execute-api:ManageConnections should be allowed on exactly {post}, got"
        f" {sorted(granted['execute-api:ManageConnections'])} (hint: the function only posts"
        " frames: POST, on this API's dev stage)"
    )
    if _in_this_cloud(table_arn, region, account):
        _check_policy_in_use(policy, table_arn, region, api_id)


WELCOME_PROBE = '''import os

import boto3
from botocore.exceptions import ClientError

REFUSALS = {"AccessDeniedException", "ForbiddenException"}  # DynamoDB's and @connections' words


def handler(event, context):
    """Make each call the welcome function makes; say which of them IAM refused."""
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    api = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["CONNECTIONS_URL"])
    connection = event["connectionId"]
    calls = {
        "dynamodb:PutItem": lambda: table.put_item(Item={"connectionId": connection}),
        "execute-api:ManageConnections": lambda: api.post_to_connection(
            ConnectionId=connection, Data=b"welcome"
        ),
        "dynamodb:DeleteItem": lambda: table.delete_item(Key={"connectionId": connection}),
    }
    refused = []
    for action, call in calls.items():
        try:
            call()
        except ClientError as error:  # GoneException is fine: IAM let the post through
            if error.response["Error"]["Code"] in REFUSALS:
                refused.append(action)
    return refused
'''


IAM_SETTLES = 20.0  # seconds: IAM is eventually consistent on AWS (immediate locally)


def _in_this_cloud(table_arn: str, region: str, account: str) -> bool:
    """Whether the ARN names a table of the cloud the notebook uses (hidden variants' do not)."""
    return (
        region == region_of()
        and account == account_of()
        and table_arn.startswith(f"arn:aws:dynamodb:{region}:{account}:table/")
    )


def _check_policy_in_use(policy: dict[str, Any], table_arn: str, region: str, api_id: str) -> None:
    """Run a function as a role with only this policy: every call works; take away any one
    statement and exactly the actions it granted are refused."""
    name = f"{PROBE_APP}-welcome"
    environment = {
        "TABLE_NAME": table_arn.rsplit("/", 1)[-1],
        "CONNECTIONS_URL": f"https://{api_id}.execute-api.{region}.amazonaws.com/dev",
    }
    probe_policy = {"Version": "2012-10-17", "Statement": [_probe_logs_statement()]}
    with quietly():
        role_arn = create_lambda_role(PROBE_APP, probe_policy, name=f"{name}-role")
        create_or_update_function(
            PROBE_APP,
            name,
            "welcome.handler",
            role_arn,
            zip_of({"welcome.py": WELCOME_PROBE}),
            environment=environment,
        )
    everything = {"dynamodb:PutItem", "dynamodb:DeleteItem", "execute-api:ManageConnections"}
    if not _refused_as(name, probe_policy, everything, strict=False):
        return  # this cloud does not enforce IAM (workshop cloud --no-iam): the document is checked
    assert _refused_as(name, policy, set()) == set(), (
        f"Running as a role with only this policy, the function was refused"
        f" {', '.join(sorted(_refused_as(name, policy, set(), strict=False)))}"
    )
    statements = policy["Statement"]
    for index, statement in enumerate(statements):
        others = {**policy, "Statement": statements[:index] + statements[index + 1 :]}
        if not others["Statement"]:
            continue  # a policy needs a statement: the logs-only run above covers "none of them"
        expected = set(as_list(statement.get("Action"))) - _actions_of(others)
        refused = _refused_as(name, others, expected)
        assert refused == expected, (
            f"Without statement {index + 1} the function should be refused"
            f" {sorted(expected) or 'nothing'}, and was refused {sorted(refused) or 'nothing'}"
        )


def _actions_of(policy: dict[str, Any]) -> set[str]:
    return {a for statement in policy["Statement"] for a in as_list(statement.get("Action"))}


def _probe_logs_statement() -> dict[str, Any]:
    return probe_role_policy()["Statement"][0]


def _refused_as(
    name: str, policy: dict[str, Any], expected: set[str], *, strict: bool = True
) -> set[str]:
    """Give the probe's role `policy` and run it; the actions IAM refused.

    IAM changes take seconds to reach every AWS region, so this asks again until the answer is
    `expected` or IAM_SETTLES has passed (`strict=False`: until anything is refused).
    """
    role = f"{name}-role"
    boto3.client("iam").put_role_policy(
        RoleName=role, PolicyName="least-privilege", PolicyDocument=json.dumps(policy)
    )
    deadline = time.monotonic() + IAM_SETTLES
    while True:
        result = invoke(name, {"connectionId": unique("welcomeCheck").replace("-", "")})
        assert result["FunctionError"] is None, f"The check's probe failed: {failure(result)}"
        refused = set(result["Payload"])
        settled = refused == expected if strict else bool(refused)
        if settled or time.monotonic() > deadline:
            return refused
        time.sleep(1.0)
