"""`workshop check PATH...`: grade learners' exercise notebooks.

A PATH is one notebook, one learner's folder, or a folder of submissions:

- a notebook file: the learner is the file's stem;
- a folder with notebooks directly in it and no `.py` files: one learner per notebook (stem);
- a folder with notebooks directly in it and `.py` files (edited Lambda code): one learner,
  named after the folder;
- any other folder: one learner per subfolder, named after the subfolder.

Each notebook runs in a scratch working tree: the exercises tree (its Lambda stubs, data files),
then the learner's folder copied over it. So a learner's edited `lambdas/chat/default.py` is what
the notebook's deploy cells package, and a learner who sent only the notebook gets the stubs.
Each notebook also gets its own fresh local cloud and process (see `sandbox.py`).
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .runner import PROJECT_ROOT, ExerciseResult, NotebookReport
from .sandbox import run_in_sandbox
from .tags import exercise_ids

DEFAULT_BASE = PROJECT_ROOT / "exercises"
JOBS = 2  # notebooks graded at once: a kernel, a cloud and Lambda workers each


@dataclass(frozen=True)
class Submission:
    """One notebook of one learner; `folder` is copied as its working tree when there is one."""

    learner: str
    notebook: Path
    folder: Path | None = None


@dataclass
class Grades:
    """The learner x exercise table."""

    exercises: list[str]
    rows: dict[str, dict[str, ExerciseResult]]

    def failed(self) -> bool:
        return any(r.status != "pass" for row in self.rows.values() for r in row.values())


def main(
    paths: list[Path],
    timeout: float,
    out: Path,
    base: Path | None = DEFAULT_BASE,
    jobs: int = JOBS,
) -> int:
    """Grade, print the table, write `out/grades.csv` and `out/grades.json`; 0 when all pass."""
    submissions = find_submissions(paths)
    if not submissions:
        print("No notebooks found in " + ", ".join(map(str, paths)), file=sys.stderr)
        return 2
    base = base if base is not None and base.is_dir() else None
    reports = grade_all(submissions, timeout, base, jobs)
    grades = tabulate(submissions, reports, base)
    print(format_table(grades))
    write_grades(grades, out)
    print(f"\nWrote {out / 'grades.csv'} and {out / 'grades.json'}")
    return 1 if grades.failed() else 0


def find_submissions(paths: Iterable[Path]) -> list[Submission]:
    """The notebooks to grade and whose they are (see the module docstring)."""
    found: list[Submission] = []
    for path in paths:
        if not path.is_dir():  # a notebook, or something that will be reported as unreadable
            found.append(Submission(path.stem, path))
            continue
        direct = [p for p in _visible(path.iterdir()) if p.suffix == ".ipynb" and p.is_file()]
        if direct and any(_visible(path.rglob("*.py"), path)):
            found += [Submission(path.name, nb, path) for nb in _notebooks(path)]
        elif direct:
            found += [Submission(nb.stem, nb) for nb in direct]
        else:
            for folder in _visible(path.iterdir()):
                if folder.is_dir():
                    found += [Submission(folder.name, nb, folder) for nb in _notebooks(folder)]
    return found


def grade_all(
    submissions: Sequence[Submission], timeout: float, base: Path | None, jobs: int = JOBS
) -> list[NotebookReport]:
    """Every submission's report, `jobs` at a time, in the order given."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda s: grade_one(s, timeout, base), submissions))


def grade_one(submission: Submission, timeout: float, base: Path | None) -> NotebookReport:
    """Run one submission in a scratch tree, a fresh process and a fresh cloud."""
    try:
        with tempfile.TemporaryDirectory(prefix="workshop-check-") as scratch:
            notebook = _prepare_tree(submission, base, Path(scratch))
            report = run_in_sandbox(notebook, notebook.parent, timeout)
    except Exception as error:  # an uncopyable folder, a full disk: one row of errors, no crash
        report = NotebookReport("", problem=f"could not grade: {type(error).__name__}: {error}")
    report.path = str(submission.notebook)
    print(f"graded {submission.learner}: {submission.notebook}", file=sys.stderr, flush=True)
    return report


def tabulate(
    submissions: Sequence[Submission], reports: Sequence[NotebookReport], base: Path | None
) -> Grades:
    """One row per learner, one column per exercise (all exercises seen, in notebook order)."""
    exercises: list[str] = []
    by_learner: dict[str, list[NotebookReport]] = {}
    for submission, report in zip(submissions, reports, strict=True):
        expected = _reference_ids(submission, base)
        for exercise in [*expected, *report.results]:
            if exercise not in exercises:
                exercises.append(exercise)
        by_learner.setdefault(submission.learner, []).append(report)
    rows = {
        learner: {exercise: _result(notebooks, exercise) for exercise in exercises}
        for learner, notebooks in by_learner.items()
    }
    return Grades(exercises, rows)


def format_table(grades: Grades) -> str:
    """The table as aligned text, then the first line of every failure and error."""
    header = ["learner", *grades.exercises]
    lines = [header] + [
        [learner, *(row[exercise].status for exercise in grades.exercises)]
        for learner, row in grades.rows.items()
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
            for line in lines]  # fmt: skip
    details = [
        f"{learner} / {exercise}: {result.status}: {result.message}"
        for learner, row in grades.rows.items()
        for exercise, result in row.items()
        if result.status != "pass"
    ]
    return "\n".join(text + ([""] + details if details else []))


def write_grades(grades: Grades, out: Path) -> None:
    """grades.csv (learner, exercise, status, message) and grades.json (learner -> exercise)."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "grades.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner", "exercise", "status", "message"])
        for learner, row in grades.rows.items():
            for exercise, result in row.items():
                writer.writerow([learner, exercise, result.status, result.message])
    document = {
        "exercises": grades.exercises,
        "learners": {
            learner: {e: {"status": r.status, "message": r.message} for e, r in row.items()}
            for learner, row in grades.rows.items()
        },
    }
    (out / "grades.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _prepare_tree(submission: Submission, base: Path | None, tree: Path) -> Path:
    """The scratch working tree; returns where the learner's notebook sits in it."""
    if base is not None:
        shutil.copytree(base, tree, ignore=_not_copied_from_base, dirs_exist_ok=True)
    if submission.folder is not None:
        shutil.copytree(submission.folder, tree, dirs_exist_ok=True, ignore=_hidden)
        return tree / submission.notebook.relative_to(submission.folder)
    target = tree / submission.notebook.name
    if submission.notebook.is_file():
        shutil.copyfile(submission.notebook, target)
    return target


def _result(notebooks: list[NotebookReport], exercise: str) -> ExerciseResult:
    for report in notebooks:
        if exercise in report.results:
            return report.results[exercise]
    problems = "; ".join(report.problem for report in notebooks if report.problem)
    return ExerciseResult("error", problems or "exercise not found in the notebook")


def _reference_ids(submission: Submission, base: Path | None) -> list[str]:
    """The exercise ids of the exercises notebook this submission is a copy of, if known."""
    if base is None:
        return []
    relative = (
        submission.notebook.relative_to(submission.folder)
        if submission.folder is not None
        else Path(submission.notebook.name)
    )
    try:
        return exercise_ids(nbformat.read(base / relative, as_version=4))
    except Exception:
        return []


def _notebooks(folder: Path) -> list[Path]:
    return [p for p in _visible(folder.rglob("*.ipynb"), folder) if p.is_file()]


def _visible(paths: Iterable[Path], root: Path | None = None) -> list[Path]:
    """Paths without hidden parts (.ipynb_checkpoints, .git) or caches, sorted."""
    kept = []
    for path in paths:
        parts = path.relative_to(root).parts if root is not None else (path.name,)
        if not any(part.startswith(".") or part == "__pycache__" for part in parts):
            kept.append(path)
    return sorted(kept)


def _hidden(folder: str, names: list[str]) -> set[str]:
    return {name for name in names if name.startswith(".") or name == "__pycache__"}


def _not_copied_from_base(folder: str, names: list[str]) -> set[str]:
    """The exercises tree gives the working files; notebooks come from the learner only."""
    return _hidden(folder, names) | {name for name in names if name.endswith(".ipynb")}
