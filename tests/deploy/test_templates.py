"""lambdas/<app>/template.yaml: lint-clean, and as least-privilege as the boto3 deploys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.deploy import check_least_privilege
from infra.deploy.apps import PLANS, plan_policy
from infra.deploy.stacks import deploy_template, load_template, template_path

TEMPLATES = sorted(PLANS)


def lint(path: Path) -> list[str]:
    """cfn-lint's findings for a template file, as the `cfn-lint` command reports them."""
    from cfnlint.api import lint

    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in lint(path.read_text())]


@pytest.mark.parametrize("app", TEMPLATES)
def test_cfn_lint_passes_on_the_template(app: str) -> None:
    """cfn-lint finds nothing in the app's template."""
    assert lint(template_path(app)) == []


def test_cfn_lint_is_not_blind() -> None:
    """The lint check reports a broken template (a route without its required ApiId)."""
    broken = (
        template_path("chat")
        .read_text()
        .replace("      ApiId: !Ref ChatApi\n      RouteKey: whisper", "      RouteKey: whisper")
    )
    from cfnlint.api import lint

    assert any(match.rule.id.startswith("E") for match in lint(broken))


@pytest.mark.parametrize("app", TEMPLATES)
def test_every_function_runs_python_from_the_app_folder(app: str) -> None:
    """Functions are Python, with code from this folder (CodeUri: .), so `package` zips the app."""
    template = load_template(template_path(app))
    assert template["Globals"]["Function"]["Runtime"].startswith("python3.")
    functions = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    ]
    assert {f["Properties"]["CodeUri"] for f in functions} == {"."}
    handlers = {f["Properties"]["Handler"] for f in functions}
    plan = PLANS[app]
    assert handlers == {r.handler for r in plan.routes} | {
        h for h in (plan.stream_handler, plan.scheduled_handler) if h
    }


def normalized(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """Statements with Action and Resource always lists (IAM accepts either)."""
    statements = []
    for statement in policy["Statement"]:
        statement = dict(statement)
        for key in ("Action", "Resource"):
            if isinstance(statement.get(key), str):
                statement[key] = [statement[key]]
        statements.append(statement)
    return statements


@pytest.mark.parametrize("app", TEMPLATES)
def test_the_templates_role_has_the_boto3_deploys_policy(moto_aws: boto3.Session, app: str) -> None:
    """The stack's role has exactly plan_policy's statements and no managed policy at all."""
    outputs = deploy_template(app)
    iam = moto_aws.client("iam")
    [role] = [  # the functions' role (push's schedule has a role of its own, for Scheduler)
        r["RoleName"]
        for r in iam.list_roles()["Roles"]
        if r["RoleName"].startswith(f"{app}-")
        and "lambda.amazonaws.com" in json.dumps(r["AssumeRolePolicyDocument"])
    ]
    document = iam.get_role_policy(RoleName=role, PolicyName="least-privilege")["PolicyDocument"]
    policy = json.loads(document) if isinstance(document, str) else document
    table_arn = moto_aws.client("dynamodb").describe_table(TableName=outputs["TableName"])["Table"][
        "TableArn"
    ]
    api_id = outputs["WebSocketURL"].split("//")[1].split(".")[0]
    expected = plan_policy(PLANS[app], table_arn, api_id, "dev", session=moto_aws)
    assert normalized(policy) == normalized(expected)
    assert check_least_privilege(policy) == []
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
