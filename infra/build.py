"""Build the kit's notebooks from their sources, reproducibly.

- `sources/notebooks/NN-name.py` becomes `notebooks/NN-name.ipynb` (the lessons, as learners
  get them: each challenge cell, tagged `exercise:<id>`, has its answer cut out) and
  `solutions/lessons/NN-name.ipynb` (the lessons solved, whose checks are strict: see
  `infra.challenges`);
- `sources/solutions/NN-name-exercises.py` becomes `solutions/NN-name-exercises.ipynb`;
- then `exercises/` is built from `solutions/` (`infra.exercises.build`);
- each built folder gets a README saying so (`READMES`; `exercises/` gets `solutions/`'s, as it
  gets every file of `solutions/`), written by the build so it never goes stale.

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

from infra.exercises.build import LESSONS_SOLVED, build_exercises, check_in_sync
from infra.exercises.markers import clear_solutions, lesson_stub

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES = PROJECT_ROOT / "sources"
BUILT = ("notebooks", "solutions")  # sources/<folder>/*.py -> <folder>/*.ipynb
SOLVED = Path("solutions", LESSONS_SOLVED)  # sources/notebooks/*.py solved -> solutions/lessons/
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
# What each built folder is: the build writes these; exercises/ copies solutions/'s.
READMES = {
    Path("notebooks", "README.md"): (
        "The lessons, built from `sources/notebooks/` by `workshop exercises build`: the kit's"
        " authors change `sources/`, not `notebooks/`.\n"
        "`workshop up` copies them into `my-work/notebooks/` (on its first start; later only new"
        " files), the learner's own copy to work in.\n"
    ),
    Path("solutions", "README.md"): (
        "Built by `workshop exercises build`: `solutions/` from `sources/` (its `lambdas/` links to"
        " the finished apps in `lambdas/`), then `exercises/` from `solutions/`, each answer cut"
        " out.\n"
        "The kit's authors change `sources/` and `lambdas/`, not these built folders; `workshop up`"
        " copies `exercises/` into `my-work/exercises/`, the learner's own copy to work in.\n"
    ),
}
# The first cell of a solved lesson: its checks raise when they are not satisfied.
STRICT_CELL = (
    "# The solved lesson (built by scripts/make_notebooks.py): a check that is not satisfied"
    " raises.\nfrom infra import challenges\n\nchallenges.strict()"
)


def notebook_from_source(source: Path, *, learner: bool = False, solved: bool = False) -> bytes:
    """The `.ipynb` bytes of one percent-format source.

    `learner`: each challenge's answer is cut out (the lessons as learners get them); `solved`:
    the answers stay and a first cell makes the checks strict (the lessons as CI runs them).
    """
    notebook = jupytext.reads(source.read_text(encoding="utf-8"), fmt="py:percent")
    notebook.metadata = nbformat.from_dict(
        {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    )
    if solved:
        notebook.cells.insert(0, nbformat.v4.new_code_cell(STRICT_CELL))
    for index, cell in enumerate(notebook.cells):
        tags = cell.metadata.get("tags", [])
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        cell.id = f"{source.stem[:2]}-{index:02d}"  # stable ids: rebuilding changes nothing
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if learner:
                cell.source = clear_solutions(cell.source, lesson_stub, f"{source.name}: ")
    nbformat.validate(notebook)
    return (nbformat.writes(notebook) + "\n").encode("utf-8")


def expected_notebooks(root: Path = PROJECT_ROOT) -> dict[Path, bytes]:
    """Every built notebook, by its path relative to `root`."""
    built: dict[Path, bytes] = {}
    for source in sorted((root / "sources" / "notebooks").glob("*.py")):
        built[Path("notebooks", f"{source.stem}.ipynb")] = notebook_from_source(
            source, learner=True
        )
        if has_challenges(source):
            built[SOLVED / f"{source.stem}.ipynb"] = notebook_from_source(source, solved=True)
    for source in sorted((root / "sources" / "solutions").glob("*.py")):
        built[Path("solutions", f"{source.stem}.ipynb")] = notebook_from_source(source)
    return built


def has_challenges(source: Path) -> bool:
    """Whether a lesson's source has a cell the learner writes (tagged `exercise:<id>`)."""
    return '"exercise:' in source.read_text(encoding="utf-8")


def build_all(root: Path = PROJECT_ROOT) -> list[Path]:
    """Write every notebook and README that changed, then exercises/; returns the notebooks
    written."""
    written = []
    expected = expected_notebooks(root)
    (root / SOLVED).mkdir(parents=True, exist_ok=True)
    for relative, content in expected.items():
        target = root / relative
        if not target.is_file() or target.read_bytes() != content:
            target.write_bytes(content)
            written.append(relative)
    for folder in (*BUILT, SOLVED):  # a notebook whose source is gone goes too
        for stale in (root / folder).glob("*.ipynb"):
            if stale.relative_to(root) not in expected:
                stale.unlink()
                written.append(stale.relative_to(root))
    for relative, text in READMES.items():
        readme = root / relative
        if not readme.is_file() or readme.read_text(encoding="utf-8") != text:
            readme.write_text(text, encoding="utf-8")
    build_exercises(root / "solutions", root / "exercises")
    return written


def source_of(relative: Path) -> Path:
    """The source a built notebook comes from (a solved lesson's is the lesson's)."""
    folder = "notebooks" if relative.parent in (Path("notebooks"), SOLVED) else "solutions"
    return Path("sources", folder, relative.with_suffix(".py").name)


def drift(root: Path = PROJECT_ROOT) -> list[str]:
    """How the built notebooks and exercises/ differ from their sources (empty when in sync)."""
    problems = []
    expected = expected_notebooks(root)
    for relative, content in expected.items():
        path = root / relative
        if not path.is_file():
            problems.append(f"{relative}: missing (run `python scripts/make_notebooks.py`)")
        elif path.read_bytes() != content:
            problems.append(f"{relative}: differs from its source {source_of(relative)}")
    for folder in (*BUILT, SOLVED):
        for path in sorted((root / folder).glob("*.ipynb")):
            if path.relative_to(root) not in expected:
                problems.append(f"{path.relative_to(root)}: has no source in sources/")
    for relative, text in READMES.items():
        readme = root / relative
        if not readme.is_file() or readme.read_text(encoding="utf-8") != text:
            problems.append(
                f"{relative}: not what the build writes (run `python scripts/make_notebooks.py`)"
            )
    return problems + check_in_sync(root / "solutions", root / "exercises")
