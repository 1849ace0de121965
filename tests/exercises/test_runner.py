"""run_notebook: each exercise graded pass / fail / error, whatever the notebook does."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from infra.exercises import runner
from infra.exercises.runner import ExerciseResult, NotebookReport, run_notebook

from .conftest import EXERCISES, NOTEBOOK, SOLUTIONS, edit_cell

TIMEOUT = 60.0


def checks_only(path: Path, **checks: str) -> Path:
    """A notebook of check cells only, one per keyword (exercise id -> source)."""
    notebook = new_notebook()
    for exercise, source in checks.items():
        notebook.cells.append(new_code_cell(source, metadata={"tags": [f"check:{exercise}"]}))
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def solution_copy(tmp_path: Path) -> Path:
    """The toy solutions tree in a scratch folder; returns its notebook."""
    return Path(shutil.copytree(SOLUTIONS, tmp_path / "solutions")) / NOTEBOOK


def test_every_check_passes_on_the_solutions() -> None:
    """Against solutions/, every exercise passes."""
    report = run_notebook(SOLUTIONS / NOTEBOOK, TIMEOUT)
    assert report.results == {exercise: ExerciseResult("pass") for exercise in EXERCISES}
    assert report.problem == ""


def test_every_check_fails_on_the_stubs(built: Path) -> None:
    """Against the built stubs, every exercise fails: no check is vacuous."""
    report = run_notebook(built / NOTEBOOK, TIMEOUT)
    assert {e: r.status for e, r in report.results.items()} == dict.fromkeys(EXERCISES, "fail")


def test_wrong_answers_fail_and_crashes_are_errors(solution_copy: Path) -> None:
    """An AssertionError is a fail with the check's message; another exception is an error."""
    edit_cell(solution_copy, "exercise:add", "def add(a, b):\n    return a - b")
    edit_cell(solution_copy, "exercise:squares", "squares = int('four')")
    report = run_notebook(solution_copy, TIMEOUT)
    assert report.results == {
        "add": ExerciseResult("fail", "add(2, 3) returned -1, expected 5: return a + b"),
        "squares": ExerciseResult(
            "error", "ValueError: invalid literal for int() with base 10: 'four'"
        ),
        "greet": ExerciseResult("pass"),
    }


def test_malformed_notebook_is_an_error_for_every_exercise(tmp_path: Path) -> None:
    """Unreadable JSON gives a report saying so, not an exception."""
    path = tmp_path / "malformed.ipynb"
    path.write_text('{"cells": [')
    report = run_notebook(path, TIMEOUT)
    assert report.problem.startswith("cannot read the notebook")
    assert report.result("add") == ExerciseResult("error", report.problem)


def test_timeout_is_an_error_for_the_exercises_not_graded(solution_copy: Path) -> None:
    """A cell that never ends stops the run; the exercises from there on are errors."""
    edit_cell(solution_copy, "exercise:squares", "while True:\n    pass")
    report = run_notebook(solution_copy, timeout=3)
    assert report.problem == "timed out after 3 s (in cell 6)"
    assert report.results == {
        "add": ExerciseResult("pass"),
        "squares": ExerciseResult("error", report.problem),
        "greet": ExerciseResult("error", report.problem),
    }


def test_dead_kernel_is_an_error(solution_copy: Path) -> None:
    """A kernel that exits mid-notebook makes the exercises from there on errors."""
    edit_cell(solution_copy, "exercise:add", "import os\nos._exit(1)")
    report = run_notebook(solution_copy, TIMEOUT)
    assert report.problem == "the kernel died (in cell 3)"
    assert {e: r.status for e, r in report.results.items()} == dict.fromkeys(EXERCISES, "error")


def test_a_kernel_that_dies_before_answering_is_started_again(
    solution_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel lost at start (before any cell ran) is replaced; the notebook is graded."""
    starts: list[int] = []
    real_setup = runner.NotebookClient.setup_kernel

    def setup_kernel(client: Any, **kwargs: Any) -> Any:
        starts.append(1)
        if len(starts) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real_setup(client, **kwargs)

    monkeypatch.setattr(runner.NotebookClient, "setup_kernel", setup_kernel)
    report = run_notebook(solution_copy, TIMEOUT)
    assert len(starts) == 2 and report.problem == ""
    assert {e: r.status for e, r in report.results.items()} == dict.fromkeys(EXERCISES, "pass")


def test_a_kernel_that_never_starts_is_one_clear_problem(
    solution_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel that dies at every start is tried three times, then reported in one line."""
    starts: list[int] = []

    def setup_kernel(client: Any, **kwargs: Any) -> Any:
        starts.append(1)
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(runner.NotebookClient, "setup_kernel", setup_kernel)
    report = run_notebook(solution_copy, TIMEOUT)
    assert len(starts) == runner.KERNEL_STARTS
    assert report.problem == (
        "could not run the notebook: RuntimeError: Kernel died before replying to kernel_info"
    )


def test_kernel_gets_the_environment_and_working_directory(tmp_path: Path) -> None:
    """`env` is added to the kernel's environment and `cwd` is its working directory."""
    (tmp_path / "work").mkdir()
    path = checks_only(
        tmp_path / "env.ipynb",
        env="import os\nassert os.environ['AWS_ENDPOINT_URL'] == 'http://127.0.0.1:9'",
        cwd=f"import os\nassert os.getcwd() == {str(tmp_path / 'work')!r}, os.getcwd()",
    )
    report = run_notebook(
        path, TIMEOUT, env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, cwd=tmp_path / "work"
    )
    assert report.results == {"env": ExerciseResult("pass"), "cwd": ExerciseResult("pass")}


def test_exercise_without_check_cell_is_an_error(tmp_path: Path) -> None:
    """An exercise cell whose check cell was deleted cannot pass."""
    notebook = new_notebook(cells=[new_code_cell("x = 1", metadata={"tags": ["exercise:x"]})])
    nbformat.write(notebook, tmp_path / "lonely.ipynb")
    report = run_notebook(tmp_path / "lonely.ipynb", TIMEOUT)
    assert report.results == {"x": ExerciseResult("error", "no check cell tagged check:x")}


def test_report_survives_a_json_round_trip() -> None:
    """A report read back from its JSON equals the original."""
    report = NotebookReport("a.ipynb", {"add": ExerciseResult("fail", "why")}, "")
    assert NotebookReport.from_json(report.to_json()) == report
