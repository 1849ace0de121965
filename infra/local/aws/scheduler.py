"""EventBridge Scheduler's schedules as the local scheduler needs them, and their checks.

`schedules()` and `find_schedule()` hand the scheduler plain snapshots of moto's schedules;
`delete_schedule()` is what `ActionAfterCompletion: DELETE` does after a one-time schedule ran.
`role_problem()` says why Scheduler could not invoke a target with the schedule's role, as
IAM would decide it. `install()` makes CreateSchedule and UpdateSchedule refuse what moto 5.2.5
lets through, with Scheduler's `ValidationException` (400):
- a ScheduleExpression that is not `at(yyyy-mm-ddThh:mm:ss)`, `rate(value unit)` with a whole
  value of at least 1 (a minute is the shortest period) or a 6-field `cron(...)`;
- a ScheduleExpressionTimezone that is not an IANA time zone name;
- a FlexibleTimeWindow whose Mode is not OFF or FLEXIBLE, or FLEXIBLE without a
  MaximumWindowInMinutes from 1 to 1440;
- a State other than ENABLED or DISABLED, an ActionAfterCompletion other than NONE or DELETE;
- a Lambda target whose Input is not JSON, a RoleArn that is not a role's ARN;
- with IAM enforced, a role Scheduler cannot assume: missing, not trusting
  scheduler.amazonaws.com, or made too recently (IAM is eventually consistent; the kit's
  `role_propagation` timing): "The execution role you provide must allow AWS EventBridge
  Scheduler to assume the role." (AWS checks the trust at CreateSchedule; tools retry it).
A schedule in a group that does not exist gets ResourceNotFoundException (moto failed with 500).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moto.scheduler.exceptions import ScheduleGroupNotFound, ValidationException
from moto.scheduler.models import EventBridgeSchedulerBackend

from .backends import Backends
from .patching import wrap

SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
CANNOT_ASSUME = (
    "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."
)
NAME = re.compile(r"^[0-9a-zA-Z\-_.]{1,64}$")
AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON = re.compile(r"^cron\((\S+( \S+){5})\)$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
MAX_WINDOW_MINUTES = 1440
_installed = False


@dataclass(frozen=True)
class ScheduleSnapshot:
    """A schedule's expression, window, state and target at one moment."""

    arn: str
    name: str
    group: str
    expression: str
    timezone: str
    window_minutes: int  # 0: FlexibleTimeWindow OFF
    enabled: bool
    target: dict[str, Any] = field(default_factory=dict)
    delete_after_completion: bool = False
    start: datetime | None = None
    end: datetime | None = None

    @property
    def one_time(self) -> bool:
        return self.expression.startswith("at(")


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except ValueError:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _snapshot(schedule: Any) -> ScheduleSnapshot:
    window = schedule.flexible_time_window or {}
    return ScheduleSnapshot(
        arn=schedule.arn,
        name=schedule.name,
        group=schedule.group_name,
        expression=schedule.schedule_expression or "",
        timezone=schedule.schedule_expression_timezone or "UTC",
        window_minutes=int(window.get("MaximumWindowInMinutes") or 0)
        if window.get("Mode") == "FLEXIBLE"
        else 0,
        enabled=schedule.state != "DISABLED",
        target=dict(schedule.target or {}),
        delete_after_completion=schedule.action_after_completion == "DELETE",
        start=_when(schedule.start_date),
        end=_when(schedule.end_date),
    )


def schedules(backends: Backends) -> list[ScheduleSnapshot]:
    """Every schedule, in every schedule group."""
    with backends.open() as services:
        return [
            _snapshot(schedule)
            for group in services.scheduler.schedule_groups.values()
            for schedule in group.schedules.values()
        ]


def find_schedule(backends: Backends, name: str, group: str = "default") -> ScheduleSnapshot | None:
    """The schedule called `name` in `group`, or None."""
    with backends.open() as services:
        found = services.scheduler.schedule_groups.get(group)
        if found is None or name not in found.schedules:
            return None
        return _snapshot(found.schedules[name])


def delete_schedule(backends: Backends, name: str, group: str = "default") -> None:
    """Delete a schedule that completed (ActionAfterCompletion DELETE); gone already is fine."""
    with backends.open() as services:
        found = services.scheduler.schedule_groups.get(group)
        if found is not None and found.schedules.pop(name, None) is not None:
            backends.changed("scheduler")


def role_problem(backends: Backends, role_arn: str, function_arn: str) -> str | None:
    """Why Scheduler could not invoke `function_arn` with `role_arn`, or None when it can."""
    from ..access.policy import evaluate, trusts_service
    from . import iam

    trust = iam.trust_policy(backends, role_arn)
    if trust is None:
        return f"there is no role {role_arn}"
    if not trusts_service(trust, SCHEDULER_PRINCIPAL):
        return (
            f"EventBridge Scheduler cannot assume {role_arn}: its trust policy must let "
            f"{SCHEDULER_PRINCIPAL} sts:AssumeRole"
        )
    documents = iam.role_documents(backends, role_arn) or []
    if not evaluate(documents, "lambda:InvokeFunction", function_arn).allowed:
        return f"{role_arn} is not allowed lambda:InvokeFunction on {function_arn}"
    return None


def scheduler_may_assume(account_id: str, role_arn: str) -> bool:
    """Whether the role exists, trusts scheduler.amazonaws.com and has spread through IAM
    (moto's lock is held)."""
    from moto.iam.models import iam_backends

    from ..access.policy import trusts_service
    from . import iam

    try:
        role = iam_backends[account_id][iam.PARTITION].get_role(role_arn.rsplit("/", 1)[-1])
    except Exception:
        return False
    document = role.assume_role_policy_document
    text = document if isinstance(document, str) else json.dumps(document)
    return trusts_service(text, SCHEDULER_PRINCIPAL) and not iam.propagating(account_id, role_arn)


def _check_role(account_id: str, target: dict[str, Any] | None) -> None:
    from . import iam

    if iam.enforcing and not scheduler_may_assume(account_id, str((target or {}).get("RoleArn"))):
        raise ValidationException(CANNOT_ASSUME)


# ---------------------------------------------------------------- CreateSchedule's checks


def check_expression(expression: str | None, timezone: str | None) -> None:
    """ValidationException unless Scheduler accepts the expression and its time zone."""
    text = expression or ""
    valid = bool(CRON.match(text))
    if at := AT.match(text):
        try:
            datetime.fromisoformat(at.group(1))
            valid = True
        except ValueError:
            valid = False
    elif rate := RATE.match(text):
        valid = int(rate.group(1)) >= 1
    if not valid:
        raise ValidationException(f"Invalid Schedule Expression {text}.")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationException(f"Invalid time zone: {timezone}.") from None


def check_schedule(
    name: str | None,
    expression: str | None,
    timezone: str | None,
    window: dict[str, Any] | None,
    state: str | None,
    target: dict[str, Any] | None,
    action_after_completion: str | None = None,
) -> None:
    """ValidationException for what Scheduler refuses in CreateSchedule or UpdateSchedule."""
    if name is not None and not NAME.match(name):
        raise ValidationException(
            "1 validation error detected: Value at 'name' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$"
        )
    check_expression(expression, timezone)
    window = window or {}
    mode = window.get("Mode")
    if mode not in ("OFF", "FLEXIBLE"):
        raise ValidationException(
            "1 validation error detected: Value at 'flexibleTimeWindow.mode' failed to satisfy "
            "constraint: Member must satisfy enum value set: [OFF, FLEXIBLE]"
        )
    minutes = window.get("MaximumWindowInMinutes")
    if mode == "FLEXIBLE" and not (isinstance(minutes, int) and 1 <= minutes <= MAX_WINDOW_MINUTES):
        raise ValidationException(
            "MaximumWindowInMinutes must be between 1 and 1440 when Mode is FLEXIBLE."
        )
    if state not in (None, "ENABLED", "DISABLED"):
        raise ValidationException(
            "1 validation error detected: Value at 'state' failed to satisfy constraint: "
            "Member must satisfy enum value set: [ENABLED, DISABLED]"
        )
    if action_after_completion not in (None, "NONE", "DELETE"):
        raise ValidationException(
            "1 validation error detected: Value at 'actionAfterCompletion' failed to satisfy "
            "constraint: Member must satisfy enum value set: [NONE, DELETE]"
        )
    target = target or {}
    if not ROLE_ARN.match(str(target.get("RoleArn", ""))):
        raise ValidationException(f"Invalid RoleArn {target.get('RoleArn')}.")
    if ":lambda:" in str(target.get("Arn", "")) and "Input" in target:
        try:
            json.loads(target["Input"])
        except (TypeError, ValueError):
            raise ValidationException("Input must be a well-formed JSON.") from None


def _create_checked(original: Any) -> Any:
    def create_schedule(self: EventBridgeSchedulerBackend, **kwargs: Any) -> Any:
        check_schedule(
            kwargs.get("name"),
            kwargs.get("schedule_expression"),
            kwargs.get("schedule_expression_timezone"),
            kwargs.get("flexible_time_window"),
            kwargs.get("state"),
            kwargs.get("target"),
            kwargs.get("action_after_completion"),
        )
        group = kwargs.get("group_name") or "default"
        if group not in self.schedule_groups:
            raise ScheduleGroupNotFound(group)
        _check_role(self.account_id, kwargs.get("target"))
        return original(self, **kwargs)

    return create_schedule


def _update_checked(original: Any) -> Any:
    def update_schedule(self: EventBridgeSchedulerBackend, **kwargs: Any) -> Any:
        check_schedule(
            None,
            kwargs.get("schedule_expression"),
            kwargs.get("schedule_expression_timezone"),
            kwargs.get("flexible_time_window"),
            kwargs.get("state"),
            kwargs.get("target"),
        )
        self.get_schedule(kwargs.get("group_name"), kwargs["name"])  # not found comes first
        _check_role(self.account_id, kwargs.get("target"))
        return original(self, **kwargs)

    return update_schedule


def install() -> None:
    """CreateSchedule and UpdateSchedule as Scheduler answers them (idempotent)."""
    global _installed
    if _installed:
        return
    backend = EventBridgeSchedulerBackend
    wrap(backend, "create_schedule", _create_checked)
    wrap(backend, "update_schedule", _update_checked)
    _installed = True
