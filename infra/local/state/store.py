"""The state folder: a snapshot, a journal, blobs and a lock, each written so a crash cannot
leave a half-written state behind.

    DIR/snapshot   MAGIC, one JSON header line, the pickled backends (SHA-256 in the header)
    DIR/journal    frames appended by each save: length, CRC-32, payload (new stream records
                   and log events); the snapshot names the journal file and says how many of its
                   bytes are committed
    DIR/blobs/SHA  big strings (function code), written once, named by their SHA-256
    DIR/lock       held (flock) while a cloud uses the folder; it names that cloud's pid

A save writes its new blobs (temp file, fsync, rename), appends its journal frame and fsyncs
it, then replaces the snapshot the same way as a blob and fsyncs the folder. Until that rename the previous
snapshot stands, and it refers only to journal bytes and blobs that were already durable, so
whatever a crash interrupts, the folder holds one complete state. Journal bytes past the
committed length (a save that never committed) are ignored, then overwritten.

A journal only grows, and records dropped since (log events and stream records past their
retention) stay in it; so once it is over `COMPACT_MIN_BYTES` and half of it is records no live
list holds (`CloudState` asks the snapshots), a save writes the live records to a new journal
file instead, commits a snapshot that names it, and deletes the old one: the folder's size
tracks the state, not its history. A crash before the rename leaves the old snapshot and journal
standing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import struct
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import StateError, UnreadableState

if sys.platform == "win32":  # no flock, so no guard against two clouds on one folder
    fcntl = None
else:
    import fcntl

MAGIC = b"workshop-state\n"
SNAPSHOT, JOURNAL, BLOBS, LOCK, PREVIOUS = "snapshot", "journal", "blobs", "lock", "previous"
FRAME_HEAD = struct.Struct(">II")  # payload length, CRC-32 of the payload
COMPACT_MIN_BYTES = 8 * 1024 * 1024  # a journal smaller than this is never rewritten


@dataclass(frozen=True)
class Saved:
    """A snapshot as read back: its header and its graph (checked against the header)."""

    header: dict[str, Any]
    graph: bytes


class StateDir:
    """One state folder, used by one cloud at a time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock: IO[str] | None = None
        self._journal = JOURNAL  # the journal file the committed snapshot names
        self._journal_bytes = 0  # the journal's committed length
        self._blobs: set[str] = set()  # the blobs the committed snapshot refers to

    # ------------------------------------------------------------ the lock

    def acquire(self) -> None:
        """Create the folder if need be and take it; StateError when another cloud has it."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            lock = open(self.path / LOCK, "a+")  # noqa: SIM115 - held until release()
        except OSError as error:
            raise StateError(
                f"cannot use {self.path} as the state folder ({error.strerror}): "
                "give another one with --state DIR, or keep nothing with --no-state"
            ) from error
        if fcntl is not None:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.seek(0)
                owner = lock.read().strip() or "unknown"
                lock.close()
                raise StateError(
                    f"{self.path} is in use by another local cloud (pid {owner}): stop that "
                    "one, or give this one another folder with --state DIR"
                ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock = lock

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing drops the flock
            self._lock = None

    # ------------------------------------------------------------ reading

    def read(self) -> Saved | None:
        """The committed snapshot, or None when the folder holds none yet."""
        try:
            data = (self.path / SNAPSHOT).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise UnreadableState(f"{error.strerror}") from error
        if not data.startswith(MAGIC):
            raise UnreadableState("it is not a snapshot")
        line, newline, graph = data[len(MAGIC) :].partition(b"\n")
        try:
            header = json.loads(line)
            expected = (header["graph_bytes"], header["graph_sha256"])
            journal_bytes, blobs = int(header["journal_bytes"]), set(header["blobs"])
            journal = str(header.get("journal", JOURNAL))
        except (ValueError, KeyError, TypeError) as error:
            raise UnreadableState("its header is damaged") from error
        if not newline or (len(graph), hashlib.sha256(graph).hexdigest()) != expected:
            raise UnreadableState("the snapshot is damaged (its checksum does not match)")
        if "/" in journal or not journal.startswith(JOURNAL):
            raise UnreadableState("its header names no journal of this folder")
        self._journal, self._journal_bytes, self._blobs = journal, journal_bytes, blobs
        return Saved(header, graph)

    def journal_frames(self) -> Iterator[bytes]:
        """The committed journal frames, in order (after `read`)."""
        if self._journal_bytes == 0:
            return
        try:
            with open(self.path / self._journal, "rb") as journal:
                data = journal.read(self._journal_bytes)
        except OSError as error:
            raise UnreadableState(f"the journal cannot be read ({error.strerror})") from error
        if len(data) < self._journal_bytes:
            raise UnreadableState("the journal is shorter than the snapshot says")
        offset = 0
        while offset < len(data):
            if offset + FRAME_HEAD.size > len(data):
                raise UnreadableState("the journal is damaged (a frame is cut short)")
            length, crc = FRAME_HEAD.unpack_from(data, offset)
            start = offset + FRAME_HEAD.size
            payload = data[start : start + length]
            if len(payload) != length or zlib.crc32(payload) != crc:
                raise UnreadableState("the journal is damaged (a frame's checksum does not match)")
            yield payload
            offset = start + length

    def blob(self, sha: str) -> bytes:
        """A blob's bytes, checked against its name."""
        try:
            data = (self.path / BLOBS / sha).read_bytes()
        except OSError as error:
            raise UnreadableState(f"blob {sha[:12]} cannot be read ({error.strerror})") from error
        if hashlib.sha256(data).hexdigest() != sha:
            raise UnreadableState(f"blob {sha[:12]} is damaged")
        return data

    # ------------------------------------------------------------ writing

    def commit(
        self,
        header: dict[str, Any],
        graph: bytes,
        frame: bytes,
        blobs: dict[str, bytes],
        blob_refs: set[str],
        *,
        whole: bool = False,
    ) -> int:
        """Make this state the folder's (durably, atomically); returns the bytes written.

        `whole`: `frame` holds every live record, and goes to a new journal file that replaces
        the old one (see `should_compact`)."""
        written = 0
        if blobs:
            (self.path / BLOBS).mkdir(exist_ok=True)
            for sha, data in blobs.items():
                target = self.path / BLOBS / sha
                if not target.exists():
                    _write_atomically(target, data)
                    written += len(data)
            _fsync_folder(self.path / BLOBS)
        journal, journal_bytes = self._journal, self._journal_bytes
        if whole:
            journal = JOURNAL if self._journal != JOURNAL else f"{JOURNAL}-1"
            journal_bytes = self._write_journal(journal, frame)
            written += journal_bytes
        elif frame:
            journal_bytes += self._append(frame)
            written += len(frame) + FRAME_HEAD.size
        header = {
            **header,
            "graph_bytes": len(graph),
            "graph_sha256": hashlib.sha256(graph).hexdigest(),
            "journal": journal,
            "journal_bytes": journal_bytes,
            "blobs": sorted(blob_refs),
        }
        data = MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + graph
        _write_atomically(self.path / SNAPSHOT, data)
        _fsync_folder(self.path)
        if journal != self._journal:  # the new snapshot stands: the old journal can go
            with contextlib.suppress(OSError):
                (self.path / self._journal).unlink()
        self._journal, self._journal_bytes = journal, journal_bytes
        for sha in self._blobs - blob_refs:  # no longer referenced by the snapshot
            with contextlib.suppress(OSError):
                (self.path / BLOBS / sha).unlink()
        self._blobs = set(blob_refs)
        return written + len(data)

    @property
    def journal_bytes(self) -> int:
        """The committed length of the journal."""
        return self._journal_bytes

    def _write_journal(self, name: str, payload: bytes) -> int:
        """A new journal file holding one frame (none when `payload` is empty), made durable."""
        frame = FRAME_HEAD.pack(len(payload), zlib.crc32(payload)) + payload if payload else b""
        _write_atomically(self.path / name, frame)
        return len(frame)

    def _append(self, payload: bytes) -> int:
        """Append one frame after the committed bytes (dropping any uncommitted tail)."""
        frame = FRAME_HEAD.pack(len(payload), zlib.crc32(payload)) + payload
        path = self.path / self._journal
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, self._journal_bytes)
            os.lseek(fd, self._journal_bytes, os.SEEK_SET)
            view = memoryview(frame)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        return len(frame)

    def tidy(self) -> None:
        """Delete what no committed snapshot refers to: blobs and temporary files of a save
        that a crash interrupted (after `read`, before the first save)."""
        blobs = self.path / BLOBS
        leftovers = [path for path in self.path.glob(".*.tmp")]
        leftovers += [path for path in self.path.glob(f"{JOURNAL}*") if path.name != self._journal]
        if blobs.is_dir():
            leftovers += [path for path in blobs.iterdir() if path.name not in self._blobs]
        for path in leftovers:
            with contextlib.suppress(OSError):
                path.unlink()

    def set_aside(self) -> Path | None:
        """Move the saved state to DIR/previous (replacing an older one); None if there was none."""
        present = [name for name in (SNAPSHOT, self._journal, BLOBS) if (self.path / name).exists()]
        if not present:
            return None
        previous = self.path / PREVIOUS
        try:
            shutil.rmtree(previous, ignore_errors=True)
            previous.mkdir()
            for name in present:
                os.replace(self.path / name, previous / name)
            _fsync_folder(self.path)
        except OSError as error:
            raise StateError(f"cannot set the saved state aside ({error})") from error
        self._journal, self._journal_bytes, self._blobs = JOURNAL, 0, set()
        return previous


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a temporary file, fsync it and rename it over `path`: all of it or nothing."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _fsync_folder(path: Path) -> None:
    """Make a rename or a new file in `path` durable (a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
