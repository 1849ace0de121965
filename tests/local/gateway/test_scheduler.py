"""The frame scheduler on its own: no sockets, no event loop, a clock the tests move."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.gateway.limits import GatewayLimits
from infra.local.gateway.scheduler import ConnectionFrames, FrameScheduler


class FakeClock:
    """Monotonic seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def scheduler_with(clock: FakeClock, **limits: Any) -> FrameScheduler:
    return FrameScheduler(GatewayLimits(**limits), clock)


def receive(scheduler: FrameScheduler, frames: ConnectionFrames, *texts: str) -> None:
    for n, text in enumerate(texts):
        scheduler.received(frames, text, 1000 + n)


def started(scheduler: FrameScheduler, frames: ConnectionFrames) -> list[str]:
    """The texts the scheduler lets start now, in the order it starts them."""
    texts = []
    while (frame := scheduler.next_frame(frames)) is not None:
        texts.append(frame[0])
    return texts


def test_a_frame_on_an_idle_connection_starts_at_once(clock: FakeClock) -> None:
    """The first frame of a connection with nothing running starts, with its receive time."""
    scheduler, frames = scheduler_with(clock), ConnectionFrames()
    scheduler.received(frames, "hello", 1234)
    assert scheduler.next_frame(frames) == ("hello", 1234)


def test_a_frame_behind_a_running_one_waits_for_the_overtake_window(clock: FakeClock) -> None:
    """A second frame does not start while the first has run less than `overtake_after`."""
    scheduler, frames = scheduler_with(clock, overtake_after=0.25), ConnectionFrames()
    receive(scheduler, frames, "first", "second")
    assert started(scheduler, frames) == ["first"]
    clock.now += 0.1
    assert started(scheduler, frames) == []
    assert frames.retry_in == pytest.approx(0.15)


def test_a_frame_overtakes_a_slow_one_once_the_window_has_passed(clock: FakeClock) -> None:
    """Once the running frame has run `overtake_after`, the next starts beside it."""
    scheduler, frames = scheduler_with(clock, overtake_after=0.25), ConnectionFrames()
    receive(scheduler, frames, "slow", "quick")
    assert started(scheduler, frames) == ["slow"]
    clock.now += 0.25
    assert started(scheduler, frames) == ["quick"]
    assert frames.running == 2


def test_frames_start_in_the_order_they_came(clock: FakeClock) -> None:
    """Frames that each finish before the next is asked for start in arrival order."""
    scheduler, frames = scheduler_with(clock), ConnectionFrames()
    receive(scheduler, frames, *(f"frame {n}" for n in range(5)))
    order = []
    while (frame := scheduler.next_frame(frames)) is not None:
        order.append(frame[0])
        scheduler.finished(frames)
    assert order == [f"frame {n}" for n in range(5)]


def test_a_finished_frame_lets_the_next_start_at_once(clock: FakeClock) -> None:
    """Within the window, the next frame waits for the running one, not for the clock."""
    scheduler, frames = scheduler_with(clock), ConnectionFrames()
    receive(scheduler, frames, "first", "second")
    assert started(scheduler, frames) == ["first"]
    scheduler.finished(frames)
    assert started(scheduler, frames) == ["second"]


def test_when_busy_a_connection_runs_one_frame_at_a_time(clock: FakeClock) -> None:
    """At `busy_at` integrations in all, a connection with one running waits (no retry timer)."""
    scheduler, frames = scheduler_with(clock, busy_at=2), ConnectionFrames()
    other = ConnectionFrames()
    receive(scheduler, other, "other")
    assert started(scheduler, other) == ["other"]
    receive(scheduler, frames, "first", "second")
    assert started(scheduler, frames) == ["first"]
    clock.now += 10
    assert started(scheduler, frames) == []
    assert frames.retry_in == 0


def test_when_busy_an_idle_connection_still_gets_its_turn(clock: FakeClock) -> None:
    """Past `busy_at`, a connection with nothing running still starts its frame."""
    scheduler, frames = scheduler_with(clock, busy_at=1), ConnectionFrames()
    other = ConnectionFrames()
    receive(scheduler, other, "other")
    assert started(scheduler, other) == ["other"]
    receive(scheduler, frames, "mine")
    assert started(scheduler, frames) == ["mine"]
    assert scheduler.running == 2


def test_a_connection_runs_at_most_its_concurrent_limit(clock: FakeClock) -> None:
    """However long its frames run, a connection has at most `max_concurrent_per_connection`."""
    scheduler = scheduler_with(clock, max_concurrent_per_connection=2, busy_at=100)
    frames = ConnectionFrames()
    receive(scheduler, frames, "a", "b", "c")
    assert started(scheduler, frames) == ["a"]
    clock.now += 1
    assert started(scheduler, frames) == ["b"]
    clock.now += 1
    assert started(scheduler, frames) == []
    assert frames.retry_in == 0


def test_too_many_waiting_frames_pause_the_connection_until_half_have_started(
    clock: FakeClock,
) -> None:
    """Past `max_queued_per_connection` waiting, the connection is paused; at half, resumed."""
    scheduler, frames = scheduler_with(clock, max_queued_per_connection=4), ConnectionFrames()
    receive(scheduler, frames, *(str(n) for n in range(6)))
    paused = []
    for _ in range(4):
        started(scheduler, frames)
        paused.append((len(frames.waiting), frames.paused))
        scheduler.finished(frames)
    assert paused == [(5, True), (4, True), (3, True), (2, False)]


def test_a_connection_settles_when_nothing_waits_or_runs(clock: FakeClock) -> None:
    """`settled` (what a $disconnect waits for) holds only once every frame has finished."""
    scheduler, frames = scheduler_with(clock), ConnectionFrames()
    assert frames.settled
    receive(scheduler, frames, "first", "second")
    started(scheduler, frames)
    assert not frames.settled
    scheduler.finished(frames)
    started(scheduler, frames)
    assert not frames.settled
    scheduler.finished(frames)
    assert frames.settled and scheduler.running == 0


def test_limits_changed_on_the_fly_count_at_the_next_decision(clock: FakeClock) -> None:
    """The scheduler reads its limits at each decision: a wider window holds the next frame."""
    scheduler, frames = scheduler_with(clock, overtake_after=0.25), ConnectionFrames()
    receive(scheduler, frames, "slow", "quick")
    started(scheduler, frames)
    scheduler.limits.overtake_after = 0.5
    clock.now += 0.3
    assert started(scheduler, frames) == []
    assert frames.retry_in == pytest.approx(0.2)
