"""EventBridge scheduled rules -> Lambda."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from infra.local.sources.schedules import Scheduler, aws_cron, parse_schedule

if TYPE_CHECKING:
    from conftest import FakeCloud

T0 = datetime(2026, 11, 22, 1, 30, 0, tzinfo=UTC).timestamp()


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def scheduler(cloud: FakeCloud, clock: FakeClock) -> Scheduler:
    return Scheduler(cloud.backends, cloud.invoke, clock=clock)


def make_rule(
    cloud: FakeCloud,
    function_arn: str,
    expression: str = "rate(1 minute)",
    name: str = "tick",
    **target: Any,
) -> str:
    events = boto3.client("events")
    with cloud.backend_lock:
        arn = events.put_rule(Name=name, ScheduleExpression=expression)["RuleArn"]
        events.put_targets(Rule=name, Targets=[{"Id": "fn", "Arn": function_arn, **target}])
    return arn


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def next_times(expression: str, start: str, count: int = 3) -> list[str]:
    schedule = parse_schedule(expression)
    when = utc(start)
    times = []
    for _ in range(count):
        next_due = schedule.next_after(when, when)
        assert next_due is not None
        times.append(next_due.strftime("%a %Y-%m-%d %H:%M"))
        when = next_due
    return times


def test_fire_now_sends_the_scheduled_event_shape(
    cloud: FakeCloud, function_arn: str, scheduler: Scheduler
):
    """fire_now invokes the target with EventBridge's Scheduled Event."""
    rule_arn = make_rule(cloud, function_arn)
    [result] = scheduler.fire_now("tick")
    assert result.function_error is None
    [(target, event)] = cloud.calls
    assert target == function_arn
    assert event.keys() == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert event["version"] == "0"
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert event["time"] == "2026-11-22T01:30:00Z"
    assert event["resources"] == [rule_arn]
    assert event["detail"] == {}


def test_target_input_replaces_the_event(cloud: FakeCloud, function_arn: str, scheduler: Scheduler):
    """A target's constant Input is what the function receives."""
    make_rule(cloud, function_arn, Input=json.dumps({"action": "sweep"}))
    scheduler.fire_now("tick")
    assert cloud.events() == [{"action": "sweep"}]


def test_fire_now_of_an_unknown_rule_raises(cloud: FakeCloud, scheduler: Scheduler):
    """Naming a rule that does not exist is a KeyError."""
    with pytest.raises(KeyError):
        scheduler.fire_now("nope")


def test_rate_rule_fires_one_period_after_creation(
    cloud: FakeCloud, function_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """rate(1 minute): nothing at 59 s, one fire at 60 s, the next at 120 s."""
    make_rule(cloud, function_arn)
    assert scheduler.tick() == []
    clock.advance(59)
    assert scheduler.tick() == []
    clock.advance(1)
    assert len(scheduler.tick()) == 1
    clock.advance(30)
    assert scheduler.tick() == []
    clock.advance(30)
    assert len(scheduler.tick()) == 1
    assert [e["time"] for e in cloud.events()] == ["2026-11-22T01:31:00Z", "2026-11-22T01:32:00Z"]


def test_disabled_rule_does_not_fire(
    cloud: FakeCloud, function_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """A DISABLED rule stays silent when due."""
    make_rule(cloud, function_arn)
    with cloud.backend_lock:
        boto3.client("events").disable_rule(Name="tick")
    scheduler.tick()
    clock.advance(120)
    assert scheduler.tick() == []
    assert cloud.calls == []


def test_cron_rule_fires_at_its_minute(
    cloud: FakeCloud, function_arn: str, scheduler: Scheduler, clock: FakeClock
):
    """cron(35 * * * ? *) fires at minute 35 with that time in the event."""
    make_rule(cloud, function_arn, expression="cron(35 * * * ? *)")
    scheduler.tick()
    clock.advance(4 * 60)
    assert scheduler.tick() == []
    clock.advance(60)
    assert len(scheduler.tick()) == 1
    assert cloud.events()[0]["time"] == "2026-11-22T01:35:00Z"


def test_seconds_until_next_due_is_capped(cloud: FakeCloud, function_arn: str, clock: FakeClock):
    """The thread sleeps until the next due time, never longer than max_wait."""
    make_rule(cloud, function_arn, expression="rate(5 minutes)")
    scheduler = Scheduler(cloud.backends, cloud.invoke, clock=clock, max_wait=1000)
    scheduler.tick()
    assert scheduler.seconds_until_next_due() == 300
    assert (
        Scheduler(cloud.backends, cloud.invoke, clock=clock, max_wait=10).seconds_until_next_due()
        == 10
    )


def test_running_scheduler_fires_when_woken_after_the_due_time(
    cloud: FakeCloud, function_arn: str, clock: FakeClock
):
    """The background thread fires a due rule once notify_changed() wakes it."""
    make_rule(cloud, function_arn)
    scheduler = Scheduler(cloud.backends, cloud.invoke, clock=clock, max_wait=30)
    scheduler.start()
    try:
        clock.advance(60)
        scheduler.notify_changed()
        cloud.wait_for_calls(1)
    finally:
        scheduler.stop()
    assert cloud.events()[0]["time"] == "2026-11-22T01:31:00Z"


@pytest.fixture
def stopped_scheduler(cloud: FakeCloud) -> Iterator[Scheduler]:
    scheduler = Scheduler(cloud.backends, cloud.invoke)
    yield scheduler
    scheduler.stop()


def test_stop_returns_promptly(stopped_scheduler: Scheduler):
    """stop() wakes the sleeping thread and joins it."""
    stopped_scheduler.start()
    stopped_scheduler.stop()
    assert stopped_scheduler._thread is not None
    assert not stopped_scheduler._thread.is_alive()


def test_rate_units_parse():
    """rate() accepts minute(s), hour(s) and day(s)."""
    assert parse_schedule("rate(1 minute)").period.total_seconds() == 60  # type: ignore[union-attr]
    assert parse_schedule("rate(2 hours)").period.total_seconds() == 7200  # type: ignore[union-attr]
    assert parse_schedule("rate(1 day)").period.total_seconds() == 86400  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", ["rate(0 minutes)", "rate(5 seconds)", "every 5 minutes"])
def test_bad_expressions_are_rejected(bad: str):
    """Zero rates, unknown units and free text are ValueErrors."""
    with pytest.raises(ValueError):
        parse_schedule(bad)


def test_cron_day_of_week_counts_sunday_as_one():
    """AWS day-of-week 2-6 is Monday to Friday."""
    times = next_times("cron(0 10 ? * 2-6 *)", "2026-11-20T12:00:00", count=3)
    assert times == ["Mon 2026-11-23 10:00", "Tue 2026-11-24 10:00", "Wed 2026-11-25 10:00"]


def test_cron_named_days_and_months():
    """Names like MON-FRI and JAN work."""
    assert next_times("cron(0 8 ? JAN MON *)", "2026-11-20T00:00:00", count=1) == [
        "Mon 2027-01-04 08:00"
    ]


def test_cron_last_day_of_month():
    """L in day-of-month is the month's last day."""
    assert next_times("cron(0 0 L * ? *)", "2026-11-20T00:00:00", count=2) == [
        "Mon 2026-11-30 00:00",
        "Thu 2026-12-31 00:00",
    ]


def test_cron_last_weekday_of_month_in_day_of_week():
    """5L in day-of-week is the last Thursday of the month."""
    assert next_times("cron(0 0 ? * 5L *)", "2026-11-01T00:00:00", count=1) == [
        "Thu 2026-11-26 00:00"
    ]


def test_cron_nth_weekday():
    """3#2 is the second Tuesday of the month."""
    assert next_times("cron(0 9 ? * 3#2 *)", "2026-11-01T00:00:00", count=1) == [
        "Tue 2026-11-10 09:00"
    ]


def test_cron_nearest_weekday():
    """14W is the weekday nearest the 14th (Friday 13 when the 14th is a Saturday)."""
    assert next_times("cron(0 9 14W * ? *)", "2026-11-01T00:00:00", count=1) == [
        "Fri 2026-11-13 09:00"
    ]


def test_cron_year_field_limits_fires():
    """The sixth field restricts years; none left means no more fires."""
    assert next_times("cron(0 0 1 1 ? 2028)", "2026-11-01T00:00:00", count=1) == [
        "Sat 2028-01-01 00:00"
    ]
    schedule = parse_schedule("cron(0 0 1 1 ? 2025)")
    assert schedule.next_after(utc("2026-01-01T00:00:00"), utc("2026-01-01T00:00:00")) is None


@pytest.mark.parametrize(
    "bad",
    ["0 10 1 * 2 *", "0 10 ? * ? *", "0 10 * *", "0 10 LW * ? *", "0 10 ? * 8 *"],
)
def test_unsupported_or_invalid_cron_is_rejected(bad: str):
    """Both or neither '?', wrong field counts, LW and day 8 are ValueErrors."""
    with pytest.raises(ValueError):
        aws_cron(bad)
