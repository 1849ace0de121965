"""DynamoDB Time to Live: delete expired items in the background, as DynamoDB does.

AWS deletes expired items "within a few days"; locally we sweep every few seconds so learners
see it happen. Like AWS, only Number attributes holding epoch seconds count, items whose expiry
is more than five years in the past are left alone, and the REMOVE stream records carry
``userIdentity {"type": "Service", "principalId": "dynamodb.amazonaws.com"}``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from infra.local.aws import dynamodb
from infra.local.sources import CloudFacade

log = logging.getLogger(__name__)


class TtlSweeper:
    """Every ``interval`` seconds, delete the expired items of tables with TTL enabled."""

    def __init__(
        self, cloud: CloudFacade, interval: float = 5.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.cloud = cloud
        self.interval = interval
        self.clock = clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        dynamodb.install()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="ttl-sweeper", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.sweep_now()
            except Exception:
                log.exception("TTL sweep failed")

    def sweep_now(self) -> int:
        """Delete every expired item now; return how many were deleted."""
        dynamodb.install()
        return dynamodb.sweep_expired(self.cloud.backends, self.clock())
