"""DynamoDB Time to Live: delete expired items in the background, as DynamoDB does.

AWS deletes expired items "within a few days"; locally we sweep every few seconds so learners
see it happen. Like AWS, only Number attributes holding epoch seconds count, items whose expiry
is more than five years in the past are left alone, and the REMOVE stream records carry
``userIdentity {"type": "Service", "principalId": "dynamodb.amazonaws.com"}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from infra.local.aws import dynamodb
from infra.local.sources import CloudFacade
from infra.local.sources.periodic import Periodic


class TtlSweeper(Periodic):
    """Every ``interval`` seconds, delete the expired items of tables with TTL enabled."""

    name = "ttl-sweeper"

    def __init__(
        self, cloud: CloudFacade, interval: float = 5.0, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(interval, clock)
        self.cloud = cloud

    def start(self) -> None:
        dynamodb.install()
        super().start()

    def tick(self) -> int:
        return self.sweep_now()

    def sweep_now(self) -> int:
        """Delete every expired item now; return how many were deleted."""
        dynamodb.install()
        return dynamodb.sweep_expired(self.cloud.backends, self.clock())
