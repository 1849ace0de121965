"""A running cloud's state folder tracks its state, not its history: what retention dropped
leaves the journal at the next compaction, and a restart sees only what is kept."""

from __future__ import annotations

import time
from pathlib import Path

from infra.local.sources.retention import Retention
from tests.conftest import running_cloud

MB = 1024 * 1024


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_logs_past_retention_leave_the_journal(tmp_path: Path) -> None:
    """12 MB of log events, then a retention policy that drops them: the next saves write the
    journal anew, the folder shrinks below 1 MB, and a restart reads back the one kept event."""
    folder = tmp_path / "state"
    now_ms = int(time.time() * 1000)
    with running_cloud(state_dir=str(folder), save_interval=0.1) as cloud:
        logs = cloud.client("logs")
        logs.create_log_group(logGroupName="/aws/lambda/chatty")
        logs.create_log_stream(logGroupName="/aws/lambda/chatty", logStreamName="s")
        old = now_ms - 3 * 86_400_000
        for batch in range(12):  # 12 batches of 1 MB, three days old
            events = [{"timestamp": old + batch, "message": "x" * (MB // 4)} for _ in range(4)]
            logs.put_log_events(
                logGroupName="/aws/lambda/chatty", logStreamName="s", logEvents=events
            )
        logs.put_log_events(
            logGroupName="/aws/lambda/chatty",
            logStreamName="s",
            logEvents=[{"timestamp": now_ms, "message": "kept"}],
        )
        logs.put_retention_policy(logGroupName="/aws/lambda/chatty", retentionInDays=1)
        assert cloud.state is not None and cloud.state.save_now()
        assert folder_bytes(folder) > 12 * MB
        assert Retention(cloud.backends).expire_now()[0] == 48
        assert cloud.state.save_now()
        assert folder_bytes(folder) < MB
    with running_cloud(state_dir=str(folder)) as restarted:
        events = restarted.client("logs").get_log_events(
            logGroupName="/aws/lambda/chatty", logStreamName="s"
        )["events"]
        assert [event["message"] for event in events] == ["kept"]
