"""The kit's own notebooks as the reference for grading: the checks run are the kit's, not the learner's.

`graded_copy(learner, kit)` is the learner's notebook with every `check:<id>` and `hidden:<id>`
cell taken from the kit's solution notebook, whatever the learner's copy holds:

- a learner's check cell (edited to `pass`, or not) is replaced by the kit's;
- a check cell the learner deleted is put back, right after the learner's exercise cell, or
  after the cell the kit has before it (matched by cell id), or at the end;
- the hidden variant, which the learner never saw, follows each check;
- an exercise cell the learner deleted comes back as the stub (so it fails, not errors).

Everything else (setup cells, the learner's own extra cells, the answers) is the learner's.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat

from .markers import CODE_STUB, clear_solutions
from .tags import CHECK, EXERCISE, HIDDEN, cell_role, exercise_ids

Notebook = Any  # nbformat.NotebookNode


def kit_notebooks(folder: Path | None) -> dict[str, Notebook]:
    """The reference notebooks by file name (none when there is no such folder)."""
    if folder is None or not folder.is_dir():
        return {}
    return {path.name: nbformat.read(path, as_version=4) for path in sorted(folder.glob("*.ipynb"))}


def matching_kit_notebook(
    name: str, learner: Notebook | None, kit: dict[str, Notebook]
) -> str | None:
    """The kit notebook a submission is a copy of: same file name, else most exercise ids shared."""
    if name in kit:
        return name
    if learner is None:
        return None
    ids = set(exercise_ids(learner))
    shared = {kit_name: len(ids & set(exercise_ids(nb))) for kit_name, nb in kit.items()}
    best = max(shared, key=lambda kit_name: shared[kit_name], default=None)
    return best if best is not None and shared[best] > 0 else None


def graded_copy(learner: Notebook, kit: Notebook) -> Notebook:
    """The learner's notebook with the kit's check cells and hidden variants (see the module doc)."""
    graded = copy.deepcopy(learner)
    checks = _tagged(kit, (CHECK, HIDDEN))
    cells: list[Any] = []
    placed: set[str] = set()
    for cell in graded.cells:
        role = cell_role(cell)
        if role is not None and role[0] in (CHECK, HIDDEN):
            continue  # the kit's own come in their place
        cells.append(cell)
        if role is not None and role[0] == EXERCISE and role[1] in checks:
            cells += checks[role[1]]
            placed.add(role[1])
    for exercise, kit_cells in checks.items():
        if exercise not in placed:
            missing = _stub_of(kit, exercise) + kit_cells
            at = _insertion_point(cells, kit, exercise)
            cells[at:at] = missing
    graded.cells = cells
    return graded


def _tagged(kit: Notebook, kinds: Iterable[str]) -> dict[str, list[Any]]:
    """Per exercise id, the kit's cells of these kinds, in notebook order (copies)."""
    found: dict[str, list[Any]] = {}
    for cell in kit.cells:
        role = cell_role(cell)
        if role is not None and role[0] in kinds:
            found.setdefault(role[1], []).append(copy.deepcopy(cell))
    return found


def _stub_of(kit: Notebook, exercise: str) -> list[Any]:
    """The kit's exercise cell as its stub, or nothing when the answer lives in a .py file."""
    for cell in kit.cells:
        if cell_role(cell) == (EXERCISE, exercise):
            stub = copy.deepcopy(cell)
            stub.source = clear_solutions(stub.source, CODE_STUB)
            return [stub]
    return []


def _insertion_point(cells: list[Any], kit: Notebook, exercise: str) -> int:
    """Where a missing exercise's cells go: after the learner's copy of the kit cell before them."""
    ids = [cell.get("id") for cell in cells]
    first = next(i for i, cell in enumerate(kit.cells) if _exercise_of(cell) == exercise)
    for previous in reversed(kit.cells[:first]):
        if previous.get("id") in ids:
            return ids.index(previous.get("id")) + 1
    return len(cells)


def _exercise_of(cell: Any) -> str | None:
    role = cell_role(cell)
    return role[1] if role is not None else None
