"""The learner's own copy (`my-work/`) and the file browser `workshop up` opens on it: made once,
never overwritten, shown to learners (everything to instructors), gradable; checked on the copy,
the contents manager and a real JupyterLab server."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import shutil
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
from infra.exercises.check import find_submissions
from infra.exercises.check import main as grade
from infra.exercises.reference import kit_notebooks
from infra.exercises.tags import exercise_ids
from infra.labfiles import (
    CONTENTS_MANAGER,
    OWN_COPY,
    START_PAGE,
    WorkshopContentsManager,
    make_own_copy,
)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    """A kit root as a learner's checkout has it after `workshop up`: the kit's folders (linked,
    so nothing is written into the real checkout) and a fresh `my-work/`."""
    root = tmp_path / "kit"
    root.mkdir()
    for name in ("notebooks", "exercises", "lambdas", "solutions", "infra"):
        (root / name).symlink_to(PROJECT_ROOT / name)
    shutil.copy(PROJECT_ROOT / "README.md", root / "README.md")
    make_own_copy(PROJECT_ROOT, root / OWN_COPY)
    return root


@pytest.fixture
def manager(kit: Path) -> WorkshopContentsManager:
    return WorkshopContentsManager(root_dir=str(kit))


def names(model: dict[str, Any]) -> list[str]:
    return sorted(entry["name"] for entry in model["content"])


def test_the_first_start_copies_the_lessons_and_exercises(tmp_path: Path) -> None:
    """my-work/ gets notebooks/ and exercises/ (with its Lambda stubs), side by side as in the kit."""
    copy = make_own_copy(PROJECT_ROOT, tmp_path / OWN_COPY)
    work = tmp_path / OWN_COPY
    assert copy.first and "notebooks/00-setup.ipynb" in copy.added
    for name in ("notebooks/05-live-chat.ipynb", "exercises/lambdas/chat/common.py"):
        assert (work / name).read_bytes() == (PROJECT_ROOT / name).read_bytes(), name
    kit_files = {
        p.relative_to(PROJECT_ROOT).as_posix()
        for folder in ("notebooks", "exercises")
        for p in (PROJECT_ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
    }
    assert set(copy.added) == kit_files
    assert "Your work" in copy.describe()[0]


def test_a_later_start_keeps_the_learners_work_and_adds_what_is_new(tmp_path: Path) -> None:
    """An edited lesson is never overwritten; a lesson missing from my-work/ is added."""
    work = tmp_path / OWN_COPY
    make_own_copy(PROJECT_ROOT, work)
    edited = work / "exercises" / "01-connections-table-exercises.ipynb"
    edited.write_text("my answers")
    (work / "notebooks" / "10-templates.ipynb").unlink()  # as if the kit gained a lesson
    again = make_own_copy(PROJECT_ROOT, work)
    assert not again.first and again.added == ["notebooks/10-templates.ipynb"]
    assert edited.read_text() == "my answers"
    assert "added 1 new" in again.describe()[0]


def test_a_lesson_the_kit_changed_is_reported_not_replaced(tmp_path: Path) -> None:
    """A new version of the kit: the learner's copy stays, and they are told how to take it."""
    kit = tmp_path / "kit"
    shutil.copytree(PROJECT_ROOT / "notebooks", kit / "notebooks")
    shutil.copytree(PROJECT_ROOT / "exercises", kit / "exercises")
    work = tmp_path / OWN_COPY
    make_own_copy(kit, work)
    (kit / "notebooks" / "05-live-chat.ipynb").write_text("a newer lesson")
    again = make_own_copy(kit, work)
    assert again.added == [] and again.kit_newer == ["notebooks/05-live-chat.ipynb"]
    assert (work / "notebooks" / "05-live-chat.ipynb").read_bytes() != b"a newer lesson"
    assert "rename yours" in again.describe()[1]


def test_the_learners_copy_is_git_ignored() -> None:
    """Neither a `git pull` nor `git status` sees my-work/."""
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", f"{OWN_COPY}/notebooks/00-setup.ipynb"], cwd=PROJECT_ROOT
    )
    assert ignored.returncode == 0


def test_the_learners_copy_is_gradable(tmp_path: Path) -> None:
    """`workshop check my-work` grades its exercise notebooks, one learner, its lessons left out;
    an untouched exercise does not pass, as in the kit's own exercises/."""
    work = tmp_path / OWN_COPY
    make_own_copy(PROJECT_ROOT, work)
    kit = kit_notebooks(PROJECT_ROOT / "solutions")
    submissions = find_submissions([work], kit)
    assert {s.learner for s in submissions} == {OWN_COPY}
    assert sorted(s.notebook.name for s in submissions) == sorted(kit)
    for notebook in (work / "exercises").glob("*.ipynb"):
        if not notebook.name.startswith("01-"):
            notebook.unlink()  # one notebook keeps the test short
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = grade([work], timeout=120.0, out=tmp_path / "grading")
    grades = json.loads((tmp_path / "grading" / "grades.json").read_text())
    assert status == 1 and list(grades["learners"]) == [OWN_COPY]
    row = grades["learners"][OWN_COPY]
    assert set(row) == set(exercise_ids(kit["01-connections-table-exercises.ipynb"]))
    assert "pass" not in {result["status"] for result in row.values()}, row


def test_the_root_lists_only_the_learners_copy(manager: WorkshopContentsManager) -> None:
    """No lambdas/, solutions/, infra/, nor the kit's own notebooks/ and exercises/ at the top."""
    assert names(run(manager.get(""))) == ["README.md", OWN_COPY]


def test_the_learners_copy_holds_lessons_exercises_and_lambda_stubs(
    manager: WorkshopContentsManager,
) -> None:
    """my-work/exercises/lambdas/ (the stubs learners edit) is shown; so are the lessons."""
    assert names(run(manager.get(OWN_COPY))) == ["exercises", "notebooks"]
    assert "lambdas" in names(run(manager.get(f"{OWN_COPY}/exercises")))
    stub = run(manager.get(f"{OWN_COPY}/exercises/lambdas/chat/common.py"))
    assert "raise NotImplementedError()" in stub["content"]
    assert run(manager.get(START_PAGE, content=False))["type"] == "notebook"


def test_a_learner_saves_into_their_copy(manager: WorkshopContentsManager, kit: Path) -> None:
    """Saving an edited exercise writes my-work/, never the kit's exercises/."""
    path = f"{OWN_COPY}/exercises/lambdas/chat/default.py"
    run(manager.save({"type": "file", "format": "text", "content": "# mine\n"}, path))
    assert (kit / path).read_text() == "# mine\n"
    assert (PROJECT_ROOT / "exercises/lambdas/chat/default.py").read_text() != "# mine\n"


@pytest.mark.parametrize(
    "path",
    ["lambdas", "lambdas/chat/common.py", "solutions", "infra", "notebooks", "exercises"],
)
def test_the_finished_apps_are_not_served(manager: WorkshopContentsManager, path: str) -> None:
    """The answers are not one click (or one typed path) away."""
    with pytest.raises(web.HTTPError) as refused:
        run(manager.get(path))
    assert refused.value.status_code == 404
    assert run(manager.is_hidden(path))


def test_nothing_is_written_outside_what_is_shown(
    manager: WorkshopContentsManager, tmp_path: Path
) -> None:
    """Saving, renaming or deleting outside my-work/ is refused too."""
    model = {"type": "file", "format": "text", "content": "x"}
    with pytest.raises(web.HTTPError):
        run(manager.save(model, "lambdas/chat/extra.py"))
    with pytest.raises(web.HTTPError):
        run(manager.rename_file(f"{OWN_COPY}/exercises/lambdas/chat/common.py", "lambdas/x.py"))
    with pytest.raises(web.HTTPError):
        run(manager.delete_file("solutions/01-connections-table-exercises.ipynb"))
    with pytest.raises(web.HTTPError):
        run(manager.save(model, "exercises/lambdas/chat/default.py"))
    assert not (PROJECT_ROOT / "lambdas/chat/extra.py").exists()


def test_workshop_up_gives_learners_their_copy_and_instructors_everything() -> None:
    """The lab command opens my-work's lesson 00 and uses the contents manager unless
    --instructor is given."""
    learner = lab_command(build_parser().parse_args(["up"]))
    instructor = lab_command(build_parser().parse_args(["up", "--instructor"]))
    option = f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}"
    assert option in learner and option not in instructor
    assert f"--notebook-dir={PROJECT_ROOT}" in learner
    assert f"--LabApp.default_url=/lab/tree/{OWN_COPY}/notebooks/00-setup.ipynb" in learner


@contextlib.contextmanager
def lab_server(tmp_path: Path, root: Path) -> Iterator[str]:
    """`workshop up`'s own JupyterLab command on `root`, a free port, no token; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = build_parser().parse_args(["up", "--no-browser", "--lab-port", str(port)])
    command = [
        f"--notebook-dir={root}" if part.startswith("--notebook-dir=") else part
        for part in lab_command(args)
    ]
    command += [
        "--IdentityProvider.token=",
        "--ServerApp.allow_root=True",
    ]
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


def test_a_real_lab_server_lists_only_the_learners_copy(tmp_path: Path, kit: Path) -> None:
    """Through JupyterLab's REST API, as the file browser asks: the root, then a hidden folder."""
    with lab_server(tmp_path, kit) as url:
        with urllib.request.urlopen(f"{url}/api/contents", timeout=10) as response:
            listing = json.load(response)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/api/contents/lambdas", timeout=10)
    assert names(listing) == ["README.md", OWN_COPY]
    assert refused.value.code == 404
