"""Bad input to the kit's own commands: one line that says what to do, exit status 2, no traceback.

The cases that need no cloud run the real command; the others run `main()` against the test
module's local cloud.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import infra.labsettings
from infra.cli import PROJECT_ROOT, main
from infra.local.cloud import LocalCloud
from tests.conftest import create_function


def workshop(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `workshop` command itself (as `python -m infra.cli`)."""
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
    )


def one_line(text: str) -> str:
    """The text, which must be exactly one line with no traceback."""
    assert "Traceback" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run `workshop ARGV` in this process; it must exit 2 with one line on stderr."""
    capsys.readouterr()
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out
    return one_line(captured.err)


def test_deploying_an_unknown_app_names_the_apps() -> None:
    """`workshop deploy nosuchapp`: the apps there are, exit 2."""
    result = workshop("deploy", "nosuchapp")
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith("workshop deploy: ") and "'nosuchapp'" in line
    assert all(app in line for app in ("chat", "arena", "tictactoe", "push"))


def test_a_cloud_on_a_port_in_use_says_to_pick_another() -> None:
    """`workshop cloud --port N` with N taken: stop the other one or use --port N+1, exit 2."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = workshop("cloud", "--port", str(port))
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert f"port {port} on 127.0.0.1 is in use" in line and f"--port {port + 1}" in line


def test_up_on_a_port_in_use_says_to_pick_another(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`workshop up --port N` with N taken: the same one line, before JupyterLab starts."""
    for name in [name for name in os.environ if name.startswith(("AWS_ENDPOINT_URL", "WORKSHOP_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(infra.labsettings, "install_lab_overrides", lambda: None)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        line = refused(capsys, "up", "--port", str(port), "--no-browser")
    assert f"port {port} on 127.0.0.1 is in use" in line and f"--port {port + 1}" in line


def test_deploying_where_nothing_answers_says_to_start_the_cloud() -> None:
    """No cloud at AWS_ENDPOINT_URL: start one (workshop cloud), exit 2."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the socket is closed
    url = f"http://127.0.0.1:{port}"
    result = workshop("deploy", "chat", env={"AWS_ENDPOINT_URL": url, "AWS_MAX_ATTEMPTS": "1"})
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert f"nothing answers at {url}" in line and "workshop cloud" in line


def test_checking_a_path_that_does_not_exist(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`workshop check` on a missing path says what to give it instead."""
    line = refused(capsys, "check", str(tmp_path / "nowhere"))
    assert "no such file or folder" in line and ".ipynb" in line


def test_checking_a_file_that_is_not_a_notebook(capsys: pytest.CaptureFixture[str]) -> None:
    """`workshop check README.md`: not a notebook, give an .ipynb file."""
    line = refused(capsys, "check", str(PROJECT_ROOT / "README.md"))
    assert "is not a notebook" in line


def test_checking_a_damaged_notebook(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An .ipynb that is not notebook JSON is refused before any grading starts."""
    damaged = tmp_path / "01-connections-table-exercises.ipynb"
    damaged.write_text('{"cells": [')
    line = refused(capsys, "check", str(damaged))
    assert "is not a notebook JSON file" in line


@pytest.fixture(scope="module")
def function(cloud: LocalCloud, aws: Any) -> str:
    create_function(aws, "cli-known", "def handler(event, context):\n    return 1\n")
    return "cli-known"


def test_logs_of_an_unknown_function_lists_the_known_ones(
    capsys: pytest.CaptureFixture[str], function: str
) -> None:
    """`workshop logs nosuch`: no such function here, pick one of those there are."""
    line = refused(capsys, "logs", "nosuch")
    assert "no function called 'nosuch'" in line and function in line


def test_deploying_a_folder_without_a_handler_module_creates_nothing(
    capsys: pytest.CaptureFixture[str], cloud: LocalCloud, aws: Any, tmp_path: Path
) -> None:
    """A learner's chat folder without whisper.py: refused, naming the file; nothing created."""
    folder = tmp_path / "chat"
    shutil.copytree(PROJECT_ROOT / "lambdas" / "chat", folder)
    (folder / "whisper.py").unlink()
    tables = aws("dynamodb").list_tables()["TableNames"]
    apis = aws("apigatewayv2").get_apis()["Items"]
    line = refused(capsys, "deploy", "chat", "--folder", str(folder))
    assert "has no whisper.py" in line and "the whisper route" in line
    assert aws("dynamodb").list_tables()["TableNames"] == tables
    assert aws("apigatewayv2").get_apis()["Items"] == apis


def test_deploying_a_folder_that_does_not_exist(
    capsys: pytest.CaptureFixture[str], cloud: LocalCloud, tmp_path: Path
) -> None:
    """`workshop deploy chat --folder nowhere`: no Lambda folder there, exit 2."""
    line = refused(capsys, "deploy", "chat", "--folder", str(tmp_path / "nowhere"))
    assert "no Lambda folder" in line
