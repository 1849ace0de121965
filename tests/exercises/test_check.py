"""`workshop check`: a learner x exercise table from a folder of submissions."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from infra.exercises.check import Submission, find_submissions, grade_all, main, tabulate
from infra.exercises.runner import ExerciseResult, NotebookReport

from .conftest import NOTEBOOK, SOLUTIONS


@dataclass
class Run:
    """What one grader run returned, printed and wrote."""

    status: int
    printed: str
    grades: dict[str, Any]
    csv_rows: list[dict[str, str]]

    def statuses(self) -> dict[str, dict[str, str]]:
        return {
            learner: {exercise: result["status"] for exercise, result in row.items()}
            for learner, row in self.grades["learners"].items()
        }

    def message(self, learner: str, exercise: str) -> str:
        return str(self.grades["learners"][learner][exercise]["message"])


def grade(paths: list[Path], out: Path, base: Path, timeout: float) -> Run:
    """Run the grader as `workshop check` does, keeping what it prints."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(paths, timeout=timeout, out=out, base=base, reference=SOLUTIONS)
    grades = json.loads((out / "grades.json").read_text())
    with (out / "grades.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return Run(status, printed.getvalue(), grades, rows)


@pytest.fixture(scope="module")
def room(submissions: Path, built: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The grader run once on ada, grace, linus and mallory."""
    return grade([submissions], tmp_path_factory.mktemp("grading"), built, timeout=120.0)


@pytest.fixture(scope="module")
def wreck(broken: Path, built: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The grader run once on a malformed, a hanging and a finished notebook (5 s each)."""
    return grade([broken], tmp_path_factory.mktemp("grading"), built, timeout=5.0)


def test_each_learner_gets_exactly_the_exercises_they_passed(room: Run) -> None:
    """ada passes all; grace only add; linus all but greet, whose check lost its import."""
    assert room.grades["exercises"] == ["add", "squares", "greet"]
    assert room.statuses() == {
        "ada": {"add": "pass", "squares": "pass", "greet": "pass"},
        "grace": {"add": "pass", "squares": "fail", "greet": "fail"},
        "linus": {"add": "pass", "squares": "pass", "greet": "error"},
        "mallory": {"add": "fail", "squares": "fail", "greet": "fail"},
    }


def test_tampered_checks_score_no_better_than_the_real_work(room: Run) -> None:
    """mallory's emptied and deleted checks run as the kit wrote them; her hard-coded add
    passes the example and fails the hidden variant, and the table says so."""
    assert room.message("mallory", "add") == "hidden variant: add(-4, 10) returned 5, expected 6"
    assert room.message("mallory", "squares") == "not done yet (NotImplementedError)"
    assert room.message("mallory", "greet") == "not done yet (NotImplementedError)"


def test_failures_carry_the_first_line_of_their_message(room: Run) -> None:
    """A stub's NotImplementedError and a NameError are reported with their first line."""
    assert room.message("grace", "squares") == "not done yet (NotImplementedError)"
    assert room.message("linus", "greet") == "NameError: name 'run_path' is not defined"
    assert room.message("ada", "add") == ""


def test_learner_folder_supplies_its_lambda_files(room: Run) -> None:
    """ada's edited handler.py is graded; grace, who sent only her notebook, gets the stub."""
    assert room.statuses()["ada"]["greet"] == "pass"
    assert room.statuses()["grace"]["greet"] == "fail"


def test_exit_status_is_non_zero_when_anything_fails(room: Run) -> None:
    """Any fail or error makes the grader exit non-zero."""
    assert room.status == 1


def test_printed_table_has_a_row_per_learner(room: Run) -> None:
    """The printed table lists learners against exercises, then each failure's line."""
    lines = room.printed.splitlines()
    assert lines[0].split() == ["learner", "add", "squares", "greet"]
    assert lines[1].split() == ["ada", "pass", "pass", "pass"]
    assert lines[2].split() == ["grace", "pass", "fail", "fail"]
    assert lines[3].split() == ["linus", "pass", "pass", "error"]
    assert lines[4].split() == ["mallory", "fail", "fail", "fail"]
    assert "linus / greet: error: NameError: name 'run_path' is not defined" in lines


def test_csv_has_a_row_per_learner_and_exercise(room: Run) -> None:
    """grades.csv holds learner, exercise, status and message for every pair."""
    assert len(room.csv_rows) == 12
    assert room.csv_rows[4] == {
        "learner": "grace",
        "exercise": "squares",
        "status": "fail",
        "message": "not done yet (NotImplementedError)",
    }


def test_malformed_notebook_is_an_error_everywhere(wreck: Run) -> None:
    """A notebook that is not JSON is an error for every exercise, with the reason."""
    assert wreck.statuses()["malformed"] == dict.fromkeys(["add", "squares", "greet"], "error")
    assert wreck.message("malformed", "add").startswith("cannot read the notebook")


def test_hanging_notebook_times_out_as_an_error(wreck: Run) -> None:
    """A notebook stuck in a loop is stopped at the timeout and reported as errors."""
    assert wreck.statuses()["hanging"] == dict.fromkeys(["add", "squares", "greet"], "error")
    assert wreck.message("hanging", "add") == "timed out after 5 s (in cell 3)"


def test_other_notebooks_still_get_graded(wreck: Run) -> None:
    """Next to broken notebooks, a finished one is graded as usual (greet: the stub file)."""
    assert wreck.statuses()["finished"] == {"add": "pass", "squares": "pass", "greet": "fail"}
    assert wreck.status == 1


CREATE_TABLE = """import boto3, os
dynamodb = boto3.client("dynamodb")
assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
assert dynamodb.list_tables()["TableNames"] == [], "another notebook's table is visible"
dynamodb.create_table(
    TableName="grades",
    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
)"""


def test_each_notebook_gets_its_own_fresh_cloud(tmp_path: Path) -> None:
    """Two notebooks graded side by side each reach a local cloud with no tables in it."""
    notebook = new_notebook(cells=[new_code_cell(CREATE_TABLE, metadata={"tags": ["check:cloud"]})])
    for learner in ("bo", "cy"):
        nbformat.write(notebook, tmp_path / f"{learner}.ipynb")
    reports = grade_all(find_submissions([tmp_path]), timeout=60.0, base=None)
    assert [report.results for report in reports] == [{"cloud": ExerciseResult("pass")}] * 2


def test_subfolders_are_learners(tmp_path: Path) -> None:
    """In a folder of folders, each subfolder is a learner with its notebooks."""
    for learner in ("bo", "cy"):
        (tmp_path / learner).mkdir()
        (tmp_path / learner / NOTEBOOK).write_text("{}")
    (tmp_path / "bo" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "bo" / ".ipynb_checkpoints" / "basics-checkpoint.ipynb").write_text("{}")
    assert find_submissions([tmp_path]) == [
        Submission("bo", tmp_path / "bo" / NOTEBOOK, tmp_path / "bo"),
        Submission("cy", tmp_path / "cy" / NOTEBOOK, tmp_path / "cy"),
    ]


def test_notebook_files_in_a_folder_are_learners(tmp_path: Path) -> None:
    """In a folder of notebooks (and no Lambda code), each notebook's stem is a learner."""
    for learner in ("bo", "cy"):
        (tmp_path / f"{learner}.ipynb").write_text("{}")
    assert find_submissions([tmp_path]) == [
        Submission("bo", tmp_path / "bo.ipynb"),
        Submission("cy", tmp_path / "cy.ipynb"),
    ]


def test_folder_with_lambda_code_is_one_learner(tmp_path: Path) -> None:
    """A folder holding notebooks and .py files is one learner's, named after the folder."""
    learner = tmp_path / "dee"
    (learner / "lambdas" / "chat").mkdir(parents=True)
    (learner / "lambdas" / "chat" / "default.py").write_text("")
    (learner / NOTEBOOK).write_text("{}")
    assert find_submissions([learner]) == [Submission("dee", learner / NOTEBOOK, learner)]


def test_folder_named_like_the_kit_is_one_learner(tmp_path: Path) -> None:
    """Notebooks named like the kit's (a copy of exercises/, no Lambda code) are one learner's."""
    learner = tmp_path / "fay"
    learner.mkdir()
    (learner / NOTEBOOK).write_text("{}")
    kit = {NOTEBOOK: nbformat.v4.new_notebook()}
    assert find_submissions([learner], kit) == [Submission("fay", learner / NOTEBOOK, learner)]


def own_copy(folder: Path) -> Path:
    """A learner's `my-work/` as `workshop up` lays it out: lessons and exercises side by side."""
    (folder / "notebooks").mkdir(parents=True)
    (folder / "notebooks" / "01-connections-table.ipynb").write_text("{}")
    (folder / "exercises" / "lambdas" / "chat").mkdir(parents=True)
    (folder / "exercises" / NOTEBOOK).write_text("{}")
    return folder


def test_a_learners_own_copy_is_one_learner_graded_on_its_exercises(tmp_path: Path) -> None:
    """`workshop check my-work`: one learner named after the folder, its lessons not graded."""
    work = own_copy(tmp_path / "my-work")
    exercises = work / "exercises"
    assert find_submissions([work]) == [Submission("my-work", exercises / NOTEBOOK, exercises)]


def test_handed_in_own_copies_are_learners(tmp_path: Path) -> None:
    """A folder of learners' `my-work/` folders: each is graded on its `exercises/`."""
    for learner in ("bo", "cy"):
        own_copy(tmp_path / learner)
    assert find_submissions([tmp_path]) == [
        Submission(name, tmp_path / name / "exercises" / NOTEBOOK, tmp_path / name / "exercises")
        for name in ("bo", "cy")
    ]


def test_a_notebook_nobody_handed_in_is_no_column_and_a_missing_one_fails() -> None:
    """Columns are the exercises of the kit notebooks handed in; a learner without one fails it."""
    kit = {
        "one.ipynb": new_notebook(cells=[new_code_cell("", metadata={"tags": ["check:a"]})]),
        "two.ipynb": new_notebook(cells=[new_code_cell("", metadata={"tags": ["check:b"]})]),
        "six.ipynb": new_notebook(cells=[new_code_cell("", metadata={"tags": ["check:z"]})]),
    }
    submissions = [
        Submission("ada", Path("ada/one.ipynb"), Path("ada")),
        Submission("ada", Path("ada/two.ipynb"), Path("ada")),
        Submission("bo", Path("bo/two.ipynb"), Path("bo")),
    ]
    passed = {
        "one.ipynb": {"a": ExerciseResult("pass")},
        "two.ipynb": {"b": ExerciseResult("pass")},
    }
    reports = [NotebookReport(str(s.notebook), passed[s.notebook.name]) for s in submissions]
    grades = tabulate(submissions, reports, kit)
    assert grades.exercises == ["a", "b"]
    assert grades.rows["bo"] == {
        "a": ExerciseResult("fail", "not handed in (one.ipynb)"),
        "b": ExerciseResult("pass"),
    }


def test_a_notebook_path_is_a_learner(tmp_path: Path) -> None:
    """A notebook given directly is graded for the learner named by its stem."""
    assert find_submissions([tmp_path / "eve.ipynb"]) == [Submission("eve", tmp_path / "eve.ipynb")]


def test_nothing_to_grade_exits_with_2(tmp_path: Path) -> None:
    """An empty folder is a usage error, not an empty table."""
    assert main([tmp_path], timeout=5, out=tmp_path / "out", base=None) == 2
