"""`workshop exercises build`: stubs from solutions, reproducibly, and drift detection."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from infra.exercises.build import build_exercises, check_in_sync, solution_problems

from .conftest import NOTEBOOK, SOLUTIONS, edit_cell


def cell_tagged(notebook: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells if tag in c.metadata.get("tags", []))


@pytest.fixture
def solutions(tmp_path: Path) -> Path:
    """A copy of the toy solutions tree that a test may change."""
    return Path(shutil.copytree(SOLUTIONS, tmp_path / "solutions"))


def test_function_body_becomes_an_indented_stub(built: Path) -> None:
    """The region inside `add` becomes the stub at the function body's indentation."""
    notebook = nbformat.read(built / NOTEBOOK, as_version=4)
    assert cell_tagged(notebook, "exercise:add").source == (
        "def add(a, b):\n"
        '    """The sum of a and b."""\n'
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()"
    )


def test_top_level_region_becomes_a_stub(built: Path) -> None:
    """A region at the top of a cell becomes an unindented stub."""
    notebook = nbformat.read(built / NOTEBOOK, as_version=4)
    assert cell_tagged(notebook, "exercise:squares").source == (
        "# YOUR CODE HERE\nraise NotImplementedError()"
    )


def test_check_cells_and_unmarked_cells_are_copied(built: Path) -> None:
    """Cells without regions keep their source exactly."""
    solution = nbformat.read(SOLUTIONS / NOTEBOOK, as_version=4)
    stub = nbformat.read(built / NOTEBOOK, as_version=4)
    for tag in ("check:add", "check:squares", "check:greet"):
        assert cell_tagged(stub, tag).source == cell_tagged(solution, tag).source
    assert stub.cells[1].source == solution.cells[1].source


def test_markdown_region_becomes_your_answer_here(built: Path) -> None:
    """A Markdown cell's region becomes YOUR ANSWER HERE, the question kept."""
    notebook = nbformat.read(built / NOTEBOOK, as_version=4)
    assert notebook.cells[7].source == "Why does `add` need no loop?\n\nYOUR ANSWER HERE"


def test_outputs_counts_and_editor_metadata_are_cleared(built: Path) -> None:
    """Outputs, execution counts, widget state and timings are gone; tags stay."""
    notebook = nbformat.read(built / NOTEBOOK, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert code[0].metadata == {}
    assert cell_tagged(notebook, "exercise:add").metadata == {"tags": ["exercise:add"]}
    assert set(notebook.metadata) == {"kernelspec", "language_info"}


def test_python_file_region_becomes_a_stub(built: Path) -> None:
    """The Lambda file's region becomes the stub inside the handler."""
    assert (built / "lambdas/greet/handler.py").read_text() == (
        '"""Greets whoever the event names."""\n'
        "\n"
        "\n"
        "def handler(event, context):\n"
        '    name = event.get("name", "world")\n'
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n"
    )


def test_template_region_becomes_a_comment(tmp_path: Path) -> None:
    """A YAML template's regions become a `# YOUR CODE HERE` comment, so the stub still parses."""
    solutions = tmp_path / "solutions"
    (solutions / "app").mkdir(parents=True)
    (solutions / "app" / "template.yaml").write_text(
        "Resources:\n"
        "  Table:\n"
        "    Type: AWS::DynamoDB::Table\n"
        "    DependsOn:\n"
        "      ### BEGIN SOLUTION\n"
        "      - Role\n"
        "      ### END SOLUTION\n"
        "  ### BEGIN SOLUTION\n"
        "  Role:\n"
        "    Type: AWS::IAM::Role\n"
        "  ### END SOLUTION\n"
    )
    build_exercises(solutions, tmp_path / "exercises")
    assert (tmp_path / "exercises" / "app" / "template.yaml").read_text() == (
        "Resources:\n"
        "  Table:\n"
        "    Type: AWS::DynamoDB::Table\n"
        "    DependsOn:\n"
        "      # YOUR CODE HERE\n"
        "  # YOUR CODE HERE\n"
    )


def test_other_files_are_copied_as_is(built: Path) -> None:
    """Files that are neither notebooks nor Python are copied byte for byte."""
    assert (built / "README.md").read_bytes() == (SOLUTIONS / "README.md").read_bytes()


def test_notebooks_are_written_with_sorted_keys_and_a_final_newline(built: Path) -> None:
    """The notebook is nbformat's JSON (indent 1, sorted keys) plus a trailing newline."""
    text = (built / NOTEBOOK).read_text()
    assert text.endswith("}\n")
    assert text == nbformat.writes(nbformat.reads(text, as_version=4)) + "\n"


def test_build_counts_the_files_it_writes(tmp_path: Path) -> None:
    """A first build writes every file: the notebook, the Lambda file and the README."""
    assert build_exercises(SOLUTIONS, tmp_path / "exercises") == 3


def test_build_is_idempotent(built: Path, tmp_path: Path) -> None:
    """Building again writes nothing and gives the same bytes."""
    again = Path(shutil.copytree(built, tmp_path / "again"))
    assert build_exercises(SOLUTIONS, again) == 0
    for path in built.rglob("*"):
        if path.is_file():
            assert (again / path.relative_to(built)).read_bytes() == path.read_bytes()


def test_fresh_build_is_in_sync(built: Path) -> None:
    """Right after a build, check_in_sync finds no difference."""
    assert check_in_sync(SOLUTIONS, built) == []


def test_edited_solution_is_drift(solutions: Path, tmp_path: Path) -> None:
    """Changing a solution without rebuilding is reported for that file."""
    exercises = tmp_path / "exercises"
    build_exercises(solutions, exercises)
    edit_cell(solutions / NOTEBOOK, "check:add", "assert add(1, 1) == 2")
    assert check_in_sync(solutions, exercises) == [
        f"{NOTEBOOK}: differs from its build (run `workshop exercises build`)"
    ]


def test_missing_and_extra_files_are_drift(built: Path, tmp_path: Path) -> None:
    """A file missing from exercises/, and one solutions/ no longer has, are both reported."""
    exercises = Path(shutil.copytree(built, tmp_path / "exercises"))
    (exercises / "README.md").unlink()
    (exercises / "old.py").write_text("x = 1\n")
    assert check_in_sync(SOLUTIONS, exercises) == [
        "README.md: missing (run `workshop exercises build`)",
        "old.py: not in solutions/ (run `workshop exercises build`)",
    ]


def test_build_removes_files_gone_from_solutions(solutions: Path, tmp_path: Path) -> None:
    """A file deleted from solutions/ is deleted from exercises/, empty folders too."""
    exercises = tmp_path / "exercises"
    build_exercises(solutions, exercises)
    shutil.rmtree(solutions / "lambdas")
    build_exercises(solutions, exercises)
    assert not (exercises / "lambdas").exists()
    assert check_in_sync(solutions, exercises) == []


def test_checkpoints_and_caches_are_ignored(solutions: Path, tmp_path: Path) -> None:
    """Jupyter checkpoints and __pycache__ are neither copied nor reported as drift."""
    (solutions / ".ipynb_checkpoints").mkdir()
    (solutions / ".ipynb_checkpoints" / "basics-checkpoint.ipynb").write_text("{}")
    exercises = tmp_path / "exercises"
    build_exercises(solutions, exercises)
    (exercises / "lambdas/greet/__pycache__").mkdir()
    (exercises / "lambdas/greet/__pycache__/handler.cpython-311.pyc").write_bytes(b"")
    assert not (exercises / ".ipynb_checkpoints").exists()
    assert check_in_sync(solutions, exercises) == []


def test_symlinked_folder_is_built_as_real_files(solutions: Path, tmp_path: Path) -> None:
    """A folder linked into solutions/ (lambdas -> the finished apps) gives stubbed real files."""
    apps = Path(shutil.move(solutions / "lambdas", tmp_path / "apps"))
    (solutions / "lambdas").symlink_to(apps, target_is_directory=True)
    exercises = tmp_path / "exercises"
    build_exercises(solutions, exercises)
    handler = exercises / "lambdas/greet/handler.py"
    assert not (exercises / "lambdas").is_symlink() and handler.is_file()
    assert "raise NotImplementedError()" in handler.read_text()
    assert check_in_sync(solutions, exercises) == []


def test_toy_solutions_follow_the_convention() -> None:
    """The fixture's exercises each have a region and a check cell right after."""
    assert solution_problems(SOLUTIONS) == []


def test_exercise_without_its_check_is_a_problem(solutions: Path) -> None:
    """An exercise cell not followed by its check cell is reported (and the orphaned variant)."""
    notebook = nbformat.read(solutions / NOTEBOOK, as_version=4)
    del notebook.cells[4]  # check:add
    nbformat.write(notebook, solutions / NOTEBOOK)
    assert solution_problems(solutions) == [
        f"{NOTEBOOK}: cell 3: exercise 'add' is not followed by its check",
        f"{NOTEBOOK}: cell 4: hidden variant 'add' before its check",
    ]


def test_check_without_its_hidden_variant_is_a_problem(solutions: Path) -> None:
    """Every check of the kit's solutions is followed by the variant the grader runs too."""
    notebook = nbformat.read(solutions / NOTEBOOK, as_version=4)
    del notebook.cells[5]  # hidden:add
    nbformat.write(notebook, solutions / NOTEBOOK)
    assert solution_problems(solutions) == [
        f"{NOTEBOOK}: cell 4: check 'add' is not followed by its hidden variant"
    ]


def test_hidden_variants_are_left_out_of_the_exercises(built: Path) -> None:
    """The learner never sees a hidden variant: the build drops those cells."""
    notebook = nbformat.read(built / NOTEBOOK, as_version=4)
    tags = [tag for cell in notebook.cells for tag in cell.metadata.get("tags", [])]
    assert tags == ["exercise:add", "check:add", "exercise:squares", "check:squares", "check:greet"]
