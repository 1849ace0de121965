"""docs/instructors.md names only what exists, and its schedules hold.

Every notebook, path, exercise id and resource name it mentions in backticks is checked against
the kit, and each schedule row's minutes against the lessons' own headers (which change as the
lessons do: this test says which row to re-time). A schedule keeps about 15 % slack, has a break
every 60-75 minutes, never goes 30 minutes without learners typing, names the lessons it leaves
out, and ends with feedback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from infra.deploy.apps import PLANS
from infra.exercises.tags import exercise_ids
from tests.notebooks.episodes import (
    LESSONS,
    ROOT,
    all_exercise_ids,
    exercise_minutes,
    read_lesson,
)

DOC = ROOT / "docs" / "instructors.md"
TEXT = DOC.read_text()
TICKED = re.findall(r"`([^`\n]+)`", TEXT)
KIT_FOLDERS = (
    "notebooks",
    "exercises",
    "solutions",
    "sources",
    "lambdas",
    "infra",
    "docs",
    "tests",
)
PLACEHOLDER = re.compile(r"NN-|<\w+>")  # `sources/notebooks/NN-name.py`, `lambdas/<app>/`
KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-zA-Z0-9]+)+$")


def resource_names() -> set[str]:
    """The names the deploy steps give: apps' tables, functions, APIs, roles and rules."""
    names: set[str] = set()
    for plan in PLANS.values():
        names |= {plan.table_name, f"{plan.app}-api", f"{plan.app}-lambda-role"}
        names |= set(plan.function_names) | {f"{plan.app}-schedule"}
    return names


def notebooks() -> set[str]:
    return {
        path.name
        for folder in ("notebooks", "exercises")
        for path in (ROOT / folder).glob("*.ipynb")
    }


def test_every_notebook_it_names_exists() -> None:
    """Lessons and exercise notebooks are named as they are on disk (not `02-chat.ipynb`)."""
    mentions = re.findall(r"(?<![\w/-])([\w/-]+\.ipynb)", TEXT)
    named = {Path(m).name for m in mentions if not m.startswith("submissions/")}
    named = {name for name in named if not PLACEHOLDER.search(name)}
    assert len(named) >= 10
    assert named - notebooks() == set()


def test_every_path_into_the_kit_exists() -> None:
    """A path starting with one of the kit's folders leads to a file or folder."""
    paths = [t for t in TICKED if "/" in t and " " not in t and t.split("/")[0] in KIT_FOLDERS]
    paths = [path for path in paths if not PLACEHOLDER.search(path)]
    assert len(paths) >= 10
    assert [path for path in paths if not (ROOT / path).exists()] == []


def lesson_challenges() -> set[str]:
    """The ids of the cells learners write inside the lessons."""
    return {c for path in LESSONS for c in exercise_ids(nbformat.read(path, as_version=4))}


def test_every_exercise_id_and_resource_name_exists() -> None:
    """A tag names an exercise or a lesson's challenge; another kebab-case name in backticks is
    one of those or a resource the deploy steps create."""
    exercises = set(all_exercise_ids()) | lesson_challenges()
    tagged = {t.split(":", 1)[1] for t in TICKED if re.match(r"^(exercise|check|hidden):", t)}
    tagged.discard("<id>")
    assert tagged - exercises == set()  # `exercise:chat-connect` is no exercise
    named = {t for t in TICKED if KEBAB.match(t)}
    assert named and named - exercises - resource_names() == set()


SCHEDULES = {"3 hours": 180, "2 hours": 120, "90 minutes": 90}
PAUSES = ("break", "slack", "feedback")  # rows that are not lessons
SLACK = (0.12, 0.20)  # about 15 % of a session is kept free
BREAK_EVERY = (60, 75)  # minutes between breaks (the last stretch may be shorter)
LONGEST_WITHOUT_TYPING = 30  # minutes of lessons in a row with no cell learners write


@dataclass(frozen=True)
class Row:
    start: int  # minutes from the session's start
    what: str  # a lesson's notebook name, or one of PAUSES
    teaching: str
    exercises: list[str]
    minutes: int


def plan(title: str) -> tuple[str, list[Row]]:
    """A schedule's text (before its table) and its rows."""
    section = TEXT.split(f"#### Schedule: {title}", 1)[1].split("\n#", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    rows = []
    for line in lines[1:]:
        start, what, teaching, listed, minutes = (c.strip() for c in line.strip("|").split("|"))
        hours, mins = map(int, start.split(":"))
        ids = re.findall(r"`([^`]+)`", listed)
        rows.append(Row(hours * 60 + mins, what.strip("`"), teaching, ids, int(minutes)))
    return section.split("\n| ", 1)[0], rows


def challenges(notebook: str) -> list[str]:
    """The cells learners write in a lesson (its `exercise:` tags)."""
    return list(exercise_ids(nbformat.read(ROOT / "notebooks" / notebook, as_version=4)))


@pytest.mark.parametrize("title", SCHEDULES)
def test_a_schedules_rows_add_up_to_its_length(title: str) -> None:
    """Each lesson row is the lesson's teaching minutes (from its header) plus its listed
    exercises' minutes, rows follow each other without gaps, the lessons keep their order from
    00, and the whole fills the session exactly."""
    exercises = all_exercise_ids()
    _, rows = plan(title)
    clock, taught = 0, []
    for row in rows:
        assert row.start == clock, f"{row.what} starts at {row.start // 60}:{row.start % 60:02}"
        if row.what in PAUSES:
            assert not row.exercises and not row.teaching, row
        else:
            lesson = read_lesson(ROOT / "notebooks" / row.what)
            assert int(row.teaching) == lesson.teaching, f"{row.what}: its header says"
            assert all(exercises[e] == lesson.exercises for e in row.exercises), row.what
            spent = sum(exercise_minutes(lesson.exercises)[e] for e in row.exercises)
            assert row.minutes == lesson.teaching + spent, row.what
            taught.append(row.what)
        clock += row.minutes
    assert clock == SCHEDULES[title]
    assert taught == sorted(taught) and taught[0] == "00-setup.ipynb"


@pytest.mark.parametrize("title", SCHEDULES)
def test_a_schedule_keeps_about_15_percent_slack(title: str) -> None:
    """The slack rows add up to 12-20 % of the session: room for a slow install, a question."""
    slack = sum(row.minutes for row in plan(title)[1] if row.what == "slack")
    low, high = SLACK
    assert low <= slack / SCHEDULES[title] <= high, f"{slack} min of slack"


@pytest.mark.parametrize("title", SCHEDULES)
def test_a_schedule_has_a_break_every_60_to_75_minutes(title: str) -> None:
    """Between breaks 60-75 minutes; after the last break no more than 75."""
    stretches, current = [], 0
    for row in plan(title)[1]:
        if row.what == "break":
            stretches.append(current)
            current = 0
        else:
            current += row.minutes
    low, high = BREAK_EVERY
    assert stretches, "no break"
    assert all(low <= stretch <= high for stretch in stretches), stretches
    assert current <= high, f"{current} minutes after the last break"


@pytest.mark.parametrize("title", SCHEDULES)
def test_learners_type_at_least_every_30_minutes(title: str) -> None:
    """No run of lessons without a cell learners write (a challenge or a listed exercise) is
    longer than 30 minutes; a pause ends a run."""
    run = 0
    for row in plan(title)[1]:
        if row.what in PAUSES or row.exercises or challenges(row.what):
            run = 0
        else:
            run += row.minutes
            assert run <= LONGEST_WITHOUT_TYPING, f"{run} minutes without typing at {row.what}"


@pytest.mark.parametrize("title", SCHEDULES)
def test_a_schedule_names_what_it_leaves_out_and_ends_with_feedback(title: str) -> None:
    """Every lesson a plan does not teach is named in its text (with what the room loses), and
    the last stretch holds the feedback step."""
    text, rows = plan(title)
    taught = {row.what for row in rows}
    left_out = [p.name for p in LESSONS if p.name not in taught]
    assert [name for name in left_out if f"`{name}`" not in text] == []
    assert "feedback" in [row.what for row in rows[-3:]]
