"""What the file browser of `workshop up` shows a learner: the lessons and the exercises.

JupyterLab serves the whole kit (so links and kernels work as they do on disk), but its contents
API answers only for `notebooks/`, `exercises/` and the README at the top. The finished apps
(`lambdas/`, `solutions/`) and the kit's own code stay where an instructor looks for them:
`workshop up --instructor` shows everything. Kernels are unaffected: a lesson's Python code still
imports the kit and reads its files.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web
from traitlets import List, Unicode

LEARNER_VIEW = ("notebooks", "exercises", "README.md")


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
