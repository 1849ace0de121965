"""The workshop's exercises, graded as an instructor would: `workshop check solutions` is one
learner who passes everything, `workshop check exercises` one who fails everything, and a
learner who tampers with the checks scores no better than their real work.

Each graded notebook runs in its own process against its own fresh local cloud, two at a time;
each room is graded once for the module and the tests read its grades.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from infra.exercises import checks
from infra.exercises.build import check_in_sync, solution_problems
from infra.exercises.check import main
from infra.exercises.runner import PROJECT_ROOT
from infra.exercises.tags import exercise_ids

SOLUTIONS = PROJECT_ROOT / "solutions"
EXERCISES = PROJECT_ROOT / "exercises"
NOTEBOOKS = sorted(path.name for path in SOLUTIONS.glob("*.ipynb"))
LESSONS = sorted(
    path.stem
    for path in (PROJECT_ROOT / "notebooks").glob("*.ipynb")
    if re.match(r"(0[1-8]|10)-", path.name)
)
BUILD_TRACK = {
    "table-create", "role-create", "function-deploy", "api-create", "routes-wire",
    "stage-deploy", "stream-batch", "ttl-expire", "reminder",
}  # fmt: skip
APP_CODE = {
    "chat-nickname", "chat-named", "chat-whisper", "chat-who", "arena-color",
    "ttt-validate", "push-time", "policy",
}  # fmt: skip
TEMPLATES = {"template-whisper"}  # exercises in an app's template, graded on a stack
EVERY_EXERCISE = BUILD_TRACK | APP_CODE | TEMPLATES
# The challenges learners write inside the lessons: `workshop check solutions/` grades the solved
# lessons (solutions/lessons/) too.
LESSON_CHALLENGES = {
    challenge
    for path in (SOLUTIONS / "lessons").glob("*.ipynb")
    for challenge in exercise_ids(nbformat.read(path, as_version=4))
}
TIMEOUT = 120.0  # seconds for the cells of one notebook (about 10 s when healthy)


def grade(paths: list[Path], out: Path) -> dict[str, Any]:
    """`workshop check PATHS` with its printout swallowed; grades.json, plus the exit status."""
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(paths, timeout=TIMEOUT, out=out)
    return {"status": status, **json.loads((out / "grades.json").read_text())}


def statuses(grades: dict[str, Any], learner: str) -> dict[str, str]:
    return {e: r["status"] for e, r in grades["learners"][learner].items()}


def message(grades: dict[str, Any], learner: str, exercise: str) -> str:
    return str(grades["learners"][learner][exercise]["message"])


@pytest.fixture(scope="module")
def solutions_graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return grade([SOLUTIONS], tmp_path_factory.mktemp("grading"))


@pytest.fixture(scope="module")
def exercises_graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return grade([EXERCISES], tmp_path_factory.mktemp("grading"))


def tagged(notebook: Any, tag: str) -> Any:
    return next(cell for cell in notebook.cells if tag in cell.metadata.get("tags", []))


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """grace wrote only 08's policy; mallory hard-coded 01's answer and emptied 03's checks."""
    room = tmp_path_factory.mktemp("room")
    grace = room / "grace" / "08-server-push-exercises.ipynb"
    grace.parent.mkdir()
    partial = nbformat.read(EXERCISES / grace.name, as_version=4)
    solved = nbformat.read(SOLUTIONS / grace.name, as_version=4)
    tagged(partial, "exercise:policy").source = tagged(solved, "exercise:policy").source
    nbformat.write(partial, grace)

    mallory = room / "mallory"
    mallory.mkdir()
    table = nbformat.read(EXERCISES / "01-connections-table-exercises.ipynb", as_version=4)
    tagged(table, "exercise:table-create").source = HARD_CODED_TABLE
    nbformat.write(table, mallory / "01-connections-table-exercises.ipynb")
    routes = nbformat.read(EXERCISES / "03-routes-and-stages-exercises.ipynb", as_version=4)
    tagged(routes, "check:api-create").source = "pass"
    tagged(routes, "check:routes-wire").source = "assert True"
    routes.cells.remove(tagged(routes, "check:stage-deploy"))
    nbformat.write(routes, mallory / "03-routes-and-stages-exercises.ipynb")
    shutil.copytree(EXERCISES / "lambdas", mallory / "lambdas")
    return grade([room], tmp_path_factory.mktemp("grading"))


HARD_CODED_TABLE = '''import boto3


def create_table(name, key, index, index_key):
    """Right for the example only: the names are fixed."""
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="games",
        AttributeDefinitions=[
            {"AttributeName": "GameId", "AttributeType": "S"},
            {"AttributeName": "Host", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "GameId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-host",
                "KeySchema": [{"AttributeName": "Host", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(TableName="games", WaiterConfig={"Delay": 1})
    return dynamodb.describe_table(TableName="games")["Table"]["TableArn"]
'''


# -- the content follows the convention ---------------------------------------------------------


def test_solutions_follow_the_convention() -> None:
    """Every exercise has a region (or a .py file), its check right after, and a hidden variant."""
    assert solution_problems(SOLUTIONS) == []


def test_exercises_are_in_sync_with_the_solutions() -> None:
    """exercises/ is exactly what `workshop exercises build` makes of solutions/."""
    assert check_in_sync(SOLUTIONS, EXERCISES) == []


def test_solution_lambdas_are_the_finished_apps() -> None:
    """solutions/lambdas links to lambdas/, so the finished apps are the one source of the answers."""
    link = SOLUTIONS / "lambdas"
    assert link.is_symlink() and link.resolve() == PROJECT_ROOT / "lambdas"
    stub = (EXERCISES / "lambdas/chat/default.py").read_text()
    assert "raise NotImplementedError()" in stub and "BEGIN SOLUTION" not in stub


def test_every_lesson_from_01_to_08_and_10_has_an_exercise_notebook() -> None:
    """NN-lesson.ipynb is followed by NN-lesson-exercises.ipynb with at least one exercise."""
    assert [f"{lesson}-exercises.ipynb" for lesson in LESSONS] == NOTEBOOKS
    for name in NOTEBOOKS:
        assert exercise_ids(nbformat.read(SOLUTIONS / name, as_version=4)), name


def test_every_promised_exercise_exists_once() -> None:
    """The build-it-yourself track, the app-code and template exercises, each in one notebook."""
    ids = [
        exercise
        for name in NOTEBOOKS
        for exercise in exercise_ids(nbformat.read(SOLUTIONS / name, as_version=4))
    ]
    assert len(ids) == len(set(ids))
    assert set(ids) == EVERY_EXERCISE


def test_learners_never_see_a_hidden_variant() -> None:
    """The stubs' notebooks carry no hidden cell, and no check cell names a hidden value."""
    for name in NOTEBOOKS:
        text = (EXERCISES / name).read_text()
        assert '"hidden:' not in text, name


# -- graded as an instructor would --------------------------------------------------------------


@pytest.mark.timeout(400)
def test_workshop_check_solutions_is_one_learner_passing_everything(
    solutions_graded: dict[str, Any],
) -> None:
    """`workshop check solutions`: one row, one column per exercise, every one a pass."""
    assert list(solutions_graded["learners"]) == ["solutions"]
    assert set(solutions_graded["exercises"]) == EVERY_EXERCISE | LESSON_CHALLENGES
    row = statuses(solutions_graded, "solutions")
    failing = {e: message(solutions_graded, "solutions", e) for e, s in row.items() if s != "pass"}
    assert failing == {} and solutions_graded["status"] == 0


@pytest.mark.timeout(400)
def test_workshop_check_exercises_is_one_learner_failing_everything(
    exercises_graded: dict[str, Any],
) -> None:
    """`workshop check exercises`: one row, every exercise a fail (no check passes a stub)."""
    assert list(exercises_graded["learners"]) == ["exercises"]
    assert set(exercises_graded["exercises"]) == EVERY_EXERCISE
    assert set(statuses(exercises_graded, "exercises").values()) == {"fail"}


@pytest.mark.timeout(400)
def test_a_stub_fails_the_check_the_learner_sees(exercises_graded: dict[str, Any]) -> None:
    """Every stub fails the visible check already, not only the hidden variant."""
    for exercise in exercises_graded["exercises"]:
        assert not message(exercises_graded, "exercises", exercise).startswith("hidden"), exercise


@pytest.mark.timeout(400)
def test_first_lines_say_what_is_wrong(exercises_graded: dict[str, Any]) -> None:
    """A stub's message is one line: not done yet, or what failed and what to do first."""
    for exercise in exercises_graded["exercises"]:
        text = message(exercises_graded, "exercises", exercise)
        assert text and "\n" not in text and "Traceback" not in text, (exercise, text)


@pytest.mark.timeout(400)
def test_tampered_checks_and_hard_coded_answers_score_nothing(room: dict[str, Any]) -> None:
    """mallory's real work is nothing, and so is her grade, whatever she did to the checks."""
    row = statuses(room, "mallory")
    built = ["table-create", "api-create", "routes-wire", "stage-deploy"]
    assert {exercise: row[exercise] for exercise in built} == dict.fromkeys(built, "fail")
    assert message(room, "mallory", "table-create").startswith("hidden variant: ")
    for exercise in ("api-create", "routes-wire", "stage-deploy"):
        assert message(room, "mallory", exercise).startswith("not done yet (NotImplementedError)")


@pytest.mark.timeout(400)
def test_a_partial_submission_passes_only_what_was_done(room: dict[str, Any]) -> None:
    """grace wrote the policy but not the push Lambda, and handed in no other notebook."""
    row = statuses(room, "grace")
    assert row["policy"] == "pass"
    assert row["push-time"] == "fail" and row["reminder"] == "fail"
    assert message(room, "grace", "table-create") == (
        "not handed in (01-connections-table-exercises.ipynb)"
    )
    assert room["status"] == 1


# -- checks on their own, without a cloud -------------------------------------------------------


TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/push-connections"
STAGE = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev"


def policy_with(table_actions: list[str], connections_resource: str) -> Any:
    def welcome_policy(table_arn: str, region: str, account: str, api_id: str) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": table_actions, "Resource": table_arn},
                {
                    "Effect": "Allow",
                    "Action": "execute-api:ManageConnections",
                    "Resource": connections_resource,
                },
            ],
        }

    return welcome_policy


def test_policy_check_calls_a_wildcard_too_broad() -> None:
    """A wildcard action fails the policy check with a 'Too broad' first line."""
    policy = policy_with(["dynamodb:*"], f"{STAGE}/POST/@connections/*")
    with pytest.raises(AssertionError, match=r"^Too broad: .*dynamodb:\*"):
        checks.check_policy(policy, TABLE_ARN, "us-east-1", "123456789012", "abc123")


def test_policy_check_names_the_expected_connections_arn() -> None:
    """ManageConnections on the whole API fails, naming the stage's POST @connections ARN."""
    policy = policy_with(["dynamodb:PutItem", "dynamodb:DeleteItem"], f"{STAGE[:-4]}/*")
    with pytest.raises(AssertionError, match=re.escape(f"{STAGE}/POST/@connections/*")):
        checks.check_policy(policy, TABLE_ARN, "us-east-1", "123456789012", "abc123")


def test_validate_move_check_shows_the_call_that_went_wrong(tmp_path: Path) -> None:
    """A validate_move that allows everything fails on the first illegal case, with its call."""
    game = tmp_path / "game.py"
    game.write_text("def validate_move(board, turn, mark, row, col):\n    return None\n")
    expected = "validate_move('.........', 'X', 'O', 0, 0) returned None, expected 'it is not"
    with pytest.raises(AssertionError, match=re.escape(expected)):
        checks.check_validate_move(game)
