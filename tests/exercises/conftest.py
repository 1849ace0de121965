"""Fixtures: a toy solutions tree, its built exercises, and made-up learner submissions.

data/solutions/ holds one notebook with three exercises that need no AWS (`add`, `squares`, and
`greet`, whose answer lives in lambdas/greet/handler.py). Submissions are derived from it here, so
what each learner changed is spelled out next to the test that grades it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from infra.exercises.build import build_exercises

DATA = Path(__file__).parent / "data"
SOLUTIONS = DATA / "solutions"
NOTEBOOK = "basics.ipynb"
EXERCISES = ["add", "squares", "greet"]


def edit_cell(path: Path, tag: str, source: str) -> None:
    """Replace the source of the cell tagged `tag` ("" means the first code cell)."""
    notebook = nbformat.read(path, as_version=4)
    cell = next(
        c
        for c in notebook.cells
        if (tag in c.metadata.get("tags", []) if tag else c.cell_type == "code")
    )
    cell.source = source
    nbformat.write(notebook, path)


def first_code_cell(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return next(c.source for c in notebook.cells if c.cell_type == "code")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """exercises/ as the build makes it from data/solutions/ (do not modify)."""
    exercises = tmp_path_factory.mktemp("exercises")
    build_exercises(SOLUTIONS, exercises)
    return exercises


@pytest.fixture(scope="session")
def submissions(tmp_path_factory: pytest.TempPathFactory, built: Path) -> Path:
    """One subfolder per learner: ada finished, grace half-way, linus broke his first cell, and
    mallory tampered with the checks."""
    root = tmp_path_factory.mktemp("submissions")
    # ada: the whole solutions tree, her edited Lambda file included.
    shutil.copytree(SOLUTIONS, root / "ada")
    # grace: sent only her notebook; `add` done, `squares` not started, greet's file untouched.
    (root / "grace").mkdir()
    shutil.copy(built / NOTEBOOK, root / "grace" / NOTEBOOK)
    edit_cell(root / "grace" / NOTEBOOK, "exercise:add", "def add(a, b):\n    return a + b")
    # linus: all answers right, but his first cell imports a module that does not exist,
    # so the name it should have defined (run_path, used by greet's check) is missing.
    shutil.copytree(SOLUTIONS, root / "linus")
    setup = first_code_cell(SOLUTIONS / NOTEBOOK)
    edit_cell(root / "linus" / NOTEBOOK, "", "import nonexistent_module\n" + setup)
    # mallory: did nothing real, but hard-coded add's example, emptied two checks, deleted one.
    (root / "mallory").mkdir()
    tampered = root / "mallory" / NOTEBOOK
    shutil.copy(built / NOTEBOOK, tampered)
    edit_cell(tampered, "exercise:add", "def add(a, b):\n    return 5  # add(2, 3) is 5")
    edit_cell(tampered, "check:add", "pass")
    edit_cell(tampered, "check:greet", "pass")
    notebook = nbformat.read(tampered, as_version=4)
    notebook.cells = [
        c for c in notebook.cells if "check:squares" not in c.metadata.get("tags", [])
    ]
    nbformat.write(notebook, tampered)
    return root


@pytest.fixture(scope="session")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One notebook file per learner: malformed JSON, one that hangs, and a finished one."""
    root = tmp_path_factory.mktemp("broken")
    (root / "malformed.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x = ')
    shutil.copy(SOLUTIONS / NOTEBOOK, root / "hanging.ipynb")
    edit_cell(root / "hanging.ipynb", "exercise:add", "while True:\n    pass")
    shutil.copy(SOLUTIONS / NOTEBOOK, root / "finished.ipynb")
    return root
