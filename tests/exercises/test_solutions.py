"""The workshop's exercise content: solutions/ pass every check, the built stubs fail every one.

Each notebook runs in its own process against its own fresh local cloud (`run_in_sandbox`), two
at a time, once for the module; the tests then read the reports.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from infra.exercises import checks
from infra.exercises.build import check_in_sync, solution_problems
from infra.exercises.runner import PROJECT_ROOT, NotebookReport
from infra.exercises.sandbox import run_in_sandbox
from infra.exercises.tags import exercise_ids

SOLUTIONS = PROJECT_ROOT / "solutions"
EXERCISES = PROJECT_ROOT / "exercises"
NOTEBOOKS = sorted(path.name for path in SOLUTIONS.glob("*.ipynb"))
REQUIRED = {
    "chat-default",
    "chat-nickname",
    "chat-prune",
    "chat-whisper",
    "arena-color",
    "ttt-validate",
    "push-time",
    "policy",
}
NOTEBOOK_TIMEOUT = 120.0  # seconds for the cells of one notebook (about 20 s when healthy)
JOBS = 2  # notebooks at once: each has a kernel, a cloud and Lambda workers


@pytest.fixture(scope="module")
def reports() -> dict[tuple[str, str], NotebookReport]:
    """Every notebook of solutions/ and exercises/, run in its own tree: (tree, name) -> report."""
    runs = [(tree, name) for tree in (SOLUTIONS, EXERCISES) for name in NOTEBOOKS]

    def run(tree: Path, name: str) -> NotebookReport:
        return run_in_sandbox(tree / name, tree, NOTEBOOK_TIMEOUT)

    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        done = list(pool.map(lambda job: run(*job), runs))
    return {(tree.name, name): report for (tree, name), report in zip(runs, done, strict=True)}


def outcomes(report: NotebookReport) -> str:
    """One line per exercise, for assertion messages."""
    lines = [f"{exercise}: {r.status} {r.message}" for exercise, r in report.results.items()]
    return "\n".join([f"problem: {report.problem}" if report.problem else "", *lines]).strip()


def test_solutions_follow_the_convention() -> None:
    """Every exercise has a solution region (or a .py file) and a check cell right after it."""
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


def test_every_required_exercise_exists() -> None:
    """The notebooks hold the exercises the workshop promises, each id in one notebook only."""
    ids = [
        exercise
        for name in NOTEBOOKS
        for exercise in exercise_ids(nbformat.read(SOLUTIONS / name, as_version=4))
    ]
    assert len(ids) == len(set(ids))
    assert set(ids) >= REQUIRED


@pytest.mark.timeout(400)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_check_passes_on_the_solutions(
    reports: dict[tuple[str, str], NotebookReport], name: str
) -> None:
    """Run on solutions/, every exercise of the notebook passes."""
    report = reports[("solutions", name)]
    assert report.results, outcomes(report)
    statuses = {r.status for r in report.results.values()}
    assert statuses == {"pass"} and not report.problem, outcomes(report)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_check_fails_on_the_stubs(
    reports: dict[tuple[str, str], NotebookReport], name: str
) -> None:
    """Run on exercises/ (the stubs), every exercise fails: no check passes vacuously or errors."""
    report = reports[("exercises", name)]
    assert report.results, outcomes(report)
    statuses = {r.status for r in report.results.values()}
    assert statuses == {"fail"} and not report.problem, outcomes(report)


TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/push-connections"
STAGE_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev"


def policy_with(table_actions: list[str], connections_resource: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": table_actions, "Resource": TABLE_ARN},
            {
                "Effect": "Allow",
                "Action": "execute-api:ManageConnections",
                "Resource": connections_resource,
            },
        ],
    }


def test_policy_check_calls_a_wildcard_too_broad() -> None:
    """A wildcard action fails the policy check with a 'Too broad' first line."""
    policy = policy_with(["dynamodb:*"], f"{STAGE_ARN}/POST/@connections/*")
    with pytest.raises(AssertionError, match=r"^Too broad: .*dynamodb:\*"):
        checks.check_policy(policy, TABLE_ARN, STAGE_ARN)


def test_policy_check_names_the_expected_connections_arn() -> None:
    """ManageConnections on the whole API fails, naming the stage's POST @connections ARN."""
    policy = policy_with(["dynamodb:PutItem", "dynamodb:DeleteItem"], f"{STAGE_ARN[:-4]}/*")
    with pytest.raises(AssertionError, match=re.escape(f"{STAGE_ARN}/POST/@connections/*")):
        checks.check_policy(policy, TABLE_ARN, STAGE_ARN)


def test_validate_move_check_shows_the_call_that_went_wrong(tmp_path: Path) -> None:
    """A validate_move that allows everything fails on the first illegal case, with its call."""
    game = tmp_path / "game.py"
    game.write_text("def validate_move(board, turn, mark, row, col):\n    return None\n")
    expected = "validate_move('.........', 'X', 'O', 0, 0) returned None, expected 'it is not"
    with pytest.raises(AssertionError, match=re.escape(expected)):
        checks.check_validate_move(game)
