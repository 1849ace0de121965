"""EventBridge rules as the scheduler needs them: plain snapshots of the scheduled rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .backends import Backends


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
