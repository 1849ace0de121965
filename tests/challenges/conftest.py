"""The two modes a check runs in: lenient (a learner's lesson) and strict (solved, graded)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra import challenges


@pytest.fixture
def lenient() -> Iterator[None]:
    """Checks as in a learner's lesson: a stub gets ◻ and the kit's step."""
    was = challenges.is_strict()
    challenges.strict(False)
    yield
    challenges.strict(was)


@pytest.fixture
def strict() -> Iterator[None]:
    """Checks as in a solved lesson or when grading: a stub fails."""
    was = challenges.is_strict()
    challenges.strict(True)
    yield
    challenges.strict(was)
