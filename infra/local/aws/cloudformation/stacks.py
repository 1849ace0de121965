"""CloudFormation's API on moto's backend: the engine, the updates and the resource types wired in.

CreateStack (with Capabilities and OnFailure, which moto drops), UpdateStack, DeleteStack,
change sets (`aws cloudformation deploy`, `sam deploy`), a TemplateURL in any of S3's URL
styles (`s3.template_object`), GetTemplate (original or processed) and ListStackResources.
`install()` applies the patches once per process; the bridge already tells every cache after a
CloudFormation write that any service may have changed.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import AlreadyExistsException
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.core.responses import ActionResult

from .. import s3, sam
from ..patching import replace, wrap
from . import language
from .engine import (
    _physical_id,
    create_resource,
    delete_stack,
    run_create,
    run_stack_operation,
    stack_event,
    state_of,
)
from .templates import (
    UnsupportedResourceType,
    check_template,
    parse_template,
    processed_template,
    resource_class,
)
from .update import update_stack

_install_lock = threading.Lock()


_installed = False


def create_stack(
    self: CloudFormationBackend,
    name: str,
    template: str,
    parameters: dict[str, Any],
    notification_arns: list[str] | None = None,
    tags: dict[str, str] | None = None,
    role_arn: str | None = None,
    enable_termination_protection: bool | None = False,
    timeout_in_mins: int | None = None,
    stack_policy_body: str | None = None,
    capabilities: Iterable[str] = (),
    on_failure: str = "ROLLBACK",
) -> Stack:
    """CreateStack: check, transform, then create the resources (in the background when they
    take time, as on AWS: the stack is CREATE_IN_PROGRESS meanwhile)."""
    if any(stack.name == name for stack in self.stacks.values()):
        raise AlreadyExistsException(f"Stack [{name}] already exists")
    raw = parse_template(template)
    processed = processed_template(raw, parameters, self.region_name)
    check_template(processed, capabilities, transformed=sam.is_sam(raw), change_set=False)
    language.check_rules(processed, parameters, self.account_id, self.region_name)
    stack = Stack(
        stack_id=cfn_models.generate_stack_id(name, self.region_name, self.account_id),
        name=name,
        template=template,
        parameters=parameters,
        account_id=self.account_id,
        region_name=self.region_name,
        notification_arns=notification_arns,
        tags=tags,
        role_arn=role_arn,
        cross_stack_resources=self.exports,
        enable_termination_protection=enable_termination_protection,
        timeout_in_mins=timeout_in_mins,
        stack_policy_body=stack_policy_body,
    )
    state = state_of(stack)
    state.original_template = template
    state.capabilities = tuple(capabilities)
    self.stacks[stack.stack_id] = stack
    stack_event(stack, "CREATE_IN_PROGRESS", "User Initiated")

    def create() -> None:
        run_create(stack, on_failure)
        if stack.stack_id in self.stacks:
            self._validate_export_uniqueness(stack)
            for export in stack.exports:
                self.exports[export.name] = export

    run_stack_operation(stack, create)  # in the background when resources take time
    return stack


def _parse_stack_template(self: Stack) -> None:
    """Stack._parse_template, with the transform applied (moto parses the raw template)."""
    raw = parse_template(self.template)
    region = self.stack_id.split(":")[3]
    self.template_dict = processed_template(
        raw, dict(getattr(self, "parameters", None) or {}), region
    )


def _stack_resources(self: Stack) -> list[Any]:
    return [tracked.instance for tracked in state_of(self).resources.values()]


def _response_create_stack(self: cfn_responses.CloudFormationResponse) -> ActionResult:
    template = self._get_param("TemplateBody")
    if self._get_param("TemplateURL"):
        template = self._get_stack_from_s3_url(self._get_param("TemplateURL"))
    on_failure = self._get_param("OnFailure") or (
        "DO_NOTHING" if self._get_bool_param("DisableRollback", False) else "ROLLBACK"
    )
    stack = create_stack(
        self.cloudformation_backend,
        name=self._get_param("StackName"),
        template=template,
        parameters=self._get_params_from_list(self._get_param("Parameters", [])),
        notification_arns=self._get_param("NotificationARNs", []),
        tags={item["Key"]: item["Value"] for item in self._get_param("Tags", [])},
        role_arn=self._get_param("RoleARN"),
        enable_termination_protection=self._get_param("EnableTerminationProtection"),
        timeout_in_mins=self._get_param("TimeoutInMinutes"),
        stack_policy_body=self._get_param("StackPolicyBody"),
        capabilities=self._get_param("Capabilities", []),
        on_failure=on_failure,
    )
    return ActionResult({"StackId": stack.stack_id})


def _parameters_for_update(stack: Stack, incoming: list[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for parameter in incoming:
        key = parameter["ParameterKey"]
        if parameter.get("UsePreviousValue"):
            values[key] = language.previous_value(stack, key)
        else:
            values[key] = parameter["ParameterValue"]
    return values


def _response_update_stack(self: cfn_responses.CloudFormationResponse) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    if self._get_bool_param("UsePreviousTemplate", False):
        template = state_of(stack).original_template or stack.template
    elif self._get_param("TemplateURL") and not self._get_param("TemplateBody"):
        template = self._get_stack_from_s3_url(self._get_param("TemplateURL"))
    else:
        template = self._get_param("TemplateBody")
    tags = {item["Key"]: item["Value"] for item in self._get_param("Tags", [])} or None
    update_stack(
        stack,
        template,
        _parameters_for_update(stack, self._get_param("Parameters", [])),
        tags,
        self._get_param("Capabilities", []),
        self._get_param("RoleARN"),
    )
    return ActionResult({"StackId": stack.stack_id})


def _response_get_template(self: cfn_responses.CloudFormationResponse) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    if self._get_param("TemplateStage") == "Processed":
        return ActionResult({"TemplateBody": json.dumps(stack.template_dict)})
    return ActionResult({"TemplateBody": state_of(stack).original_template or stack.template})


def _response_list_stack_resources(self: cfn_responses.CloudFormationResponse) -> ActionResult:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    summaries = [
        {
            "LogicalResourceId": tracked.logical_id,
            "PhysicalResourceId": _physical_id(tracked.instance),
            "ResourceType": tracked.resource_type,
            "LastUpdatedTimestamp": stack.creation_time,
            "ResourceStatus": tracked.status,
        }
        for tracked in state_of(stack).resources.values()
    ]
    return ActionResult({"StackResourceSummaries": summaries})


_request = threading.local()  # the Capabilities of the CreateChangeSet call being served


def _create_change_set(original: Any) -> Any:
    def create_change_set(self: CloudFormationBackend, **kwargs: Any) -> Any:
        raw = parse_template(kwargs["template"])
        processed = processed_template(raw, kwargs.get("parameters") or {}, self.region_name)
        capabilities = getattr(_request, "capabilities", ())
        check_template(processed, capabilities, transformed=sam.is_sam(raw), change_set=True)
        language.check_rules(
            processed, kwargs.get("parameters") or {}, self.account_id, self.region_name
        )
        return original(self, **kwargs)

    return create_change_set


def _response_create_change_set(original: Any) -> Any:
    def create_change_set(self: cfn_responses.CloudFormationResponse) -> ActionResult:
        _request.capabilities = self._get_param("Capabilities", [])
        try:
            return original(self)
        finally:
            _request.capabilities = ()

    return create_change_set


def _validate_outputs(original: Any) -> Any:
    def validate_outputs(self: parsing.ResourceMap) -> None:
        # A resource of an unsupported type fails when the stack creates it, naming the type.
        with contextlib.suppress(UnsupportedResourceType):
            original(self)

    return validate_outputs


def execute_change_set(
    self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None
) -> None:
    """ExecuteChangeSet through the same create and update as CreateStack and UpdateStack."""
    change_set = self.describe_change_set(change_set_name)
    stack = self.stacks[change_set.stack_id]
    if change_set.change_set_type == "CREATE":
        stack.template = change_set.template
        stack.parameters = change_set.parameters
        stack._parse_template()
        stack.resource_map = stack._create_resource_map()
        state_of(stack).original_template = change_set.template
        stack_event(stack, "CREATE_IN_PROGRESS", "User Initiated")
        change_set.execution_status = "EXECUTE_IN_PROGRESS"

        def create() -> None:
            run_create(stack)
            change_set.execution_status = "EXECUTE_COMPLETE"

        run_stack_operation(stack, create)  # in the background when resources take time
        return
    update_stack(
        stack,
        change_set.template,
        change_set.parameters,
        change_set.tags or None,
        None,
        change_set=True,
    )
    change_set.execution_status = "EXECUTE_COMPLETE"


def _change_set_parse(self: Any) -> None:
    raw = parse_template(self.template)
    self.template_dict = processed_template(raw, self.parameters or {}, self.stack.region_name)


def _template_from_url(self: cfn_responses.CloudFormationResponse, template_url: str) -> str:
    """A TemplateURL in any of S3's URL styles, read from the local S3 (moto reads a
    path-style URL on the local endpoint as the virtual-hosted bucket "127")."""
    return s3.template_object(template_url, self.current_account, self.partition)


def install() -> None:
    """Run stacks with this module's engine (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        language.install()
        replace(parsing, "parse_and_create_resource", create_resource)
        replace(parsing, "resource_class_from_type", resource_class)
        wrap(parsing.ResourceMap, "validate_outputs", _validate_outputs)
        replace(Stack, "_parse_template", _parse_stack_template)
        replace(Stack, "stack_resources", property(_stack_resources))
        replace(CloudFormationBackend, "create_stack", create_stack)
        replace(CloudFormationBackend, "delete_stack", delete_stack)
        wrap(CloudFormationBackend, "create_change_set", _create_change_set)
        replace(CloudFormationBackend, "execute_change_set", execute_change_set)
        replace(cfn_models.ChangeSet, "_parse_template", _change_set_parse)
        response = cfn_responses.CloudFormationResponse
        replace(response, "_get_stack_from_s3_url", _template_from_url)
        replace(response, "create_stack", _response_create_stack)
        replace(response, "update_stack", _response_update_stack)
        replace(response, "get_template", _response_get_template)
        replace(response, "list_stack_resources", _response_list_stack_resources)
        wrap(response, "create_change_set", _response_create_change_set)
        _installed = True
