"""Each local cloud's own folder on disk: the functions' unpacked code and their /tmp folders.

Several clouds run at once (notebook kernels, test workers, grading), so each has a folder of its
own under one base folder, holding a lock file it keeps locked (`flock`) while it runs. A cloud
that starts removes the folders whose lock nobody holds: clouds that were killed and could not
clean up. The lock goes when the process goes, however it ends, so a running cloud's folder is
never taken for a dead one.

The base is `$WORKSHOP_LAMBDA_DIR`, else `~/.cache/workshop/lambda` (`$XDG_CACHE_HOME`): not the
system's temporary folder, which a worker's private /tmp hides from it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time

LOCK = "lock"
PREFIX = "cloud-"
STAGING = ".new-"
STAGING_AGE = 3600.0  # a folder that was being set up this long ago was left by a crash


def default_base() -> str:
    """Where clouds keep their folders (created if needed; the system's temp dir at worst)."""
    explicit = os.environ.get("WORKSHOP_LAMBDA_DIR")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for base in filter(None, [explicit, os.path.join(cache, "workshop", "lambda")]):
        with contextlib.suppress(OSError):
            os.makedirs(base, exist_ok=True)
            if os.access(base, os.W_OK | os.X_OK):
                return base
    return os.path.join(tempfile.gettempdir(), f"workshop-clouds-{os.getuid()}")


class CloudFolder:
    """This cloud's folder, locked while it lives; `close()` removes it."""

    def __init__(self, base: str | None = None) -> None:
        self.base = base or default_base()
        os.makedirs(self.base, exist_ok=True)
        sweep(self.base)
        # Set up under a staging name, locked before it gets its final name: a sweeping cloud
        # never sees a cloud folder without a held lock.
        staging = tempfile.mkdtemp(prefix=STAGING, dir=self.base)
        self._lock = os.open(os.path.join(staging, LOCK), os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(self._lock, f"{os.getpid()}\n".encode())
        self.path = os.path.join(self.base, PREFIX + os.path.basename(staging)[len(STAGING) :])
        os.rename(staging, self.path)
        self._closed = False

    def sub(self, *names: str) -> str:
        """A folder inside this cloud's folder (created)."""
        path = os.path.join(self.path, *names)
        os.makedirs(path, exist_ok=True)
        return path

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        shutil.rmtree(self.path, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.close(self._lock)


def sweep(base: str) -> list[str]:
    """Remove the folders of clouds that are gone; returns what was removed."""
    removed: list[str] = []
    try:
        with os.scandir(base) as entries:
            folders = [entry for entry in entries if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return removed
    for entry in folders:
        if entry.name.startswith(PREFIX):
            if _unlocked(entry.path):
                removed.append(entry.path)
        elif entry.name.startswith(STAGING):
            with contextlib.suppress(OSError):
                if time.time() - entry.stat().st_mtime > STAGING_AGE:
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed.append(entry.path)
    return removed


def _unlocked(path: str) -> bool:
    """Remove `path` if no live cloud holds its lock; True when it was removed."""
    try:
        fd = os.open(os.path.join(path, LOCK), os.O_RDWR)
    except FileNotFoundError:
        shutil.rmtree(path, ignore_errors=True)  # a half-removed folder
        return True
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a running cloud's
    else:
        shutil.rmtree(path, ignore_errors=True)
        return True
    finally:
        os.close(fd)
