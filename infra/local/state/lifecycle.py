"""`CloudState`: a cloud's state folder from start to stop.

At start it takes the folder's lock, then either restores the saved state into moto (before
the cloud serves anything) or, when asked for a fresh start, moves it to DIR/previous. While
the cloud runs, the saver saves every change. A clean stop saves once more and lets go of the
folder; `kill -9` lets go of it too (the kernel drops the lock) and loses at most the last second.

An unreadable snapshot is refused, never overwritten: the message says to start with --fresh,
which sets it aside (so it can still be looked at) and starts empty.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..aws import Backends
from ..aws.state import FORMAT, MOTO_VERSION, Snapshots
from .errors import StateError, UnreadableState
from .saver import Saver
from .store import COMPACT_MIN_BYTES, StateDir


@dataclass(frozen=True)
class Restored:
    """What a start found in the folder."""

    saved_at: str  # ISO time of the snapshot
    counts: dict[str, int] = field(default_factory=dict)  # tables, functions, apis, ...

    def describe(self) -> str:
        shown = ", ".join(_counted(n, what) for what, n in self.counts.items() if n)
        return f"saved {self.saved_at}: {shown or 'nothing in it'}"


def _counted(count: int, plural: str) -> str:
    """`1 table`, `2 tables`, `1 API`."""
    word = plural.replace("apis", "APIs")
    return f"{count} {word.removesuffix('s') if count == 1 else word}"


@dataclass
class SaveStats:
    """How the last save went, for people measuring it."""

    lock_ms: float  # moto's lock held (the pickle of everything but the journals)
    total_ms: float  # from start to the snapshot's rename
    bytes_written: int


class CloudState:
    """The state folder of one running cloud."""

    def __init__(
        self,
        backends: Backends,
        path: str | os.PathLike[str],
        *,
        fresh: bool = False,
        interval: float = 0.5,
        before_save: Callable[[], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.backends = backends
        self.fresh = fresh
        self.store = StateDir(self.path)
        self.snapshots = Snapshots(backends)
        self.restored: Restored | None = None
        self.set_aside_to: Path | None = None
        self.last_save: SaveStats | None = None
        self._before_save = before_save
        self._saving = threading.Lock()
        self.saver = Saver(self._save, lambda: backends.revision, interval=interval)

    def open(self) -> CloudState:
        """Take the folder, restore it (or set it aside when fresh), and start saving."""
        self.store.acquire()
        try:
            if self.fresh:
                self.set_aside_to = self.store.set_aside()
            else:
                self.restored = self._restore()
            self.store.tidy()
        except BaseException:
            self.store.release()
            raise
        self.saver.saved_revision = self.backends.revision
        self.saver.start()
        return self

    def close(self) -> None:
        """Save what changed since the last save, and let go of the folder."""
        self.saver.stop()
        self.store.release()

    def save_now(self) -> bool:
        """Save right away (what the saver does after a change); False if it failed."""
        return self.saver.save_now()

    def _save(self) -> int:
        with self._saving:
            started = time.perf_counter()
            if self._before_save is not None:
                self._before_save()
            capture = self.snapshots.capture(whole_when=self._journal_mostly_garbage)
            frame = capture.journal_frame()
            header = {
                "format": FORMAT,
                "moto": MOTO_VERSION,
                "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "counts": capture.summary,
            }
            written = self.store.commit(
                header, capture.graph, frame, capture.blobs, capture.blob_refs, whole=capture.whole
            )
            self.snapshots.saved(capture)
            total_ms = (time.perf_counter() - started) * 1000
            self.last_save = SaveStats(capture.lock_ms, total_ms, written)
            return capture.revision

    def _journal_mostly_garbage(self, snapshots: Snapshots) -> bool:
        """Write the journal anew once it is big and half of it is records nobody holds."""
        return self.store.journal_bytes > COMPACT_MIN_BYTES and snapshots.mostly_garbage()

    def _restore(self) -> Restored | None:
        try:
            saved = self.store.read()
            if saved is None:
                return None
            format_, moto = saved.header.get("format"), saved.header.get("moto")
            if format_ != FORMAT or moto != MOTO_VERSION:
                raise StateError(
                    f"the saved state in {self.path} was written by another version of the kit "
                    f"(format {format_}, moto {moto}; this is format {FORMAT}, moto "
                    f"{MOTO_VERSION}): start with --fresh to set it aside and begin empty"
                )
            counts = self.snapshots.restore(
                saved.graph, self.store.journal_frames(), self.store.blob
            )
        except UnreadableState as error:
            raise StateError(
                f"the saved state in {self.path} cannot be read ({error}): "
                "start with --fresh to set it aside and begin empty"
            ) from error
        return Restored(str(saved.header.get("saved_at", "?")), counts)
