"""EventBridge scheduled rules (``rate(...)`` and ``cron(...)``) that invoke Lambda targets.

Rules live in moto's events backend. The scheduler thread sleeps on a ``threading.Event`` until
the next due time; ``notify_changed()`` (called by the edge after PutRule, PutTargets,
EnableRule, DisableRule, DeleteRule) wakes it to re-read the rules. As a safety net it also
re-reads them every ``max_wait`` seconds.

As AWS: schedules are in UTC; a rate rule first fires one period after it was created (here:
after the scheduler first saw it); a target's constant ``Input`` replaces the event; disabled
rules don't fire; fires missed while the process was busy are not replayed.

AWS cron is ``cron(minutes hours day-of-month month day-of-week year)`` with day-of-week 1-7 =
SUN-SAT, ``?``, ``L``, ``W`` and ``#``. It is translated to croniter's 5-field syntax, the year
filtered separately. Not supported: ``LW`` (last weekday of the month), target ``InputPath`` and
``InputTransformer`` (the default event is sent instead, with a warning), non-Lambda targets.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from croniter import croniter

from infra.local.aws import events
from infra.local.aws.events import RuleSnapshot
from infra.local.sources import CloudFacade, InvokeResult

log = logging.getLogger(__name__)

DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]  # AWS numbers them 1-7
FIRST_YEAR, LAST_YEAR = 1970, 2199
RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
CRON = re.compile(r"^cron\((.*)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class Schedule(Protocol):
    def next_after(self, anchor: datetime, after: datetime) -> datetime | None:
        """The first due time strictly after ``after`` (``anchor`` = when the rule appeared)."""
        ...


@dataclass(frozen=True)
class RateSchedule:
    period: timedelta

    def next_after(self, anchor: datetime, after: datetime) -> datetime | None:
        periods = max(1, math.floor((after - anchor) / self.period) + 1)
        return anchor + periods * self.period


@dataclass(frozen=True)
class CronSchedule:
    expression: str  # croniter's 5 fields
    years: frozenset[int] | None  # None = every year

    def next_after(self, anchor: datetime, after: datetime) -> datetime | None:
        start = after
        while True:
            candidate: datetime = croniter(self.expression, start).get_next(datetime)
            if self.years is None or candidate.year in self.years:
                return candidate
            later = [y for y in self.years if y > candidate.year]
            if not later:
                return None
            start = datetime(min(later), 1, 1, tzinfo=UTC) - timedelta(seconds=1)


def parse_schedule(expression: str) -> RateSchedule | CronSchedule:
    """Parse an EventBridge ScheduleExpression; ValueError if it is not one we can run."""
    expression = expression.strip()
    if rate := RATE.match(expression):
        value = int(rate.group(1))
        if value <= 0:
            raise ValueError(f"rate must be positive: {expression}")
        unit = rate.group(2).removesuffix("s")
        return RateSchedule(timedelta(seconds=value * UNIT_SECONDS[unit]))
    if cron := CRON.match(expression):
        return aws_cron(cron.group(1))
    raise ValueError(f"not a schedule expression: {expression!r}")


def aws_cron(fields_text: str) -> CronSchedule:
    """Translate AWS's 6-field cron into croniter's 5 fields plus a year filter."""
    fields = fields_text.split()
    if len(fields) != 6:
        raise ValueError(f"AWS cron needs 6 fields, got {len(fields)}: {fields_text!r}")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError("exactly one of day-of-month and day-of-week must be '?'")
    if "LW" in day_of_month.upper():
        raise ValueError("'LW' (last weekday of the month) is not supported locally")
    day_of_month = "*" if day_of_month == "?" else day_of_month
    day_of_week = "*" if day_of_week == "?" else _day_of_week(day_of_week)
    expression = " ".join([minutes, hours, day_of_month, month, day_of_week])
    if not croniter.is_valid(expression):
        raise ValueError(f"invalid cron expression: cron({fields_text})")
    return CronSchedule(expression, _years(year))


def _day_number(token: str) -> str:
    """AWS day 1-7 (SUN-SAT) -> croniter day 0-6; names stay names."""
    if token.isdigit():
        number = int(token)
        if not 1 <= number <= 7:
            raise ValueError(f"day-of-week must be 1-7: {token}")
        return str(number - 1)
    if token.upper() in DAY_NAMES:
        return token
    raise ValueError(f"bad day-of-week: {token}")


def _day_of_week(field: str) -> str:
    parts = []
    for part in field.split(","):
        upper = part.upper()
        if upper == "*" or upper.startswith("*/"):
            parts.append(part)
        elif upper == "L":
            parts.append("6")  # the last day of the week: Saturday
        elif upper.endswith("L"):  # "5L" = the last Thursday of the month
            day = _day_number(part[:-1])
            number = day if day.isdigit() else str(DAY_NAMES.index(day.upper()))
            parts.append(f"L{number}")
        elif "#" in part:  # "3#2" = the second Tuesday of the month
            day, nth = part.split("#", 1)
            parts.append(f"{_day_number(day)}#{nth}")
        else:
            base, slash, step = part.partition("/")
            days = "-".join(_day_number(d) for d in base.split("-"))
            parts.append(days + slash + step)
    return ",".join(parts)


def _years(field: str) -> frozenset[int] | None:
    if field == "*":
        return None
    years: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = FIRST_YEAR, LAST_YEAR
        elif "-" in base:
            first, last = (int(y) for y in base.split("-", 1))
        else:
            first = int(base)
            last = LAST_YEAR if step_text else first
        years.update(range(first, last + 1, step))
    return frozenset(years)


def scheduled_event(rule_arn: str, account_id: str, region: str, when: datetime) -> dict[str, Any]:
    """The event EventBridge sends to a scheduled rule's targets."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


@dataclass
class _Timer:
    expression: str
    schedule: RateSchedule | CronSchedule | None  # None: the expression could not be parsed
    anchor: datetime
    next_due: datetime | None


class Scheduler:
    """Fires scheduled EventBridge rules at Lambda targets."""

    def __init__(
        self,
        cloud: CloudFacade,
        *,
        clock: Callable[[], float] = time.time,
        max_wait: float = 10.0,
    ) -> None:
        self.cloud = cloud
        self.clock = clock
        self.max_wait = max_wait
        self._timers: dict[str, _Timer] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick_lock = threading.Lock()

    def start(self) -> None:
        """Take note of the existing rules now, then run in a daemon thread."""
        self._stopping.clear()
        self.tick()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def notify_changed(self) -> None:
        """Rules or targets changed (or the clock moved): re-read them now."""
        self._wake.set()

    def fire_now(self, rule_name: str, event_bus: str = "default") -> list[InvokeResult]:
        """Invoke the rule's Lambda targets right away with a scheduled event, whatever its
        schedule or state (handy in tests and notebooks). KeyError if there is no such rule."""
        rule = events.find_rule(self.cloud.backends, rule_name, event_bus)
        if rule is None:
            raise KeyError(f"no rule {rule_name!r} on event bus {event_bus!r}")
        now = datetime.fromtimestamp(self.clock(), UTC).replace(microsecond=0)
        return self._fire(rule, now)

    def tick(self) -> list[InvokeResult]:
        """Fire every enabled rule that is due now; returns the invocation results."""
        with self._tick_lock:
            now = datetime.fromtimestamp(self.clock(), UTC)
            due: list[tuple[RuleSnapshot, datetime]] = []
            for rule in self._read_rules():
                timer = self._timer_for(rule, now)
                if timer.schedule is None or timer.next_due is None or timer.next_due > now:
                    continue
                if rule.enabled:
                    due.append((rule, timer.next_due))
                timer.next_due = timer.schedule.next_after(timer.anchor, now)
        results: list[InvokeResult] = []
        for rule, when in due:
            results += self._fire(rule, when)
        return results

    def seconds_until_next_due(self) -> float:
        """How long the thread may sleep: until the next due time, at most ``max_wait``."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        with self._tick_lock:
            dues = [t.next_due for t in self._timers.values() if t.next_due is not None]
        if not dues:
            return self.max_wait
        return max(0.0, min(self.max_wait, (min(dues) - now).total_seconds()))

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            self._wake.wait(self.seconds_until_next_due())

    def _read_rules(self) -> list[RuleSnapshot]:
        rules = events.scheduled_rules(self.cloud.backends)
        live = {rule.arn for rule in rules}
        for arn in list(self._timers):
            if arn not in live:
                del self._timers[arn]
        return rules

    def _timer_for(self, rule: RuleSnapshot, now: datetime) -> _Timer:
        timer = self._timers.get(rule.arn)
        if timer is None or timer.expression != rule.expression:
            try:
                schedule: RateSchedule | CronSchedule | None = parse_schedule(rule.expression)
            except ValueError as error:
                log.warning("rule %s: %s", rule.name, error)
                schedule = None
            next_due = schedule.next_after(now, now) if schedule else None
            timer = _Timer(rule.expression, schedule, anchor=now, next_due=next_due)
            self._timers[rule.arn] = timer
        return timer

    def _fire(self, rule: RuleSnapshot, when: datetime) -> list[InvokeResult]:
        results = []
        for target in rule.targets:
            arn = target.get("Arn", "")
            if ":lambda:" not in arn:
                log.info("rule %s: target %s is not a Lambda function; skipped", rule.name, arn)
                continue
            if "InputPath" in target or "InputTransformer" in target:
                log.warning("rule %s: InputPath/InputTransformer are not supported", rule.name)
            if "Input" in target:
                event = json.loads(target["Input"])
            else:
                event = scheduled_event(rule.arn, self.cloud.account_id, self.cloud.region, when)
            try:
                results.append(self.cloud.invoke(arn, event))
            except Exception:
                log.exception("rule %s: invoking %s failed", rule.name, arn)
        return results
