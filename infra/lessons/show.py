"""Showing code: a file, one function of it, or resources of a template, as the lessons print them.

A lesson shows the tested file itself (never a copy that could drift), and never code that holds
an exercise's answer: ``source_of`` refuses it, ``template_text`` cuts it out.
"""

from __future__ import annotations

import ast
import html
import inspect
from pathlib import Path
from typing import Any

from infra.exercises.markers import BEGIN, END, clear_solutions, has_solution

KIT = Path(__file__).resolve().parents[2]
LAMBDAS = KIT / "lambdas"


def source_of(target: Any, name: str | None = None) -> str:
    """The source of ``target``: a Python object, or a file path (relative paths: under lambdas/,
    or in the kit when they start with ``infra/``, a folder the learner's JupyterLab hides).

    With ``name``, only that top-level function, class or assignment (``CHAT = ...``) of the
    file. Code holding an exercise's answer (a ``### BEGIN SOLUTION`` region) is refused: a
    lesson never shows it.
    """
    if not isinstance(target, str | Path):
        return _no_answers(inspect.getsource(target), repr(target))
    path = _kit_path(target)
    text = path.read_text()
    if name is None:
        return _no_answers(text, str(path))
    for node in ast.parse(text).body:
        definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        if isinstance(node, definition) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            chosen = "\n".join(text.splitlines()[first - 1 : node.end_lineno]) + "\n"
            return _no_answers(chosen, f"{path} :: {name}")
        assigned = ast.Assign | ast.AnnAssign
        if isinstance(node, assigned) and name in _assigned_names(node):
            chosen = "\n".join(text.splitlines()[node.lineno - 1 : node.end_lineno]) + "\n"
            return _no_answers(chosen, f"{path} :: {name}")
    raise LookupError(f"no function, class or assignment {name!r} in {path}")


def _kit_path(target: str | Path) -> Path:
    """A file given as lessons name it: absolute, ``infra/...`` in the kit, else under lambdas/."""
    path = Path(target)
    if path.is_absolute():
        return path
    return KIT / path if path.parts[0] == "infra" else LAMBDAS / path


def _where(target: str | Path) -> Path:
    """How a header names a file: relative to the kit."""
    path = _kit_path(target)
    return path.relative_to(KIT) if path.is_relative_to(KIT) else path


def _assigned_names(node: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [target.id for target in targets if isinstance(target, ast.Name)]


class AnswerShown(ValueError):
    """A lesson asked to show code that holds an exercise's answer."""


def _no_answers(source: str, where: str) -> str:
    if has_solution(source):
        raise AnswerShown(f"{where} holds an exercise's answer: a lesson must not show it")
    return source


def _header(target: Any, name: str | None) -> str:
    """The first line a shown source gets: where it lives, and which part of it."""
    if isinstance(target, str | Path):
        where = str(_where(target))
    else:
        where = f"{target.__module__}.{target.__qualname__}"
    return f"# {where}" + (f" :: {name}" if name else "")


def show_source(target: Any, name: str | None = None) -> None:
    """Print the source of ``target`` (see ``source_of``) under a header naming where it lives."""
    print(_header(target, name) + "\n" + source_of(target, name).rstrip())


class SideBySide:
    """Sources in columns, each under its header: a table in a notebook, one after the other as
    text (``print``, or a front end without HTML)."""

    def __init__(self, columns: list[tuple[str, str]]) -> None:
        self.columns = columns  # (header, source)

    def _repr_html_(self) -> str:
        # JupyterLab's outputs break a <pre> anywhere, mid-name; lines wrap at spaces instead.
        wrap = "white-space: pre-wrap; word-break: normal; overflow-wrap: anywhere"
        cells = "".join(
            f'<td style="vertical-align: top; text-align: left; width: {100 // len(self.columns)}%">'
            f'<pre style="{wrap}"><b>{html.escape(header)}</b>\n{html.escape(source)}</pre></td>'
            for header, source in self.columns
        )
        return f'<table style="width: 100%"><tr>{cells}</tr></table>'

    def __str__(self) -> str:
        return "\n\n".join(f"{header}\n{source}" for header, source in self.columns)

    def __repr__(self) -> str:
        return str(self)


def side_by_side(*targets: Any) -> SideBySide:
    """The sources of ``targets`` in columns, left to right, to compare two handlers.

    Each target is what ``source_of`` takes: a path (any language: a file other than Python is
    shown whole), a Python object, or a ``(path, name)`` pair for one function of a file. Code
    holding an exercise's answer is refused, as ``show_source`` refuses it.
    """
    columns = []
    for target in targets:
        path, name = target if isinstance(target, tuple) else (target, None)
        columns.append((_header(path, name), source_of(path, name).rstrip()))
    return SideBySide(columns)


def template_text(path: str | Path, *keys: str) -> str:
    """Entries of a template file, as written there: resources (``ConnectFunction``), or any
    other top-level section or entry (``Outputs``, ``StageName``). Relative paths: under lambdas/.

    The lines of an exercise's answer (solution regions) are cut out, so the text is what the
    exercises' copy of the template holds; asking for a resource that is all answer is refused.
    """
    path = Path(path) if Path(path).is_absolute() else LAMBDAS / path
    lines = path.read_text().splitlines()
    blocks = []
    for key in keys:
        start = _entry_line(lines, key, path)
        indent = len(lines[start]) - len(lines[start].lstrip())
        end = start + 1
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
        ):
            end += 1
        while not lines[end - 1].strip():
            end -= 1
        blocks.append(clear_solutions("\n".join(lines[start:end]) + "\n", ()))
    return "".join(blocks)


def _entry_line(lines: list[str], key: str, path: Path) -> int:
    """The line where ``key:`` starts a top-level section or an entry of one (indented by 2)."""
    inside = False
    for number, line in enumerate(lines):
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif line in (f"{key}:", f"  {key}:") or line.startswith((f"{key}: ", f"  {key}: ")):
            if inside:
                raise AnswerShown(
                    f"{path} :: {key} is an exercise's answer: a lesson must not show it"
                )
            return number
    raise LookupError(f"no entry {key!r} in {path}")


def show_template(path: str | Path, *keys: str) -> None:
    """Print entries of a template (see ``template_text``) under a header naming the file."""
    where = path if Path(path).is_absolute() else Path("lambdas") / path
    print(f"# {where} :: {', '.join(keys)}\n" + template_text(path, *keys).rstrip())
