"""The built notebooks are exactly what their jupytext sources give (see infra/build.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from infra.build import PROJECT_ROOT, build_all, drift, notebook_from_source

SOURCE = """# %% [markdown]
# # A title
#
# Some text.

# %% tags=["nbval-ignore-output"]
x = 1
x

# %% tags=["exercise:add"]
def add(a, b):
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION
"""


def test_notebooks_solutions_and_exercises_match_their_sources() -> None:
    """Editing a notebook by hand (or forgetting to rebuild) fails: the .py source is the truth."""
    assert drift() == []


def test_a_source_becomes_cells_with_tags_and_stable_ids(tmp_path: Path) -> None:
    """Markdown comments become a Markdown cell; tags come from the cell header; ids are fixed."""
    source = tmp_path / "07-demo.py"
    source.write_text(SOURCE)
    notebook = nbformat.reads(notebook_from_source(source).decode(), as_version=4)
    assert [cell.cell_type for cell in notebook.cells] == ["markdown", "code", "code"]
    assert notebook.cells[0].source == "# A title\n\nSome text."
    assert notebook.cells[1].metadata == {"tags": ["nbval-ignore-output"]}
    assert [cell.id for cell in notebook.cells] == ["07-00", "07-01", "07-02"]
    assert notebook_from_source(source) == notebook_from_source(source)


def test_an_edited_source_is_drift_until_rebuilt(tmp_path: Path) -> None:
    """Changing a source makes drift() name its notebook; build_all() brings them back in sync."""
    root = tmp_path / "kit"
    for folder in ("sources", "notebooks", "solutions", "exercises"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder, symlinks=True)
    (root / "solutions" / "lambdas").unlink()
    (root / "solutions" / "lambdas").symlink_to(PROJECT_ROOT / "lambdas")
    lesson = root / "sources" / "notebooks" / "00-setup.py"
    lesson.write_text(lesson.read_text() + "\n# %%\nprint('one more cell')\n")
    assert drift(root) == [
        "notebooks/00-setup.ipynb: differs from its source sources/notebooks/00-setup.py"
    ]
    assert build_all(root) == [Path("notebooks/00-setup.ipynb")]
    assert drift(root) == []
