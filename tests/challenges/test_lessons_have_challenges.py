"""Every lesson with exercises has challenges the learner writes: stubs in the learner's copy, the
answers in the solved copy, a check after each, and on the stub each check fails in one line."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from infra.build import PROJECT_ROOT
from infra.exercises.markers import BEGIN, COMMENT_STUB
from infra.exercises.runner import run_notebook
from infra.exercises.tags import CHECK, EXERCISE, cell_role, exercise_ids, structure_problems

LEARNER = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
SOLVED = PROJECT_ROOT / "solutions" / "lessons"
WITH_CHALLENGES = [path for path in LEARNER if re.match(r"(0[1-8]|10)-", path.name)]
# Until every lesson has its challenges, the ones that have them; the list below only grows.
HAVE_CHALLENGES = [path for path in WITH_CHALLENGES if exercise_ids(nbformat.read(path, 4))]


def test_lessons_01_to_08_and_10_each_have_two_challenges_or_more() -> None:
    """Lessons 01–08 and 10 each have at least two cells the learner writes."""
    counts = {path.stem: len(exercise_ids(nbformat.read(path, 4))) for path in WITH_CHALLENGES}
    assert {stem: count for stem, count in counts.items() if count < 2} == {}


@pytest.mark.parametrize("path", HAVE_CHALLENGES, ids=lambda path: path.stem)
def test_each_challenge_is_a_stub_followed_by_its_check(path: Path) -> None:
    """The learner's copy: `# YOUR CODE HERE` where the answer was, and a check right after."""
    notebook = nbformat.read(path, 4)
    assert structure_problems(nbformat.read(SOLVED / path.name, 4), f"{path.name}: ") == []
    for cell in notebook.cells:
        role = cell_role(cell)
        if role and role[0] == EXERCISE:
            assert COMMENT_STUB[0] in cell.source, f"{role[1]}: no stub"
            assert not any(BEGIN.match(line) for line in cell.source.splitlines())


@pytest.mark.parametrize("path", HAVE_CHALLENGES, ids=lambda path: path.stem)
def test_the_solved_lesson_keeps_the_answers_and_is_strict(path: Path) -> None:
    """solutions/lessons/ holds the same challenges with their answers, strict from cell one."""
    solved = nbformat.read(SOLVED / path.name, 4)
    assert exercise_ids(solved) == exercise_ids(nbformat.read(path, 4))
    assert "challenges.strict()" in solved.cells[0].source
    for cell in solved.cells:
        role = cell_role(cell)
        if role and role[0] == EXERCISE:
            assert any(BEGIN.match(line) for line in cell.source.splitlines()), role[1]


def test_challenge_ids_are_unique_across_the_lessons() -> None:
    """reveal(id) finds one answer: no two lessons use the same id."""
    ids = [i for path in LEARNER for i in exercise_ids(nbformat.read(path, 4))]
    assert len(ids) == len(set(ids))


@pytest.mark.timeout(900)
def test_on_the_stub_every_check_fails_in_one_line() -> None:
    """Graded strictly (as `workshop check` does), each untouched challenge fails with one line
    that says it is not done, and no challenge errors: the kit's step keeps the lesson going."""
    problems = []
    for path in HAVE_CHALLENGES:
        report = run_notebook(path, timeout=240)
        for challenge in exercise_ids(nbformat.read(path, 4)):
            result = report.result(challenge)
            if result.status != "fail" or not result.message.startswith("not done"):
                problems.append(f"{path.stem} {challenge}: {result.status} {result.message}")
            elif "\n" in result.message:
                problems.append(f"{path.stem} {challenge}: more than one line")
    assert problems == []


def test_check_cells_call_their_lessons_checks() -> None:
    """A check cell is one call into infra.challenges (no assert that would show a traceback)."""
    for path in HAVE_CHALLENGES:
        for cell in nbformat.read(path, 4).cells:
            role = cell_role(cell)
            if role and role[0] == CHECK:
                assert "assert " not in cell.source, f"{path.stem} {role[1]}"
