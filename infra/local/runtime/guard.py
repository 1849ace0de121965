"""The guard of one execution environment: no process outlives it, and its /tmp is its own.

On Linux the process the parent starts (`worker.py`) calls `guard()` first. It becomes a child
subreaper (PR_SET_CHILD_SUBREAPER), so whatever the worker starts and leaves behind, even in a
session of its own (setsid, a double fork), is re-parented to the guard rather than to init.
Then it forks: the child returns and becomes the worker; the guard waits. When the worker ends
(it returns, exits, crashes, is killed) or the parent sends the guard SIGTERM, the guard kills
every descendant it still has, reaps them, and exits as the worker did (the same exit status,
or the same signal), so the parent sees the worker's own ending, at once, from the process.

`/tmp`: where the OS allows it without root (an unprivileged user namespace and a mount
namespace), the guard mounts a tmpfs of the function's `EphemeralStorage` size on /tmp, seen by
this environment only. Elsewhere (`folder_tmp`) TMPDIR is the environment's own folder, each
file in it is capped at that size (RLIMIT_FSIZE) and the parent watches the folder's total.

The runtime first runs `python guard.py probe` once (`process.private_tmp_works`): on a system
that half-allows namespaces (a user namespace, but no capabilities in it: Ubuntu's AppArmor
restriction) a worker must not be left in a namespace without its user mapped.

Loaded by path from `worker.py`: it imports nothing from the kit.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys
import time
from typing import NoReturn

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_NOSUID = 2
MS_NODEV = 4
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_BIND = 4096


WAITED = {signal.SIGTERM, signal.SIGCHLD}  # the guard's only events: a stop, a child's end


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def guard(request_fd: int, response_fd: int, tmp_mb: int, tmp_dir: str, private: bool) -> str:
    """Fork the worker and guard it; returns, in the worker only, how its /tmp is provided."""
    libc = _libc()
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    tmp = "private" if private and private_tmp(libc, tmp_mb) else "folder"

    # Blocked before the fork, taken with sigwait: no handler, so no moment it could be missed.
    signal.pthread_sigmask(signal.SIG_BLOCK, WAITED)
    guard_pid = os.getpid()
    worker = os.fork()
    if worker == 0:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, WAITED)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != guard_pid:  # the guard died before the line above
            os._exit(1)
        if tmp == "private":
            os.environ["TMPDIR"] = "/tmp"
            return tmp
        return folder_tmp(tmp_mb, tmp_dir)
    for fd in (request_fd, response_fd):  # the pipes are the worker's: EOF when it ends
        with contextlib.suppress(OSError):
            os.close(fd)
    _watch(worker)


def _watch(worker: int) -> NoReturn:
    """Wait for the worker's end or the parent's SIGTERM; then kill the rest and end alike."""
    status: int | None = None
    running = True
    while running:
        while True:  # reap whatever has ended (orphans re-parented here included)
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                running = False
                break
            if pid == 0:
                break
            if pid == worker:
                status, running = code, False
        if running and signal.sigwait(WAITED) == signal.SIGTERM:
            running = False
    if status is None:  # stopped: the worker first, then what it started is all ours
        with contextlib.suppress(OSError):
            os.kill(worker, signal.SIGKILL)
            os.waitpid(worker, 0)
    kill_descendants()
    _exit_as(status)


def kill_descendants() -> None:
    """SIGKILL every live descendant of this process and reap them, until none is left.

    A subreaper whose worker has ended has as children everything the worker left running, so
    with no child there is nothing to do and nothing to scan (the usual case).
    """
    me = os.getpid()
    for _ in range(1000):
        if not _reap():  # no child at all: as a subreaper, then no descendant either
            return
        tree = descendants(me)
        for pid in tree:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if not tree:
            time.sleep(0.001)  # only zombies left: reaped on the next round
        else:
            time.sleep(0.002)


def _reap() -> bool:
    """Reap what has ended; True while this process still has children."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def descendants(root: int) -> list[int]:
    """The live (not zombie) descendants of `root`, from one scan of /proc."""
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
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _exit_as(status: int | None) -> NoReturn:
    """End this process as the worker ended (killed with SIGKILL when it was stopped)."""
    if status is not None and os.WIFEXITED(status):
        os._exit(os.WEXITSTATUS(status))
    sig = signal.SIGKILL if status is None else os.WTERMSIG(status)
    with contextlib.suppress(Exception):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)


def private_tmp(libc: ctypes.CDLL, size_mb: int) -> bool:
    """Mount a tmpfs of `size_mb` on /tmp in new user and mount namespaces; False if refused.

    Where the code or Python itself lives in /tmp (a kit cloned there), those folders are bound
    back into the new /tmp, so hiding the host's /tmp breaks nothing."""
    needed = sorted(
        {_top_of_tmp(path) for path in [os.getcwd(), sys.executable, *sys.path] if path} - {""}
    )
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
        return False  # no user namespaces here (macOS, a hardened distribution, a container)
    try:
        # The same ids inside as outside: the function's files are the user's, as before.
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError:
        return False
    libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    host_tmp = os.open("/tmp", os.O_RDONLY | os.O_DIRECTORY)  # still reachable once covered
    try:
        options = f"size={size_mb}m,mode=1777".encode()
        if libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
            return False
        for name in needed:
            os.mkdir(f"/tmp/{name}")
            source = f"/proc/self/fd/{host_tmp}/{name}".encode()
            if libc.mount(source, f"/tmp/{name}".encode(), None, MS_BIND | MS_REC, None) != 0:
                return False
    finally:
        os.close(host_tmp)
    return True


def folder_tmp(size_mb: int, folder: str) -> str:
    """TMPDIR is the environment's own folder; no file may grow past the /tmp size."""
    if not folder:
        return "shared"
    os.environ["TMPDIR"] = folder
    limit = size_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        # A write past the limit fails with EFBIG ("File too large") instead of killing.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return "folder"


def _top_of_tmp(path: str) -> str:
    """The entry of /tmp that `path` lies in ("fresh" for /tmp/fresh/.venv/bin), or ""."""
    real = os.path.realpath(path)
    return real.split("/")[2] if real.startswith("/tmp/") else ""


def _write(path: str, text: str) -> None:
    with open(path, "w") as file:
        file.write(text)


if __name__ == "__main__" and sys.argv[1:] == ["probe"]:
    os._exit(0 if private_tmp(_libc(), 1) else 1)
