"""moto's own CloudFormation resource types, fixed where a WebSocket app's template needs them.

moto 5.2.5 creates these types, but:
- `AWS::Lambda::Function` ignores `Tags`, and an update of an inline `ZipFile` breaks the code;
- `AWS::Lambda::Permission` has no physical id and is never removed (update or delete);
- `AWS::IAM::Role` ignores `ManagedPolicyArns` (SAM's roles attach
  AWSLambdaBasicExecutionRole) and an update ignores policy changes;
- `AWS::DynamoDB::Table` ignores `TimeToLiveSpecification`, and an update loses stream changes.

Each fix subclasses moto's class and changes only that. `tag_resource()` gives a created
resource its stack's tags, as CloudFormation does for taggable types.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.awslambda.models import Permission as MotoPermission
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table as MotoTable
from moto.events.models import events_backends
from moto.iam.models import Role as MotoRole
from moto.iam.models import iam_backends
from moto.logs.models import logs_backends
from moto.utilities.utils import get_partition

from .. import lambda_
from . import logs, s3


def _pairs(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def tags_of(properties: dict[str, Any]) -> dict[str, str]:
    """A template's `Tags` as a dict, whether written as a list of Key/Value or as a map."""
    tags = properties.get("Tags") or {}
    if isinstance(tags, list):
        return {str(tag["Key"]): str(tag["Value"]) for tag in tags}
    return {str(key): str(value) for key, value in tags.items()}


class Function(LambdaFunction):
    """`AWS::Lambda::Function` with its `Tags`, and inline code that survives an update."""

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaFunction:
        function = LambdaFunction.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        function.tags.update(tags_of(cloudformation_json["Properties"]))
        return function

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: LambdaFunction,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> LambdaFunction:
        properties = cloudformation_json["Properties"]
        code = dict(properties["Code"])
        if "ZipFile" in code:  # inline source, zipped as create_from_cloudformation_json does
            zipped = LambdaFunction._create_zipfile_from_plaintext_code(code["ZipFile"])
            code["ZipFile"] = base64.b64encode(zipped)
        previous = lambda_.spec_of(original_resource)
        original_resource.update_configuration(
            {**properties, "Environment": properties.get("Environment", {"Variables": {}})}
        )
        original_resource.update_function_code(code)
        original_resource.tags.update(tags_of(properties))
        lambda_.begin_update(original_resource, previous)  # InProgress, as any update
        return original_resource


class Permission(MotoPermission):
    """`AWS::Lambda::Permission`: one statement in the function's policy, removed on delete."""

    def __init__(self, region: str, account_id: str, function_name: str, statement_id: str):
        super().__init__(region)
        self.account_id = account_id
        self.function_name = function_name
        self.statement_id = statement_id

    @property
    def physical_resource_id(self) -> str:
        return self.statement_id

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Permission:
        properties = dict(cloudformation_json["Properties"])
        function = lambda_backends[account_id][region_name].get_function(properties["FunctionName"])
        statement_id = "".join(c for c in resource_name if c.isalnum() or c in "-_")[:100]
        properties["StatementId"] = statement_id
        properties.pop("FunctionName")
        function.policy.add_statement(raw=json.dumps(properties))
        return cls(region_name, account_id, function.function_name, statement_id)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = lambda_backends[account_id][region_name]
        try:
            function = backend.get_function(self.function_name)
        except Exception:  # the function went first: its policy went with it
            return
        function.policy.del_statement(self.statement_id)


class Role(MotoRole):
    """`AWS::IAM::Role` with `ManagedPolicyArns`, JSON policy documents, and policy updates."""

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> MotoRole:
        properties = cloudformation_json["Properties"]
        for policy in properties.get("Policies", []):  # IAM keeps policy documents as JSON text
            if not isinstance(policy["PolicyDocument"], str):
                policy["PolicyDocument"] = json.dumps(policy["PolicyDocument"])
        role = MotoRole.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        for arn in properties.get("ManagedPolicyArns", []):
            _attach(account_id, region_name, role.name, arn)
        return role

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: MotoRole,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> MotoRole:
        properties = cloudformation_json["Properties"]
        iam = iam_backends[account_id][get_partition(region_name)]
        name = original_resource.name
        document = properties["AssumeRolePolicyDocument"]
        iam.update_assume_role_policy(
            name, document if isinstance(document, str) else json.dumps(document)
        )
        original_resource.description = properties.get("Description", "")
        wanted = {
            policy["PolicyName"]: policy["PolicyDocument"]
            for policy in properties.get("Policies", [])
        }
        for policy_name in set(original_resource.policies) - set(wanted):
            iam.delete_role_policy(name, policy_name)
        for policy_name, policy_document in wanted.items():
            text = (
                policy_document if isinstance(policy_document, str) else json.dumps(policy_document)
            )
            iam.put_role_policy(name, policy_name, text)
        arns = set(properties.get("ManagedPolicyArns", []))
        for arn in set(original_resource.managed_policies) - arns:
            iam.detach_role_policy(arn, name)
        for arn in arns - set(original_resource.managed_policies):
            _attach(account_id, region_name, name, arn)
        return original_resource

    @classmethod
    def delete_resource(cls, role: MotoRole, account_id: str, region_name: str) -> None:
        """Detach the managed policies first: IAM refuses to delete a role that has any."""
        iam = iam_backends[account_id][get_partition(region_name)]
        for arn in list(role.managed_policies):
            iam.detach_role_policy(arn, role.name)
        MotoRole.delete_from_cloudformation_json(role.name, {}, account_id, region_name)


def _attach(account_id: str, region_name: str, role_name: str, policy_arn: str) -> None:
    """Attach a managed policy (an AWS managed one exists once named: `../iam.py`)."""
    iam_backends[account_id][get_partition(region_name)].attach_role_policy(policy_arn, role_name)


class Table(MotoTable):
    """`AWS::DynamoDB::Table` with Time to Live, and stream changes on update."""

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> MotoTable:
        table = MotoTable.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        _set_ttl(table, cloudformation_json["Properties"])
        return table

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: MotoTable,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> MotoTable:
        properties = cloudformation_json["Properties"]
        dynamodb = dynamodb_backends[account_id][region_name]
        wanted = properties.get("StreamSpecification")
        current = original_resource.stream_specification or {}
        stream_on = bool(wanted)
        if stream_on != bool(current.get("StreamEnabled")) or (
            stream_on and wanted.get("StreamViewType") != current.get("StreamViewType")
        ):
            original_resource.set_stream_specification(
                {**wanted, "StreamEnabled": True} if stream_on else {"StreamEnabled": False}
            )
        billing = (
            "PAY_PER_REQUEST"
            if properties.get("BillingMode") == "PAY_PER_REQUEST"
            else "PROVISIONED"
        )
        dynamodb.update_table(
            name=original_resource.name,
            attr_definitions=properties.get("AttributeDefinitions"),
            global_index=[],
            throughput=properties.get("ProvisionedThroughput"),
            billing_mode=billing,
            stream_spec=None,
            deletion_protection_enabled=properties.get("DeletionProtectionEnabled"),
            warm_throughput=None,
        )
        _set_ttl(original_resource, properties)
        return original_resource


def _set_ttl(table: MotoTable, properties: dict[str, Any]) -> None:
    spec = properties.get("TimeToLiveSpecification")
    if spec and spec.get("Enabled"):
        table.ttl = {"TimeToLiveStatus": "ENABLED", "AttributeName": spec["AttributeName"]}
    else:
        table.ttl = {"TimeToLiveStatus": "DISABLED"}


MODELS: dict[str, type[CloudFormationModel]] = {
    "AWS::Lambda::Function": Function,
    "AWS::Lambda::Permission": Permission,
    "AWS::IAM::Role": Role,
    "AWS::DynamoDB::Table": Table,
    **logs.MODELS,  # a log group's retention updated in place
    **s3.MODELS,  # the SAM CLI's managed bucket and its policy
}


def tag_resource(
    resource: Any, resource_type: str, tags: dict[str, str], account_id: str, region: str
) -> None:
    """Give a created resource `tags` (its stack's tags, and for some types the system tags)."""
    if not tags:
        return
    if hasattr(resource, "cfn_tag"):
        resource.cfn_tag(tags)
    elif resource_type == "AWS::Lambda::Function":
        resource.tags.update(tags)
    elif resource_type == "AWS::DynamoDB::Table":
        keep = [tag for tag in resource.tags or [] if tag["Key"] not in tags]
        resource.tags = keep + _pairs(tags)
    elif resource_type == "AWS::IAM::Role":
        iam_backends[account_id][get_partition(region)].tag_role(resource.name, _pairs(tags))
    elif resource_type == "AWS::Events::Rule":
        events_backends[account_id][region].tag_resource(resource.arn, tags)
    elif resource_type == "AWS::Logs::LogGroup":
        logs_backends[account_id][region].tag_resource(resource.arn, tags)
