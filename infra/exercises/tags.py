"""Which cells are exercises, their checks and their hidden variants (cell metadata tags)."""

from __future__ import annotations

import re
from typing import Any

from .markers import has_solution

EXERCISE = "exercise"
CHECK = "check"
HIDDEN = "hidden"
TAG = re.compile(r"^(?P<role>exercise|check|hidden):(?P<id>[A-Za-z0-9_-]+)$")


def cell_role(cell: Any) -> tuple[str, str] | None:
    """`("exercise", id)`, `("check", id)` or `("hidden", id)` from a cell's tags, else None."""
    for tag in cell.get("metadata", {}).get("tags", []):
        match = TAG.match(tag)
        if match:
            return match.group("role"), match.group("id")
    return None


def exercise_ids(notebook: Any) -> list[str]:
    """The exercise ids of a notebook, in the order they first appear."""
    ids: list[str] = []
    for cell in notebook.get("cells", []):
        role = cell_role(cell)
        if role and role[1] not in ids:
            ids.append(role[1])
    return ids


def structure_problems(notebook: Any, name: str = "", *, hidden: bool = False) -> list[str]:
    """What breaks the convention: a check cell missing, misplaced or duplicated, an empty exercise.

    With `hidden`, every check must also be followed by its hidden variant (the kit's solutions).
    """
    problems: list[str] = []
    cells = notebook.get("cells", [])
    seen: dict[tuple[str, str], int] = {}
    for index, cell in enumerate(cells):
        role = cell_role(cell)
        if role is None:
            continue
        kind, exercise = role
        following = cell_role(cells[index + 1]) if index + 1 < len(cells) else None
        if cell.get("cell_type") != "code":
            problems.append(f"{name}cell {index}: {kind}:{exercise} is not a code cell")
        if role in seen:
            problems.append(f"{name}cell {index}: a second {kind} cell for {exercise!r}")
        seen[role] = index
        if kind == EXERCISE:
            if following != (CHECK, exercise):
                problems.append(
                    f"{name}cell {index}: exercise {exercise!r} is not followed by its check"
                )
            if not has_solution("".join(cell.get("source", ""))):
                problems.append(f"{name}cell {index}: exercise {exercise!r} has no solution region")
        elif kind == CHECK and hidden and following != (HIDDEN, exercise):
            problems.append(
                f"{name}cell {index}: check {exercise!r} is not followed by its hidden variant"
            )
        elif kind == HIDDEN and (CHECK, exercise) not in seen:
            problems.append(f"{name}cell {index}: hidden variant {exercise!r} before its check")
    return problems
