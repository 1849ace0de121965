"""docs/instructors.md names only what exists, and its schedules add up.

Every notebook, path, exercise id and resource name it mentions in backticks is checked against
the kit, and each schedule row's minutes against the lessons' own headers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.deploy.apps import PLANS
from tests.notebooks.episodes import ROOT, all_exercise_ids, exercise_minutes, read_lesson

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


def test_every_exercise_id_and_resource_name_exists() -> None:
    """A tag names an exercise id; another kebab-case name in backticks is an exercise id or a
    resource the deploy steps create."""
    exercises = set(all_exercise_ids())
    tagged = {t.split(":", 1)[1] for t in TICKED if re.match(r"^(exercise|check|hidden):", t)}
    tagged.discard("<id>")
    assert tagged - exercises == set()  # `exercise:chat-connect` is no exercise
    named = {t for t in TICKED if KEBAB.match(t)}
    assert named and named - exercises - resource_names() == set()


SCHEDULES = {"3 hours": 180, "2 hours": 120}


def schedule_rows(title: str) -> list[list[str]]:
    section = TEXT.split(f"#### Schedule: {title}", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]


@pytest.mark.parametrize("title", SCHEDULES)
def test_a_schedules_rows_add_up_to_its_length(title: str) -> None:
    """Each row is the lesson's teaching minutes plus its listed exercises' minutes, rows follow
    each other without gaps, every lesson from 00 to 10 that is taught keeps its order, and the
    whole fits the session."""
    exercises = all_exercise_ids()
    clock, taught = 0, []
    for start, notebook, teaching, listed, minutes in schedule_rows(title):
        hours, mins = map(int, start.split(":"))
        assert hours * 60 + mins == clock, f"{notebook} starts at {start}"
        ids = re.findall(r"`([^`]+)`", listed)
        if notebook == "break":
            assert not ids and not teaching
        else:
            lesson = read_lesson(ROOT / "notebooks" / notebook.strip("`"))
            assert int(teaching) == lesson.teaching, notebook
            assert all(exercises[e] == lesson.exercises for e in ids), notebook
            spent = sum(exercise_minutes(lesson.exercises)[e] for e in ids)
            assert int(minutes) == lesson.teaching + spent, notebook
            taught.append(notebook)
        clock += int(minutes)
    assert clock == SCHEDULES[title]
    assert taught == sorted(taught) and taught[0] == "`00-setup.ipynb`"
