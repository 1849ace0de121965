"""The least-privilege exercise is checked by behaviour: a function runs as a role with only the
learner's policy, then with each statement taken away, against a local cloud enforcing IAM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.deploy import deploy_app, find_api, teardown
from infra.deploy.aws import account_of, region_of
from infra.exercises import checks
from infra.exercises.checks.common import invoke
from infra.exercises.checks.lesson08 import _refused_as
from infra.local.cloud import LocalCloud
from tests.conftest import running_cloud

PROBE = "checks-welcome"  # the check's probe function


@pytest.fixture(scope="module")
def push_app(cloud: LocalCloud) -> Iterator[tuple[str, str, str, str]]:
    """The push app deployed once: (table_arn, region, account, api_id) as the notebook has them."""
    deploy_app("push")
    table_arn = boto3.client("dynamodb").describe_table(TableName="push-connections")["Table"][
        "TableArn"
    ]
    yield table_arn, region_of(), account_of(), find_api("push", "push-api")["ApiId"]
    teardown("push")


def welcome_policy(*, table_condition: dict[str, Any] | None = None) -> Any:
    """The exercise's answer; `table_condition` adds a Condition to the table statement."""

    def policy(table_arn: str, region: str, account: str, api_id: str) -> dict[str, Any]:
        table = {
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem"],
            "Resource": table_arn,
        }
        if table_condition:
            table["Condition"] = table_condition
        post = f"arn:aws:execute-api:{region}:{account}:{api_id}/dev/POST/@connections/*"
        return {
            "Version": "2012-10-17",
            "Statement": [
                table,
                {"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": post},
            ],
        }

    return policy


def test_the_answer_passes_with_its_probe_running_as_a_role_of_its_own(
    push_app: tuple[str, ...],
) -> None:
    """The right policy passes; the probe it ran uses the role the check gave the policy to."""
    checks.check_policy(welcome_policy(), *push_app)
    role = boto3.client("lambda").get_function_configuration(FunctionName=PROBE)["Role"]
    assert role.endswith(f"/{PROBE}-role")


def test_the_probe_is_refused_what_a_missing_statement_granted(
    push_app: tuple[str, ...],
) -> None:
    """With only the table statement, the probe's post is refused and its table calls are not."""
    checks.check_policy(welcome_policy(), *push_app)
    only_table = welcome_policy()(*push_app)
    only_table["Statement"] = only_table["Statement"][:1]
    assert _refused_as(PROBE, only_table, {"execute-api:ManageConnections"}) == {
        "execute-api:ManageConnections"
    }


def test_a_policy_that_never_applies_fails_by_behaviour(push_app: tuple[str, ...]) -> None:
    """A table statement whose condition never holds reads right but is refused when used."""
    never = {"StringEquals": {"aws:PrincipalTag/team": "nobody"}}
    with pytest.raises(AssertionError, match=r"^Running as a role with only this policy.*PutItem"):
        checks.check_policy(welcome_policy(table_condition=never), *push_app)


def test_a_repeated_statement_passes(push_app: tuple[str, ...]) -> None:
    """Taking away one copy of a repeated statement refuses nothing, and none is expected."""

    def doubled(table_arn: str, region: str, account: str, api_id: str) -> dict[str, Any]:
        policy = welcome_policy()(table_arn, region, account, api_id)
        policy["Statement"].append(json.loads(json.dumps(policy["Statement"][0])))
        return policy

    checks.check_policy(doubled, *push_app)


def test_without_iam_only_the_document_is_checked() -> None:
    """On a cloud run with --no-iam nothing is refused, so the check reads the document only."""
    with running_cloud(iam=False):
        deploy_app("push")
        table_arn = boto3.client("dynamodb").describe_table(TableName="push-connections")["Table"][
            "TableArn"
        ]
        api_id = find_api("push", "push-api")["ApiId"]
        never = {"StringEquals": {"aws:PrincipalTag/team": "nobody"}}
        checks.check_policy(
            welcome_policy(table_condition=never), table_arn, region_of(), account_of(), api_id
        )
        result = invoke(PROBE, {"connectionId": "abc"})
        assert result == {"FunctionError": None, "Payload": []}
