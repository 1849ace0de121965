"""Solution regions, the nbgrader way: `### BEGIN SOLUTION` ... `### END SOLUTION`.

A region is replaced by a stub at the indentation of its BEGIN line, so the stub sits where the
solution sat (inside a function body, a loop, a YAML mapping, ...) and the file still parses.
The marker lines are comments in Python and in YAML alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

BEGIN = re.compile(r"^(?P<indent>\s*)#+\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
TEXT_STUB = ("YOUR ANSWER HERE",)
COMMENT_STUB = ("# YOUR CODE HERE",)  # a template (YAML): a comment, so the stub still deploys


def lesson_stub(indent: str) -> tuple[str, ...]:
    """A lesson's challenge stub: it runs (Run All goes on to the check, which says what to do),
    so no `raise`; inside a block, `pass` keeps the cell valid Python."""
    return COMMENT_STUB if not indent else (*COMMENT_STUB, "pass")


class MarkerError(ValueError):
    """A BEGIN without its END, an END without its BEGIN, or regions nested."""


def has_solution(source: str) -> bool:
    """Whether the text holds at least one solution region."""
    return any(BEGIN.match(line) for line in source.splitlines())


def clear_solutions(
    source: str,
    stub: tuple[str, ...] | Callable[[str], tuple[str, ...]] = CODE_STUB,
    where: str = "",
) -> str:
    """The text with every solution region replaced by `stub`, indented like its BEGIN line.

    `stub` may be a function of that indentation, giving the lines to put there."""
    lines = source.splitlines(keepends=True)
    kept: list[str] = []
    region_start: int | None = None
    for number, line in enumerate(lines, start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if region_start is not None:
                raise MarkerError(f"{where}line {number}: BEGIN SOLUTION inside another region")
            region_start = number
            indent = begin.group("indent")
            lines_here = stub(indent) if callable(stub) else stub
            kept.extend(f"{indent}{stub_line}\n" for stub_line in lines_here)
        elif end:
            if region_start is None:
                raise MarkerError(f"{where}line {number}: END SOLUTION without a BEGIN")
            region_start = None
            if not line.endswith("\n") and kept:
                kept[-1] = kept[-1].rstrip("\n")  # the region ended the text: so does the stub
        elif region_start is None:
            kept.append(line)
    if region_start is not None:
        raise MarkerError(f"{where}line {region_start}: BEGIN SOLUTION never ends")
    return "".join(kept)
