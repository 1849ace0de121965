"""EventBridge rules as the scheduler needs them, and PutRule as EventBridge answers it.

`scheduled_rules()` and `find_rule()` hand the scheduler plain snapshots of the rules.
`install()` makes PutRule refuse what moto 5.2.5 lets through and apply only what AWS applies:
- a rate expression whose value is not a positive whole number, or whose unit does not agree
  with it ("If the value is equal to 1, then the unit must be singular. If the value is greater
  than 1, the unit must be plural": `rate(1 minutes)`, `rate(2 minute)`): ValidationException
  "Parameter ScheduleExpression is not valid.", moto's own wording for other bad expressions;
- `Tags` on a rule that exists already: "If you are updating an existing rule, any tags you
  specify in the PutRule operation are ignored" (TagResource and UntagResource change them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from moto.events.exceptions import ValidationException
from moto.events.models import EventsBackend

from .backends import Backends
from .patching import wrap

RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_installed = False


@dataclass(frozen=True)
class RuleSnapshot:
    """A rule's schedule, state and targets at one moment."""

    arn: str
    name: str
    expression: str
    enabled: bool
    targets: list[dict[str, Any]] = field(default_factory=list)


def _snapshot(rule: Any) -> RuleSnapshot:
    return RuleSnapshot(
        arn=rule.arn,
        name=rule.name,
        expression=rule.scheduled_expression or "",
        enabled=str(rule.state).startswith("ENABLED"),
        targets=[dict(target) for target in rule.targets],
    )


def scheduled_rules(backends: Backends) -> list[RuleSnapshot]:
    """Every rule with a ScheduleExpression, on every event bus."""
    with backends.open() as services:
        return [
            _snapshot(rule)
            for bus in services.events.event_buses.values()
            for rule in bus.rules.values()
            if rule.scheduled_expression
        ]


def find_rule(backends: Backends, name: str, event_bus: str = "default") -> RuleSnapshot | None:
    """The rule called `name` on `event_bus`, or None."""
    with backends.open() as services:
        bus = services.events.event_buses.get(event_bus)
        if bus is None or name not in bus.rules:
            return None
        return _snapshot(bus.rules[name])


def schedule_expression_valid(expression: str) -> bool:
    """False for a rate expression EventBridge refuses: not a positive whole number, or a unit
    that does not agree with it in number. Cron expressions are left to moto."""
    if not expression.startswith("rate("):
        return True
    found = RATE.match(expression)
    if found is None:
        return False
    value, unit = int(found.group(1)), found.group(2)
    return value > 0 and unit.endswith("s") == (value > 1)


def _put_rule_checked(original: Any) -> Any:
    def put_rule(self: EventsBackend, name: str, *args: Any, **kwargs: Any) -> Any:
        expression = kwargs.get("scheduled_expression")
        if expression and not schedule_expression_valid(expression):
            raise ValidationException("Parameter ScheduleExpression is not valid.")
        bus = self.event_buses.get(self._normalize_event_bus_arn(kwargs.get("event_bus_arn")))
        if bus is not None and name in bus.rules:
            kwargs["tags"] = None  # an update: AWS ignores Tags
        return original(self, name, *args, **kwargs)

    return put_rule


def install() -> None:
    """PutRule as EventBridge answers it (idempotent)."""
    global _installed
    if _installed:
        return
    wrap(EventsBackend, "put_rule", _put_rule_checked)
    _installed = True
