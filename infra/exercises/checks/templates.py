"""Checks of the exercise in a template: the chat's `lambdas/chat/template.yaml`, as a stack.

The learner edits the template file and deploys it with `deploy_template`, which packages it with
the finished chat's code (the kit's `lambdas/chat/`, so no code exercise has to be done first) and
creates or updates the stack. The check reads the stack and its API back (status, routes, the
function behind a route, who may invoke it), then chats over the stack's `WebSocketURL`. The
hidden variant deploys the same file as another stack, to another stage, and chats there.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import boto3
import yaml
from botocore.exceptions import ClientError

from infra.deploy.aws import APP_TAG, account_of, region_of
from infra.deploy.stacks import (
    StackFailed,
    artifacts_bucket,
    create_stack,
    delete_stack,
    load_template,
    package_template,
    stack_exists,
    update_stack,
)
from infra.local.integration import function_name_in

from .common import (
    KIT_LAMBDAS,
    QUIET,
    TIMEOUT,
    Client,
    Frame,
    is_gateway_error,
    quietly,
    statement_source,
    unique,
)

FINISHED_CHAT = KIT_LAMBDAS / "chat"  # the code every template of the chat is packaged with
WHISPER_HANDLER = "whisper.lambda_handler"
ROUTE_TYPE = "AWS::ApiGatewayV2::Route"
GOOD_STATES = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
HOW_TO_ADD = (
    "add WhisperFunction, WhisperLogs, WhisperIntegration, WhisperRoute (RouteKey: whisper) and"
    " WhisperPermission to {template}, then deploy (hint: copy the SendMessage* resources; each"
    " `# YOUR CODE HERE` marks a place)"
)
REDEPLOY = (
    "give the Deployment resource a new logical id (say DeploymentWithWhisper, with the Stage's"
    " DeploymentId: !Ref to it) and WhisperRoute in its DependsOn, then deploy again"
)


def deploy_template(template: str | Path, stack: str, stage: str = "dev") -> dict[str, str]:
    """Create or update the stack `stack` from the template file; print its events; its Outputs.

    The code is the finished chat's (`CodeUri: .` is the kit's `lambdas/chat/`). The stack is
    tagged `workshop:app=<stack>`. A stack whose creation failed (ROLLBACK_COMPLETE) cannot be
    updated, so it is deleted first.
    """
    packaged = package_template(load_template(template), FINISHED_CHAT, artifacts_bucket())
    parameters, tags = {"StageName": stage}, {APP_TAG: stack}
    if stack_exists(stack) and _status(stack) == "ROLLBACK_COMPLETE":
        delete_stack(stack)
    if stack_exists(stack):
        return update_stack(stack, packaged, parameters=parameters, tags=tags)
    return create_stack(stack, packaged, parameters=parameters, tags=tags)


def check_template_whisper(
    template: str | Path,
    stack: str,
    *,
    names: tuple[str, str, str] = ("ada", "bob", "cyd"),
    fresh_stage: str | None = None,
) -> None:
    """The stack `stack` serves the template's whisper route: a whisper from the first name
    reaches the second and not the third; a whisper to nobody gets an error frame back.

    With `fresh_stage`, the template is first deployed as the new stack `stack` on that stage
    (and deleted afterwards): the hidden variant, with names the learner never saw.
    """
    path = Path(template)
    declared = _whisper_routes(path)
    if fresh_stage is None:
        _check_stack(stack, path, declared, names)
        return
    try:
        try:
            with quietly():
                deploy_template(path, stack, fresh_stage)
        except (StackFailed, ClientError) as error:
            first = next(iter(str(error).splitlines()), "")
            raise AssertionError(
                f"Your template does not deploy as another stack ({stack}, stage {fresh_stage}):"
                f" {first} (hint: name things after ${{AWS::StackName}} and the StageName"
                " parameter, never after your own stack or stage)"
            ) from None
        _check_stack(stack, path, declared, names)
    finally:
        with quietly():
            delete_stack(stack)


# -- the file ------------------------------------------------------------------------------------


def _whisper_routes(path: Path) -> list[str]:
    """The logical ids of the template's routes for the `whisper` key (the file must parse)."""
    assert path.is_file(), f"There is no template at {path}: the exercise edits that file"
    try:
        template = load_template(path)
    except yaml.MarkedYAMLError as error:
        where = f" (line {error.problem_mark.line + 1})" if error.problem_mark else ""
        raise AssertionError(
            f"{path} is not valid YAML: {error.problem or error.context}{where} (hint: indent"
            " with spaces, as the resources around it do)"
        ) from None
    except yaml.YAMLError as error:
        first = next(iter(str(error).splitlines()), type(error).__name__)
        raise AssertionError(f"{path} is not valid YAML: {first}") from None
    resources = template.get("Resources") if isinstance(template, dict) else None
    assert isinstance(resources, dict), f"{path} has no Resources section"
    return [
        logical_id
        for logical_id, resource in resources.items()
        if isinstance(resource, dict)
        and resource.get("Type") == ROUTE_TYPE
        and (resource.get("Properties") or {}).get("RouteKey") == "whisper"
    ]


def _lint(path: Path) -> str:
    """cfn-lint's first finding in the file ("" when it finds nothing, as in the kit's own).

    Only a failed deploy pays for it (a few seconds): its line number is the best hint there.
    """
    from cfnlint.api import lint

    matches = lint(path.read_text(encoding="utf-8"))
    if not matches:
        return ""
    first = matches[0]
    return f"cfn-lint: {first.rule.id} {first.message} (line {first.linenumber} of {path})"


def lint_template(template: str | Path) -> list[str]:
    """Print (and return) cfn-lint's findings in the template file, one line each: the linter the
    kit's own templates pass, run on the learner's copy (a path relative to the notebook)."""
    from cfnlint.api import lint

    path = Path(template)
    assert path.is_file(), f"There is no template at {path}: the exercise edits that file"
    findings = [
        f"line {match.linenumber}: {match.rule.id} {match.message}"
        for match in lint(path.read_text(encoding="utf-8"))
    ]
    print("\n".join(findings) or f"cfn-lint finds nothing to say about {path}")
    return findings


# -- the stack and its API -----------------------------------------------------------------------


def _check_stack(stack: str, path: Path, declared: list[str], names: tuple[str, str, str]) -> None:
    status = _stack_state(stack, path)
    outputs, resources = _outputs(stack), _resources(stack)
    apis = [
        r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::ApiGatewayV2::Api"
    ]
    assert apis, f"The stack {stack} has no AWS::ApiGatewayV2::Api: keep the template's ChatApi"
    url = outputs.get("WebSocketURL")
    assert url, f"The stack {stack} has no WebSocketURL output: keep the template's Outputs"
    api_id = apis[0]
    route = _route(api_id, "whisper")
    if route is None:
        if declared:
            raise AssertionError(
                f"Your template has the whisper route ({declared[0]}), the stack {stack} does not"
                f" yet: run the deploy cell again (the stack is {status}; update_stack sends it"
                " your saved template)"
            )
        raise AssertionError(
            f"The stack {stack}'s API has no whisper route: {HOW_TO_ADD.format(template=path)}"
        )
    function = _function_behind(api_id, route)
    _check_invoke_permission(api_id, url.rstrip("/").rsplit("/", 1)[-1], function)
    _chat(url, function, names)


def _stack_state(stack: str, path: Path) -> str:
    """The stack's status, when it serves its template; else an AssertionError saying why not."""
    if not stack_exists(stack):
        raise AssertionError(
            f"There is no stack {stack}: run the cell that deploys your template (it creates"
            " the stack the first time, and updates it after that)"
        )
    status = _status(stack)
    if status.endswith("IN_PROGRESS"):
        raise AssertionError(f"The stack {stack} is still {status}: wait, then run the check again")
    if status not in GOOD_STATES:
        what = "update" if status.startswith("UPDATE") else "creation"
        finding = _lint(path)
        raise AssertionError(
            f"The last {what} of the stack {stack} failed ({status}): {_last_failure(stack)}."
            f"{f' {finding}.' if finding else ''} Fix the template, then deploy it again"
        )
    return status


def _status(stack: str) -> str:
    cloudformation = boto3.client("cloudformation")
    return str(cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])


def _last_failure(stack: str) -> str:
    """The first resource failure of the stack's last operation: "Logical (Type): reason"."""
    operation: list[dict[str, Any]] = []
    paginator = boto3.client("cloudformation").get_paginator("describe_stack_events")
    for page in paginator.paginate(StackName=stack):
        for event in page["StackEvents"]:  # newest first, back to where the operation began
            operation.append(event)
            started = event["ResourceStatus"] in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS")
            if started and event["ResourceType"] == "AWS::CloudFormation::Stack":
                return _first_failed(reversed(operation))
    return _first_failed(reversed(operation))


def _first_failed(events: Iterator[dict[str, Any]]) -> str:
    for event in events:
        if event["ResourceStatus"].endswith("FAILED") and event.get("ResourceStatusReason"):
            reason = event["ResourceStatusReason"]
            return f"{event['LogicalResourceId']} ({event['ResourceType']}): {reason}"
    return "its events give no reason"


def _outputs(stack: str) -> dict[str, str]:
    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def _resources(stack: str) -> list[dict[str, Any]]:
    paginator = boto3.client("cloudformation").get_paginator("list_stack_resources")
    return [
        r for page in paginator.paginate(StackName=stack) for r in page["StackResourceSummaries"]
    ]


def _route(api_id: str, route_key: str) -> dict[str, Any] | None:
    routes = boto3.client("apigatewayv2").get_routes(ApiId=api_id)["Items"]
    return next((route for route in routes if route["RouteKey"] == route_key), None)


def _function_behind(api_id: str, route: dict[str, Any]) -> str:
    """The name of the function the route's integration invokes, whose handler must be whisper's."""
    target = route.get("Target", "")
    assert target.startswith("integrations/"), (
        f"The whisper route has no integration (Target {target!r}): give WhisperRoute"
        " Target: !Sub integrations/${WhisperIntegration}"
    )
    integration = boto3.client("apigatewayv2").get_integration(
        ApiId=api_id, IntegrationId=target.removeprefix("integrations/")
    )
    uri = integration.get("IntegrationUri", "")
    function = function_name_in(uri)
    try:
        handler = boto3.client("lambda").get_function_configuration(FunctionName=function)[
            "Handler"
        ]
    except ClientError:
        handler = None
    assert handler == WHISPER_HANDLER, (
        f"The whisper route invokes {function!r}, whose handler is {handler!r}: point"
        f" WhisperIntegration's IntegrationUri at WhisperFunction (Handler: {WHISPER_HANDLER})"
    )
    return function


def _check_invoke_permission(api_id: str, stage: str, function: str) -> None:
    """The function's resource policy lets API Gateway invoke it for this API's whisper route."""
    source = f"arn:aws:execute-api:{region_of()}:{account_of()}:{api_id}/{stage}/whisper"
    for statement in _policy_statements(function):
        principal = statement.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else principal
        allowed = statement_source(statement)
        if service == "apigateway.amazonaws.com" and (
            allowed is None or fnmatch.fnmatchcase(source, allowed)
        ):
            return
    raise AssertionError(
        f"API Gateway may not invoke {function} for the whisper route: add WhisperPermission"
        " (FunctionName: !Ref WhisperFunction, Principal: apigateway.amazonaws.com, SourceArn"
        " ending in ${ChatApi}/*/whisper), then deploy again"
    )


def _policy_statements(function: str) -> list[dict[str, Any]]:
    try:
        policy = boto3.client("lambda").get_policy(FunctionName=function)["Policy"]
    except ClientError:
        return []
    return list(json.loads(policy).get("Statement", []))


# -- using it ------------------------------------------------------------------------------------


def _chat(url: str, function: str, names: tuple[str, str, str]) -> None:
    sender, to, other = names
    hint = "the template's $connect route or its permission"
    with contextlib.ExitStack() as clients:
        ada, bob, cyd = (clients.enter_context(Client(url, n, connect_hint=hint)) for n in names)
        text = unique("psst")
        ada.send({"action": "whisper", "to": to, "data": text})
        heard = _whisper_or_reply(bob, ada, text)
        if heard is None or heard[0] is ada:
            _explain_reply(heard[1] if heard else None, sender, to, function)
        expected = {"type": "whisper", "from": sender, "text": text}
        assert heard[1] == expected, f"{to} received {heard[1]!r}, expected {expected!r}"
        overheard = cyd.wait_for(lambda f: isinstance(f, dict) and f.get("text") == text, QUIET)
        assert overheard is None, (
            f"{other} overheard {sender}'s whisper to {to} ({overheard!r}): the whisper route"
            " should invoke whisper.py, which posts to the named connections only"
        )
        nobody = unique("nobody")
        ada.send({"action": "whisper", "to": nobody, "data": "hello?"})
        error = ada.wait_for(lambda f: isinstance(f, dict) and f.get("type") == "error")
    assert error == {"type": "error", "text": f"no one called {nobody}"}, (
        f"A whisper to a name nobody has got {error!r} back, expected an error frame"
    )


def _whisper_or_reply(bob: Client, ada: Client, text: str) -> tuple[Client, Frame] | None:
    """bob's whisper frame, or whatever ada got back first (help, an error); None if neither."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        frame = bob.wait_for(lambda f: isinstance(f, dict) and f.get("text") == text, 0.1)
        if frame is not None:
            return bob, frame
        reply = ada.wait_for(lambda f: isinstance(f, dict), 0.1)
        if reply is not None:
            return ada, reply
    return None


def _explain_reply(reply: Frame | None, sender: str, to: str, function: str) -> NoReturn:
    """Why the whisper did not arrive, from what the sender got back instead."""
    if isinstance(reply, dict) and reply.get("type") == "help":
        raise AssertionError(
            "Added but not deployed: the whisper route is in the stack's API, but the stage still"
            f" serves the Deployment made before it, so {sender}'s whisper went to $default"
            f" (help came back): {REDEPLOY}"
        )
    if reply is not None and is_gateway_error(reply):
        raise AssertionError(
            f"{sender}'s whisper got 'Internal server error': {function} failed (read its logs:"
            f" `workshop logs {function}`; check its Role and the Globals it gets)"
        )
    raise AssertionError(
        f"{to} never received {sender}'s whisper, and {sender} got {reply!r} back: is the"
        " stage's Deployment made after WhisperRoute (DependsOn)?"
    )
