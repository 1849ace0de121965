"""`AWS::Scheduler::Schedule` in the local CloudFormation (moto 5.2.5 has no model for it).

As CloudFormation runs it: `Ref` is the schedule's name, `Fn::GetAtt Arn` its ARN; a schedule
with no `Name` gets one made from the stack and the logical id; changing `Name` or `GroupName`
replaces it, anything else updates it in place (UpdateSchedule replaces every setting). The
settings are checked as CreateSchedule checks them (`../scheduler.py`), so a bad expression fails
the resource with Scheduler's ValidationException. SAM's `ScheduleV2` event makes one of these
and its role.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.scheduler.models import scheduler_backends

from .waiting import wait_until

TYPE = "AWS::Scheduler::Schedule"
MAX_NAME = 64


def _once_role_spread(properties: dict[str, Any], account_id: str) -> None:
    """Wait while the schedule's role is too new for Scheduler, as CloudFormation retries it."""
    from .. import iam

    role = str((properties.get("Target") or {}).get("RoleArn") or "")
    wait_until(lambda: not iam.propagating(account_id, role), f"Role {role}")


def _settings(properties: dict[str, Any]) -> dict[str, Any]:
    """CreateSchedule's arguments (moto's names) from the resource's properties."""
    target = dict(properties.get("Target") or {})
    return {
        "description": properties.get("Description"),
        "end_date": properties.get("EndDate"),
        "flexible_time_window": properties.get("FlexibleTimeWindow") or {"Mode": "OFF"},
        "kms_key_arn": properties.get("KmsKeyArn"),
        "schedule_expression": properties.get("ScheduleExpression"),
        "schedule_expression_timezone": properties.get("ScheduleExpressionTimezone"),
        "start_date": properties.get("StartDate"),
        "state": properties.get("State") or "ENABLED",
        "target": target,
    }


class Schedule(CloudFormationModel):
    """One EventBridge Scheduler schedule a stack owns."""

    CREATE_ONLY = ("Name", "GroupName")

    def __init__(self, account_id: str, region: str, name: str, group: str, arn: str) -> None:
        self.account_id = account_id
        self.region = region
        self.name = name
        self.group = group
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return TYPE

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Schedule:
        properties = cloudformation_json.get("Properties", {})
        name = str(properties.get("Name") or resource_name)[-MAX_NAME:].lstrip("-")
        group = str(properties.get("GroupName") or "default")
        backend = scheduler_backends[account_id][region_name]
        _once_role_spread(properties, account_id)
        schedule = backend.create_schedule(
            name=name,
            group_name=group,
            action_after_completion=None,
            **_settings(properties),
        )
        return cls(account_id, region_name, name, group, schedule.arn)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Schedule,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Schedule:
        properties = cloudformation_json.get("Properties", {})
        _once_role_spread(properties, account_id)
        scheduler_backends[account_id][region_name].update_schedule(
            name=original_resource.name,
            group_name=original_resource.group,
            **_settings(properties),
        )
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        scheduler_backends[account_id][region_name].delete_schedule(self.group, self.name)


MODELS: dict[str, type[CloudFormationModel]] = {TYPE: Schedule}
