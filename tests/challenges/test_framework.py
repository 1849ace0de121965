"""The challenge checks answer in one line: ✓, ✗ with what is wrong, or ◻ with the kit's step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from infra import challenges
from infra.challenges import CheckFailed, answer_of, check, not_done, passed, require, reveal

LESSON = """# %% [markdown]
# # 42 · A lesson

# %% tags=["exercise:make-thing"]
import boto3

### BEGIN SOLUTION
for name in ("a", "b"):
    print(name)
### END SOLUTION

# %% tags=["check:make-thing"]
check.thing()
"""


def test_check_failed_shows_one_line_and_no_traceback() -> None:
    """IPython shows a CheckFailed as its one line (the check's source stays out of sight)."""
    rendered = CheckFailed("the key is wrong")._render_traceback_()
    assert len(rendered) == 1 and "✗ the key is wrong" in rendered[0]


def test_a_passing_check_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """passed() prints one line starting with ✓."""
    passed("the table is ACTIVE")
    assert capsys.readouterr().out == "✓ the table is ACTIVE\n"


def test_require_fails_with_its_message() -> None:
    """require() raises CheckFailed with the message when the condition is false."""
    require(True, "never")
    with pytest.raises(CheckFailed, match="^do this$"):
        require(False, "do this")


def test_not_done_runs_the_kit_step_and_says_so(
    lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lenient: the kit's step runs (what it prints kept out of sight), and one line says what
    was missing and how to reveal."""
    done: list[str] = []

    def kit_step() -> None:
        print("✓ chat-connections created")
        done.append("made")

    not_done("no table", "make-thing", kit_step, "make()")
    out = capsys.readouterr().out
    assert done == ["made"]
    assert out.count("\n") == 1 and out.startswith("◻ Not done yet: no table.")
    assert "make()" in out and "reveal('make-thing')" in out


def test_not_done_is_a_failure_when_strict(strict: None) -> None:
    """Strict (solved lessons, grading): the kit's step still runs, then the check fails."""
    done: list[str] = []
    with pytest.raises(CheckFailed, match="^not done: no table$"):
        not_done("no table", "make-thing", lambda: done.append("made"), "make()")
    assert done == ["made"]


@pytest.mark.parametrize("value, strict", [("1", True), ("", False)])
def test_strict_comes_from_the_graders_environment(value: str, strict: bool) -> None:
    """WORKSHOP_STRICT_CHECKS=1 in a kernel's environment makes its checks strict at import."""
    code = "import infra.challenges as c; print(c.is_strict())"
    env = {**os.environ, challenges.STRICT_VARIABLE: value}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == str(strict)


def test_a_checks_assertion_becomes_its_first_line() -> None:
    """An AssertionError inside a check becomes a CheckFailed with its first line only."""

    @check
    def broken() -> None:
        raise AssertionError("first line\nsecond line")

    with pytest.raises(CheckFailed) as failure:
        broken()
    assert str(failure.value) == "first line"


def test_a_stubs_not_implemented_error_is_not_done_yet() -> None:
    """An exercise stub's NotImplementedError reads as not done yet, with where to write."""

    @check
    def stub() -> None:
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match=r"^not done yet \(NotImplementedError\): write"):
        stub()


def test_an_aws_error_in_a_check_is_one_line_with_its_code() -> None:
    """A ClientError becomes its code and message, naming the operation."""

    @check
    def calls_aws() -> None:
        error = {"Error": {"Code": "ResourceNotFoundException", "Message": "no such table"}}
        raise ClientError(error, "DescribeTable")

    with pytest.raises(CheckFailed) as failure:
        calls_aws()
    assert str(failure.value) == ("ResourceNotFoundException: no such table (from DescribeTable)")


def test_answer_of_is_the_whole_cell_solved(tmp_path: Path) -> None:
    """answer_of gives the challenge's whole cell with the answer in place, markers left out,
    so indented answers keep their indentation."""
    (tmp_path / "42-a-lesson.py").write_text(LESSON)
    assert answer_of("make-thing", tmp_path) == (
        "42-a-lesson",
        'import boto3\n\nfor name in ("a", "b"):\n    print(name)',
    )
    with pytest.raises(LookupError):
        answer_of("no-such-thing", tmp_path)


def test_reveal_prints_an_answer_from_the_lessons(capsys: pytest.CaptureFixture[str]) -> None:
    """reveal() prints lesson 01's answer to connections-table, with where to paste it."""
    reveal("connections-table")
    out = capsys.readouterr().out
    assert "lesson 01-connections-table" in out and "create_table(" in out
    assert "BEGIN SOLUTION" not in out


def test_reveal_of_an_unknown_id_is_one_line() -> None:
    """A mistyped id gets a CheckFailed naming it, not a traceback."""
    with pytest.raises(CheckFailed, match="no challenge 'nope'"):
        reveal("nope")
