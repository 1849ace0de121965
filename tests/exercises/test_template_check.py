"""The template exercise's check (`template-whisper`): what its first line says for the mistakes a
learner makes on the way from the stub to a whisper route the stage serves.

Each test deploys the exercises' stub template as a stack, edits a copy of the kit's answer the
way a learner might, deploys that, and checks, on one local cloud for the module.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from infra.deploy.stacks import StackFailed
from infra.exercises import checks
from infra.exercises.runner import PROJECT_ROOT
from infra.local.cloud import LocalCloud

STUB = (PROJECT_ROOT / "exercises/lambdas/chat/template.yaml").read_text()
ANSWER = (PROJECT_ROOT / "lambdas/chat/template.yaml").read_text()
RENAMED = ANSWER.replace("  Deployment:\n", "  DeploymentWithWhisper:\n").replace(
    "DeploymentId: !Ref Deployment\n", "DeploymentId: !Ref DeploymentWithWhisper\n"
)


def edited(*changes: tuple[str, str], base: str = RENAMED) -> str:
    """The template with each (old, new) replaced once; every old text must be there."""
    for old, new in changes:
        assert base.count(old) == 1, old
        base = base.replace(old, new)
    return base


def first_line(template: Path, stack: str, **kwargs: object) -> str:
    """The first line of the check's failure ("" when it passes)."""
    try:
        checks.check_template_whisper(template, stack, **kwargs)  # type: ignore[arg-type]
    except AssertionError as error:
        return str(error).splitlines()[0]
    return ""


def deploy(template: Path, text: str, stack: str) -> None:
    """Save the template as the learner would, then run the deploy cell (quietly)."""
    template.write_text(text)
    with contextlib.redirect_stdout(io.StringIO()):
        checks.deploy_template(template, stack)


@pytest.fixture
def template(tmp_path: Path, cloud: LocalCloud) -> Path:
    """The learner's template file, as the exercises hand it out."""
    path = tmp_path / "template.yaml"
    path.write_text(STUB)
    return path


def test_the_stub_fails_then_added_but_not_deployed_then_a_new_deployment_passes(
    template: Path,
) -> None:
    """The path lesson 10 walks: no route; saved but not deployed; deployed but not served;
    served once the Deployment has a new logical id."""
    deploy(template, STUB, "walk")
    assert first_line(template, "walk").startswith("The stack walk's API has no whisper route: add")
    template.write_text(ANSWER)
    assert first_line(template, "walk").startswith(
        "Your template has the whisper route (WhisperRoute), the stack walk does not yet"
    )
    deploy(template, ANSWER, "walk")
    assert first_line(template, "walk").startswith("Added but not deployed: ")
    deploy(template, RENAMED, "walk")
    assert first_line(template, "walk") == ""


def test_a_failed_update_says_which_resource_failed_and_why(template: Path) -> None:
    """An update CloudFormation rolled back is reported with the failing resource's reason."""
    deploy(template, STUB, "failing")
    broken = edited(("FunctionName: !Ref WhisperFunction", "FunctionName: failing-nobody"))
    with pytest.raises(StackFailed):
        deploy(template, broken, "failing")
    assert first_line(template, "failing").startswith(
        "The last update of the stack failing failed (UPDATE_ROLLBACK_COMPLETE): WhisperPermission"
        " (AWS::Lambda::Permission): "
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("functions/${WhisperFunction.Arn}", "functions/${SendMessageFunction.Arn}"),
         "The whisper route invokes 'wiring-sendMessage', whose handler is"),
        (("Principal: apigateway.amazonaws.com\n      SourceArn: !Sub arn:${AWS::Partition}:"
          "execute-api:${AWS::Region}:${AWS::AccountId}:${ChatApi}/*/whisper",
          "Principal: apigateway.amazonaws.com\n      SourceArn: !Sub arn:${AWS::Partition}:"
          "execute-api:${AWS::Region}:${AWS::AccountId}:${ChatApi}/*/sendMessage"),
         "API Gateway may not invoke wiring-whisper for the whisper route"),
    ],
    ids=["wrong function", "permission for another route"],
)  # fmt: skip
def test_the_route_is_read_back_before_anyone_whispers(
    template: Path, change: tuple[str, str], expected: str
) -> None:
    """The function behind the route and its resource policy are read from the cloud."""
    deploy(template, edited(change), "wiring")
    assert first_line(template, "wiring").startswith(expected)


def test_the_hidden_variant_catches_a_hard_coded_stage(template: Path) -> None:
    """A SourceArn naming the stage `dev` works on `dev` only: another stage fails."""
    text = edited(("${ChatApi}/*/whisper", "${ChatApi}/dev/whisper"))
    template.write_text(text)
    hidden = first_line(template, checks.unique("room"), fresh_stage="beta")
    assert hidden.startswith("API Gateway may not invoke room-")


def test_cfn_lint_says_where_a_failed_deploy_went_wrong(template: Path) -> None:
    """A template that fails to deploy gets CloudFormation's reason and cfn-lint's finding."""
    deploy(template, STUB, "unlinted")
    broken = edited(
        ("      ApiId: !Ref ChatApi\n      RouteKey: whisper", "      RouteKey: whisper")
    )
    with pytest.raises(StackFailed):
        deploy(template, broken, "unlinted")
    line = first_line(template, "unlinted")
    assert "failed (UPDATE_ROLLBACK_COMPLETE): WhisperRoute (AWS::ApiGatewayV2::Route): " in line
    assert " cfn-lint: E3003 'ApiId' is a required property (line " in line


def test_lint_template_lints_the_learners_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """lint_template reads the file it is given (the learner's copy), not the kit's template."""
    copy = tmp_path / "template.yaml"
    copy.write_text(STUB)
    assert checks.lint_template(copy) == []
    assert capsys.readouterr().out.startswith("cfn-lint finds nothing to say about ")
    copy.write_text(
        edited(("      ApiId: !Ref ChatApi\n      RouteKey: whisper", "      RouteKey: whisper"))
    )
    findings = checks.lint_template(copy)
    assert findings and findings[0].startswith("line ") and "E3003 'ApiId'" in findings[0]
