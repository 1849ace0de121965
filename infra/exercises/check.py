"""`workshop check PATH...`: grade learners' exercise notebooks, one row per learner.

A PATH is one notebook, one learner's folder, or a folder of submissions:

- a notebook file: the learner is the file's stem;
- a folder laid out like `exercises/` (a `lambdas/` folder, or notebooks named like the kit's):
  ONE learner, named after the folder, with every notebook in it (`workshop check solutions`
  is one learner, so is `workshop check exercises`);
- a learner's own copy (`my-work/`, which `workshop up` makes): a folder with no notebooks of its
  own and an `exercises/` folder laid out like the kit's: ONE learner, named after the folder,
  graded on that `exercises/` (its lessons in `notebooks/` are not graded);
- another folder with notebooks directly in it: one learner per notebook (its stem);
- any other folder: one learner per subfolder, named after the subfolder.

Each notebook runs in a scratch working tree: the exercises tree (its Lambda stubs, data files),
then the learner's folder copied over it. So a learner's edited `lambdas/chat/default.py` is what
the checks deploy, and a learner who sent only the notebook gets the stubs. The notebook itself is
the learner's with the kit's own check cells and hidden variants in place (`reference.py`), so an
edited or deleted check grades as if it were intact. Each notebook also gets its own fresh local
cloud and process (see `sandbox.py`).
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .reference import graded_copy, kit_notebooks, matching_kit_notebook
from .runner import PROJECT_ROOT, ExerciseResult, NotebookReport
from .sandbox import run_in_sandbox
from .tags import exercise_ids

DEFAULT_BASE = PROJECT_ROOT / "exercises"
DEFAULT_REFERENCE = PROJECT_ROOT / "solutions"
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
    reference: Path | None = DEFAULT_REFERENCE,
) -> int:
    """Grade, print the table, write `out/grades.csv` and `out/grades.json`; 0 when all pass."""
    kit = kit_notebooks(reference)
    submissions = find_submissions(paths, kit)
    if not submissions:
        print("No notebooks found in " + ", ".join(map(str, paths)), file=sys.stderr)
        return 2
    base = base if base is not None and base.is_dir() else None
    reports = grade_all(submissions, timeout, base, jobs, kit)
    grades = tabulate(submissions, reports, kit)
    print(format_table(grades))
    write_grades(grades, out)
    print(f"\nWrote {out / 'grades.csv'} and {out / 'grades.json'}")
    return 1 if grades.failed() else 0


def path_problem(paths: Iterable[Path]) -> str | None:
    """Why a PATH given to `workshop check` cannot be graded (one line), or None when all can.

    Only the paths named are checked: a broken notebook inside a folder of submissions is
    graded as that learner's error row, not refused here.
    """
    for path in paths:
        if not path.exists():
            return (
                f"{path}: no such file or folder; give a notebook (.ipynb), a learner's folder"
                " or a folder of submissions"
            )
        if path.is_dir():
            continue
        if path.suffix != ".ipynb":
            return f"{path} is not a notebook: give an .ipynb file, or the folder it is in"
        if _read(path) is None:
            return (
                f"{path} is not a notebook JSON file (damaged, or not saved by Jupyter):"
                " ask the learner to save it from JupyterLab again"
            )
    return None


def find_submissions(
    paths: Iterable[Path], kit: dict[str, object] | None = None
) -> list[Submission]:
    """The notebooks to grade and whose they are (see the module docstring)."""
    kit_names = set(kit or {})
    found: list[Submission] = []
    for path in paths:
        if not path.is_dir():  # a notebook, or something that will be reported as unreadable
            found.append(Submission(path.stem, path))
            continue
        direct = [p for p in _visible(path.iterdir()) if p.suffix == ".ipynb" and p.is_file()]
        laid_out = (path / "lambdas").is_dir() or any(p.name in kit_names for p in direct)
        own = None if direct else _own_copy(path, kit_names)
        if direct and laid_out:
            found += [Submission(path.name, nb, path) for nb in _notebooks(path)]
        elif direct:
            found += [Submission(nb.stem, nb) for nb in direct]
        elif own is not None:
            found += [Submission(path.name, nb, own) for nb in _notebooks(own)]
        else:
            for folder in _visible(path.iterdir()):
                if folder.is_dir():
                    work = _own_copy(folder, kit_names) or folder  # a handed-in my-work/
                    found += [Submission(folder.name, nb, work) for nb in _notebooks(work)]
    return found


def _own_copy(folder: Path, kit_names: set[str]) -> Path | None:
    """The `exercises/` of a learner's own copy (`my-work/`), when `folder` is one."""
    exercises = folder / "exercises"
    if not exercises.is_dir() or any(p.suffix == ".ipynb" for p in _visible(folder.iterdir())):
        return None
    notebooks = [p.name for p in exercises.glob("*.ipynb")]
    if (exercises / "lambdas").is_dir() or any(name in kit_names for name in notebooks):
        return exercises
    return None


def grade_all(
    submissions: Sequence[Submission],
    timeout: float,
    base: Path | None,
    jobs: int = JOBS,
    kit: dict[str, nbformat.NotebookNode] | None = None,
) -> list[NotebookReport]:
    """Every submission's report, `jobs` at a time, in the order given."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda s: grade_one(s, timeout, base, kit or {}), submissions))


def grade_one(
    submission: Submission,
    timeout: float,
    base: Path | None,
    kit: dict[str, nbformat.NotebookNode] | None = None,
) -> NotebookReport:
    """Run one submission in a scratch tree, with the kit's checks, a fresh process and cloud."""
    try:
        with tempfile.TemporaryDirectory(prefix="workshop-check-") as scratch:
            notebook = _prepare_tree(submission, base, Path(scratch))
            _use_kit_checks(notebook, kit or {})
            report = run_in_sandbox(notebook, notebook.parent, timeout)
    except Exception as error:  # an uncopyable folder, a full disk: one row of errors, no crash
        report = NotebookReport("", problem=f"could not grade: {type(error).__name__}: {error}")
    report.path = str(submission.notebook)
    print(f"graded {submission.learner}: {submission.notebook}", file=sys.stderr, flush=True)
    return report


def tabulate(
    submissions: Sequence[Submission],
    reports: Sequence[NotebookReport],
    kit: dict[str, nbformat.NotebookNode] | None = None,
) -> Grades:
    """One row per learner, one column per exercise of every notebook anyone handed in.

    Notebooks count as the same when they are copies of the same kit notebook. A learner who did
    not hand in a kit notebook that others did fails its exercises ("not handed in").
    """
    kit = kit or {}
    by_learner: dict[str, dict[str, NotebookReport]] = {}
    owner: dict[str, str] = {}  # exercise -> the notebook (kit name, or path) it belongs to
    for submission, report in zip(submissions, reports, strict=True):
        key = matching_kit_notebook(submission.notebook.name, _read(submission.notebook), kit)
        key = key or str(submission.notebook)
        for exercise in [*(exercise_ids(kit[key]) if key in kit else []), *report.results]:
            owner.setdefault(exercise, key)
        by_learner.setdefault(submission.learner, {})[key] = report
    order = sorted(set(owner.values()), key=lambda key: (key not in kit, key))
    exercises = [e for key in order for e in owner if owner[e] == key]
    rows = {
        learner: {e: _result(notebooks, owner[e], e, kit) for e in exercises}
        for learner, notebooks in by_learner.items()
    }
    return Grades(exercises, rows)


def _result(
    notebooks: dict[str, NotebookReport], key: str, exercise: str, kit: Mapping[str, object]
) -> ExerciseResult:
    """One cell of the table: the learner's result, or why there is none."""
    if key in notebooks:
        return notebooks[key].result(exercise)
    for report in notebooks.values():
        if exercise in report.results:
            return report.results[exercise]
    problems = "; ".join(r.problem for r in notebooks.values() if r.problem and not r.results)
    if problems:  # a notebook we could not read or run may have been this one
        return ExerciseResult("error", problems)
    if key in kit:
        return ExerciseResult("fail", f"not handed in ({key})")
    return ExerciseResult("error", "exercise not found in the notebook")


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


def _use_kit_checks(notebook: Path, kit: dict[str, nbformat.NotebookNode]) -> None:
    """Rewrite the scratch copy with the kit's check cells (unreadable notebooks stay as they are)."""
    learner = _read(notebook)
    name = matching_kit_notebook(notebook.name, learner, kit)
    if learner is not None and name is not None:
        nbformat.write(graded_copy(learner, kit[name]), notebook)


def _read(path: Path) -> nbformat.NotebookNode | None:
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # reported by the runner as unreadable
        return None


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
