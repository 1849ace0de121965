"""EventBridge scheduled rules and EventBridge Scheduler schedules that invoke Lambda targets.

Rules live in moto's events backend, schedules in its scheduler backend; one loop runs both. The
scheduler thread sleeps on a ``threading.Event`` until the next due time; ``notify_changed()``
wakes it to re-read them, and so does ``on_change``, which the local cloud makes a listener on
``Backends.changed``: after every write to EventBridge or Scheduler (and after a restore). As a
safety net it also re-reads them every ``max_wait`` seconds.

Schedules, as Scheduler runs them: ``rate()`` (a minute at least), ``cron()`` in the schedule's
``ScheduleExpressionTimezone``, one-time ``at()`` (fired at its time, so within its minute);
``FlexibleTimeWindow`` FLEXIBLE fires at a random moment of the window after each due time;
DISABLED schedules don't fire; StartDate and EndDate bound the fires. The target is invoked only
when the schedule's role trusts ``scheduler.amazonaws.com`` and allows ``lambda:InvokeFunction``
on it (IAM's verdict, as for any role); otherwise nothing is invoked and a warning is logged, as
AWS counts a failed attempt. The target gets its ``Input`` with Scheduler's context attributes
(``<aws.scheduler.scheduled-time>`` ...) filled in, or ``{}``. After a one-time schedule ran,
``ActionAfterCompletion: DELETE`` deletes it. Not supported: retries and dead-letter queues,
non-Lambda targets.

Scheduled rules (EventBridge's legacy way), as EventBridge runs them: in UTC; a rate rule first
fires one period after it was created (here: after the scheduler first saw it, as for a rate
schedule); a target's constant ``Input`` replaces the scheduled event; disabled rules don't fire.
Fires missed while the process was busy or stopped are not replayed, for rules or schedules.

AWS cron is ``cron(minutes hours day-of-month month day-of-week year)`` with day-of-week 1-7 =
SUN-SAT, ``?``, ``L``, ``W`` and ``#``. It is translated to croniter's 5-field syntax, the year
filtered separately. Not supported: ``LW`` (last weekday of the month), target ``InputPath`` and
``InputTransformer`` (the default event is sent instead, with a warning), non-Lambda targets.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from croniter import croniter

from infra.local.aws import events
from infra.local.aws import scheduler as aws_scheduler
from infra.local.aws.backends import ALL_SERVICES, Backends
from infra.local.aws.events import RuleSnapshot
from infra.local.aws.scheduler import ScheduleSnapshot
from infra.local.sources import Invoke
from infra.local.vocabulary import AwsError, InvokeResult

log = logging.getLogger(__name__)

DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]  # AWS numbers them 1-7
FIRST_YEAR, LAST_YEAR = 1970, 2199
RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
CRON = re.compile(r"^cron\((.*)\)$")
AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
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
    zone: ZoneInfo = ZoneInfo("UTC")  # where the fields' hours and days are counted

    def next_after(self, anchor: datetime, after: datetime) -> datetime | None:
        start = after.astimezone(self.zone)
        while True:
            candidate: datetime = croniter(self.expression, start).get_next(datetime)
            if self.years is None or candidate.year in self.years:
                return candidate.astimezone(UTC)
            later = [y for y in self.years if y > candidate.year]
            if not later:
                return None
            start = datetime(min(later), 1, 1, tzinfo=self.zone) - timedelta(seconds=1)


@dataclass(frozen=True)
class OneTimeSchedule:
    when: datetime  # at(...): once, at this moment

    def next_after(self, anchor: datetime, after: datetime) -> datetime | None:
        return self.when if self.when > after else None


Parsed = RateSchedule | CronSchedule | OneTimeSchedule


def parse_schedule(expression: str, timezone: str = "UTC") -> Parsed:
    """Parse a ScheduleExpression (a rule's or a schedule's, whose cron() and at() count in
    `timezone`); ValueError if it is not one we can run."""
    expression = expression.strip()
    if rate := RATE.match(expression):
        value = int(rate.group(1))
        if value <= 0:
            raise ValueError(f"rate must be positive: {expression}")
        unit = rate.group(2).removesuffix("s")
        return RateSchedule(timedelta(seconds=value * UNIT_SECONDS[unit]))
    if cron := CRON.match(expression):
        return replace(aws_cron(cron.group(1)), zone=ZoneInfo(timezone))
    if at := AT.match(expression):
        local = datetime.fromisoformat(at.group(1)).replace(tzinfo=ZoneInfo(timezone))
        return OneTimeSchedule(local.astimezone(UTC))
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


def scheduler_input(text: str, schedule_arn: str, when: datetime, execution_id: str) -> str:
    """A schedule's Input with Scheduler's context attributes filled in."""
    values = {
        "schedule-arn": schedule_arn,
        "scheduled-time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "execution-id": execution_id,
        "attempt-number": "1",
    }
    for name, value in values.items():
        text = text.replace(f"<aws.scheduler.{name}>", value)
    return text


@dataclass(frozen=True)
class _Job:
    """A rule or a schedule, as the loop sees either."""

    arn: str
    name: str
    expression: str
    enabled: bool
    timezone: str = "UTC"
    window_minutes: int = 0  # a schedule's FlexibleTimeWindow (0: OFF)
    start: datetime | None = None  # a schedule's StartDate and EndDate
    end: datetime | None = None
    rule: RuleSnapshot | None = None
    schedule: ScheduleSnapshot | None = None

    @classmethod
    def of_rule(cls, rule: RuleSnapshot) -> _Job:
        return cls(rule.arn, rule.name, rule.expression, rule.enabled, rule=rule)

    @classmethod
    def of_schedule(cls, schedule: ScheduleSnapshot) -> _Job:
        return cls(
            schedule.arn,
            schedule.name,
            schedule.expression,
            schedule.enabled,
            timezone=schedule.timezone,
            window_minutes=schedule.window_minutes,
            start=schedule.start,
            end=schedule.end,
            schedule=schedule,
        )

    @property
    def timing_key(self) -> tuple[Any, ...]:
        """What the due times depend on: a change re-reads the expression."""
        return (self.expression, self.timezone, self.window_minutes, self.start)

    def runs_at(self, when: datetime) -> bool:
        """Whether `when` is within the schedule's StartDate and EndDate."""
        return (self.start is None or when >= self.start) and (self.end is None or when <= self.end)


@dataclass
class _Timer:
    key: tuple[Any, ...]
    schedule: Parsed | None  # None: the expression could not be parsed
    anchor: datetime
    next_due: datetime | None  # the time the expression names
    fire_at: datetime | None  # next_due, later by a random part of a flexible window


class Scheduler:
    """Fires scheduled EventBridge rules and EventBridge Scheduler schedules at Lambda targets."""

    def __init__(
        self,
        backends: Backends,
        invoke: Invoke,
        *,
        clock: Callable[[], float] = time.time,
        max_wait: float = 10.0,
        check_roles: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        self.backends = backends
        self.invoke = invoke  # the invoker's, from this thread
        self.clock = clock
        self.max_wait = max_wait
        self.check_roles = check_roles  # a schedule's role must let Scheduler invoke its target
        self.random = rng or random.Random()
        self.refusals: dict[str, str] = {}  # schedule ARN -> why its last fire invoked nothing
        self._timers: dict[str, _Timer] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick_lock = threading.Lock()

    def start(self) -> None:
        """Take note of the existing rules and schedules now, then run in a daemon thread."""
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
        """Rules, targets or schedules changed (or the clock moved): re-read them now."""
        self._wake.set()

    def on_change(self, service: str) -> None:
        """A listener on `Backends.changed`: a write to EventBridge or Scheduler (or to every
        service: a restore) wakes the thread."""
        if service in ("events", "scheduler", ALL_SERVICES):
            self._wake.set()

    def fire_now(self, rule_name: str, event_bus: str = "default") -> list[InvokeResult]:
        """Invoke the rule's Lambda targets right away with a scheduled event, whatever its
        schedule or state (handy in tests and notebooks). KeyError if there is no such rule."""
        rule = events.find_rule(self.backends, rule_name, event_bus)
        if rule is None:
            raise KeyError(f"no rule {rule_name!r} on event bus {event_bus!r}")
        return self._fire_rule(rule, self._now())

    def fire_schedule_now(self, name: str, group: str = "default") -> list[InvokeResult]:
        """Invoke the schedule's target right away, whatever its expression or state, with its
        role checked as when it fires. KeyError if there is no such schedule, PermissionError
        when its role does not let Scheduler invoke the target."""
        schedule = aws_scheduler.find_schedule(self.backends, name, group)
        if schedule is None:
            raise KeyError(f"no schedule {name!r} in schedule group {group!r}")
        problem = self._role_problem(schedule)
        if problem is not None:
            raise PermissionError(problem)
        return self._fire_schedule(schedule, self._now(), completes=False)

    def tick(self) -> list[InvokeResult]:
        """Fire every enabled rule and schedule that is due now; returns the results."""
        with self._tick_lock:
            now = datetime.fromtimestamp(self.clock(), UTC)
            due: list[tuple[_Job, datetime]] = []
            for job in self._read_jobs():
                timer = self._timer_for(job, now)
                if timer.schedule is None or timer.fire_at is None or timer.fire_at > now:
                    continue
                if job.enabled and timer.next_due is not None and job.runs_at(timer.next_due):
                    due.append((job, timer.next_due))
                timer.next_due = timer.schedule.next_after(timer.anchor, now)
                timer.fire_at = self._fire_time(job, timer.next_due)
        results: list[InvokeResult] = []
        for job, when in due:
            if job.rule is not None:
                results += self._fire_rule(job.rule, when)
            elif job.schedule is not None:
                results += self._fire_schedule(job.schedule, when)
        return results

    def seconds_until_next_due(self) -> float:
        """How long the thread may sleep: until the next due time, at most ``max_wait``."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        with self._tick_lock:
            dues = [t.fire_at for t in self._timers.values() if t.fire_at is not None]
        if not dues:
            return self.max_wait
        return max(0.0, min(self.max_wait, (min(dues) - now).total_seconds()))

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC).replace(microsecond=0)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            self._wake.wait(self.seconds_until_next_due())

    def _read_jobs(self) -> list[_Job]:
        jobs = [_Job.of_rule(rule) for rule in events.scheduled_rules(self.backends)]
        jobs += [_Job.of_schedule(s) for s in aws_scheduler.schedules(self.backends)]
        live = {job.arn for job in jobs}
        for arn in list(self._timers):
            if arn not in live:
                del self._timers[arn]
        return jobs

    def _timer_for(self, job: _Job, now: datetime) -> _Timer:
        timer = self._timers.get(job.arn)
        if timer is None or timer.key != job.timing_key:
            try:
                schedule: Parsed | None = parse_schedule(job.expression, job.timezone)
            except ValueError as error:
                log.warning("%s: %s", job.name, error)
                schedule = None
            anchor = now if job.start is None or job.start > now else job.start
            next_due = schedule.next_after(anchor, now) if schedule else None
            fire_at = self._fire_time(job, next_due)
            timer = _Timer(job.timing_key, schedule, anchor, next_due, fire_at)
            self._timers[job.arn] = timer
        return timer

    def _fire_time(self, job: _Job, due: datetime | None) -> datetime | None:
        """When to fire for `due`: at once, or at a random moment of a flexible window."""
        if due is None or job.window_minutes <= 0:
            return due
        return due + timedelta(seconds=self.random.uniform(0, job.window_minutes * 60))

    def _fire_rule(self, rule: RuleSnapshot, when: datetime) -> list[InvokeResult]:
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
                event = scheduled_event(
                    rule.arn, self.backends.account_id, self.backends.region, when
                )
            try:
                results.append(self.invoke(arn, event))
            except AwsError as refusal:  # Lambda said no (Pending, say): one line, no traceback
                log.warning("rule %s: %s refused: %s", rule.name, arn, refusal)
            except Exception:
                log.exception("rule %s: invoking %s failed", rule.name, arn)
        return results

    def _role_problem(self, schedule: ScheduleSnapshot) -> str | None:
        if not self.check_roles:
            return None
        target = schedule.target
        return aws_scheduler.role_problem(
            self.backends, str(target.get("RoleArn", "")), str(target.get("Arn", ""))
        )

    def _fire_schedule(
        self, schedule: ScheduleSnapshot, when: datetime, *, completes: bool = True
    ) -> list[InvokeResult]:
        """Invoke the schedule's target with its role, as Scheduler does; then, when this run
        `completes` a one-time schedule with ActionAfterCompletion DELETE, delete it."""
        results: list[InvokeResult] = []
        arn = str(schedule.target.get("Arn", ""))
        problem = self._role_problem(schedule)
        if ":lambda:" not in arn:
            log.info("schedule %s: target %s is not a Lambda function; skipped", schedule.name, arn)
        elif problem is not None:
            log.warning("schedule %s: nothing invoked: %s", schedule.name, problem)
            self.refusals[schedule.arn] = problem
        else:
            self.refusals.pop(schedule.arn, None)
            text = schedule.target.get("Input")
            event = (
                json.loads(scheduler_input(text, schedule.arn, when, uuid.uuid4().hex[:16]))
                if text is not None
                else {}
            )
            try:
                results.append(self.invoke(arn, event))
            except AwsError as refusal:  # Lambda said no (Pending, say): one line, no traceback
                log.warning("schedule %s: %s refused: %s", schedule.name, arn, refusal)
            except Exception:
                log.exception("schedule %s: invoking %s failed", schedule.name, arn)
        if completes and schedule.one_time and schedule.delete_after_completion:
            aws_scheduler.delete_schedule(self.backends, schedule.name, schedule.group)
        return results
