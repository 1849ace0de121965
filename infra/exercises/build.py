"""`workshop exercises build`: regenerate exercises/ from solutions/, reproducibly.

Notebooks lose their solution regions, their hidden check variants (`hidden:<id>` cells, which
only the grader runs), outputs, execution counts and editor metadata (widget state, timings);
`.py` files lose their solution regions (as do `.yaml` templates, whose regions become a
`# YOUR CODE HERE` comment); everything else is copied. The same
solutions always give byte-identical exercises, so a test can tell when exercises/ is stale.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat

from .markers import CODE_STUB, COMMENT_STUB, TEXT_STUB, clear_solutions
from .tags import HIDDEN, cell_role, exercise_ids, structure_problems

LESSONS_SOLVED = "lessons"  # solutions/lessons/: the lessons solved, which CI runs; no exercise
TEMPLATE_SUFFIXES = (".yaml", ".yml")  # CloudFormation/SAM templates: regions become comments
# What the build keeps of notebook and cell metadata; the rest is per-machine noise.
NOTEBOOK_METADATA = ("kernelspec", "language_info")
CELL_METADATA = ("tags", "editable", "deletable", "jupyter", "slideshow")


def build_exercises(solutions_dir: Path, exercises_dir: Path) -> int:
    """Make exercises_dir what solutions_dir gives; returns how many files were (re)written."""
    wanted = expected_files(solutions_dir)
    written = 0
    for relative, content in wanted.items():
        target = exercises_dir / relative
        if target.is_file() and target.read_bytes() == content:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        written += 1
    if exercises_dir.is_dir():
        for stale in _files(exercises_dir):
            if stale.relative_to(exercises_dir) not in wanted:
                stale.unlink()
        _remove_empty_folders(exercises_dir)
    return written


def check_in_sync(solutions_dir: Path, exercises_dir: Path) -> list[str]:
    """How exercises_dir differs from what the build would write (empty when in sync)."""
    wanted = expected_files(solutions_dir)
    present = (
        {path.relative_to(exercises_dir) for path in _files(exercises_dir)}
        if exercises_dir.is_dir()
        else set()
    )
    differences = []
    for relative in sorted(wanted.keys() | present):
        if relative not in present:
            differences.append(f"{relative}: missing (run `workshop exercises build`)")
        elif relative not in wanted:
            differences.append(f"{relative}: not in solutions/ (run `workshop exercises build`)")
        elif (exercises_dir / relative).read_bytes() != wanted[relative]:
            differences.append(
                f"{relative}: differs from its build (run `workshop exercises build`)"
            )
    return differences


def expected_files(solutions_dir: Path) -> dict[Path, bytes]:
    """Every file of the exercises tree, by path relative to its root."""
    files: dict[Path, bytes] = {}
    for source in _files(solutions_dir):
        relative = source.relative_to(solutions_dir)
        if source.suffix == ".ipynb":
            files[relative] = notebook_stub(source.read_text(encoding="utf-8"), f"{relative}: ")
        elif source.suffix == ".py":
            text = clear_solutions(source.read_text(encoding="utf-8"), CODE_STUB, f"{relative}: ")
            files[relative] = text.encode("utf-8")
        elif source.suffix in TEMPLATE_SUFFIXES:
            text = clear_solutions(
                source.read_text(encoding="utf-8"), COMMENT_STUB, f"{relative}: "
            )
            files[relative] = text.encode("utf-8")
        else:
            files[relative] = source.read_bytes()
    return files


def solution_problems(solutions_dir: Path) -> list[str]:
    """Where solutions/ breaks the convention of `infra.exercises` (empty when it follows it)."""
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in _files(solutions_dir):
        if path.suffix != ".ipynb":
            continue
        relative = path.relative_to(solutions_dir)
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        problems += structure_problems(notebook, f"{relative}: ", hidden=True)
        for exercise in exercise_ids(notebook):
            if exercise in seen:
                problems.append(
                    f"{relative}: exercise id {exercise!r} also used in {seen[exercise]}"
                )
            seen.setdefault(exercise, relative)
    return problems


def notebook_stub(text: str, where: str = "") -> bytes:
    """A solution notebook's exercise version, serialized deterministically."""
    notebook = nbformat.reads(text, as_version=4)
    notebook.metadata = _keep(notebook.metadata, NOTEBOOK_METADATA)
    notebook.cells = [cell for cell in notebook.cells if not _is_hidden_variant(cell)]
    for index, cell in enumerate(notebook.cells):
        cell.metadata = _keep(cell.metadata, CELL_METADATA)
        here = f"{where}cell {index}, "
        if cell.cell_type == "code":
            cell.source = clear_solutions(cell.source, CODE_STUB, here)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = clear_solutions(cell.source, TEXT_STUB, here)
    return (nbformat.writes(notebook) + "\n").encode("utf-8")


def _is_hidden_variant(cell: Any) -> bool:
    role = cell_role(cell)
    return role is not None and role[0] == HIDDEN


def _keep(metadata: Any, keys: tuple[str, ...]) -> Any:
    return nbformat.from_dict({key: metadata[key] for key in keys if key in metadata})


def _files(root: Path) -> list[Path]:
    """The files the build owns: hidden ones (checkpoints, editor state) and caches are not.

    Symlinked folders are followed (`solutions/lambdas` links to the finished apps in
    `lambdas/`), which `Path.rglob` does not do before Python 3.13.
    """
    found = []
    for folder, subfolders, names in os.walk(root, followlinks=True):
        subfolders[:] = [name for name in subfolders if not _ignored(name)]
        if Path(folder) == root and LESSONS_SOLVED in subfolders:
            subfolders.remove(LESSONS_SOLVED)  # the solved lessons are no exercises
        for name in names:
            path = Path(folder, name)
            if not _ignored(name) and path.suffix != ".pyc" and path.is_file():
                found.append(path)
    return sorted(found)


def _ignored(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def _remove_empty_folders(root: Path) -> None:
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
