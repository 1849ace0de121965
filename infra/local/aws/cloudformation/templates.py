"""Templates as CloudFormation reads them: parsing, transforms, checks and dependency order.

Before a stack does anything, AWS refuses a template whose resource types it does not know
("Template format error: Unrecognized resource types"), one whose `Ref`, `Fn::Sub` or
`DependsOn` names neither a parameter, nor a resource, nor a pseudo parameter ("Template format
error: Unresolved resource dependencies [X] in the Resources block of the template"; in Outputs
"Unresolved resource dependencies [X] in the Outputs block of the template"), and one that
needs capabilities the caller did not grant (CAPABILITY_IAM, CAPABILITY_NAMED_IAM,
CAPABILITY_AUTO_EXPAND). The
resource types AWS has, their create-only properties and their tagging come from the registry
schemas that cfn-lint ships, so the local cloud decides replacement and tags as AWS documents.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.core.common_models import CloudFormationModel

from .. import sam
from . import apigatewayv2, language, resources, scheduler

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
PSEUDO_PARAMETERS = {
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}


SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


class InsufficientCapabilities(CloudFormationError):
    code = "InsufficientCapabilitiesException"

    def __init__(self, capability: str) -> None:
        super().__init__(f"Requires capabilities : [{capability}]")


class UnsupportedResourceType(Exception):
    def __init__(self, resource_type: str) -> None:
        super().__init__(
            f"Resource type {resource_type} is not supported by the local cloud "
            "(it runs API Gateway v2 WebSocket APIs, Lambda, DynamoDB, IAM, EventBridge "
            "rules and Scheduler schedules, CloudWatch Logs and most types moto knows); deploy "
            "this template to AWS"
        )


MODELS: dict[str, type[CloudFormationModel]] = {
    **{model.TYPE: model for model in apigatewayv2.MODELS},
    **resources.MODELS,
    **scheduler.MODELS,  # EventBridge Scheduler (SAM's ScheduleV2)
    **language.MODELS,
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
        return set(model.CREATE_ONLY)
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
        raise ValidationError(
            message=f"Template format error: YAML not well-formed. {error}"
        ) from error
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
    check_references(template)
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


def check_references(template: dict[str, Any]) -> None:
    """Refuse, as AWS does, a `Ref`, `Fn::Sub` variable or `DependsOn` that names neither a
    parameter, nor a resource, nor a pseudo parameter (in every branch of an `Fn::If`: the check
    is on the template, before conditions are evaluated)."""
    resources = template.get("Resources") or {}
    known = set(template.get("Parameters") or {}) | set(resources) | PSEUDO_PARAMETERS
    found: list[str] = []
    for resource in resources.values():
        if not isinstance(resource, dict):
            continue
        found += names_used({k: v for k, v in resource.items() if k not in ("Type", "DependsOn")})
        declared = resource.get("DependsOn") or []
        found += [declared] if isinstance(declared, str) else [str(d) for d in declared]
    unresolved = _unknown(found, known)
    if unresolved:
        raise ValidationError(
            message="Template format error: Unresolved resource dependencies"
            f" [{', '.join(unresolved)}] in the Resources block of the template"
        )
    unresolved = _unknown(names_used(template.get("Outputs") or {}), known)
    if unresolved:
        raise ValidationError(
            message=f"Unresolved resource dependencies [{', '.join(unresolved)}] in the Outputs"
            " block of the template"
        )


def names_used(value: Any) -> list[str]:
    """The names a piece of template refers to by `Ref` or `Fn::Sub` (pseudo parameters
    included), in the order they appear; `Fn::GetAtt` is left to the resource it names."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.append(inner)
            elif key == "Fn::Sub":
                parts = (
                    [inner] if isinstance(inner, str) else inner if isinstance(inner, list) else []
                )
                text = parts[0] if parts else None
                variables = parts[1] if len(parts) > 1 else {}
                if isinstance(text, str) and isinstance(variables, dict):
                    found += [
                        name.split(".")[0]
                        for name in SUB_VARIABLE.findall(text)
                        if name not in variables and name.split(".")[0] not in variables
                    ]
                found += names_used(variables)
            else:
                found += names_used(inner)
    elif isinstance(value, list):
        for inner in value:
            found += names_used(inner)
    return found


def _unknown(names: list[str], known: set[str]) -> list[str]:
    return list(dict.fromkeys(name for name in names if name not in known))


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
