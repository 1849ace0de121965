"""Lambda's limits on a running worker: resident memory (`MemorySize`) and its /tmp folder.

One thread per runtime, asleep while no invoke runs. While some do, it reads each busy worker's
resident memory every `INTERVAL` (one read of /proc/PID/statm) and kills a worker past its
`MemorySize`, as Lambda does: the invoke fails with "Runtime exited with error: signal: killed".
Processes the worker started are found by a scan of /proc, which costs milliseconds, so only once
an invoke has run `SCAN_AFTER` seconds and at most every `SCAN_EVERY`; their memory counts too,
and then each process counts its proportional share (Pss), so pages a fork shares with the
worker count once, as in Lambda's cgroup.
Where /tmp is a folder rather than a private tmpfs (`guard.folder_tmp`), the folder's total is
checked every `FOLDER_EVERY` ticks. Without /proc (macOS) memory is not watched.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import weakref
from typing import Protocol

INTERVAL = 0.05
SCAN_AFTER = 1.0
SCAN_EVERY = 1.0
FOLDER_EVERY = 5  # ticks between checks of a /tmp folder's total
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
WATCHABLE = os.path.exists("/proc/self/statm")


class Watched(Protocol):
    """What the watch needs of a worker (`process.WorkerProcess`)."""

    @property
    def pid(self) -> int: ...

    worker_pid: int | None
    memory_limit: int
    tmp: str
    tmp_dir: str
    tmp_limit: int

    def exceed(self, limit: str) -> None: ...


def resident_bytes(pid: int) -> int:
    """A process's resident memory now (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def proportional_bytes(pid: int) -> int:
    """A process's proportional share of resident memory (Pss): shared pages counted once."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return resident_bytes(pid)


def folder_bytes(path: str) -> int:
    """The bytes of the files under `path`."""
    total = 0
    stack = [path]
    while stack:
        with contextlib.suppress(OSError), os.scandir(stack.pop()) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
    return total


def process_tree() -> dict[int, list[int]]:
    """Every live process's children, from one scan of /proc."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != b"Z":
            children.setdefault(int(fields[1]), []).append(int(name))
    return children


def descendants(tree: dict[int, list[int]], root: int) -> list[int]:
    found, stack = [], [root]
    while stack:
        for child in tree.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


class LimitWatch:
    """Watches busy workers on a thread of its own; `watch` / `unwatch` from any thread."""

    def __init__(self) -> None:
        self._busy: dict[Watched, float] = {}  # worker -> when its invoke started
        self._others: weakref.WeakKeyDictionary[Watched, list[int]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def watch(self, worker: Watched) -> None:
        """Watch `worker` until `unwatch` (an invoke or an init runs on it)."""
        if not WATCHABLE or not worker.memory_limit:
            return
        with self._lock:
            self._busy[worker] = time.monotonic()
            if len(self._busy) == 1:
                self._wake.set()
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="lambda-limits", daemon=True
                    )
                    self._thread.start()

    def unwatch(self, worker: Watched) -> None:
        with self._lock:
            self._busy.pop(worker, None)

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    def _run(self) -> None:
        last_scan = 0.0
        tick = 0
        while not self._closed:
            self._wake.wait()
            time.sleep(INTERVAL)  # at most one look per interval, however many invokes start
            with self._lock:
                if not self._busy:
                    self._wake.clear()
                    continue
                busy = list(self._busy.items())
            now = time.monotonic()
            if now - last_scan >= SCAN_EVERY and any(now - t >= SCAN_AFTER for _, t in busy):
                last_scan = now
                self._scan([worker for worker, _ in busy])
            tick += 1
            for worker, _ in busy:
                self._check(worker, tick % FOLDER_EVERY == 0)

    def _scan(self, workers: list[Watched]) -> None:
        tree = process_tree()
        found = {}
        for worker in workers:
            own = worker.worker_pid
            found[worker] = [pid for pid in descendants(tree, worker.pid) if pid != own]
        with self._lock:
            self._others.update(found)

    def _check(self, worker: Watched, folder: bool) -> None:
        pid = worker.worker_pid
        if pid is None:
            return
        others = self._others.get(worker)
        if others:  # forks share pages with the worker: count each page once, as a cgroup does
            shares = [proportional_bytes(other) for other in others]
            if not all(shares):  # some have ended
                with self._lock:
                    self._others[worker] = [o for o, b in zip(others, shares, strict=True) if b]
            used = proportional_bytes(pid) + sum(shares)
        else:
            used = resident_bytes(pid)
        if used > worker.memory_limit:
            worker.exceed("memory")
        elif folder and worker.tmp == "folder" and worker.tmp_dir:
            self._check_folder(worker)

    def _check_folder(self, worker: Watched) -> None:
        if folder_bytes(worker.tmp_dir) > worker.tmp_limit:
            worker.exceed("tmp")
