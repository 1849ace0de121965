"""UpdateStack as CloudFormation runs it: what changed, in which order, and rolling back.

Each resource's *resolved* properties are compared with the ones it was created with, so a
resource is updated when a value it refers to changed even if its template text did not.
Unchanged resources are left alone; a changed create-only property replaces the resource
(the new one first); the rest update in place. New and replacement resources are created
before anything is deleted: removed and replaced resources go last, dependents first
(UPDATE_COMPLETE_CLEANUP_IN_PROGRESS). So a Stage moves to a new Deployment before the old
one is deleted, and a Route added without a new Deployment is created but not served.
A failure undoes what the update did (UPDATE_ROLLBACK_COMPLETE).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Stack

from .. import sam
from .engine import (
    COMPLETE_STATES,
    ResourceFailed,
    Tracked,
    _delete_tracked,
    _evaluate_outputs,
    _physical_id,
    _reason,
    _resolve,
    _tag,
    add_event,
    run_stack_operation,
    settle,
    stack_event,
    state_of,
)
from .language import check_rules
from .templates import (
    check_template,
    create_only_properties,
    dependency_order,
    parse_template,
    processed_template,
    resource_class,
)


@dataclass
class UpdatePlan:
    """What an update did, in order, so that cleanup (or a rollback) can finish it."""

    created: list[Tracked] = field(default_factory=list)  # new logical ids
    replaced: list[tuple[Tracked, Tracked]] = field(default_factory=list)  # (old, new)
    updated: list[tuple[Tracked, dict[str, Any]]] = field(default_factory=list)  # (now, before)


def apply_update(stack: Stack, template: dict[str, Any], parameters: dict[str, Any]) -> UpdatePlan:
    """Create, replace and update resources for the new template; raises ResourceFailed."""
    state = state_of(stack)
    resource_map = stack.resource_map
    resource_map.workshop_stack = stack
    new_resources = template.get("Resources") or {}
    old_resources = stack.template_dict.get("Resources") or {}
    changed_type = [
        name
        for name in new_resources
        if name in state.resources
        and new_resources[name]["Type"] != state.resources[name].resource_type
    ]
    if changed_type:
        raise ValidationError(
            message="Update of resource type is not permitted. The new template modifies resource "
            f"type of the following resources: [{', '.join(changed_type)}]"
        )
    resource_map._template = template
    resource_map.input_parameters = parameters
    resource_map.resolved_parameters = {}
    resource_map.load_mapping()
    resource_map.load_parameters()
    resource_map.load_conditions()
    resource_map._resource_json_map = new_resources
    plan = UpdatePlan()
    for logical_id in dependency_order(new_resources):
        resource_json = new_resources[logical_id]
        tracked = state.resources.get(logical_id)
        if tracked is None:
            if logical_id not in resource_map._parsed_resources:
                resource_map[logical_id]
            if logical_id in state.resources:
                plan.created.append(state.resources[logical_id])
            continue
        _update_one(stack, tracked, resource_json, old_resources.get(logical_id) or {}, plan)
    return plan


def _update_one(
    stack: Stack,
    tracked: Tracked,
    resource_json: dict[str, Any],
    old_json: dict[str, Any],
    plan: UpdatePlan,
) -> None:
    resource_map = stack.resource_map
    logical_id, resource_type = tracked.logical_id, tracked.resource_type
    condition = resource_json.get("Condition")
    if condition and not resource_map.lazy_condition_map[condition]:
        return  # its condition turned false: cleanup removes it
    try:
        resolved = _resolve(resource_map, resource_json)
    except Exception as error:
        add_event(
            stack,
            logical_id,
            _physical_id(tracked.instance),
            resource_type,
            "UPDATE_FAILED",
            _reason(error),
        )
        raise ResourceFailed(logical_id, _reason(error)) from error
    before = tracked.properties
    after = resolved["Properties"]
    if before == after:
        return
    model = resource_class(resource_type)
    changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
    create_only = create_only_properties(resource_type)
    can_update = not getattr(model.update_from_cloudformation_json, "__isabstractmethod__", False)
    replace = "*" in create_only or bool(changed & create_only) or not can_update
    physical = _physical_id(tracked.instance)
    if replace:
        name_property = (
            model.cloudformation_name_type() if hasattr(model, "cloudformation_name_type") else ""
        )
        if (
            name_property
            and name_property in after
            and before.get(name_property) == after[name_property]
        ):
            reason = (
                "CloudFormation cannot update a stack when a custom-named resource requires "
                f"replacing. Rename {after[name_property]} and update the stack again."
            )
            add_event(stack, logical_id, physical, resource_type, "UPDATE_FAILED", reason)
            raise ResourceFailed(logical_id, reason)
        add_event(
            stack,
            logical_id,
            physical,
            resource_type,
            "UPDATE_IN_PROGRESS",
            "Requested update requires the creation of a new physical resource; hence creating one.",
        )
        del state_of(stack).resources[logical_id]
        resource_map._parsed_resources.pop(logical_id, None)
        try:
            resource_map[logical_id]
        except ResourceFailed:
            state_of(stack).resources[logical_id] = tracked
            resource_map._parsed_resources[logical_id] = tracked.instance
            raise
        new = state_of(stack).resources[logical_id]
        new.status = "UPDATE_COMPLETE"
        plan.replaced.append((tracked, new))
        return
    add_event(stack, logical_id, physical, resource_type, "UPDATE_IN_PROGRESS")
    try:
        instance = model.update_from_cloudformation_json(
            original_resource=tracked.instance,
            new_resource_name=physical,
            cloudformation_json=copy.deepcopy(resolved),
            account_id=stack.account_id,
            region_name=stack.region_name,
        )
        if instance is not None:
            instance.cf_resource_type = resource_type
            instance.logical_resource_id = logical_id
            tracked.instance = instance
            _tag(
                resource_map,
                instance,
                resource_type,
                logical_id,
                resolved,
                stack.account_id,
                stack.region_name,
            )
        settle(tracked.instance, resource_type, logical_id)  # a function's update Successful
    except Exception as error:
        add_event(stack, logical_id, physical, resource_type, "UPDATE_FAILED", _reason(error))
        raise ResourceFailed(logical_id, _reason(error)) from error
    resource_map._parsed_resources[logical_id] = tracked.instance
    plan.updated.append((tracked, before))
    tracked.properties = after
    tracked.status = "UPDATE_COMPLETE"
    add_event(stack, logical_id, _physical_id(tracked.instance), resource_type, "UPDATE_COMPLETE")


def update_stack(
    stack: Stack,
    template_body: str | dict[str, Any],
    parameters: dict[str, Any],
    tags: dict[str, str] | None,
    capabilities: Iterable[str] | None,
    role_arn: str | None = None,
    *,
    change_set: bool = False,
) -> None:
    """UpdateStack: apply the new template, clean up, or roll back to the old one."""
    if stack.status not in COMPLETE_STATES:
        raise ValidationError(
            stack.stack_id,
            message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.",
        )
    raw = parse_template(template_body)
    template = processed_template(raw, parameters, stack.region_name)
    check_template(template, capabilities, transformed=sam.is_sam(raw), change_set=change_set)
    check_rules(template, parameters, stack.account_id, stack.region_name)
    if (
        template == stack.template_dict
        and parameters == (stack.parameters or {})
        and (tags is None or tags == stack.tags)
    ):
        raise ValidationError(stack.stack_id, message="No updates are to be performed.")
    before = _snapshot(stack)
    if tags is not None:
        stack.tags = tags
        stack.resource_map.tags.update(tags)
    stack_event(stack, "UPDATE_IN_PROGRESS", "User Initiated")
    run_stack_operation(
        stack,
        lambda: _run_update(
            stack, template_body, template, parameters, capabilities, role_arn, before
        ),
    )


def _run_update(
    stack: Stack,
    template_body: str | dict[str, Any],
    template: dict[str, Any],
    parameters: dict[str, Any],
    capabilities: Iterable[str] | None,
    role_arn: str | None,
    before: dict[str, Any],
) -> None:
    """Apply the new template, clean up, or roll back (in the background when resources take
    time: see `engine.StackJobs`)."""
    state = state_of(stack)
    try:
        plan = apply_update(stack, template, parameters)
        stack.template_dict = template
        _evaluate_outputs(stack)
    except ResourceFailed as failed:
        _roll_back_update(stack, failed, before)
        return
    stack_event(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    _cleanup(stack, before["template"], plan)
    stack.template = template_body
    state.original_template = template_body
    state.capabilities = tuple(capabilities or ())
    stack.parameters = parameters
    stack.role_arn = role_arn
    stack_event(stack, "UPDATE_COMPLETE")


def _snapshot(stack: Stack) -> dict[str, Any]:
    state = state_of(stack)
    return {
        "template": stack.template_dict,
        "body": stack.template,
        "parameters": dict(stack.parameters or {}),
        "parsed": dict(stack.resource_map._parsed_resources),
        "resources": dict(state.resources),
        "properties": {name: t.properties for name, t in state.resources.items()},
        "tags": dict(stack.tags or {}),
    }


def _cleanup(stack: Stack, old_template: dict[str, Any], plan: UpdatePlan) -> None:
    """Delete what the new template removed and what was replaced, dependents first."""
    state = state_of(stack)
    new_resources = stack.template_dict.get("Resources") or {}
    replaced = {old.logical_id: old for old, _ in plan.replaced}
    condition_off = {
        name
        for name, tracked in state.resources.items()
        if name in new_resources
        and new_resources[name].get("Condition")
        and not stack.resource_map.lazy_condition_map[new_resources[name]["Condition"]]
    }
    removed = {name for name in state.resources if name not in new_resources} | condition_off
    old_order = dependency_order(old_template.get("Resources") or {})
    for logical_id in reversed(old_order):
        if logical_id in replaced:
            _delete_tracked(stack, replaced[logical_id])
        elif logical_id in removed:
            if (old_template["Resources"][logical_id]).get("DeletionPolicy") != "Retain":
                _delete_tracked(stack, state.resources[logical_id])
            state.resources.pop(logical_id, None)
            stack.resource_map._parsed_resources.pop(logical_id, None)


def _roll_back_update(stack: Stack, failed: ResourceFailed, before: dict[str, Any]) -> None:
    """Undo a failed update: delete what it created, restore what it changed."""
    stack_event(
        stack,
        "UPDATE_ROLLBACK_IN_PROGRESS",
        f"The following resource(s) failed to update: [{failed.logical_id}]. ",
    )
    state = state_of(stack)
    old_resources = before["resources"]
    for logical_id, tracked in list(state.resources.items()):
        original = old_resources.get(logical_id)
        if original is tracked:
            if tracked.properties is not before["properties"][logical_id]:
                _restore(stack, tracked, before["properties"][logical_id])
            continue
        _delete_tracked(stack, tracked)  # created by this update (new, or a replacement)
    state.resources = dict(old_resources)
    stack.resource_map._parsed_resources.clear()
    stack.resource_map._parsed_resources.update(before["parsed"])
    stack.resource_map._resource_json_map = before["template"].get("Resources") or {}
    stack.resource_map._template = before["template"]
    stack.resource_map.input_parameters = before["parameters"]
    stack.template_dict = before["template"]
    stack.tags = before["tags"]
    stack.output_map = stack._create_output_map()
    stack_event(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    stack_event(stack, "UPDATE_ROLLBACK_COMPLETE")


def _restore(stack: Stack, tracked: Tracked, properties: dict[str, Any]) -> None:
    model = resource_class(tracked.resource_type)
    physical = _physical_id(tracked.instance)
    add_event(stack, tracked.logical_id, physical, tracked.resource_type, "UPDATE_IN_PROGRESS")
    try:
        model.update_from_cloudformation_json(
            original_resource=tracked.instance,
            new_resource_name=physical,
            cloudformation_json={
                "Type": tracked.resource_type,
                "Properties": copy.deepcopy(properties),
            },
            account_id=stack.account_id,
            region_name=stack.region_name,
        )
    except Exception as error:
        add_event(
            stack,
            tracked.logical_id,
            physical,
            tracked.resource_type,
            "UPDATE_FAILED",
            _reason(error),
        )
        return
    tracked.properties = properties
    add_event(stack, tracked.logical_id, physical, tracked.resource_type, "UPDATE_COMPLETE")
