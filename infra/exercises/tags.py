"""Which cells are exercises and which are their checks (cell metadata tags)."""

from __future__ import annotations

import re
from typing import Any

from .markers import has_solution

EXERCISE = "exercise"
CHECK = "check"
TAG = re.compile(r"^(?P<role>exercise|check):(?P<id>[A-Za-z0-9_-]+)$")


def cell_role(cell: Any) -> tuple[str, str] | None:
    """`("exercise", id)` or `("check", id)` from a cell's tags, or None for other cells."""
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


def structure_problems(notebook: Any, name: str = "") -> list[str]:
    """What breaks the convention: a check cell missing, misplaced or duplicated, an empty exercise."""
    problems: list[str] = []
    cells = notebook.get("cells", [])
    checks: dict[str, int] = {}
    for index, cell in enumerate(cells):
        role = cell_role(cell)
        if role is None:
            continue
        kind, exercise = role
        if cell.get("cell_type") != "code":
            problems.append(f"{name}cell {index}: {kind}:{exercise} is not a code cell")
        if kind == CHECK:
            if exercise in checks:
                problems.append(f"{name}cell {index}: a second check cell for {exercise!r}")
            checks[exercise] = index
            continue
        following = cells[index + 1] if index + 1 < len(cells) else {}
        if cell_role(following) != (CHECK, exercise):
            problems.append(
                f"{name}cell {index}: exercise {exercise!r} is not followed by its check"
            )
        if not has_solution("".join(cell.get("source", ""))):
            problems.append(f"{name}cell {index}: exercise {exercise!r} has no solution region")
    return problems
