"""Every assert a lesson shows tells the learner what to do when it fails."""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest

from infra.build import SOURCES

LESSONS = sorted((SOURCES / "notebooks").glob("*.py"))


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.stem)
def test_every_assert_in_a_lesson_carries_a_message(path: Path) -> None:
    """An assert without a message would show a bare AssertionError: each says what to do."""
    notebook = jupytext.reads(path.read_text(encoding="utf-8"), fmt="py:percent")
    bare = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith("%"):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Assert) and node.msg is None:
                bare.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    assert bare == []
