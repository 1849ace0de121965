"""When the saver saves: soon after a change, never more often than its interval, not when idle."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from infra.local.state.saver import Saver


class Changes:
    """A revision counter, and a save that records when it ran and what it saw."""

    def __init__(self) -> None:
        self.revision = 0
        self.saves: list[tuple[float, int]] = []
        self.failing = False
        self.saved = threading.Event()

    def change(self) -> None:
        self.revision += 1

    def save(self) -> int:
        if self.failing:
            raise OSError(28, "No space left on device")
        seen = self.revision
        self.saves.append((time.monotonic(), seen))
        self.saved.set()
        return seen


@pytest.fixture
def changes() -> Changes:
    return Changes()


@pytest.fixture
def saver(changes: Changes) -> Iterator[Saver]:
    saver = Saver(changes.save, lambda: changes.revision, interval=0.2, poll=0.01)
    saver.start()
    yield saver
    saver.stop()


def test_a_change_is_saved_within_interval_and_poll(changes: Changes, saver: Saver) -> None:
    """One change is on disk within the interval plus a poll."""
    changed_at = time.monotonic()
    changes.change()
    assert changes.saved.wait(2)
    assert changes.saves[0][0] - changed_at < saver.interval + 0.1
    assert changes.saves[0][1] == 1


def test_an_idle_cloud_writes_nothing(changes: Changes, saver: Saver) -> None:
    """No change, no save."""
    time.sleep(0.3)
    assert changes.saves == []


def test_constant_changes_are_saved_at_most_once_an_interval(
    changes: Changes, saver: Saver
) -> None:
    """A busy cloud is saved about every interval, never more often."""
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        changes.change()
        time.sleep(0.005)
    starts = [at for at, _ in changes.saves]
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert 3 <= len(starts) <= 6
    assert min(gaps) >= saver.interval * 0.95


def test_stop_saves_the_last_changes(changes: Changes) -> None:
    """A clean stop saves what changed since the last save, however recent."""
    saver = Saver(changes.save, lambda: changes.revision, interval=10, poll=10)
    saver.start()
    changes.change()
    saver.stop()
    assert [seen for _, seen in changes.saves] == [1]


def test_a_failing_save_is_logged_once_and_retried(
    changes: Changes, saver: Saver, caplog: pytest.LogCaptureFixture
) -> None:
    """A full disk is reported once, retried every interval, and the saver recovers."""
    changes.failing = True
    with caplog.at_level(logging.WARNING, logger="infra.local.state.saver"):
        changes.change()
        time.sleep(saver.interval * 3)
        changes.failing = False
        assert changes.saved.wait(2)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "retrying" in errors[0].getMessage()
    assert saver.saved_revision == 1
