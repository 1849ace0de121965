"""`AWS::Logs::LogGroup` updated in place, as CloudFormation does.

moto 5.2.5's LogGroup cannot be updated, so any change (a new `RetentionInDays`, say) meant a
replacement, which CloudFormation refuses for a named group ("CloudFormation cannot update a
stack when a custom-named resource requires replacing"). On AWS only `LogGroupName` (and
`LogGroupClass`) replace the group; the retention changes in place.
"""

from __future__ import annotations

from typing import Any

from moto.logs.models import LogGroup as MotoLogGroup
from moto.logs.models import logs_backends


class LogGroup(MotoLogGroup):
    """A log group whose retention a stack update changes in place."""

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: MotoLogGroup,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> MotoLogGroup:
        retention = cloudformation_json["Properties"].get("RetentionInDays")
        logs = logs_backends[account_id][region_name]
        if retention is None:
            logs.delete_retention_policy(original_resource.name)
        else:
            logs.put_retention_policy(original_resource.name, int(retention))
        return original_resource


MODELS = {"AWS::Logs::LogGroup": LogGroup}
