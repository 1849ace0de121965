"""CloudFormation stacks as AWS runs them, on top of moto's stacks, templates and resources.

moto 5.2.5 parses templates (parameters, conditions, intrinsic functions) and knows how to
create many resource types, but it warns and skips every type it lacks, records no resource
events, cannot fail or roll back, and updates in an order that breaks a stage's deployment.
This module keeps moto's parsing and resource classes and runs the stack itself:

- **Types.** A type AWS does not have fails the call ("Template format error: Unrecognized
  resource types"); a real AWS type the local cloud lacks fails that resource, so the stack
  rolls back (or is CREATE_FAILED with `OnFailure=DO_NOTHING`), with an event naming the type.
  Nothing is skipped. The API Gateway v2 types come from `cloudformation_apigatewayv2.py`.
- **Capabilities.** IAM resources need CAPABILITY_IAM (CAPABILITY_NAMED_IAM when named), and
  CreateStack/UpdateStack of a template with a transform need CAPABILITY_AUTO_EXPAND.
- **The SAM transform** runs through `sam.py`; GetTemplate returns the original template.
- **Order.** Resources are created in dependency order (Ref, GetAtt, Sub, DependsOn) with
  CREATE_IN_PROGRESS/COMPLETE/FAILED events, and deleted in reverse order.
- **Update** compares each resource's *resolved* properties with the ones it was created with:
  unchanged resources are left alone, a changed create-only property replaces the resource, the
  rest update in place; new resources are created first and removed or replaced ones are deleted
  last (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS), so a stage moves to a new deployment before the
  old one goes. A failure rolls the update back (UPDATE_ROLLBACK_COMPLETE).
- **Tags.** A stack's tags go to every taggable resource it creates, with the
  `aws:cloudformation:*` system tags where AWS adds them.

`install()` applies the patches once per process; the bridge already tells every cache after a
CloudFormation write that any service may have changed.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import (
    AlreadyExistsException,
    CloudFormationError,
    ValidationError,
)
from moto.cloudformation.models import CloudFormationBackend, Event, Stack
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult

from . import cloudformation_apigatewayv2, cloudformation_resources, sam

_install_lock = threading.Lock()
_installed = False

STACK_TYPE = "AWS::CloudFormation::Stack"
IAM_TYPES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::Policy": "",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::AccessKey": "",
}
# Types moto knows but runs nothing for, or cannot run without Docker: refused, never skipped.
NOT_RUN_HERE = {
    "AWS::CloudFormation::WaitCondition",
    "AWS::CloudFormation::WaitConditionHandle",
    "AWS::CloudFormation::CustomResource",
    "AWS::CloudFormation::Stack",
}
PSEUDO = re.compile(r"^AWS::")
SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")
COMPLETE_STATES = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
}


class InsufficientCapabilities(CloudFormationError):
    code = "InsufficientCapabilitiesException"

    def __init__(self, capability: str) -> None:
        super().__init__(f"Requires capabilities : [{capability}]")


class ResourceFailed(Exception):
    """A resource could not be created, updated or deleted; the stack operation stops."""

    def __init__(self, logical_id: str, reason: str) -> None:
        super().__init__(reason)
        self.logical_id = logical_id
        self.reason = reason


class UnsupportedResourceType(Exception):
    def __init__(self, resource_type: str) -> None:
        super().__init__(
            f"Resource type {resource_type} is not supported by the local cloud "
            "(it runs API Gateway v2 WebSocket APIs, Lambda, DynamoDB, IAM, EventBridge "
            "rules, CloudWatch Logs and most types moto knows); deploy this template to AWS"
        )


# ---------------------------------------------------------------- resource types


MODELS: dict[str, type[CloudFormationModel]] = {
    **{model.TYPE: model for model in cloudformation_apigatewayv2.MODELS},
    **cloudformation_resources.MODELS,
}


def resource_class(resource_type: str) -> type[CloudFormationModel]:
    """The class that runs `resource_type`, or UnsupportedResourceType (never None)."""
    if resource_type in MODELS:
        return MODELS[resource_type]
    if resource_type in NOT_RUN_HERE or resource_type.startswith("Custom::"):
        raise UnsupportedResourceType(resource_type)
    known = _moto_models().get(resource_type)
    if known is None:
        raise UnsupportedResourceType(resource_type)
    return known


_moto_model_map: dict[str, type[CloudFormationModel]] | None = None


def _moto_models() -> dict[str, type[CloudFormationModel]]:
    global _moto_model_map
    if _moto_model_map is None:
        _moto_model_map = {
            model.cloudformation_type(): model
            for model in CloudFormationModel.__subclasses__()
            if model.__module__.startswith("moto.")
        }
    return _moto_model_map


def aws_resource_types() -> set[str]:
    """Every resource type CloudFormation has (the registry schemas cfn-lint ships)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    return set(PROVIDER_SCHEMA_MANAGER.get_resource_types("us-east-1"))


def create_only_properties(resource_type: str) -> set[str]:
    """The top-level properties whose change replaces a resource ("Update requires: Replacement")."""
    model = MODELS.get(resource_type)
    if model is not None and hasattr(model, "CREATE_ONLY"):
        return set(model.CREATE_ONLY)  # type: ignore[attr-defined]
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:  # no schema: replacing is the safe answer for any change
        return {"*"}
    return {path.split("/")[2] for path in schema.get("createOnlyProperties", [])}


def system_tags_apply(resource_type: str) -> tuple[bool, bool]:
    """(taggable, gets aws:cloudformation:* tags) for a type, from its registry schema."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:
        return False, False
    tagging = schema.get("tagging") or {}
    taggable = bool(tagging.get("taggable"))
    return taggable, taggable and bool(tagging.get("cloudFormationSystemTags", True))


# ---------------------------------------------------------------- templates


def parse_template(body: str | dict[str, Any]) -> dict[str, Any]:
    """A template (JSON or YAML with short-form intrinsics) as a dict."""
    if isinstance(body, dict):
        return copy.deepcopy(body)
    import yaml

    from moto.cloudformation.utils import yaml_tag_constructor

    yaml.add_multi_constructor("", yaml_tag_constructor)
    try:
        parsed = yaml.load(body, Loader=yaml.Loader)
    except yaml.YAMLError as error:
        raise ValidationError(message=f"Template format error: YAML not well-formed. {error}") from error
    if not isinstance(parsed, dict):
        raise ValidationError(message="Template format error: JSON not well-formed.")
    return parsed


def processed_template(
    template: dict[str, Any], parameters: dict[str, Any], region: str
) -> dict[str, Any]:
    """The template after its transforms (only the SAM transform exists locally)."""
    for name in sam.transforms_of(template):
        if name != sam.SAM_TRANSFORM:
            raise ValidationError(message=f"No transform named {name} found.")
    if not sam.is_sam(template):
        return template
    try:
        processed = sam.transform(template, parameters, region)
    except sam.TransformFailed as error:
        raise ValidationError(message=str(error)) from error
    processed.pop("Transform", None)
    return processed


def check_template(
    template: dict[str, Any],
    capabilities: Iterable[str] | None,
    *,
    transformed: bool,
    change_set: bool,
) -> None:
    """Refuse what AWS refuses before doing anything: unknown types, missing capabilities.

    `capabilities` None skips the capability check (a change set was checked when created).
    """
    resources = template.get("Resources") or {}
    if not resources:
        raise ValidationError(
            message="Template format error: At least one Resources member must be defined."
        )
    known = aws_resource_types()
    unknown = sorted(
        {
            str(r.get("Type"))
            for r in resources.values()
            if r.get("Type") not in known and not str(r.get("Type", "")).startswith("Custom::")
        }
    )
    if unknown:
        raise ValidationError(
            message=f"Template format error: Unrecognized resource types: [{','.join(unknown)}]"
        )
    if capabilities is None:
        return
    granted = set(capabilities)
    iam = [
        (r["Type"], r.get("Properties") or {}) for r in resources.values() if r["Type"] in IAM_TYPES
    ]
    named = any(IAM_TYPES[kind] and IAM_TYPES[kind] in props for kind, props in iam)
    if named and "CAPABILITY_NAMED_IAM" not in granted:
        raise InsufficientCapabilities("CAPABILITY_NAMED_IAM")
    if iam and not granted & {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}:
        raise InsufficientCapabilities("CAPABILITY_IAM")
    if transformed and not change_set and "CAPABILITY_AUTO_EXPAND" not in granted:
        raise InsufficientCapabilities("CAPABILITY_AUTO_EXPAND")


def references(value: Any) -> set[str]:
    """The logical ids (and parameters) a piece of template refers to."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner.split(".")[0] if isinstance(inner, str) else inner[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text, variables = (inner, {}) if isinstance(inner, str) else (inner[0], inner[1])
                found |= {m.split(".")[0] for m in SUB_VARIABLE.findall(text)} - set(variables)
                found |= references(variables)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return {name for name in found if not PSEUDO.match(name)}


def dependency_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids so that each comes after everything it refers to or DependsOn."""
    depends: dict[str, set[str]] = {}
    for name, resource in resources.items():
        needs = references(resource.get("Properties") or {})
        declared = resource.get("DependsOn") or []
        needs |= {declared} if isinstance(declared, str) else set(declared)
        depends[name] = {dep for dep in needs if dep in resources and dep != name}
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise ValidationError(message=f"Circular dependency between resources: [{name}]")
        visiting.add(name)
        for dep in sorted(depends[name]):
            visit(dep)
        visiting.discard(name)
        ordered.append(name)

    for name in resources:
        visit(name)
    return ordered


# ---------------------------------------------------------------- per-stack bookkeeping


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


# ---------------------------------------------------------------- one resource


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
            resolved,
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


# ---------------------------------------------------------------- create


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


# ---------------------------------------------------------------- delete


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


# ---------------------------------------------------------------- update


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
    resource_map.workshop_stack = stack  # type: ignore[attr-defined]
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
    state = state_of(stack)
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


# ---------------------------------------------------------------- backend and API


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
    """CreateStack: check, transform, then create the resources (synchronously)."""
    if any(stack.name == name for stack in self.stacks.values()):
        raise AlreadyExistsException(f"Stack [{name}] already exists")
    raw = parse_template(template)
    check_template(
        processed_template(raw, parameters, self.region_name),
        capabilities,
        transformed=sam.is_sam(raw),
        change_set=False,
    )
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
    run_create(stack, on_failure)
    if stack.stack_id in self.stacks:
        self._validate_export_uniqueness(stack)
        for export in stack.exports:
            self.exports[export.name] = export
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
            values[key] = (stack.parameters or {}).get(key, stack.stack_parameters.get(key))
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
        return original(self, **kwargs)

    create_change_set.__wrapped__ = original  # type: ignore[attr-defined]
    return create_change_set


def _response_create_change_set(original: Any) -> Any:
    def create_change_set(self: cfn_responses.CloudFormationResponse) -> ActionResult:
        _request.capabilities = self._get_param("Capabilities", [])
        try:
            return original(self)  # type: ignore[no-any-return]
        finally:
            _request.capabilities = ()

    return create_change_set


def _validate_outputs(original: Any) -> Any:
    def validate_outputs(self: parsing.ResourceMap) -> None:
        try:
            original(self)
        except UnsupportedResourceType:
            pass  # that resource fails when the stack creates it, with an event naming the type

    validate_outputs.__wrapped__ = original  # type: ignore[attr-defined]
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
        run_create(stack)
    else:
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


def install() -> None:
    """Run stacks with this module's engine (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        parsing.parse_and_create_resource = create_resource
        parsing.resource_class_from_type = resource_class
        parsing.ResourceMap.validate_outputs = _validate_outputs(  # type: ignore[method-assign]
            parsing.ResourceMap.validate_outputs
        )
        Stack._parse_template = _parse_stack_template  # type: ignore[method-assign]
        Stack.stack_resources = property(_stack_resources)  # type: ignore[method-assign,assignment]
        CloudFormationBackend.create_stack = create_stack  # type: ignore[method-assign,assignment]
        CloudFormationBackend.delete_stack = delete_stack  # type: ignore[method-assign]
        CloudFormationBackend.create_change_set = _create_change_set(  # type: ignore[method-assign]
            CloudFormationBackend.create_change_set
        )
        CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]
        cfn_models.ChangeSet._parse_template = _change_set_parse  # type: ignore[method-assign]
        response = cfn_responses.CloudFormationResponse
        response.create_stack = _response_create_stack  # type: ignore[method-assign]
        response.update_stack = _response_update_stack  # type: ignore[method-assign]
        response.get_template = _response_get_template  # type: ignore[method-assign]
        response.list_stack_resources = _response_list_stack_resources  # type: ignore[method-assign]
        response.create_change_set = _response_create_change_set(response.create_change_set)  # type: ignore[method-assign]
        _installed = True


def iter_stacks(backend: CloudFormationBackend) -> Iterator[Stack]:
    """The live stacks of a backend (for tests and tools)."""
    yield from backend.stacks.values()
