"""Steps: deploy a CloudFormation (or SAM) template as a stack, as the AWS CLI does.

- `package_template` does what `aws cloudformation package` does: it zips each local code
  folder a template points at (`CodeUri` of an `AWS::Serverless::Function`, `Code` of an
  `AWS::Lambda::Function`), uploads it to S3 under the zip's MD5, and puts the S3 location in
  the template. The template file itself never changes, so it deploys to AWS unchanged.
- `create_stack`, `update_stack` and `delete_stack` call CloudFormation, print one line per
  stack event as it happens, and wait with boto3's own waiters; a failed stack raises
  `StackFailed` with the reason CloudFormation gave.
- `deploy_template(app)` packages `lambdas/<app>/template.yaml` and creates or updates the
  stack `<app>`; it returns the stack's Outputs.

The target cloud is chosen only by boto3's standard environment, as for every other step.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError, WaiterError

from infra.deploy.aws import APP_TAG, account_of, client, error_code, pauses, region_of, report
from infra.deploy.packaging import app_folder, package_lambda

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
TEMPLATE_FILE = "template.yaml"
POLL_SECONDS = 2.0
NO_UPDATES = "No updates are to be performed"
FAILED_STATES = ("FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_IN_PROGRESS")

Template = dict[str, Any]


class StackFailed(RuntimeError):
    """A stack operation ended in a failed state; the message says which resource and why."""


# ---------------------------------------------------------------- packaging


def load_template(path: str | Path) -> Template:
    """A template file (YAML with `!Ref`/`!Sub`/... short forms, or JSON) as a dict."""
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(Path(path).read_text())


def artifacts_bucket(*, session: boto3.Session | None = None) -> str:
    """The bucket code zips go to (``workshop-artifacts-{account}-{region}``), created if missing."""
    name = f"workshop-artifacts-{account_of(session)}-{region_of(session)}"
    s3 = client("s3", session)
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as error:
        if error_code(error) not in ("404", "NoSuchBucket", "NotFound"):
            raise
        region = region_of(session)
        location = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        s3.create_bucket(Bucket=name, **location)
        report("bucket", name, "created")
    return name


def package_template(
    template: Template, folder: str | Path, bucket: str, *, session: boto3.Session | None = None
) -> Template:
    """The template with its local code folders uploaded to ``bucket`` (``aws cloudformation package``).

    Paths are relative to ``folder`` (the template's own folder). A zip already uploaded (same
    MD5) is not uploaded again. S3 locations and inline code are left as they are.
    """
    packaged = copy.deepcopy(template)
    base = Path(folder)
    for resource in (packaged.get("Resources") or {}).values():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and _is_local(
            properties.get("CodeUri")
        ):
            bucket_key = _upload(base / properties["CodeUri"], bucket, session)
            properties["CodeUri"] = f"s3://{bucket}/{bucket_key}"
        elif resource.get("Type") == "AWS::Lambda::Function" and _is_local(properties.get("Code")):
            bucket_key = _upload(base / properties["Code"], bucket, session)
            properties["Code"] = {"S3Bucket": bucket, "S3Key": bucket_key}
    globals_ = (packaged.get("Globals") or {}).get("Function") or {}
    if _is_local(globals_.get("CodeUri")):
        globals_["CodeUri"] = (
            f"s3://{bucket}/{_upload(base / globals_['CodeUri'], bucket, session)}"
        )
    return packaged


def _is_local(code: Any) -> bool:
    return isinstance(code, str) and not code.startswith("s3://")


def _upload(path: Path, bucket: str, session: boto3.Session | None) -> str:
    """Zip a code folder and upload it as ``{md5}`` (skipped when that key exists)."""
    code = package_lambda(app_folder(path.resolve()))
    key = hashlib.md5(code).hexdigest()  # noqa: S324 - a content address, as the CLI names it
    s3 = client("s3", session)
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error_code(error) not in ("404", "NoSuchKey", "NotFound"):
            raise
        s3.put_object(Bucket=bucket, Key=key, Body=code)
        report("code", f"{path.name or path.resolve().name}", "uploaded", f"s3://{bucket}/{key}")
    return key


# ---------------------------------------------------------------- stacks


def create_stack(
    name: str,
    template: Template | str,
    *,
    parameters: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    session: boto3.Session | None = None,
) -> dict[str, str]:
    """Create the stack ``name``, print its events as they happen, wait; return its Outputs."""
    cloudformation = client("cloudformation", session)
    since: set[str] = set()
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=_body(template),
        Parameters=_parameters(parameters),
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        Capabilities=CAPABILITIES,
    )
    _follow(name, since, "stack_create_complete", session)
    report("stack", name, "created")
    return stack_outputs(name, session=session)


def update_stack(
    name: str,
    template: Template | str,
    *,
    parameters: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    session: boto3.Session | None = None,
) -> dict[str, str]:
    """Update the stack ``name`` to ``template``, print its events, wait; return its Outputs.

    An update that changes nothing is not an error here: it reports "unchanged".
    """
    cloudformation = client("cloudformation", session)
    since = {event["EventId"] for event in stack_events(name, set(), session=session)}
    try:
        cloudformation.update_stack(
            StackName=name,
            TemplateBody=_body(template),
            Parameters=_parameters(parameters),
            Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
            Capabilities=CAPABILITIES,
        )
    except ClientError as error:
        if NO_UPDATES not in str(error):
            raise
        report("stack", name, "unchanged")
        return stack_outputs(name, session=session)
    _follow(name, since, "stack_update_complete", session)
    report("stack", name, "updated")
    return stack_outputs(name, session=session)


def delete_stack(name: str, *, session: boto3.Session | None = None) -> None:
    """Delete the stack ``name`` and everything it created; print its events and wait."""
    cloudformation = client("cloudformation", session)
    try:
        stack_id = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    except ClientError as error:
        if "does not exist" not in str(error):
            raise
        report("stack", name, "absent")
        return
    since = {event["EventId"] for event in stack_events(stack_id, set(), session=session)}
    cloudformation.delete_stack(StackName=stack_id)
    _follow(stack_id, since, "stack_delete_complete", session)
    report("stack", name, "deleted")


def stack_outputs(name: str, *, session: boto3.Session | None = None) -> dict[str, str]:
    """The stack's Outputs as ``{OutputKey: OutputValue}``."""
    stack = client("cloudformation", session).describe_stacks(StackName=name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def stack_exists(name: str, *, session: boto3.Session | None = None) -> bool:
    try:
        client("cloudformation", session).describe_stacks(StackName=name)
    except ClientError as error:
        if "does not exist" in str(error):
            return False
        raise
    return True


def _body(template: Template | str) -> str:
    return template if isinstance(template, str) else json.dumps(template)


def _parameters(parameters: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()]


def stack_events(
    name: str, seen: set[str], *, session: boto3.Session | None = None
) -> list[dict[str, Any]]:
    """The stack's events newer than the ``seen`` event ids, oldest first."""
    events: list[dict[str, Any]] = []
    paginator = client("cloudformation", session).get_paginator("describe_stack_events")
    for page in paginator.paginate(StackName=name):
        for event in page["StackEvents"]:
            if event["EventId"] in seen:
                return list(reversed(events))
            events.append(event)
    return list(reversed(events))


def _follow(name: str, since: set[str], waiter_name: str, session: boto3.Session | None) -> None:
    """Print each new stack event until the stack settles, then let boto3's waiter judge it."""
    cloudformation = client("cloudformation", session)
    seen: set[str] = set()
    for event in _events_until_settled(name, since, session):
        if event["EventId"] in seen:
            continue
        seen.add(event["EventId"])
        reason = f" {event['ResourceStatusReason']}" if event.get("ResourceStatusReason") else ""
        print(
            f"  {event['ResourceStatus']:<36} {event['ResourceType']:<34} {event['LogicalResourceId']}{reason}"
        )
    try:
        cloudformation.get_waiter(waiter_name).wait(
            StackName=name, WaiterConfig={"Delay": POLL_SECONDS, "MaxAttempts": 900}
        )
    except WaiterError as error:
        raise StackFailed(_failure(name, since, session) or str(error)) from error


def _events_until_settled(
    name: str, since: set[str], session: boto3.Session | None
) -> Iterator[dict[str, Any]]:
    cloudformation = client("cloudformation", session)
    for pause in pauses(POLL_SECONDS):
        yield from stack_events(name, since, session=session)
        try:
            status = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        except ClientError:
            return
        if not status.endswith("IN_PROGRESS"):
            yield from stack_events(name, since, session=session)
            return
        time.sleep(pause)


def _failure(name: str, since: set[str], session: boto3.Session | None) -> str:
    """The first resource failure of the operation, as "Logical (Type): reason"."""
    for event in stack_events(name, since, session=session):
        if event["ResourceStatus"].endswith("FAILED") and event.get("ResourceStatusReason"):
            return f"{event['LogicalResourceId']} ({event['ResourceType']}): {event['ResourceStatusReason']}"
    return ""


# ---------------------------------------------------------------- the apps


def template_path(app: str | Path) -> Path:
    """``lambdas/<app>/template.yaml`` (or ``template.yaml`` in a given folder)."""
    return app_folder(app) / TEMPLATE_FILE


def deploy_template(
    app: str,
    stage: str = "dev",
    *,
    stack_name: str | None = None,
    session: boto3.Session | None = None,
) -> dict[str, str]:
    """Package and deploy ``lambdas/<app>/template.yaml`` as the stack ``<app>``; return its Outputs.

    Creates the stack, or updates it when it exists. The stack carries the tag
    ``workshop:app=<app>``, which CloudFormation gives to every resource that takes tags.
    """
    name = stack_name or app
    path = template_path(app)
    packaged = package_template(
        load_template(path), path.parent, artifacts_bucket(session=session), session=session
    )
    parameters = {"StageName": stage}
    tags = {APP_TAG: app}
    if stack_exists(name, session=session):
        return update_stack(name, packaged, parameters=parameters, tags=tags, session=session)
    return create_stack(name, packaged, parameters=parameters, tags=tags, session=session)
