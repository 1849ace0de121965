"""The push app (lambdas/push) deployed onto a local cloud: a schedule's Lambda speaks first."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect

from infra.deploy import deploy_app, fire, teardown
from infra.local.cloud import LocalCloud
from tests.apps.helpers import Frame, receive

SCHEDULE = "push-schedule"  # deploy_plan names it f"{app}-schedule"


@pytest.fixture(scope="module")
def push_url(cloud: LocalCloud) -> Iterator[str]:
    """The push stage's WebSocket URL, deployed once for the module."""
    yield deploy_app("push")
    teardown("push")


def test_a_client_receives_the_scheduled_message(push_url: str) -> None:
    """Firing the push schedule posts a `push` frame, stamped with the event's time, to a client."""

    async def scenario() -> tuple[list[dict[str, object]], Frame]:
        async with connect(f"{push_url}?name=ada") as ada:
            results = await asyncio.to_thread(fire, SCHEDULE)
            return results, await receive(ada)

    results, frame = asyncio.run(scenario())
    assert frame["type"] == "push"
    assert frame["text"] == "Hello from a scheduled Lambda"
    assert frame["at"].endswith("Z")
    [pushed] = results
    assert (pushed["function"], pushed["error"]) == ("push-broadcast", None)
    assert pushed["response"]["sent"] >= 1


def test_the_schedule_itself_pushes_a_minute_later(cloud: LocalCloud, push_url: str) -> None:
    """No fire: a minute on the scheduler's clock, and Scheduler runs push-broadcast with its role."""
    from tests.local.sources.test_schedules import FakeClock

    scheduler = cloud.scheduler
    real_clock = scheduler.clock
    clock = FakeClock(real_clock())

    async def scenario() -> Frame:
        async with connect(f"{push_url}?name=grace") as grace:
            scheduler.clock = clock
            await asyncio.to_thread(scheduler.tick)  # the schedule's first minute starts now
            clock.advance(60)
            await asyncio.to_thread(scheduler.tick)
            return await receive(grace)

    try:
        frame = asyncio.run(scenario())
    finally:
        scheduler.clock = real_clock
        scheduler.notify_changed()
    assert frame["type"] == "push"
    assert frame["text"] == "Hello from a scheduled Lambda"
    assert scheduler.refusals == {}  # push-scheduler-role let Scheduler invoke the function
