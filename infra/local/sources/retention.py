"""Retention: log events and stream records are kept as long as AWS keeps them, then dropped
from memory (and, through the state's journal compaction, from disk).

- A log group keeps its events for its `retentionInDays` (`put_retention_policy`). A group
  that never expires on AWS keeps them for `LOG_KEEP_SECONDS` here, and any group at most its
  newest `LOG_GROUP_BYTES`: a local cloud runs on a laptop.
- A DynamoDB stream keeps its records for 24 hours, as on AWS, and here at most its newest
  `STREAM_RECORDS_KEPT` (a room's arena writes 300 records a second: a day of them would not fit
  in a laptop's memory). Only a mapping that fell that far behind loses records.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from infra.local.aws import dynamodb
from infra.local.aws.backends import Backends
from infra.local.aws.logs import expire_log_events
from infra.local.sources.periodic import Periodic

LOG_KEEP_SECONDS = 24 * 3600.0  # groups without a retention policy
LOG_GROUP_BYTES = 4 * 1024 * 1024  # the newest events of a group kept, at most
STREAM_KEEP_SECONDS = 24 * 3600.0  # DynamoDB Streams' retention
STREAM_RECORDS_KEPT = 20_000  # a shard's newest records kept, at most (about a minute of a room)


class Retention(Periodic):
    """Every `interval` seconds, drop the log events and stream records past their retention."""

    name = "retention"

    def __init__(
        self,
        backends: Backends,
        interval: float = 15.0,
        clock: Callable[[], float] = time.time,
        *,
        log_keep_seconds: float = LOG_KEEP_SECONDS,
        log_group_bytes: int = LOG_GROUP_BYTES,
        stream_keep_seconds: float = STREAM_KEEP_SECONDS,
        stream_records_kept: int = STREAM_RECORDS_KEPT,
    ) -> None:
        super().__init__(interval, clock)
        self.backends = backends
        self.log_keep_seconds = log_keep_seconds
        self.log_group_bytes = log_group_bytes
        self.stream_keep_seconds = stream_keep_seconds
        self.stream_records_kept = stream_records_kept

    def tick(self) -> tuple[int, int]:
        return self.expire_now()

    def expire_now(self) -> tuple[int, int]:
        """Drop what is past retention now: (log events, stream records) dropped."""
        now = self.clock()
        events = expire_log_events(
            self.backends, int(now * 1000), int(self.log_keep_seconds * 1000),
            self.log_group_bytes,
        )  # fmt: skip
        records = dynamodb.expire_stream_records(
            self.backends, now - self.stream_keep_seconds, self.stream_records_kept
        )
        return events, records
