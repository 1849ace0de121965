"""Every lesson is a complete episode: what it is for and how long it takes, what to keep from
it, and exercises that follow it; and no lesson gives an exercise's answer away."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from infra.exercises.markers import BEGIN, END
from infra.exercises.tags import exercise_ids

from .episodes import (
    EXERCISE_NOTEBOOKS,
    LESSONS,
    ROOT,
    exercise_minutes,
    links,
    read_lesson,
)

WITH_EXERCISES = [path for path in LESSONS if re.match(r"(0[1-8]|10)-", path.name)]
WITHOUT_EXERCISES = [path for path in LESSONS if path not in WITH_EXERCISES]


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.stem)
def test_a_lesson_starts_with_its_questions_objectives_and_minutes(path: Path) -> None:
    """The first cell says what the lesson answers, what learners will do, and for how long
    (the challenges learners write count as teaching: a lesson with two of them may take 25)."""
    lesson = read_lesson(path)
    assert len(lesson.questions) >= 2 and len(lesson.objectives) >= 2
    assert 5 <= lesson.teaching <= 25


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.stem)
def test_a_lesson_ends_with_its_key_points(path: Path) -> None:
    """The last cell lists the key points, then says where the exercises are."""
    lesson = read_lesson(path)
    assert lesson.closing.startswith("## Key points")
    assert len(lesson.key_points) >= 3
    assert "**Exercises:**" in lesson.closing


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda path: path.stem)
def test_lessons_01_to_08_and_10_link_to_their_exercises(path: Path) -> None:
    """The closing cell links to the lesson's exercise notebook and names each exercise."""
    lesson = read_lesson(path)
    assert lesson.exercises.is_file()
    assert f"(../exercises/{lesson.exercises.name})" in lesson.closing
    ids = exercise_ids(nbformat.read(lesson.exercises, as_version=4))
    assert ids and all(f"`{exercise}`" in lesson.closing for exercise in ids)


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda path: path.stem)
def test_exercise_minutes_add_up_to_the_lessons(path: Path) -> None:
    """Each exercise's heading gives its minutes; together they are the lesson's exercise time."""
    lesson = read_lesson(path)
    minutes = exercise_minutes(lesson.exercises)
    assert list(minutes) == exercise_ids(nbformat.read(lesson.exercises, as_version=4))
    assert sum(minutes.values()) == lesson.exercise_minutes


def test_only_setup_real_aws_and_the_appendix_have_no_exercises() -> None:
    """The lessons are 00 to 10, then the optional appendix 11; only 00 (setup), 09 (real AWS)
    and the appendix have no exercises."""
    assert [path.name[:2] for path in LESSONS] == [f"{number:02d}" for number in range(12)]
    assert [path.stem for path in WITHOUT_EXERCISES] == [
        "00-setup",
        "09-real-aws",
        "11-appendix-javascript",
    ]


@pytest.mark.parametrize("path", WITHOUT_EXERCISES, ids=lambda path: path.stem)
def test_setup_real_aws_and_the_appendix_take_no_exercise_time(path: Path) -> None:
    """00, 09 and the appendix take no exercise time and have no exercise notebook."""
    lesson = read_lesson(path)
    assert lesson.exercise_minutes == 0 and not lesson.exercises.exists()


@pytest.mark.parametrize(
    "path",
    [*LESSONS, *EXERCISE_NOTEBOOKS, *(ROOT / "solutions").glob("*.ipynb")],
    ids=lambda path: f"{path.parent.name}/{path.stem}",
)
def test_every_relative_link_resolves(path: Path) -> None:
    """Links to lessons, exercises and Lambda files all lead somewhere."""
    missing = [target for target in links(path) if not (path.parent / target).exists()]
    assert missing == []


def answer_lines() -> list[str]:
    """The distinctive lines of every answer kept in the apps' Lambda files and templates."""
    lines: list[str] = []
    files = [*(ROOT / "lambdas").rglob("*.py"), *(ROOT / "lambdas").rglob("template.yaml")]
    for path in sorted(files):
        inside = False
        for line in path.read_text().splitlines():
            if BEGIN.match(line):
                inside = True
            elif END.match(line):
                inside = False
            elif inside and len(line.strip()) >= 24:
                lines.append(line.strip())
    return lines


def test_no_lesson_contains_an_exercises_answer() -> None:
    """No line of an answer in lambdas/ appears in a lesson (show_source refuses it at run time)."""
    assert len(answer_lines()) >= 8
    sources = {path.name: path.read_text() for path in (ROOT / "sources/notebooks").glob("*.py")}
    shown = [
        (name, line) for line in answer_lines() for name, text in sources.items() if line in text
    ]
    assert shown == []
