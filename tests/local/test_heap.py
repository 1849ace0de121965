"""HeapKeeper: what survives a collection is frozen; a thawing round collects everything."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator

import pytest

from infra.local.heap import HeapKeeper


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def test_a_round_freezes_what_survives() -> None:
    """After settle() the objects alive are frozen and a cycle dropped before is collected."""
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    keeper = HeapKeeper(interval=3600)
    keeper.settle()
    assert gc.get_freeze_count() > 0
    assert gc.collect() == 0  # nothing left to find outside the frozen set


class Node:
    """An object that can sit in a cycle and be watched with a weak reference."""

    def __init__(self) -> None:
        self.me = self


def test_a_thawing_round_reclaims_cycles_dropped_after_freezing() -> None:
    """A cycle frozen while alive and dropped later survives plain rounds; a thawing one frees it."""
    keeper = HeapKeeper(interval=3600, thaw_every=3)
    node = Node()
    watch = weakref.ref(node)
    keeper.settle()  # round 1: the cycle is frozen while alive
    del node
    keeper.settle()  # round 2: the frozen cycle is out of sight
    assert watch() is not None
    keeper.settle()  # round 3 thaws first
    assert watch() is None


def test_the_thread_settles_every_interval_until_stopped() -> None:
    """start() settles at once, the thread again each interval; stop() ends it."""
    keeper = HeapKeeper(interval=0.05).start()
    deadline = time.monotonic() + 10
    while keeper.rounds < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    keeper.stop()
    keeper._thread.join(5)
    assert keeper.rounds >= 3 and not keeper._thread.is_alive()
