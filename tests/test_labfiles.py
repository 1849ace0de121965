"""The file browser `workshop up` opens: lessons and exercises for learners, everything for
instructors; checked on the contents manager itself and on a real JupyterLab server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado import web

from infra.cli import PROJECT_ROOT, build_parser, lab_command
from infra.labfiles import CONTENTS_MANAGER, WorkshopContentsManager


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture
def manager() -> WorkshopContentsManager:
    return WorkshopContentsManager(root_dir=str(PROJECT_ROOT))


def names(model: dict[str, Any]) -> list[str]:
    return sorted(entry["name"] for entry in model["content"])


def test_the_root_lists_only_the_lessons_and_exercises(manager: WorkshopContentsManager) -> None:
    """No lambdas/, solutions/, infra/ or tests/ at the top of a learner's file browser."""
    assert names(run(manager.get(""))) == ["README.md", "exercises", "notebooks"]


def test_the_exercises_keep_their_own_lambda_folders(manager: WorkshopContentsManager) -> None:
    """exercises/lambdas/ (the stubs learners edit) is shown; so are the lessons."""
    assert "lambdas" in names(run(manager.get("exercises")))
    stub = run(manager.get("exercises/lambdas/chat/common.py"))
    assert "raise NotImplementedError()" in stub["content"]
    assert run(manager.get("notebooks/00-setup.ipynb", content=False))["type"] == "notebook"


@pytest.mark.parametrize("path", ["lambdas", "lambdas/chat/common.py", "solutions", "infra"])
def test_the_finished_apps_are_not_served(manager: WorkshopContentsManager, path: str) -> None:
    """The answers are not one click (or one typed path) away."""
    with pytest.raises(web.HTTPError) as refused:
        run(manager.get(path))
    assert refused.value.status_code == 404
    assert run(manager.is_hidden(path))


def test_nothing_is_written_outside_what_is_shown(
    manager: WorkshopContentsManager, tmp_path: Path
) -> None:
    """Saving, renaming or deleting outside notebooks/ and exercises/ is refused too."""
    model = {"type": "file", "format": "text", "content": "x"}
    with pytest.raises(web.HTTPError):
        run(manager.save(model, "lambdas/chat/extra.py"))
    with pytest.raises(web.HTTPError):
        run(manager.rename_file("exercises/lambdas/chat/common.py", "lambdas/common.py"))
    with pytest.raises(web.HTTPError):
        run(manager.delete_file("solutions/01-connections-table-exercises.ipynb"))
    assert not (PROJECT_ROOT / "lambdas/chat/extra.py").exists()


def test_workshop_up_gives_learners_the_lessons_view_and_instructors_everything() -> None:
    """The lab command uses the contents manager unless --instructor is given."""
    learner = lab_command(build_parser().parse_args(["up"]))
    instructor = lab_command(build_parser().parse_args(["up", "--instructor"]))
    option = f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}"
    assert option in learner and option not in instructor
    assert f"--notebook-dir={PROJECT_ROOT}" in learner


@contextlib.contextmanager
def lab_server(tmp_path: Path) -> Iterator[str]:
    """`workshop up`'s own JupyterLab command, on a free port with no token; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = build_parser().parse_args(["up", "--no-browser", "--lab-port", str(port)])
    command = [*lab_command(args), "--IdentityProvider.token=", "--ServerApp.allow_root=True"]
    env = {
        **os.environ,
        **{f"JUPYTER_{k}_DIR": str(tmp_path / k) for k in ("CONFIG", "DATA", "RUNTIME")},
    }
    with (tmp_path / "lab.log").open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/api/status", timeout=2).close()
                break
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_a_real_lab_server_lists_only_the_lessons_view(tmp_path: Path) -> None:
    """Through JupyterLab's REST API, as the file browser asks: the root, then a hidden folder."""
    with lab_server(tmp_path) as url:
        with urllib.request.urlopen(f"{url}/api/contents", timeout=10) as response:
            listing = json.load(response)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/api/contents/lambdas", timeout=10)
    assert names(listing) == ["README.md", "exercises", "notebooks"]
    assert refused.value.code == 404
