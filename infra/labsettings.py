"""JupyterLab defaults the workshop needs, installed as the environment's `overrides.json`.

- Widget messages from the browser must reach the kernel: JupyterLab 4.6 sends comm messages
  over kernel subshells by default, which ipykernel 7.4 rejects ("Unknown subshell_id"), so
  mouse moves and button clicks would never arrive.
- A classroom may be offline: no news or update checks.

`overrides.json` only changes defaults; a learner's own settings still win.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KIT_DEFAULTS: dict[str, dict[str, object]] = {
    "@jupyterlab/apputils-extension:kernels-settings": {"commsOverSubshells": "disabled"},
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def overrides_path(prefix: Path | None = None) -> Path:
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def install_lab_overrides(prefix: Path | None = None) -> Path:
    """Merge the kit's defaults into the environment's overrides.json (idempotent)."""
    path = overrides_path(prefix)
    current: dict[str, dict[str, object]] = {}
    if path.exists():
        try:
            current = json.loads(path.read_text())
        except ValueError:
            current = {}
    merged = {**current}
    for plugin, settings in KIT_DEFAULTS.items():
        merged[plugin] = {**current.get(plugin, {}), **settings}
    if merged != current:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    return path
