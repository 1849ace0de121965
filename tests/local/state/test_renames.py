"""Classes that moved since a folder was saved are found where they live now; a class found
nowhere refuses the folder in one line."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from infra.local.cloud import LocalCloud
from infra.local.state import renames
from infra.local.state.errors import StateError
from tests.local.state.test_saved_state_fixture import SAVED


def test_a_class_that_never_moved_keeps_its_name() -> None:
    """A name absent from the map is its own."""
    assert renames.current_name("infra.local.aws.apigatewayv2", "Deployment") == (
        "infra.local.aws.apigatewayv2",
        "Deployment",
    )


def test_a_class_moved_twice_is_found_at_its_last_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """Old entries stay when a class moves again: the chain is followed to the end."""
    monkeypatch.setattr(
        renames, "RENAMES", {"first.Thing": "second.Thing", "second.Thing": "third.Thing"}
    )
    assert renames.current_name("first", "Thing") == ("third", "Thing")


@pytest.mark.parametrize("old", sorted(renames.RENAMES))
def test_every_entry_names_a_class_that_exists(old: str) -> None:
    """Each old name leads to a class the kit has (no typo, no second move left out)."""
    module, name = renames.current_name(*old.rsplit(".", 1))
    assert isinstance(getattr(importlib.import_module(module), name), type)


def test_a_class_found_nowhere_refuses_the_folder_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A saved class that moved without an entry: the cloud refuses to start, with one line
    naming the class and the way out, and leaves the folder as it was."""
    folder = Path(shutil.copytree(SAVED, tmp_path / "state"))
    missing = "infra.local.aws.cloudformation_engine.StackState"
    monkeypatch.delitem(renames.RENAMES, missing)
    with pytest.raises(StateError) as refused:
        LocalCloud(port=0, state_dir=str(folder)).start()
    message = str(refused.value)
    assert "\n" not in message
    assert missing in message and "start with --fresh" in message
    assert (folder / "snapshot").read_bytes() == (SAVED / "snapshot").read_bytes()
