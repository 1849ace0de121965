"""The state options of `workshop cloud` and `workshop up`: defaults, and one line for bad folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.cli import DEFAULT_STATE, PROJECT_ROOT, build_parser, main
from infra.local.state.store import SNAPSHOT, StateDir


@pytest.mark.parametrize("command", ["cloud", "up"])
def test_both_commands_keep_their_state_in_the_kit_by_default(command: str) -> None:
    """Without options the state folder is the kit's git-ignored .workshop-state/."""
    args = build_parser().parse_args([command])
    assert args.state == DEFAULT_STATE == PROJECT_ROOT / ".workshop-state"
    assert not args.fresh and not args.no_state
    assert "/.workshop-state/" in (PROJECT_ROOT / ".gitignore").read_text().splitlines()


def test_a_corrupt_snapshot_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged snapshot: one line naming --fresh, exit status 2, no traceback, not overwritten."""
    (tmp_path / SNAPSHOT).write_bytes(b"workshop-state\n{not json\nrest")
    assert main(["cloud", "--state", str(tmp_path), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"workshop cloud: the saved state in {tmp_path} cannot be read")
    assert "--fresh" in err
    assert (tmp_path / SNAPSHOT).read_bytes() == b"workshop-state\n{not json\nrest"


def test_a_folder_in_use_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two clouds on one folder: the second says which process has it, exit status 2."""
    holder = StateDir(tmp_path)
    holder.acquire()
    try:
        assert main(["cloud", "--state", str(tmp_path), "--port", "0"]) == 2
    finally:
        holder.release()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "in use by another local cloud (pid" in err


def test_fresh_and_no_state_do_not_go_together(capsys: pytest.CaptureFixture[str]) -> None:
    """--no-state never has anything to set aside: the pair is a usage error."""
    with pytest.raises(SystemExit) as exit_:
        main(["cloud", "--fresh", "--no-state"])
    assert exit_.value.code == 2
    assert "--fresh and --no-state" in capsys.readouterr().err


def test_a_start_refused_for_a_port_in_use_creates_no_state_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`workshop cloud --port N --state DIR` with N taken: one line, exit 2, and no DIR made."""
    import socket

    folder = tmp_path / "never-made"
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["cloud", "--state", str(folder), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"port {port} on 127.0.0.1 is in use" in err
    assert not folder.exists()
