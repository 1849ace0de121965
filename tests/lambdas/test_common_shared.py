"""The helpers the apps' common.py files share stay the same code in every app.

Each app folder is a self-contained Lambda zip root, so each keeps its own common.py. A top-level
function or constant that several apps define under one name must be the same code in each:
docstrings may differ (they name the app's own table), and so may the solution markers around an
exercise's answer. The names in APP_SPECIFIC differ on purpose.
"""

import ast
from pathlib import Path

from infra.exercises.markers import BEGIN, END

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
APPS = ["chat", "arena", "tictactoe", "push"]
# Each app does its own thing with a gone connection: prune its row (chat), prune it after a
# grace (arena), leave the game to $disconnect (tictactoe).
APP_SPECIFIC = {"send"}
# The helpers the apps share today: the comparison must see every one of them.
SHARED = {
    "DEFAULT_NAME",
    "MAX_NAME_LENGTH",
    "connection_id",
    "connections_url",
    "is_gone",
    "management_api",
    "message_body",
    "nickname",
    "table",
}


def commons() -> dict[str, str]:
    """Each app's common.py, by app name."""
    return {app: (LAMBDAS / app / "common.py").read_text() for app in APPS}


def definitions(source: str) -> dict[str, str]:
    """Each top-level function and constant of a module, as its code without docstring or markers."""
    lines = source.splitlines()
    found: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        else:
            continue
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        docstring: set[int] = set()
        if isinstance(node, ast.FunctionDef) and ast.get_docstring(node) is not None:
            docstring = set(range(node.body[0].lineno, (node.body[0].end_lineno or 0) + 1))
        code = [
            line
            for number, line in enumerate(lines[first - 1 : node.end_lineno], first)
            if number not in docstring and not BEGIN.match(line) and not END.match(line)
        ]
        found.update(dict.fromkeys(names, "\n".join(code)))
    return found


def drifted(sources: dict[str, str]) -> list[str]:
    """One line per app whose copy of a shared name differs from the first app's."""
    first: dict[str, tuple[str, str]] = {}
    problems = []
    for app, source in sources.items():
        for name, code in definitions(source).items():
            if name in APP_SPECIFIC:
                continue
            if name not in first:
                first[name] = (app, code)
            elif code != first[name][1]:
                problems.append(
                    f"lambdas/{app}/common.py: {name} differs from lambdas/{first[name][0]}/common.py"
                )
    return problems


def shared_names(sources: dict[str, str]) -> set[str]:
    """The names more than one app's common.py defines."""
    counts: dict[str, int] = {}
    for source in sources.values():
        for name in definitions(source):
            counts[name] = counts.get(name, 0) + 1
    return {name for name, count in counts.items() if count > 1} - APP_SPECIFIC


def test_shared_helpers_are_the_same_code_in_every_app() -> None:
    """Every name several apps' common.py define is the same code in each (docstrings aside)."""
    assert drifted(commons()) == []


def test_the_shared_helpers_are_seen() -> None:
    """The comparison sees the helpers the apps share today (it is not comparing nothing)."""
    assert SHARED - shared_names(commons()) == set()


def test_a_helper_changed_in_one_app_is_named_in_one_line() -> None:
    """Changing is_gone in push's common.py alone is reported, naming the app and the function."""
    sources = commons()
    sources["push"] = sources["push"].replace('"GoneException"', '"Gone"')
    assert drifted(sources) == [
        "lambdas/push/common.py: is_gone differs from lambdas/chat/common.py"
    ]


def test_a_changed_constant_is_named_too() -> None:
    """A shared constant changed in one app (MAX_NAME_LENGTH in push) is reported as well."""
    sources = commons()
    sources["push"] = sources["push"].replace("MAX_NAME_LENGTH = 20", "MAX_NAME_LENGTH = 30")
    assert drifted(sources) == [
        "lambdas/push/common.py: MAX_NAME_LENGTH differs from lambdas/chat/common.py"
    ]
