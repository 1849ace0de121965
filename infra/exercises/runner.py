"""Run one notebook in a fresh kernel and grade each of its exercises.

Execution goes on past failing cells (a learner stuck on exercise 2 still gets exercise 3
graded). Whatever goes wrong with the notebook itself (unreadable, kernel dead, too slow) ends
up in the report, never as an exception of the grader.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from infra.challenges import STRICT_VARIABLE

from .tags import CHECK, EXERCISE, HIDDEN, cell_role, exercise_ids

Status = Literal["pass", "fail", "error"]
# Failures a learner can fix in their answer; any other exception means the notebook broke.
FAILURES = ("AssertionError", "CheckFailed", "NotImplementedError")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ExerciseResult:
    """How one exercise went, with the first line of what went wrong."""

    status: Status
    message: str = ""


@dataclass
class NotebookReport:
    """Per exercise id, in notebook order; `problem` says why the notebook as a whole broke."""

    path: str
    results: dict[str, ExerciseResult] = field(default_factory=dict)
    problem: str = ""

    def result(self, exercise: str) -> ExerciseResult:
        """The exercise's result; a notebook that broke, or lacks the exercise, is an error."""
        if exercise in self.results:
            return self.results[exercise]
        return ExerciseResult("error", self.problem or "exercise not found in the notebook")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> NotebookReport:
        data = json.loads(text)
        results = {key: ExerciseResult(**value) for key, value in data["results"].items()}
        return cls(data["path"], results, data["problem"])


# A kernel can die before it answers at all when many start at once (jupyter_client picks its
# ports before the kernel binds them, and another process may take one meanwhile): nothing of the
# learner's has run, so the notebook gets a fresh kernel rather than a failing grade.
KERNEL_NEVER_STARTED = "Kernel died before replying to kernel_info"
KERNEL_STARTS = 3


def run_notebook(
    path: Path,
    timeout: float,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> NotebookReport:
    """Execute the notebook in a fresh kernel (environment: ours plus `env`, working directory:
    `cwd` or the notebook's folder) and grade every exercise; `timeout` bounds all its cells."""
    report = NotebookReport(str(path))
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # malformed JSON, not a notebook, unreadable file
        report.problem = unreadable(error)
        return report
    for _attempt in range(KERNEL_STARTS):
        client = NotebookClient(
            notebook,
            kernel_name="python3",
            allow_errors=True,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": str(cwd or path.parent)}},
        )
        report.problem = ""
        cells_run = _execute(client, notebook, timeout, _kernel_env(env), report)
        if not (cells_run == 0 and KERNEL_NEVER_STARTED in report.problem):
            break
    for exercise in exercise_ids(notebook):
        report.results[exercise] = _grade(notebook, exercise, cells_run, report.problem)
    return report


def read_problem(path: Path) -> str:
    """Why the notebook cannot be read, or "" when it can."""
    try:
        nbformat.read(path, as_version=4)
    except Exception as error:
        return unreadable(error)
    return ""


def unreadable(error: Exception) -> str:
    """The report's reason for a notebook nbformat cannot read."""
    return f"cannot read the notebook: {_first_line(str(error)) or type(error).__name__}"


def _execute(
    client: NotebookClient,
    notebook: Any,
    timeout: float,
    env: dict[str, str],
    report: NotebookReport,
) -> int:
    """Run the cells until done or the deadline; returns how many ran to completion."""
    ran = 0
    try:
        with client.setup_kernel(env=env):
            deadline = time.monotonic() + timeout
            failed: set[str] = set()  # exercises whose exercise or check cell raised
            for index, cell in enumerate(notebook.cells):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CellTimeoutError(f"no time left for cell {index}")
                role = cell_role(cell)
                if role is not None and role[0] == HIDDEN and role[1] in failed:
                    ran = index + 1  # already failed: its hidden variant cannot change that
                    continue
                client.timeout = max(1, int(remaining + 0.999))
                client.execute_cell(cell, index)
                ran = index + 1
                if role is not None and _error_of(cell) is not None:
                    failed.add(role[1])
    except CellTimeoutError:
        report.problem = f"timed out after {timeout:g} s (in cell {ran})"
    except DeadKernelError:
        report.problem = f"the kernel died (in cell {ran})"
    except Exception as error:  # the kernel would not start, or nbclient itself gave up
        report.problem = (
            f"could not run the notebook: {type(error).__name__}: {_first_line(str(error))}"
        )
    return ran


def _grade(notebook: Any, exercise: str, cells_run: int, problem: str) -> ExerciseResult:
    """The exercise's result from its cells' error outputs: exercise, check, hidden variant."""
    cells = {
        role[0]: (index, cell)
        for index, cell in enumerate(notebook.cells)
        if (role := cell_role(cell)) and role[1] == exercise
    }
    for kind in (EXERCISE, CHECK, HIDDEN):
        if kind not in cells:
            continue
        index, cell = cells[kind]
        if index >= cells_run:  # the notebook broke before (or while) this cell ran
            return ExerciseResult("error", problem or "not run")
        error = _error_of(cell)
        if error is not None:
            result = _from_error(error.ename, error.evalue)
            if kind == HIDDEN and result.status == "fail":  # right on the example, wrong in general
                return ExerciseResult("fail", f"hidden variant: {result.message}")
            return result
    if CHECK not in cells:
        return ExerciseResult("error", f"no check cell tagged {CHECK}:{exercise}")
    return ExerciseResult("pass")


def _error_of(cell: Any) -> Any:
    """The cell's error output, if it raised."""
    return next((out for out in cell.get("outputs", []) if out.output_type == "error"), None)


def _from_error(name: str, value: str) -> ExerciseResult:
    if name == "NotImplementedError":
        return ExerciseResult("fail", _first_line(value) or "not done yet (NotImplementedError)")
    if name in ("AssertionError", "CheckFailed"):
        return ExerciseResult("fail", _first_line(value) or "a check failed (AssertionError)")
    return ExerciseResult("error", f"{name}: {_first_line(value)}".rstrip(": "))


def _kernel_env(extra: dict[str, str] | None) -> dict[str, str]:
    """Our environment plus `extra`, with the project importable from any working directory,
    and the lessons' challenge checks strict: a grader counts a stub as not done."""
    env = {**os.environ, STRICT_VARIABLE: "1", **(extra or {})}
    paths = [str(PROJECT_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
