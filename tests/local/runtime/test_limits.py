"""Lambda's limits on a worker: MemorySize, its own peak, its processes, its /tmp, its folder."""

from __future__ import annotations

import base64
import dataclasses
import errno
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from infra.local.runtime import InvokeResult, LambdaRuntime
from infra.local.runtime.folders import CloudFolder

from .conftest import BASE_ENV, make_spec

LINUX = sys.platform.startswith("linux")

# Touches `mb` megabytes, one page at a time (resident, not just reserved).
HOG = """
def handler(event, context):
    block = bytearray(event["mb"] * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    return len(block)
"""

# Starts a Python child that touches `mb` megabytes and sleeps; waits for it.
CHILD_HOG = """
import subprocess
import sys

CHILD = "b = bytearray({mb} << 20)\\nfor i in range(0, len(b), 4096): b[i] = 1\\nimport time; time.sleep(60)"


def handler(event, context):
    subprocess.run([sys.executable, "-c", CHILD.format(mb=event["mb"])])
    return "child ended"
"""

# "spawn": start a child in a session of its own and a daemon by double fork, return their pids.
# "exit": os._exit(1). "hang": sleep past the timeout. Children inherit the worker's pipes.
SPAWNER = """
import os
import time


def spawn_sleeper(double):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if double and os.fork() != 0:
            os._exit(0)
        os.write(write, str(os.getpid()).encode())
        time.sleep(120)
        os._exit(0)
    if double:
        os.waitpid(pid, 0)
    return int(os.read(read, 32))


def handler(event, context):
    if event["do"] == "spawn":
        return [spawn_sleeper(False), spawn_sleeper(True)]
    if event["do"] == "exit":
        os._exit(1)
    time.sleep(60)
"""

TMP_PROBE = """
import os
import tempfile


def handler(event, context):
    path = os.path.join(tempfile.gettempdir(), event["name"])
    if event.get("write"):
        with open(path, "w") as file:
            file.write("mine")
    stats = os.statvfs(tempfile.gettempdir())
    return {
        "tmpdir": tempfile.gettempdir(),
        "sees": sorted(os.listdir(tempfile.gettempdir())),
        "size_mb": stats.f_blocks * stats.f_frsize // (1024 * 1024),
    }
"""

# Writes `mb` megabytes into files of `each` megabytes in its temp folder; reports the error.
TMP_FILLER = """
import os
import tempfile
import time


def handler(event, context):
    try:
        for n in range(event["mb"] // event["each"]):
            with open(os.path.join(tempfile.gettempdir(), f"f{n}"), "wb") as file:
                for _ in range(event["each"]):
                    file.write(b"x" * (1 << 20))
    except OSError as error:
        return {"errno": error.errno}
    time.sleep(event.get("then_sleep", 0))
    return {"errno": 0}
"""


def report(result: InvokeResult) -> str:
    (line,) = [line for line in result.logs if line.startswith("REPORT ")]
    return line


def max_memory_used(result: InvokeResult) -> int:
    found = re.search(r"Max Memory Used: (\d+) MB", report(result))
    assert found is not None
    return int(found.group(1))


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


GUARD = Path(__file__).resolve().parents[3] / "infra" / "local" / "runtime" / "guard.py"
# The entry of /tmp the kit lives in, when it was cloned there: bound into every private /tmp.
_kit = os.path.realpath(GUARD)
KIT_IN_TMP = _kit.split("/")[2] if _kit.startswith("/tmp/") else None


def namespaces_allowed() -> bool:
    """Whether this OS lets an unprivileged process make user and mount namespaces."""
    if not LINUX or shutil.which("unshare") is None:
        return False
    probe = ["unshare", "--user", "--map-root-user", "--mount", "true"]
    return subprocess.run(probe, capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def folder_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaRuntime]:
    """A runtime whose workers get a folder for /tmp, as where namespaces are refused."""
    runtime = LambdaRuntime(BASE_ENV, private_tmp=False)
    yield runtime
    runtime.close()


@pytest.mark.skipif(not LINUX, reason="resident memory is read from /proc")
def test_a_function_past_its_memory_size_is_killed_as_lambda_reports_it(
    runtime: LambdaRuntime,
) -> None:
    """300 MB in a 128 MB function: Runtime.ExitError "signal: killed", Max Memory Used 128 MB."""
    spec = make_spec("hog", HOG, memory_mb=128, timeout=30)
    started = time.monotonic()
    result = runtime.invoke(spec, {"mb": 300})
    assert time.monotonic() - started < 10
    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "Runtime.ExitError"
    assert result.json()["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert "Memory Size: 128 MB\tMax Memory Used: 128 MB" in report(result)
    assert runtime.invoke(spec, {"mb": 10}).json() == 10 * 1024 * 1024  # a fresh worker


@pytest.mark.skipif(not LINUX, reason="resident memory is read from /proc")
def test_the_memory_of_processes_a_function_starts_counts(runtime: LambdaRuntime) -> None:
    """A child process past MemorySize kills the environment, the child included."""
    spec = make_spec("child-hog", CHILD_HOG, memory_mb=128, timeout=30)
    started = time.monotonic()
    result = runtime.invoke(spec, {"mb": 300})
    assert time.monotonic() - started < 10
    assert result.json()["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert max_memory_used(result) == 128


@pytest.mark.skipif(not LINUX, reason="VmHWM is Linux's")
def test_max_memory_used_is_the_workers_own_peak(runtime: LambdaRuntime) -> None:
    """A trivial handler reports its own peak, not the (larger) peak of the process that started it."""
    ballast = bytearray(400 * 1024 * 1024)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    del ballast  # this process's peak is now at least 400 MB
    spec = make_spec("own-peak", "def handler(event, context):\n    return 1\n", memory_mb=1024)
    used = max_memory_used(runtime.invoke(spec, {}))
    assert 5 < used < 100


def test_a_handler_that_exits_is_reported_at_once_whatever_its_children_hold(
    runtime: LambdaRuntime,
) -> None:
    """os._exit(1) with children holding the worker's pipes: ExitError now, not a timeout."""
    spec = make_spec("exits", SPAWNER, timeout=20)
    children = runtime.invoke(spec, {"do": "spawn"}).json()
    started = time.monotonic()
    result = runtime.invoke(spec, {"do": "exit"})
    assert time.monotonic() - started < 5
    assert result.json()["errorType"] == "Runtime.ExitError"
    assert result.json()["errorMessage"].endswith("Runtime exited with error: exit status 1")
    assert [gone(pid) for pid in children] == [True, True]


def test_no_process_outlives_a_worker_killed_for_its_timeout(runtime: LambdaRuntime) -> None:
    """After a timeout kill, a child in its own session and a double-forked daemon are gone too."""
    spec = make_spec("times-out", SPAWNER, timeout=1)
    children = runtime.invoke(spec, {"do": "spawn"}).json()
    assert [gone(pid) for pid in children] == [False, False]
    result = runtime.invoke(spec, {"do": "hang"})
    assert "Task timed out after 1.00 seconds" in result.json()["errorMessage"]
    deadline = time.monotonic() + 5
    while not all(gone(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [gone(pid) for pid in children] == [True, True]


def test_no_process_outlives_a_closed_runtime() -> None:
    """Closing the runtime leaves none of the processes its functions started."""
    runtime = LambdaRuntime(BASE_ENV)
    children = runtime.invoke(make_spec("closing", SPAWNER), {"do": "spawn"}).json()
    runtime.close()
    deadline = time.monotonic() + 5
    while not all(gone(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [gone(pid) for pid in children] == [True, True]


@pytest.mark.skipif(not namespaces_allowed(), reason="this OS refuses user/mount namespaces")
def test_each_environment_has_a_private_tmp_of_its_ephemeral_storage_size(
    runtime: LambdaRuntime,
) -> None:
    """/tmp is a tmpfs of EphemeralStorage size that neither the host nor another function sees."""
    name = f"private-{os.getpid()}-{time.time_ns()}"
    writer = make_spec("tmp-writer", TMP_PROBE, ephemeral_mb=600)
    wrote = runtime.invoke(writer, {"name": name, "write": True}).json()
    assert wrote["tmpdir"] == "/tmp"
    # Only the file it wrote, beside the kit's own folder when the kit lives in /tmp.
    assert set(wrote["sees"]) - {KIT_IN_TMP} == {name}
    assert 590 <= wrote["size_mb"] <= 600
    assert not os.path.exists(os.path.join("/tmp", name))
    other = runtime.invoke(make_spec("tmp-reader", TMP_PROBE), {"name": name}).json()
    assert set(other["sees"]) - {KIT_IN_TMP} == set()
    assert 500 <= other["size_mb"] <= 512


@pytest.mark.skipif(not namespaces_allowed(), reason="this OS refuses user/mount namespaces")
def test_a_kit_that_lives_in_tmp_still_gets_a_private_tmp() -> None:
    """A kit cloned into /tmp (its Python, its code) is bound back into the private /tmp, so
    the probe succeeds there too."""
    script = (
        "import os, sys; sys.path.insert(0, os.getcwd()); "
        "import guard; os._exit(0 if guard.private_tmp(guard._libc(), 1) else 1)"
    )
    with tempfile.TemporaryDirectory(dir="/tmp") as kit:
        shutil.copy(GUARD, kit)
        probe = subprocess.run([sys.executable, "-c", script], cwd=kit, timeout=30)
    assert probe.returncode == 0


@pytest.mark.skipif(not namespaces_allowed(), reason="this OS refuses user/mount namespaces")
def test_a_full_private_tmp_fails_writes_with_no_space_left(runtime: LambdaRuntime) -> None:
    """Past EphemeralStorage, a write into /tmp fails with ENOSPC, as on Lambda."""
    spec = make_spec("tmp-full", TMP_FILLER, ephemeral_mb=8, timeout=10)
    assert runtime.invoke(spec, {"mb": 12, "each": 4}).json() == {"errno": errno.ENOSPC}


def test_without_namespaces_tmpdir_is_the_environments_own_folder(
    folder_runtime: LambdaRuntime,
) -> None:
    """The fallback: TMPDIR is a folder of this environment's own inside the cloud's folder."""
    name = f"folder-{os.getpid()}-{time.time_ns()}"
    wrote = folder_runtime.invoke(
        make_spec("folder-writer", TMP_PROBE), {"name": name, "write": True}
    )
    tmpdir = wrote.json()["tmpdir"]
    assert tmpdir.startswith(folder_runtime.folder.path + os.sep)
    assert wrote.json()["sees"] == [name]
    other = folder_runtime.invoke(make_spec("folder-reader", TMP_PROBE), {"name": name}).json()
    assert other["tmpdir"] != tmpdir and other["sees"] == []


def test_without_namespaces_no_file_grows_past_the_tmp_size(folder_runtime: LambdaRuntime) -> None:
    """The fallback: a file past EphemeralStorage fails with EFBIG ("File too large")."""
    spec = make_spec("folder-big-file", TMP_FILLER, ephemeral_mb=8, timeout=10)
    assert folder_runtime.invoke(spec, {"mb": 12, "each": 12}).json() == {"errno": errno.EFBIG}


@pytest.mark.skipif(not LINUX, reason="the folder's total is watched with the memory")
def test_without_namespaces_a_full_tmp_folder_stops_the_environment(
    folder_runtime: LambdaRuntime,
) -> None:
    """The fallback: files that together pass EphemeralStorage get the environment killed."""
    spec = make_spec("folder-full", TMP_FILLER, ephemeral_mb=8, timeout=10)
    result = folder_runtime.invoke(spec, {"mb": 12, "each": 4, "then_sleep": 5})
    assert result.json()["errorMessage"].endswith("Runtime exited with error: signal: killed")


def test_unpacked_code_lives_in_the_clouds_own_folder(tmp_path: Path) -> None:
    """The code is unpacked under the runtime's folder (in `root`), not the system's temp dir."""
    source = "import os\ndef handler(event, context):\n    return os.getcwd()\n"
    with LambdaRuntime(BASE_ENV, root=str(tmp_path)) as runtime:
        code_dir = runtime.invoke(make_spec("where", source), {}).json()
        assert code_dir.startswith(runtime.folder.path + os.sep)
        assert runtime.folder.path.startswith(str(tmp_path) + os.sep)
    assert not os.path.exists(code_dir)


def test_a_starting_cloud_removes_dead_clouds_folders_and_never_a_live_ones(
    tmp_path: Path,
) -> None:
    """A killed cloud's folder goes when the next cloud starts; a running cloud's stays."""
    script = (
        "import os, sys\n"
        "from infra.local.runtime.folders import CloudFolder\n"
        "folder = CloudFolder(sys.argv[1])\n"
        "os.makedirs(os.path.join(folder.path, 'code', 'abc'))\n"
        "print(folder.path, flush=True)\n"
        "os._exit(0)  # as a kill -9 would: no clean-up\n"
    )
    dead = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    ).stdout.strip()
    assert os.path.isdir(dead)
    live = CloudFolder(str(tmp_path))
    try:
        assert not os.path.exists(dead)
        starting = CloudFolder(str(tmp_path))
        assert os.path.isdir(live.path)  # still in use: left alone
        starting.close()
    finally:
        live.close()
    assert os.listdir(tmp_path) == []


def test_a_worker_that_ended_while_idle_is_not_given_the_next_invoke(
    runtime: LambdaRuntime,
) -> None:
    """A warm worker killed between invokes: the next invoke starts a fresh one and succeeds."""
    spec = make_spec(
        "killed-idle", "import os\ndef handler(event, context):\n    return os.getpid()\n"
    )
    pid = runtime.invoke(spec, {}).json()
    os.kill(pid, 9)
    deadline = time.monotonic() + 5
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # the runtime sees the end
    result = runtime.invoke(spec, {})
    assert result.ok and result.json() != pid


# Touches 60 MB, then forks two children that keep it (shared with the worker) for 2 s.
FORKS_SHARING = """
import os
import time

BLOCK = bytearray(60 << 20)
for i in range(0, len(BLOCK), 4096):
    BLOCK[i] = 1


def handler(event, context):
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            time.sleep(2)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return "shared"
"""


@pytest.mark.skipif(not LINUX, reason="resident memory is read from /proc")
def test_pages_a_fork_shares_with_the_worker_count_once(runtime: LambdaRuntime) -> None:
    """A 90 MB worker with two forks sharing its pages stays under 128 MB (Pss, not RSS x 3)."""
    spec = make_spec("forks-sharing", FORKS_SHARING, memory_mb=128, timeout=10)
    assert runtime.invoke(spec, {}).json() == "shared"


def test_code_over_250_mb_unzipped_is_never_unpacked(tmp_path: Path) -> None:
    """Code saved before CreateFunction checked its size (a zip bomb) fails and is not unpacked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
        with archive.open("zeros.bin", "w", force_zip64=True) as member:
            for _ in range(260):
                member.write(bytes(1 << 20))
    code = buffer.getvalue()
    spec = dataclasses.replace(
        make_spec("bomb", "x = 1\n"),
        code_zip=code,
        code_sha256=base64.b64encode(hashlib.sha256(code).digest()).decode(),
    )
    with LambdaRuntime(BASE_ENV, root=str(tmp_path)) as runtime:
        with pytest.raises(RuntimeError, match="over Lambda's 250 MB unzipped"):
            runtime.invoke(spec, {})
        unpacked = sum(len(names) for _, _, names in os.walk(runtime.folder.path))
        assert unpacked == 1  # the lock file only
