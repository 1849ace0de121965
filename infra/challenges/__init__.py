"""Challenges: the cells a learner writes inside a lesson, and the checks that follow them.

A lesson's source tags a challenge cell `exercise:<id>` and keeps its answer between
`### BEGIN SOLUTION` and `### END SOLUTION`; the learner's copy (`notebooks/`) gets
`# YOUR CODE HERE` there instead, and the next cell, tagged `check:<id>`, calls a check from this
package's module for the lesson (`infra.challenges.lesson01`, ...). A check:

- passes with one line that starts with ✓;
- fails with one line that starts with ✗, saying what is still wrong (`CheckFailed`: IPython shows
  that line and no traceback, and Run All stops there, at the learner's next step);
- finds the challenge not done yet (the stub): it does the kit's own step for the learner (a
  catch-up call) and says so in one line, so Run All on an untouched lesson still runs to the end
  and an instructor's demo stays usable. In a solved lesson (`solutions/lessons/`, which CI runs)
  and when grading, checks are strict: not done is a failure.

`reveal(id)` prints a solved copy of the challenge's cell for a learner who is stuck; the page
never shows it before.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from botocore.exceptions import ClientError, WaiterError

from infra.exercises.markers import BEGIN, END

P = ParamSpec("P")
T = TypeVar("T")
LESSON_SOURCES = Path(__file__).resolve().parents[2] / "sources" / "notebooks"
# Grading (`workshop check`) sets it in the kernel's environment: a stub is a failure there.
STRICT_VARIABLE = "WORKSHOP_STRICT_CHECKS"
_strict = os.environ.get(STRICT_VARIABLE) == "1"


class CheckFailed(AssertionError):
    """A check's verdict in one line: what is still wrong, and what to do about it."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback (the check's own code is no help)."""
        return [f"\x1b[31m✗ {self}\x1b[0m"]


def strict(on: bool = True) -> None:
    """Make every check strict (the solved lessons' first cell): not done is a failure."""
    global _strict
    _strict = on


def is_strict() -> bool:
    return _strict


def passed(message: str) -> None:
    """Say that a check passed, in one line."""
    print(f"✓ {message}")


def require(condition: object, message: str) -> None:
    """Fail the check with `message` unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)


def not_done(what: str, challenge: str, kit_step: Callable[[], object], step: str) -> None:
    """The learner's cell has not done `what` yet: the kit does `kit_step` (shown as `step`).

    Lenient (a learner's lesson): one line says so and the lesson goes on. Strict (a solved
    lesson, grading): the same step is done, so later cells still run, and the check fails.
    """
    with contextlib.redirect_stdout(io.StringIO()):  # one line from the check, not the kit's own
        kit_step()
    if _strict:
        raise CheckFailed(f"not done: {what}")
    print(
        f"◻ Not done yet: {what}. So the lesson can go on, the kit did it: {step}. Write the cell"
        f" above and run it, then this check; stuck? reveal({challenge!r}) shows an answer."
    )


def check(function: Callable[P, T]) -> Callable[P, T]:
    """Make a check answer in one line: any error of the cloud or of the learner's code becomes a
    `CheckFailed` with its first line, never a traceback through the check."""

    @functools.wraps(function)
    def checked(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return function(*args, **kwargs)
        except CheckFailed:
            raise
        except NotImplementedError as error:
            said = f": {first_line(error)}" if first_line(error) else ""
            raise CheckFailed(
                f"not done yet (NotImplementedError){said}: write your code where it says"
                " # YOUR CODE HERE, in place of the raise"
            ) from None
        except AssertionError as error:
            raise CheckFailed(first_line(error) or "a check failed") from None
        except ClientError as error:
            message = error.response.get("Error", {})
            code, text = message.get("Code", "Error"), message.get("Message", "")
            raise CheckFailed(f"{code}: {text} (from {error.operation_name})") from None
        except WaiterError as error:
            raise CheckFailed(f"waited in vain: {first_line(error)}") from None

    return checked


def first_line(error: BaseException) -> str:
    return next((line.strip() for line in str(error).splitlines() if line.strip()), "")


def answer_of(challenge: str, sources: Path = LESSON_SOURCES) -> tuple[str, str]:
    """The lesson (its source's name) and a challenge's cell as solved: the whole cell, answer
    in place and markers left out, so it can replace the learner's cell as it is."""
    header = re.compile(rf"^# %%.*\"exercise:{re.escape(challenge)}\"")
    for source in sorted(sources.glob("*.py")):
        lines = source.read_text(encoding="utf-8").splitlines()
        for start, line in enumerate(lines):
            if header.match(line):
                return source.stem, _solved_cell(lines[start + 1 :])
    raise LookupError(f"no challenge {challenge!r} in the lessons")


def _solved_cell(lines: list[str]) -> str:
    """A cell's lines up to the next cell, without its BEGIN and END SOLUTION lines."""
    kept: list[str] = []
    for line in lines:
        if line.startswith("# %%"):
            break
        if not (BEGIN.match(line) or END.match(line)):
            kept.append(line)
    return "\n".join(kept).strip("\n")


def reveal(challenge: str) -> None:
    """Print an answer to a lesson's challenge (for when you are stuck: try first!)."""
    try:
        lesson, answer = answer_of(challenge)
    except LookupError as error:
        raise CheckFailed(str(error)) from None
    print(f"# An answer to {challenge!r} (lesson {lesson}): the whole cell. Replace your cell's")
    print("# code with it (or compare), then run that cell and its check.\n")
    print(answer)


__all__ = [
    "CheckFailed",
    "check",
    "is_strict",
    "not_done",
    "passed",
    "require",
    "reveal",
    "strict",
]
