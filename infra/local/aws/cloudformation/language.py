"""The template language as CloudFormation reads it, where moto 5.2.5 reads it otherwise.

The CDK and other tools synthesize templates with features moto parses wrongly or not at all:

- `AWS::NoValue` inside a list (`[x, !If [Cond, y, !Ref AWS::NoValue]]`) removes the element;
  moto leaves a null there, and the resource fails;
- `Fn::GetAZs` of `!Ref AWS::Region` (or of "", the stack's region) is that region's zones;
  moto formats the unresolved `Ref` into the names;
- `Fn::Select` past the end of its list is AWS's template error, not an IndexError;
- an SSM-typed parameter (`AWS::SSM::Parameter::Value<String>`, such as the CDK's
  `BootstrapVersion`, whose default is `/cdk-bootstrap/hnb659fds/version`) is read from the
  cloud's SSM; a missing one refuses the stack with AWS's "Unable to fetch parameters";
- `Rules` (the CDK's `CheckBootstrapVersion`) are checked before anything is created, with the
  rule functions (`Fn::Contains`, `Fn::EachMemberEquals`, `Fn::EachMemberIn`, `Fn::Equals`,
  `Fn::Not`, `Fn::And`, `Fn::Or`); a false assertion refuses the operation with a
  ValidationError carrying its `AssertDescription`;
- DescribeStacks gives an SSM-typed parameter's name as its value and what SSM held as its
  `ResolvedValue`, and hides a NoEcho parameter whether it was given or defaulted;
- `AWS::CDK::Metadata` (the CDK's usage report in every stack) is accepted and creates nothing.

Conditions (`Fn::If`, `Fn::Equals`, `Fn::Or`, `Fn::And`, `Fn::Not`, `Condition` on resources and
outputs), `Fn::Join`, `Fn::Split`, `Fn::Sub` with a map, and `Metadata` work in moto as they are.
`install()` applies the fixes once per process.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Stack
from moto.core.common_models import CloudFormationModel

from ..patching import replace, wrap

SSM_TYPE = "AWS::SSM::Parameter::"
ZONES = "abc"  # Fn::GetAZs: the zones every region has at least


class CdkMetadata(CloudFormationModel):
    """`AWS::CDK::Metadata`: the CDK's record of which constructs a stack uses. CloudFormation
    accepts it and makes nothing; the local cloud does the same."""

    TYPE = "AWS::CDK::Metadata"

    def __init__(self) -> None:
        self.physical_resource_id = str(uuid.uuid4())

    @staticmethod
    def cloudformation_type() -> str:
        return CdkMetadata.TYPE

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> CdkMetadata:
        return cls()

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: CdkMetadata,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> CdkMetadata:
        return original_resource

    @classmethod
    def delete_resource(cls, instance: CdkMetadata, account_id: str, region_name: str) -> None:
        """Nothing was made, so nothing goes."""


MODELS: dict[str, type[CloudFormationModel]] = {CdkMetadata.TYPE: CdkMetadata}


# ---------------------------------------------------------------- intrinsic functions


def _clean_json(original: Any) -> Any:
    def clean_json(value: Any, resources: Any) -> Any:
        if isinstance(value, list):  # AWS::NoValue in a list removes the element
            return [item for item in (clean_json(v, resources) for v in value) if item is not None]
        if isinstance(value, dict) and len(value) == 1:
            if "Fn::GetAZs" in value:
                region = clean_json(value["Fn::GetAZs"], resources) or resources["AWS::Region"]
                return [f"{region}{zone}" for zone in ZONES]
            if "Fn::Select" in value:
                return _select(clean_json, value["Fn::Select"], resources)
        return original(value, resources)

    return clean_json


def _select(clean_json: Any, arguments: Any, resources: Any) -> Any:
    index, items = clean_json(arguments[0], resources), clean_json(arguments[1], resources)
    try:
        return items[int(index)]
    except IndexError:
        raise ValidationError(
            message=f"Template error: Fn::Select cannot select nonexistent value at index {index}"
        ) from None


# ---------------------------------------------------------------- SSM-typed parameters


def ssm_parameter(account_id: str, region: str, name: str, value_type: str) -> Any:
    """An SSM-typed parameter's value, read from the cloud's SSM as CloudFormation reads it."""
    from moto.ssm.models import ssm_backends

    parameter = ssm_backends[account_id][region].get_parameter(name)
    if parameter is None:
        raise ValidationError(
            message=f"Unable to fetch parameters [{name}] from parameter store for this account."
        )
    if value_type.startswith(f"{SSM_TYPE}Name"):
        return name  # the parameter's name is the value; CloudFormation only checks it exists
    if "List<" in value_type:
        return parameter.value.split(",")
    return parameter.value


def _parse_ssm_parameter(self: parsing.ResourceMap, value: str, value_type: str) -> Any:
    return ssm_parameter(self._account_id, self._region_name, value, value_type)


def previous_value(stack: Stack, key: str) -> Any:
    """A parameter's value for UsePreviousValue: as it was given (or defaulted), so an
    SSM-typed one is its SSM name again, not the value SSM held then."""
    given = stack.resource_map.input_parameters
    if key in given:
        return given[key]
    slot = (stack.template_dict.get("Parameters") or {}).get(key) or {}
    return slot.get("Default", stack.stack_parameters.get(key))


def _parameter_list(self: Stack) -> list[dict[str, Any]]:
    """DescribeStacks' Parameters as AWS gives them: an SSM-typed one's ParameterValue is the
    SSM parameter's name and its ResolvedValue the value read; a list is comma-separated; a
    NoEcho one is "****" (moto compares the value, not the key, with the NoEcho keys)."""
    resources = self.resource_map
    declared = self.template_dict.get("Parameters") or {}
    listed = []
    for key, value in resources.resolved_parameters.items():
        slot = declared.get(key) or {}
        text = ",".join(str(v) for v in value) if isinstance(value, list) else value
        entry = {"ParameterKey": key, "ParameterValue": text}
        kind = str(slot.get("Type", "String"))
        if kind.startswith(SSM_TYPE) and not kind.startswith(f"{SSM_TYPE}Name"):
            entry["ParameterValue"] = resources.input_parameters.get(key, slot.get("Default"))
            entry["ResolvedValue"] = text
        if str(slot.get("NoEcho", "false")).lower() == "true":
            entry["ParameterValue"] = "****"
        listed.append(entry)
    return listed


# ---------------------------------------------------------------- Rules


def parameter_values(
    template: Mapping[str, Any], given: Mapping[str, Any], account_id: str, region: str
) -> dict[str, Any]:
    """Each declared parameter's value (given, else its default; SSM types read from SSM)."""
    values: dict[str, Any] = {
        "AWS::AccountId": account_id,
        "AWS::Region": region,
        "AWS::Partition": "aws",
    }
    for name, declared in (template.get("Parameters") or {}).items():
        value = given.get(name, declared.get("Default"))
        if value is None:
            raise ValidationError(message=f"Parameters: [{name}] must have values")
        kind = str(declared.get("Type", "String"))
        if kind.startswith(SSM_TYPE):
            value = ssm_parameter(account_id, region, str(value), kind)
        elif (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(value, str):
            value = value.split(",")
        values[name] = value
    return values


def check_rules(
    template: Mapping[str, Any], given: Mapping[str, Any], account_id: str, region: str
) -> None:
    """Refuse, before anything is created or changed, what a template's Rules refuse."""
    rules = template.get("Rules") or {}
    if not rules:
        return
    values = parameter_values(template, given, account_id, region)
    for name, rule in rules.items():
        condition = rule.get("RuleCondition")
        if condition is not None and not _holds(rule_value(condition, values)):
            continue  # the rule does not apply to these parameters
        for assertion in rule.get("Assertions") or []:
            if not _holds(rule_value(assertion.get("Assert"), values)):
                raise ValidationError(
                    message=assertion.get("AssertDescription")
                    or f"Template error: an assertion of rule {name} failed"
                )


def _holds(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _items(value: Any) -> list[str]:
    return [_text(v) for v in (value if isinstance(value, list) else [value])]


RULE_FUNCTIONS = {
    "Fn::Equals": lambda a: _text(a[0]) == _text(a[1]),
    "Fn::Not": lambda a: not _holds(a[0]),
    "Fn::And": lambda a: all(_holds(v) for v in a),
    "Fn::Or": lambda a: any(_holds(v) for v in a),
    "Fn::Contains": lambda a: _text(a[1]) in _items(a[0]),
    "Fn::EachMemberEquals": lambda a: all(v == _text(a[1]) for v in _items(a[0])),
    "Fn::EachMemberIn": lambda a: all(v in _items(a[1]) for v in _items(a[0])),
}


def rule_value(expression: Any, values: Mapping[str, Any]) -> Any:
    """The value of a rule's condition or assertion, with the rule-specific functions."""
    if isinstance(expression, list):
        return [rule_value(item, values) for item in expression]
    if not isinstance(expression, dict):
        return expression
    if len(expression) != 1:
        raise ValidationError(message="Template format error: Every Rules function takes one key")
    [(function, arguments)] = expression.items()
    if function == "Ref":
        if arguments not in values:
            raise ValidationError(
                message=f"Template format error: Unresolved dependencies [{arguments}]. "
                "Cannot reference resources in the Rules block of the template"
            )
        return values[arguments]
    if function not in RULE_FUNCTIONS:
        raise ValidationError(
            message=f"Template error: {function} in Rules is not supported by the local cloud "
            f"(it runs {', '.join(RULE_FUNCTIONS)} and Ref); deploy this template to AWS"
        )
    evaluated = rule_value(arguments if isinstance(arguments, list) else [arguments], values)
    return RULE_FUNCTIONS[function](evaluated)


# ---------------------------------------------------------------- install

_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Read templates with these fixes (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        wrap(parsing, "clean_json", _clean_json)
        replace(parsing.ResourceMap, "parse_ssm_parameter", _parse_ssm_parameter)
        replace(Stack, "parameter_list", property(_parameter_list))
        _installed = True
