"""Build the kit's notebooks from their sources, reproducibly.

- `sources/notebooks/NN-name.py` becomes `notebooks/NN-name.ipynb` (the lessons);
- `sources/solutions/NN-name-exercises.py` becomes `solutions/NN-name-exercises.ipynb`;
- then `exercises/` is built from `solutions/` (`infra.exercises.build`).

A source is a jupytext percent-format script: `# %%` starts a code cell, `# %% [markdown]` a
Markdown cell (its lines are comments), and the header carries the cell's tags:
`# %% tags=["nbval-ignore-output"]`. So a lesson runs, lints and highlights like any Python file
while it is written. The build keeps only the tags, numbers the cells (`01-07`) and writes no
outputs, so the same sources always give the same bytes and a test can tell when they drift.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat

from infra.exercises.build import build_exercises, check_in_sync

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES = PROJECT_ROOT / "sources"
BUILT = ("notebooks", "solutions")  # sources/<folder>/*.py -> <folder>/*.ipynb
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook_from_source(source: Path) -> bytes:
    """The `.ipynb` bytes of one percent-format source."""
    notebook = jupytext.reads(source.read_text(encoding="utf-8"), fmt="py:percent")
    notebook.metadata = nbformat.from_dict(
        {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    )
    for index, cell in enumerate(notebook.cells):
        tags = cell.metadata.get("tags", [])
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        cell.id = f"{source.stem[:2]}-{index:02d}"  # stable ids: rebuilding changes nothing
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(notebook)
    return (nbformat.writes(notebook) + "\n").encode("utf-8")


def expected_notebooks(root: Path = PROJECT_ROOT) -> dict[Path, bytes]:
    """Every built notebook, by its path relative to `root`."""
    built: dict[Path, bytes] = {}
    for folder in BUILT:
        for source in sorted((root / "sources" / folder).glob("*.py")):
            built[Path(folder, f"{source.stem}.ipynb")] = notebook_from_source(source)
    return built


def build_all(root: Path = PROJECT_ROOT) -> list[Path]:
    """Write every notebook that changed, then exercises/; returns the notebooks written."""
    written = []
    for relative, content in expected_notebooks(root).items():
        target = root / relative
        if not target.is_file() or target.read_bytes() != content:
            target.write_bytes(content)
            written.append(relative)
    for folder in BUILT:  # a notebook whose source is gone goes too
        expected = {path.stem for path in (root / "sources" / folder).glob("*.py")}
        for stale in (root / folder).glob("*.ipynb"):
            if stale.stem not in expected:
                stale.unlink()
                written.append(stale.relative_to(root))
    build_exercises(root / "solutions", root / "exercises")
    return written


def drift(root: Path = PROJECT_ROOT) -> list[str]:
    """How the built notebooks and exercises/ differ from their sources (empty when in sync)."""
    problems = []
    expected = expected_notebooks(root)
    for relative, content in expected.items():
        path = root / relative
        if not path.is_file():
            problems.append(f"{relative}: missing (run `python scripts/make_notebooks.py`)")
        elif path.read_bytes() != content:
            problems.append(
                f"{relative}: differs from its source sources/{relative.with_suffix('.py')}"
            )
    for folder in BUILT:
        for path in sorted((root / folder).glob("*.ipynb")):
            if path.relative_to(root) not in expected:
                problems.append(f"{path.relative_to(root)}: has no source in sources/{folder}/")
    return problems + check_in_sync(root / "solutions", root / "exercises")
