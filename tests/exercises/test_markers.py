"""Solution regions become stubs at the indentation of their BEGIN line."""

from __future__ import annotations

import pytest

from infra.exercises.markers import TEXT_STUB, MarkerError, clear_solutions, has_solution


def test_region_inside_a_function_keeps_its_indentation() -> None:
    """A region in a function body becomes an indented stub, so the function still parses."""
    source = (
        "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    )
    assert clear_solutions(source) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )


def test_text_after_a_region_is_kept() -> None:
    """Lines after END SOLUTION are copied unchanged."""
    source = "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\nprint(x)"
    assert clear_solutions(source) == "# YOUR CODE HERE\nraise NotImplementedError()\nprint(x)"


def test_region_at_the_end_keeps_no_trailing_newline() -> None:
    """A cell ending with END SOLUTION (no newline) ends with the stub (no newline)."""
    assert clear_solutions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION") == (
        "# YOUR CODE HERE\nraise NotImplementedError()"
    )


def test_several_regions_are_all_cleared() -> None:
    """Every region of a text is replaced, each at its own indentation."""
    source = (
        "### BEGIN SOLUTION\na = 1\n### END SOLUTION\n"
        "if a:\n        ### BEGIN SOLUTION\n        b = 2\n        ### END SOLUTION\n"
    )
    assert clear_solutions(source) == (
        "# YOUR CODE HERE\nraise NotImplementedError()\n"
        "if a:\n        # YOUR CODE HERE\n        raise NotImplementedError()\n"
    )


def test_markdown_regions_become_your_answer_here() -> None:
    """With the text stub, a region becomes YOUR ANSWER HERE."""
    source = "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"
    assert clear_solutions(source, TEXT_STUB) == "Why?\n\nYOUR ANSWER HERE"


def test_text_without_regions_is_unchanged() -> None:
    """Text without markers is returned as is."""
    source = "x = 1\n# BEGIN SOLUTION is only a marker on a line of its own: x = 2\n"
    assert not has_solution(source)
    assert clear_solutions(source) == source


@pytest.mark.parametrize(
    "source",
    [
        "### BEGIN SOLUTION\nx = 1\n",
        "x = 1\n### END SOLUTION\n",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
    ],
    ids=["unclosed", "unopened", "nested"],
)
def test_unbalanced_markers_are_refused(source: str) -> None:
    """An unclosed, unopened or nested region raises MarkerError naming the line."""
    with pytest.raises(MarkerError, match="line"):
        clear_solutions(source, where="f.py: ")
