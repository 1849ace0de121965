"""`workshop up` makes the learner's own copy before JupyterLab starts, and opens it; a second start
keeps what the learner wrote. JupyterLab itself is replaced by a stand-in that records its command.
"""

from __future__ import annotations

import functools
import signal
from pathlib import Path
from typing import Any

import pytest

import infra.cli
import infra.labfiles
import infra.labsettings
from infra.cli import PROJECT_ROOT, main
from infra.labfiles import OWN_COPY
from infra.local.cloud import LocalCloud


class FakeLab:
    """Stands in for `jupyter lab`: remembers its command and exits at once."""

    commands: list[list[str]] = []
    returncode = 0

    def __init__(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self.commands.append(command)

    def wait(self, timeout: float | None = None) -> int:
        return 0


@pytest.fixture
def up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cloud: LocalCloud) -> Path:
    """`workshop up` joining the test cloud (AWS_ENDPOINT_URL is set), its copy in tmp_path."""
    monkeypatch.delenv("WORKSHOP_TARGET", raising=False)
    for name, value in {**cloud.env(), "AWS_REGION": cloud.region}.items():
        monkeypatch.setenv(name, value)  # restored afterwards, whatever `workshop up` sets
    work = tmp_path / OWN_COPY
    copy = functools.partial(infra.labfiles.make_own_copy, PROJECT_ROOT, work)
    monkeypatch.setattr(infra.labfiles, "make_own_copy", copy)
    monkeypatch.setattr(infra.labsettings, "install_lab_overrides", lambda: None)
    monkeypatch.setattr(infra.cli.subprocess, "Popen", FakeLab)
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    FakeLab.commands.clear()
    return work


def test_the_first_start_makes_the_copy_and_opens_it(
    up: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """my-work/ exists before JupyterLab starts, which opens my-work's lesson 00."""
    assert main(["up", "--no-browser"]) == 0
    assert (up / "notebooks" / "00-setup.ipynb").is_file()
    assert (up / "exercises" / "lambdas" / "chat" / "common.py").is_file()
    [command] = FakeLab.commands
    assert f"--LabApp.default_url=/lab/tree/{OWN_COPY}/notebooks/00-setup.ipynb" in command
    assert f"Your work: {up} (the lessons and exercises, yours to edit)." in capsys.readouterr().out


def test_a_second_start_keeps_the_learners_work(
    up: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a learner saved in my-work/ survives the next `workshop up`."""
    main(["up", "--no-browser"])
    answer = up / "exercises" / "lambdas" / "chat" / "default.py"
    answer.write_text("# my answer\n")
    capsys.readouterr()
    assert main(["up", "--no-browser"]) == 0
    assert answer.read_text() == "# my answer\n"
    assert f"Your work: {up}." in capsys.readouterr().out


def test_a_copy_that_cannot_be_made_is_a_warning(
    up: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A read-only checkout: JupyterLab still starts, with one warning line."""

    def read_only(*args: Any) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(infra.labfiles, "make_own_copy", read_only)
    assert main(["up", "--no-browser"]) == 0
    assert "warning: could not make your copy of the lessons in my-work/" in capsys.readouterr().out
    assert len(FakeLab.commands) == 1
