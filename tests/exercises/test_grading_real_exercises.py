"""`workshop check` on the workshop's own exercises: a room of three made-up learners."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from infra.exercises.check import main

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "03-push-and-policy-exercises.ipynb"


def tagged(nb: Any, tag: str) -> Any:
    return next(cell for cell in nb.cells if tag in cell.metadata.get("tags", []))


@pytest.fixture(scope="module")
def grades(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """ada did everything, grace only the policy; linus too, but his first cell fails to import."""
    room = tmp_path_factory.mktemp("room")
    solution = nbformat.read(ROOT / "solutions" / NOTEBOOK, as_version=4)

    ada = room / "ada"
    (ada / "lambdas").mkdir(parents=True)
    nbformat.write(solution, ada / NOTEBOOK)
    shutil.copytree(ROOT / "lambdas" / "push", ada / "lambdas" / "push")

    grace = room / "grace"
    grace.mkdir()
    partial = nbformat.read(ROOT / "exercises" / NOTEBOOK, as_version=4)
    tagged(partial, "exercise:policy").source = tagged(solution, "exercise:policy").source
    nbformat.write(partial, grace / NOTEBOOK)

    linus = room / "linus"
    (linus / "lambdas").mkdir(parents=True)
    broken = nbformat.read(ROOT / "solutions" / NOTEBOOK, as_version=4)
    first_code = next(cell for cell in broken.cells if cell.cell_type == "code")
    first_code.source = "import nonexistent_module\n" + first_code.source
    nbformat.write(broken, linus / NOTEBOOK)
    shutil.copytree(ROOT / "lambdas" / "push", linus / "lambdas" / "push")

    out = tmp_path_factory.mktemp("grading")
    with contextlib.redirect_stdout(io.StringIO()):
        status = main([room], timeout=180.0, out=out)
    assert status == 1  # grace and linus did not pass everything
    learners = json.loads((out / "grades.json").read_text())["learners"]
    return {
        learner: {exercise: result["status"] for exercise, result in row.items()}
        for learner, row in learners.items()
    }


def test_complete_submission_passes_both_exercises(grades: dict[str, dict[str, str]]) -> None:
    """ada's notebook and edited push Lambda pass push-time and policy."""
    assert grades["ada"]["push-time"] == "pass"
    assert grades["ada"]["policy"] == "pass"


def test_partial_submission_passes_only_what_was_done(grades: dict[str, dict[str, str]]) -> None:
    """grace wrote the policy but not the push Lambda: policy passes, push-time fails."""
    assert grades["grace"]["policy"] == "pass"
    assert grades["grace"]["push-time"] == "fail"


def test_notebook_failing_at_import_is_an_error(grades: dict[str, dict[str, str]]) -> None:
    """linus's answers never get checked (his first cell raises ImportError): errors, not fails."""
    assert grades["linus"]["push-time"] == "error"
    assert grades["linus"]["policy"] == "error"
