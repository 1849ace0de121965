"""The built notebooks are exactly what their jupytext sources give (see infra/build.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from infra.build import PROJECT_ROOT, READMES, build_all, drift, notebook_from_source

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


def kit_copy(tmp_path: Path) -> Path:
    """The kit's sources and built folders, copied (solutions/lambdas still links to lambdas/)."""
    root = tmp_path / "kit"
    for folder in ("sources", "notebooks", "solutions", "exercises"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder, symlinks=True)
    (root / "solutions" / "lambdas").unlink()
    (root / "solutions" / "lambdas").symlink_to(PROJECT_ROOT / "lambdas")
    return root


def test_an_edited_source_is_drift_until_rebuilt(tmp_path: Path) -> None:
    """Changing a source makes drift() name its notebook; build_all() brings them back in sync."""
    root = kit_copy(tmp_path)
    lesson = root / "sources" / "notebooks" / "00-setup.py"
    lesson.write_text(lesson.read_text() + "\n# %%\nprint('one more cell')\n")
    assert drift(root) == [
        "notebooks/00-setup.ipynb: differs from its source sources/notebooks/00-setup.py"
    ]
    assert build_all(root) == [Path("notebooks/00-setup.ipynb")]
    assert drift(root) == []


def test_each_built_folder_says_it_is_built_from_sources() -> None:
    """notebooks/, solutions/ and exercises/ each carry a README naming the build and sources/."""
    for folder in ("notebooks", "solutions", "exercises"):
        text = (PROJECT_ROOT / folder / "README.md").read_text()
        assert "`workshop exercises build`" in text and "change `sources/`" in text, folder
        assert "my-work/" in text, folder  # where the learners work instead


def test_a_missing_or_edited_readme_is_drift_until_rebuilt(tmp_path: Path) -> None:
    """A built folder's README is the build's: drift() names a missing or edited one, build_all()
    writes it back (and exercises/ gets solutions/'s again)."""
    root = kit_copy(tmp_path)
    (root / "notebooks" / "README.md").unlink()
    (root / "solutions" / "README.md").write_text("Edit the notebooks here.\n")
    assert drift(root) == [
        "notebooks/README.md: not what the build writes (run `python scripts/make_notebooks.py`)",
        "solutions/README.md: not what the build writes (run `python scripts/make_notebooks.py`)",
        "README.md: differs from its build (run `workshop exercises build`)",
    ]
    assert build_all(root) == []
    assert drift(root) == []
    for relative, text in READMES.items():
        assert (root / relative).read_text() == text
    assert (root / "exercises" / "README.md").read_text() == READMES[Path("solutions/README.md")]
