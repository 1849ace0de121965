"""A stack's resources created and deleted as CloudFormation does, with their events.

Resources are created in dependency order, each with CREATE_IN_PROGRESS and CREATE_COMPLETE
(or CREATE_FAILED and the reason) events; a failure rolls the stack back (ROLLBACK_COMPLETE),
or leaves it CREATE_FAILED with OnFailure=DO_NOTHING. Deletion goes in reverse order; a
resource that is already gone counts as deleted, one that cannot go leaves DELETE_FAILED.
A stack's tags reach every taggable resource, with the `aws:cloudformation:*` system tags
where AWS adds them. moto's parsing (parameters, conditions, intrinsic functions) is reused.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.models import CloudFormationBackend, Event, Stack
from moto.core.common_models import CloudFormationModel

from . import cloudformation_resources
from .cloudformation_templates import dependency_order, resource_class, system_tags_apply

STACK_TYPE = "AWS::CloudFormation::Stack"


COMPLETE_STATES = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
}


class ResourceFailed(Exception):
    """A resource could not be created, updated or deleted; the stack operation stops."""

    def __init__(self, logical_id: str, reason: str) -> None:
        super().__init__(reason)
        self.logical_id = logical_id
        self.reason = reason


@dataclass
class Tracked:
    """What the engine knows about one created resource."""

    logical_id: str
    resource_type: str
    instance: Any
    properties: dict[str, Any]  # the resolved Properties it was created or last updated with
    status: str = "CREATE_COMPLETE"


@dataclass
class StackState:
    """The engine's view of a stack: its resources in creation order, and its options."""

    resources: dict[str, Tracked] = field(default_factory=dict)
    original_template: str | dict[str, Any] = ""
    capabilities: tuple[str, ...] = ()


def state_of(stack: Stack) -> StackState:
    if not hasattr(stack, "workshop_state"):
        stack.workshop_state = StackState()  # type: ignore[attr-defined]
    return stack.workshop_state  # type: ignore[attr-defined,no-any-return]


def add_event(
    stack: Stack,
    logical_id: str,
    physical_id: str,
    resource_type: str,
    status: str,
    reason: str | None = None,
) -> None:
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id,
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def stack_event(stack: Stack, status: str, reason: str | None = None) -> None:
    """The stack's own event and status (StackStatusReason shows the reason)."""
    stack.status = status
    stack.status_reason = reason  # type: ignore[attr-defined]
    add_event(stack, stack.name, stack.stack_id, STACK_TYPE, status, reason)


def _physical_id(instance: Any) -> str:
    return str(getattr(instance, "physical_resource_id", "") or "")


def _reason(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    if isinstance(error, ValueError) and len(error.args) == 2:  # moto's ("Code", "message")
        message = f"{error.args[1]} (Service: {error.args[0]})"
    return str(message)


def _resolve(resource_map: parsing.ResourceMap, resource_json: dict[str, Any]) -> dict[str, Any]:
    cleaned = parsing.clean_json(copy.deepcopy(resource_json), resource_map)
    cleaned.setdefault("Properties", {})
    return cleaned


def _physical_name(
    model: type[CloudFormationModel],
    logical_id: str,
    resource_type: str,
    resolved: dict[str, Any],
    stack_name: str,
) -> str:
    name_property = (
        model.cloudformation_name_type() if hasattr(model, "cloudformation_name_type") else ""
    )
    if name_property and name_property in resolved["Properties"]:
        return str(resolved["Properties"][name_property])
    return parsing.generate_resource_name(resource_type, stack_name, logical_id)


def _stack_of(resource_map: parsing.ResourceMap) -> Stack | None:
    return getattr(resource_map, "workshop_stack", None)


def create_resource(
    logical_id: str,
    resource_json: dict[str, Any],
    resource_map: parsing.ResourceMap,
    account_id: str,
    region_name: str,
) -> Any:
    """Create one resource, with its events and tags (replaces moto's parse_and_create_resource)."""
    condition = resource_json.get("Condition")
    if condition and not resource_map.lazy_condition_map[condition]:
        return None
    stack = _stack_of(resource_map)
    resource_type = resource_json["Type"]
    if stack is not None:
        add_event(stack, logical_id, "", resource_type, "CREATE_IN_PROGRESS")
    try:
        model = resource_class(resource_type)
        resolved = _resolve(resource_map, resource_json)
        name = _physical_name(
            model, logical_id, resource_type, resolved, resource_map["AWS::StackName"]
        )
        instance = model.create_from_cloudformation_json(
            name,
            copy.deepcopy(resolved),  # models may rewrite it (a role's JSON policy documents)
            account_id,
            region_name,
            LogicalId=logical_id,
            StackId=resource_map.stack_id,
            ResourceType=resource_type,
        )
        instance.cf_resource_type = resource_type
        instance.logical_resource_id = logical_id
        _tag(resource_map, instance, resource_type, logical_id, resolved, account_id, region_name)
    except ResourceFailed:
        raise
    except Exception as error:
        if stack is None:
            raise
        add_event(stack, logical_id, "", resource_type, "CREATE_FAILED", _reason(error))
        raise ResourceFailed(logical_id, _reason(error)) from error
    if stack is not None:
        state_of(stack).resources[logical_id] = Tracked(
            logical_id, resource_type, instance, resolved["Properties"]
        )
        add_event(stack, logical_id, _physical_id(instance), resource_type, "CREATE_COMPLETE")
    return instance


def _tag(
    resource_map: parsing.ResourceMap,
    instance: Any,
    resource_type: str,
    logical_id: str,
    resolved: dict[str, Any],
    account_id: str,
    region_name: str,
) -> None:
    taggable, system = system_tags_apply(resource_type)
    if not taggable:
        return
    stack_tags = {k: v for k, v in resource_map.tags.items() if not k.startswith("aws:")}
    tags = {**stack_tags, **cloudformation_resources.tags_of(resolved["Properties"])}
    if system:
        tags.update(
            {
                "aws:cloudformation:stack-name": resource_map["AWS::StackName"],
                "aws:cloudformation:stack-id": resource_map.stack_id,
                "aws:cloudformation:logical-id": logical_id,
            }
        )
    cloudformation_resources.tag_resource(instance, resource_type, tags, account_id, region_name)


def delete_resource(tracked: Tracked, account_id: str, region_name: str) -> None:
    """Delete one resource; one that is already gone counts as deleted."""
    model = resource_class(tracked.resource_type)
    instance = tracked.instance
    try:
        if "delete_resource" in model.__dict__:
            model.delete_resource(instance, account_id, region_name)  # type: ignore[attr-defined]
        elif hasattr(instance, "delete"):
            instance.delete(account_id, region_name)
        else:
            model.delete_from_cloudformation_json(
                _physical_id(instance),
                {"Type": tracked.resource_type, "Properties": copy.deepcopy(tracked.properties)},
                account_id,
                region_name,
            )
    except Exception as error:
        if not _is_gone(error):
            raise


def _is_gone(error: BaseException) -> bool:
    text = f"{type(error).__name__} {getattr(error, 'code', '')} {error}"
    return any(word in text for word in ("NotFound", "NoSuchEntity", "does not exist", "not found"))


def run_create(stack: Stack, on_failure: str = "ROLLBACK") -> None:
    """Create every resource of a new stack, then settle its status as AWS would."""
    resource_map = stack.resource_map
    resource_map.workshop_stack = stack  # type: ignore[attr-defined]
    resource_map.tags.update(
        {"aws:cloudformation:stack-name": stack.name, "aws:cloudformation:stack-id": stack.stack_id}
    )
    stack.status = "CREATE_IN_PROGRESS"
    try:
        for logical_id in dependency_order(stack.template_dict.get("Resources") or {}):
            resource_map[logical_id]
        _evaluate_outputs(stack)
    except ResourceFailed as failed:
        _fail_create(stack, failed, on_failure)
        return
    stack_event(stack, "CREATE_COMPLETE")


def _evaluate_outputs(stack: Stack) -> None:
    """Outputs are worked out when the stack is created or updated (and kept), as on AWS."""
    stack.output_map = stack._create_output_map()
    try:
        for key in stack.output_map:
            stack.output_map[key]
    except Exception as error:
        raise ResourceFailed(stack.name, f"Template error: Outputs: {_reason(error)}") from error


def _fail_create(stack: Stack, failed: ResourceFailed, on_failure: str) -> None:
    failed_list = f"The following resource(s) failed to create: [{failed.logical_id}]."
    if on_failure == "DO_NOTHING":
        stack_event(stack, "CREATE_FAILED", failed_list)
        return
    stack_event(stack, "ROLLBACK_IN_PROGRESS", f"{failed_list} Rollback requested by user.")
    problems = _delete_all(stack, "DELETE")
    if problems:
        stack_event(
            stack,
            "ROLLBACK_FAILED",
            f"The following resource(s) failed to delete: [{', '.join(problems)}].",
        )
        return
    if on_failure == "DELETE":
        stack_event(stack, "DELETE_COMPLETE")
        _forget(stack)
        return
    stack_event(stack, "ROLLBACK_COMPLETE", f"{failed_list} Rollback requested by user.")


def _forget(stack: Stack) -> None:
    """Move a deleted stack where DescribeStacks-by-id still finds it (and by name does not)."""
    backend = cfn_models.cloudformation_backends[stack.account_id][stack.region_name]
    backend.stacks.pop(stack.stack_id, None)
    backend.deleted_stacks[stack.stack_id] = stack
    for export in stack.exports:
        backend.exports.pop(export.name, None)


def _delete_all(stack: Stack, verb: str = "DELETE") -> list[str]:
    """Delete the stack's resources in reverse creation order; return the ones that failed."""
    state = state_of(stack)
    template = stack.template_dict.get("Resources") or {}
    order = [name for name in dependency_order(template) if name in state.resources]
    order += [name for name in state.resources if name not in order]
    problems = []
    for logical_id in reversed(order):
        tracked = state.resources[logical_id]
        if (template.get(logical_id) or {}).get("DeletionPolicy") == "Retain":
            add_event(
                stack,
                logical_id,
                _physical_id(tracked.instance),
                tracked.resource_type,
                "DELETE_SKIPPED",
            )
            del state.resources[logical_id]
            continue
        if not _delete_tracked(stack, tracked, verb):
            problems.append(logical_id)
            continue
        del state.resources[logical_id]
        stack.resource_map._parsed_resources.pop(logical_id, None)
    return problems


def _delete_tracked(stack: Stack, tracked: Tracked, verb: str = "DELETE") -> bool:
    physical = _physical_id(tracked.instance)
    add_event(stack, tracked.logical_id, physical, tracked.resource_type, f"{verb}_IN_PROGRESS")
    try:
        delete_resource(tracked, stack.account_id, stack.region_name)
    except Exception as error:
        add_event(
            stack,
            tracked.logical_id,
            physical,
            tracked.resource_type,
            f"{verb}_FAILED",
            _reason(error),
        )
        return False
    add_event(stack, tracked.logical_id, physical, tracked.resource_type, f"{verb}_COMPLETE")
    return True


def delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    """DeleteStack: every resource, in reverse dependency order; DELETE_FAILED keeps the stack."""
    stack = self.stacks.get(name_or_stack_id) or next(
        (s for s in self.stacks.values() if s.name == name_or_stack_id), None
    )
    if stack is None:
        return  # deleting a stack that is not there succeeds, as on AWS
    stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
    problems = _delete_all(stack)
    if problems:
        stack_event(
            stack,
            "DELETE_FAILED",
            f"The following resource(s) failed to delete: [{', '.join(problems)}]. ",
        )
        return
    stack_event(stack, "DELETE_COMPLETE")
    _forget(stack)
