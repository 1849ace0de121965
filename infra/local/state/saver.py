"""When to save: soon after every change, never more often than every `interval` seconds.

The saver thread looks at the backends' revision every `poll` seconds; when it moved, it saves,
waiting first if the last save started less than `interval` ago. A change is therefore on disk
within about interval + poll + one save (0.5 + 0.05 + a few ms by default): `kill -9` loses at
most the last second. An idle cloud writes nothing. A save that fails (a full disk) is logged
once and tried again every interval until it works; the cloud keeps serving either way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Saver:
    """Calls `save()` (which returns the revision it saved) whenever `revision()` moved."""

    def __init__(
        self,
        save: Callable[[], int],
        revision: Callable[[], int],
        *,
        interval: float = 0.5,
        poll: float = 0.05,
    ) -> None:
        self._save = save
        self._revision = revision
        self.interval = interval
        self.poll = poll
        self.saved_revision = revision()
        self.saves = 0
        self._last_start = 0.0
        self._failing = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, then save once more if anything changed since (a clean stop)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._revision() != self.saved_revision:
            self.save_now()

    def save_now(self) -> bool:
        """Save right away; False (and logged) when it failed."""
        self._last_start = time.monotonic()
        try:
            self.saved_revision = self._save()
        except Exception as error:
            if not self._failing:  # one line, once: a full disk should not flood the terminal
                log.error(
                    "saving the local cloud's state failed (%s: %s); retrying every %g s",
                    type(error).__name__,
                    error,
                    self.interval,
                )
            self._failing = True
            return False
        if self._failing:
            log.warning("saving the local cloud's state works again")
        self._failing = False
        self.saves += 1
        return True

    def _run(self) -> None:
        while not self._stopping.wait(self.poll):
            if self._revision() == self.saved_revision:
                continue
            delay = self._last_start + self.interval - time.monotonic()
            if delay > 0 and self._stopping.wait(delay):
                return
            self.save_now()
