"""DynamoDB Time to Live: delete expired items in the background, as DynamoDB does.

AWS deletes expired items "within a few days", and reads return them until then; locally an
item goes `delete_delay` seconds after it expires (the timing's `ttl_delete_delay`: seconds, so
learners see both), swept every `interval` seconds. Like AWS, only Number attributes holding epoch seconds count, items whose expiry
is more than five years in the past are left alone, and the REMOVE stream records carry
``userIdentity {"type": "Service", "principalId": "dynamodb.amazonaws.com"}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from infra.local.aws import dynamodb
from infra.local.aws.backends import Backends
from infra.local.sources.periodic import Periodic


class TtlSweeper(Periodic):
    """Every ``interval`` seconds, delete the expired items of tables with TTL enabled."""

    name = "ttl-sweeper"

    def __init__(
        self,
        backends: Backends,
        interval: float = 5.0,
        clock: Callable[[], float] = time.time,
        delete_delay: float = 0.0,
    ) -> None:
        super().__init__(interval, clock)
        self.backends = backends
        self.delete_delay = delete_delay

    def start(self) -> None:
        dynamodb.install()
        super().start()

    def tick(self) -> int:
        return self.sweep_now()

    def sweep_now(self) -> int:
        """Delete every item expired `delete_delay` ago or more, now; return how many."""
        dynamodb.install()
        return dynamodb.sweep_expired(self.backends, self.clock(), self.delete_delay)
