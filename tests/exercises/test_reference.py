"""graded_copy: the learner's notebook with the kit's own checks, whatever the learner did to them."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from infra.exercises.reference import graded_copy, kit_notebooks, matching_kit_notebook
from infra.exercises.tags import cell_role

from .conftest import NOTEBOOK, SOLUTIONS


def kit() -> nbformat.NotebookNode:
    return nbformat.read(SOLUTIONS / NOTEBOOK, as_version=4)


def learner(built: Path) -> nbformat.NotebookNode:
    return nbformat.read(built / NOTEBOOK, as_version=4)


def roles(notebook: nbformat.NotebookNode) -> list[str]:
    return [":".join(role) for cell in notebook.cells if (role := cell_role(cell))]


def source_of(notebook: nbformat.NotebookNode, tag: str) -> str:
    return next(c.source for c in notebook.cells if tag in c.metadata.get("tags", []))


KIT_ORDER = [
    "exercise:add", "check:add", "hidden:add",
    "exercise:squares", "check:squares", "hidden:squares",
    "check:greet", "hidden:greet",
]  # fmt: skip


def test_an_untouched_copy_gets_the_hidden_variants(built: Path) -> None:
    """The learner's copy has no hidden cells; the graded copy runs each after its check."""
    graded = graded_copy(learner(built), kit())
    assert roles(graded) == KIT_ORDER
    assert source_of(graded, "hidden:add") == source_of(kit(), "hidden:add")


def test_an_edited_check_is_graded_as_the_kits(built: Path) -> None:
    """A check cell replaced with `pass` runs as the kit wrote it."""
    notebook = learner(built)
    for cell in notebook.cells:
        if (cell_role(cell) or ("",))[0] == "check":
            cell.source = "pass"
    graded = graded_copy(notebook, kit())
    for exercise in ("add", "squares", "greet"):
        assert source_of(graded, f"check:{exercise}") == source_of(kit(), f"check:{exercise}")


def test_a_deleted_check_comes_back_after_its_exercise(built: Path) -> None:
    """A check cell (or its tag) that is gone is put back right after the exercise cell."""
    notebook = learner(built)
    notebook.cells = [c for c in notebook.cells if "check:add" not in c.metadata.get("tags", [])]
    notebook.cells[0].metadata["tags"] = ["mine"]  # tags on other cells do not matter
    assert roles(graded_copy(notebook, kit())) == KIT_ORDER


def test_a_check_without_an_exercise_cell_comes_back_where_the_kit_has_it(built: Path) -> None:
    """greet's answer is a Lambda file: its check goes after the cell the kit has before it."""
    notebook = learner(built)
    notebook.cells = [c for c in notebook.cells if "check:greet" not in c.metadata.get("tags", [])]
    graded = graded_copy(notebook, kit())
    before = next(
        i for i, c in enumerate(graded.cells) if "check:greet" in c.metadata.get("tags", [])
    )
    assert graded.cells[before - 1].source.startswith("Finish `handler`")


def test_a_deleted_exercise_comes_back_as_the_stub(built: Path) -> None:
    """Without the exercise cell the check would error; with the stub back, it fails."""
    notebook = learner(built)
    notebook.cells = [c for c in notebook.cells if cell_role(c) not in (("exercise", "add"),)]
    graded = graded_copy(notebook, kit())
    assert roles(graded) == KIT_ORDER
    assert source_of(graded, "exercise:add").endswith("raise NotImplementedError()")


def test_the_learners_other_cells_and_answers_stay(built: Path) -> None:
    """Answers, setup and cells the learner added are theirs."""
    notebook = learner(built)
    notebook.cells.insert(2, new_code_cell("helper = 1"))
    answer = next(c for c in notebook.cells if cell_role(c) == ("exercise", "add"))
    answer.source = "def add(a, b):\n    return a + b + helper - 1"
    graded = graded_copy(notebook, kit())
    assert graded.cells[2].source == "helper = 1"
    assert source_of(graded, "exercise:add") == answer.source


def test_a_renamed_copy_is_matched_by_its_exercises(built: Path) -> None:
    """A submission named after the learner is the kit notebook it shares exercises with."""
    kit_books = kit_notebooks(SOLUTIONS)
    assert matching_kit_notebook(NOTEBOOK, None, kit_books) == NOTEBOOK
    assert matching_kit_notebook("ada.ipynb", learner(built), kit_books) == NOTEBOOK
    assert matching_kit_notebook("ada.ipynb", nbformat.v4.new_notebook(), kit_books) is None
