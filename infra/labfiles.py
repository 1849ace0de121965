"""What the file browser of `workshop up` shows a learner: their own copy of the lessons and the
exercises, `my-work/`.

`workshop up` makes that copy on its first start (`make_own_copy`): `notebooks/` and `exercises/`
(with `exercises/lambdas/`) go to `my-work/notebooks/` and `my-work/exercises/`, side by side as in
the kit, so the links between lessons and exercises still work. Later starts only add what is
missing (a new lesson); nothing a learner wrote is ever overwritten, and `my-work/` is git-ignored,
so neither `workshop exercises build` nor a `git pull` touches it.

JupyterLab serves the whole kit (so kernels work as they do on disk), but its contents API answers
only for `my-work/` and the README at the top. The finished apps (`lambdas/`, `solutions/`), the
kit's own copies and its code stay where an instructor looks for them: `workshop up --instructor`
shows everything. Kernels are unaffected: a lesson's Python code still imports the kit.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web
from traitlets import List, Unicode

KIT_ROOT = Path(__file__).resolve().parent.parent
OWN_COPY = "my-work"  # git-ignored
COPIED = ("notebooks", "exercises")  # what the learner's copy holds, under the same names
VERSIONS = ".kit-versions.json"  # in my-work/: each copied file's hash in the kit when copied
LEARNER_VIEW = (OWN_COPY, "README.md")
START_PAGE = f"{OWN_COPY}/notebooks/00-setup.ipynb"


@dataclass
class OwnCopy:
    """What `make_own_copy` did: the files it added, and the ones the kit has changed since."""

    folder: Path
    added: list[str] = field(default_factory=list)
    kit_newer: list[str] = field(default_factory=list)
    first: bool = False

    def describe(self) -> list[str]:
        """What to tell the learner, a line or two (nothing new: one line)."""
        if self.first:
            lines = [f"Your work: {self.folder} (the lessons and exercises, yours to edit)."]
        elif self.added:
            shown = ", ".join(self.added[:3]) + (" ..." if len(self.added) > 3 else "")
            lines = [
                f"Your work: {self.folder} (added {len(self.added)} new from the kit: {shown})."
            ]
        else:
            lines = [f"Your work: {self.folder}."]
        if self.kit_newer:
            shown = ", ".join(self.kit_newer[:3]) + (" ..." if len(self.kit_newer) > 3 else "")
            lines.append(
                f"The kit has a newer {shown} than your copy, which is kept: to take the new one,"
                " rename yours (your answers stay in it) and start workshop up again."
            )
        return lines


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _kit_files(root: Path) -> list[Path]:
    """The files to copy, relative to `root`: no checkpoints, caches or hidden files."""
    found = []
    for folder in COPIED:
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            hidden = any(p.startswith(".") or p == "__pycache__" for p in relative.parts)
            if path.is_file() and not hidden:
                found.append(relative)
    return found


def make_own_copy(root: Path = KIT_ROOT, folder: Path | None = None) -> OwnCopy:
    """Copy the kit's lessons and exercises into the learner's folder, adding only what is missing.

    A file that is there is never written, whatever it holds; one the kit has changed since it was
    copied is reported (`kit_newer`), so the learner can choose to take the new version.
    """
    folder = folder or root / OWN_COPY
    versions_path = folder / VERSIONS
    report = OwnCopy(folder, first=not folder.exists())
    try:
        versions: dict[str, str] = json.loads(versions_path.read_text())
    except (OSError, ValueError):
        versions = {}
    for relative in _kit_files(root):
        name, source, target = relative.as_posix(), root / relative, folder / relative
        if target.exists():
            if name in versions and versions[name] != _digest(source):
                report.kit_newer.append(name)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        versions[name] = _digest(source)
        report.added.append(name)
    if report.added:
        versions_path.write_text(json.dumps(versions, indent=1, sort_keys=True) + "\n")
    return report


class WorkshopContentsManager(AsyncLargeFileManager):
    """A contents manager that lists and serves only `shown` at the top of the root folder."""

    shown = List(
        Unicode(), default_value=list(LEARNER_VIEW), help="Top-level names learners see."
    ).tag(config=True)

    def is_shown(self, path: str) -> bool:
        """Whether an API path lies in what learners see (the root itself does)."""
        top = path.strip("/").split("/", 1)[0]
        return top == "" or top in self.shown

    def _refuse(self, *paths: str) -> None:
        for path in paths:
            if not self.is_shown(path):
                raise web.HTTPError(404, f"No such file or directory: {path.strip('/')}")

    async def get(
        self,
        path: str,
        content: bool = True,
        type: str | None = None,
        format: str | None = None,
        require_hash: bool = False,
    ) -> Any:
        self._refuse(path)
        if path.strip("/") or not content:
            return await super().get(path, content, type, format, require_hash)
        root = await super().get(path, False, type, format)  # the root: list only what is shown
        root["content"], root["format"] = [], "json"
        for name in self.shown:  # a loop, not a comprehension: super() needs this frame
            if await super().dir_exists(name) or await super().file_exists(name):
                root["content"].append(await super().get(name, content=False))
        return root

    async def save(self, model: dict[str, Any], path: str = "") -> Any:
        self._refuse(path)
        return await super().save(model, path)

    async def delete_file(self, path: str) -> None:
        self._refuse(path)
        await super().delete_file(path)

    async def rename_file(self, old_path: str, new_path: str) -> None:
        self._refuse(old_path, new_path)
        await super().rename_file(old_path, new_path)

    async def is_hidden(self, path: str) -> bool:
        return not self.is_shown(path) or bool(await super().is_hidden(path))


CONTENTS_MANAGER = f"{WorkshopContentsManager.__module__}.{WorkshopContentsManager.__name__}"
