"""Reading the episode structure of the kit's notebooks: headers, key points, exercise minutes.

The lessons' tests and the instructors' guide's test both read it, so both agree on the format:

- a lesson's first cell: `**Teaching** N min · **Exercises** M min`, then `**Questions**` and
  `**Objectives**`, each followed by a list;
- its last cell: `## Key points`, a list, and a link to its exercise notebook;
- an exercise's heading: ``## 1 · Title `[exercise-id]` · N min``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from infra.exercises.tags import exercise_ids

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISE_NOTEBOOKS = sorted((ROOT / "exercises").glob("*.ipynb"))
MINUTES = re.compile(
    r"\*\*Teaching\*\* (?P<teaching>\d+) min · \*\*Exercises\*\* (?P<exercises>\d+) min"
)
HEADING = re.compile(r"^## .*`\[(?P<id>[A-Za-z0-9_-]+)\]` · (?P<minutes>\d+) min$", re.M)
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


@dataclass(frozen=True)
class Lesson:
    path: Path
    teaching: int
    exercise_minutes: int
    questions: list[str]
    objectives: list[str]
    key_points: list[str]
    closing: str  # the last cell's text

    @property
    def exercises(self) -> Path:
        """The exercise notebook named after the lesson (it may not exist)."""
        return ROOT / "exercises" / f"{self.path.stem}-exercises.ipynb"


def read_lesson(path: Path) -> Lesson:
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    first, last = cells[0].source, cells[-1].source
    minutes = MINUTES.search(first)
    assert minutes, f"{path.name}: no '**Teaching** N min · **Exercises** M min' in its first cell"
    return Lesson(
        path,
        int(minutes["teaching"]),
        int(minutes["exercises"]),
        _list_after("**Questions**", first),
        _list_after("**Objectives**", first),
        _list_after("## Key points", last),
        last,
    )


def exercise_minutes(path: Path) -> dict[str, int]:
    """Each exercise's minutes, from its heading, in notebook order."""
    notebook = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    return {match["id"]: int(match["minutes"]) for match in HEADING.finditer(text)}


def all_exercise_ids() -> dict[str, Path]:
    """Every exercise id of the kit, with its notebook."""
    return {
        exercise: path
        for path in EXERCISE_NOTEBOOKS
        for exercise in exercise_ids(nbformat.read(path, as_version=4))
    }


def links(path: Path) -> list[str]:
    """The relative link targets in the notebook's Markdown cells (no URLs, no anchors)."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for match in LINK.finditer(cell.source):
                target = match["target"].split("#")[0]
                if target and "://" not in target:
                    found.append(target)
    return found


def _list_after(marker: str, text: str) -> list[str]:
    """The `- item` lines that follow `marker` (continuation lines joined)."""
    if marker not in text:
        return []
    items: list[str] = []
    for line in text.split(marker, 1)[1].splitlines()[1:]:
        if line.startswith("- "):
            items.append(line[2:])
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
        elif items or line.strip():
            break
    return items
