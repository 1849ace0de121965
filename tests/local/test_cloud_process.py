"""`workshop cloud` in a process of its own, as the restart test and the room benchmark start it."""

from __future__ import annotations

import pytest

from infra.local.cloud_process import CloudProcess


def test_a_started_cloud_answers_and_stops_cleanly() -> None:
    """Once started it serves AWS calls; stop() ends it with exit status 0."""
    with CloudProcess("--no-state") as cloud:
        assert cloud.client("dynamodb").list_tables()["TableNames"] == []
    assert cloud.process.returncode == 0


def test_a_cloud_that_exits_at_start_raises_with_its_output() -> None:
    """A cloud that cannot start raises at once, with the line it printed."""
    with pytest.raises(RuntimeError, match="workshop cloud exited") as failed:
        CloudProcess("--no-such-option")
    assert "--no-such-option" in str(failed.value)
