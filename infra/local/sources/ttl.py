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

from moto.dynamodb.models import dynamodb_backends

from infra.local.sources import CloudFacade
from infra.local.sources.stream_hooks import install_stream_notifier, removals_by_ttl

log = logging.getLogger(__name__)

FIVE_YEARS = 5 * 365 * 24 * 3600


def _expiry(item: object, attribute: str) -> float | None:
    value = item.attrs.get(attribute)  # type: ignore[attr-defined]
    if value is None or value.type != "N":
        return None
    try:
        return float(value.value)
    except ValueError:
        return None


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
        install_stream_notifier()
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
        install_stream_notifier()
        now = self.clock()
        deleted = 0
        with self.cloud.backend_lock, removals_by_ttl():
            backend = dynamodb_backends[self.cloud.account_id][self.cloud.region]
            for table in list(backend.tables.values()):
                if table.ttl.get("TimeToLiveStatus") != "ENABLED":
                    continue
                attribute = table.ttl.get("AttributeName")
                if not attribute:
                    continue
                for item in table.all_items():
                    expires = _expiry(item, attribute)
                    if expires is not None and now - FIVE_YEARS <= expires < now:
                        table.delete_item(item.hash_key, item.range_key)
                        deleted += 1
        return deleted
