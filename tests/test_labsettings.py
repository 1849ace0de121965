"""The JupyterLab defaults the kit installs."""

from __future__ import annotations

import json
from pathlib import Path

from infra.labsettings import KIT_DEFAULTS, install_lab_overrides, overrides_path


def test_overrides_turn_off_comms_over_subshells(tmp_path: Path) -> None:
    """Widget messages go over the main shell, which ipykernel 7.4 accepts."""
    written = json.loads(install_lab_overrides(tmp_path).read_text())
    kernels = written["@jupyterlab/apputils-extension:kernels-settings"]
    assert kernels["commsOverSubshells"] == "disabled"


def test_overrides_keep_other_settings(tmp_path: Path) -> None:
    """Settings already in overrides.json survive the merge."""
    path = overrides_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "dark"}}))
    written = json.loads(install_lab_overrides(tmp_path).read_text())
    assert written["@jupyterlab/apputils-extension:themes"] == {"theme": "dark"}
    assert set(KIT_DEFAULTS) <= set(written)


def test_installing_twice_changes_nothing(tmp_path: Path) -> None:
    """A second install leaves the file byte for byte as it was."""
    path = install_lab_overrides(tmp_path)
    before = path.read_bytes()
    install_lab_overrides(tmp_path)
    assert path.read_bytes() == before
