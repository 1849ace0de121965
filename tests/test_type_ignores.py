"""`type: ignore` in the type-checked code is rare and says why: an error code, then a reason."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("infra", "lambdas", "benchmarks")  # what mypy checks (pyproject.toml's [tool.mypy])
AT_MOST = 25  # issue 20: only where a third party's types are wrong

IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<code>\[[\w\-, ]+\])?(?P<rest>.*)")
REASON = re.compile(r"^\s*#\s*\S")


def ignores(source: str) -> list[tuple[int, str]]:
    """The `type: ignore` comments of a Python source (not strings): (line, the comment from it)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [
        (token.start[0], match.group(0))
        for token in tokens
        if token.type == tokenize.COMMENT and (match := IGNORE.search(token.string))
    ]


def fault(comment: str) -> str | None:
    """What a `type: ignore` comment lacks (its [code], or a `# reason` after it), else None."""
    match = IGNORE.match(comment)
    assert match is not None
    if match.group("code") is None:
        return "no [error-code]"
    if not REASON.match(match.group("rest")):
        return "no '# reason' after the code"
    return None


def checked_files() -> list[Path]:
    return [
        path
        for folder in CHECKED
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not {".venv", "node_modules"} & set(path.parts)
    ]


def all_ignores() -> list[tuple[str, str]]:
    """Every `type: ignore` of the checked code: ("file:line", the comment)."""
    return [
        (f"{path.relative_to(ROOT)}:{line}", comment)
        for path in checked_files()
        for line, comment in ignores(path.read_text())
    ]


def test_type_ignores_are_few() -> None:
    """infra/, lambdas/ and benchmarks/ hold at most 25 `type: ignore` comments."""
    found = all_ignores()
    assert len(found) <= AT_MOST, f"{len(found)} type: ignore (at most {AT_MOST}): " + ", ".join(
        where for where, _ in found
    )


def test_each_type_ignore_names_its_code_and_reason() -> None:
    """Each `type: ignore` reads `# type: ignore[code]  # why the third party is wrong`."""
    faults = [f"{where}: {why}" for where, comment in all_ignores() if (why := fault(comment))]
    assert not faults, "; ".join(faults)


def test_the_check_sees_ignores_and_their_faults() -> None:
    """The finder is not blind: it finds comments (not strings) and tells a good one from bad."""
    source = (
        "a = 1  # type: ignore\n"
        "b = 2  # type: ignore[assignment]\n"
        's = "# type: ignore[misc]"\n'
        "c = 3  # type: ignore[attr-defined]  # typeshed lacks it\n"
    )
    found = ignores(source)
    assert [line for line, _ in found] == [1, 2, 4]
    assert [fault(comment) for _, comment in found] == [
        "no [error-code]",
        "no '# reason' after the code",
        None,
    ]
