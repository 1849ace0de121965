"""The kit's wheel ships what a non-editable install runs: the Node.js runtimes' files included.

setuptools' `build_py`, the step of a wheel build that gathers the packages and their
package-data, runs on a copy of the project's packaged folders (the working tree gets no `build/`
or egg-info) with the venv's setuptools, which may lack `bdist_wheel`: no download, no install,
a few seconds. What it lays out is the wheel's content, less the metadata.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE = "infra/local/runtime/node"


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The files a wheel built from a copy of pyproject.toml, README.md, infra/, lambdas/ holds."""
    source = tmp_path_factory.mktemp("source")
    out = tmp_path_factory.mktemp("build")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    junk = shutil.ignore_patterns("__pycache__", "node_modules", "*.egg-info")
    for folder in ("infra", "lambdas"):
        shutil.copytree(ROOT / folder, source / folder, ignore=junk)
    done = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "build_py", "-d", str(out)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()}


def test_the_wheel_ships_the_node_runtime_client_and_preloads(wheel_names: set[str]) -> None:
    """Every .mjs and .cjs of the Node.js runtimes' folder is in the wheel."""
    scripts = {
        path.relative_to(ROOT).as_posix()
        for pattern in ("*.mjs", "*.cjs")
        for path in (ROOT / NODE).glob(pattern)
    }
    assert f"{NODE}/runtime.mjs" in scripts
    assert scripts <= wheel_names, sorted(scripts - wheel_names)


def test_the_wheel_ships_the_sdk_pins(wheel_names: set[str]) -> None:
    """The SDK v3's package.json and package-lock.json are in the wheel, for its npm ci."""
    assert {f"{NODE}/sdk/package.json", f"{NODE}/sdk/package-lock.json"} <= wheel_names


def test_the_wheel_ships_the_runtime_table(wheel_names: set[str]) -> None:
    """AWS's runtime deprecation table (runtimes.json) is in the wheel beside runtimes.py."""
    assert {"infra/local/aws/runtimes.json", "infra/local/aws/runtimes.py"} <= wheel_names


def test_the_wheel_ships_no_installed_node_modules(wheel_names: set[str]) -> None:
    """No node_modules folder rides along (the SDK is installed into the venv, not the source)."""
    assert not [name for name in wheel_names if "/node_modules/" in name]
