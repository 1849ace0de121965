"""A learner's function, written in a lesson's cell, deployed as part of an app's Lambda code.

A lesson asks for one function of a handler file (lesson 04: `send` of `lambdas/chat/common.py`).
Its check tests the function in the notebook, then ships the app's folder with the learner's
`def` in place of the kit's: the function that runs in Lambda is the one the learner wrote.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import symtable
import textwrap
import zipfile
from collections.abc import Callable
from typing import Any

import boto3

from infra.deploy import create_or_update_function, package_lambda
from infra.deploy.apps import CHAT
from infra.deploy.packaging import FIXED_DATE
from infra.exercises.checks.common import quietly

from . import CheckFailed

ROLE = "chat-lambda-role"


def function_source(function: Callable[..., Any]) -> str:
    """The text of a function defined in a notebook cell, dedented."""
    try:
        return textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        raise CheckFailed(
            f"cannot read the source of {getattr(function, '__name__', function)!r}: define it"
            " with `def` in a cell and run that cell"
        ) from None


def with_function(module_text: str, function: Callable[..., Any], name: str | None = None) -> str:
    """`module_text` with its top-level `def <name>` (default: the function's name) replaced by
    the function's text, renamed `name`."""
    name = name or function.__name__
    source = function_source(function)
    if function.__name__ != name:
        source = source.replace(f"def {function.__name__}(", f"def {name}(", 1)
    lines = module_text.splitlines()
    for node in ast.parse(module_text).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            new = source.rstrip("\n").splitlines()
            text = "\n".join(lines[: first - 1] + new + lines[node.end_lineno :]) + "\n"
            try:
                compile(text, "<lambda code>", "exec")
            except SyntaxError as error:
                raise CheckFailed(f"your {name} does not compile in the module: {error}") from None
            known = top_level_names(module_text)
            unknown = sorted(globals_of(source) - known)
            if unknown:
                has = ", ".join(sorted(known - BUILTINS))
                raise CheckFailed(
                    f"your {name} uses {', '.join(unknown)}, which the Lambda's module does not"
                    " have (your code runs there, not in this notebook): use the parameters and"
                    f" the module's own names ({has})"
                )
            return text
    raise LookupError(f"the module has no function {name!r}")


BUILTINS = set(dir(builtins))


def globals_of(source: str) -> set[str]:
    """The global names the (one) function in `source` reads, builtins included."""
    table = symtable.symtable(source, "<learner>", "exec").get_children()[0]
    names: set[str] = set()
    pending = [table]
    while pending:
        scope = pending.pop()
        names |= {s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced()}
        pending += scope.get_children()
    return names


def top_level_names(module_text: str) -> set[str]:
    """What a module defines or imports at its top level, and the builtins."""
    names = set(BUILTINS)
    for node in ast.parse(module_text).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def zip_with(app: str, module: str, function: Callable[..., Any], name: str | None = None) -> bytes:
    """The app's deployment zip, with `module`'s `def <name>` replaced by the learner's function."""
    source = zipfile.ZipFile(io.BytesIO(package_lambda(app)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == module:
                data = with_function(data.decode(), function, name).encode()
                entry = zipfile.ZipInfo(entry.filename, FIXED_DATE)
                entry.external_attr = 0o644 << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return buffer.getvalue()


def deploy_chat_function(
    route_key: str,
    module: str | None = None,
    function: Callable[..., Any] | None = None,
    name: str | None = None,
) -> str:
    """Create or update the chat function of `route_key`: the kit's code, or with `function`
    (the learner's) as `def <name>` in `module` (`common.py`, `default.py`). Its name."""
    route = next(route for route in CHAT.routes if route.key == route_key)
    function_name = CHAT.function_name(route.suffix)
    code = (
        zip_with(CHAT.app, module, function, name)
        if module and function
        else package_lambda("chat")
    )
    role_arn = boto3.client("iam").get_role(RoleName=ROLE)["Role"]["Arn"]
    with quietly():
        create_or_update_function(
            CHAT.app,
            function_name,
            route.handler,
            role_arn,
            code,
            environment={"TABLE_NAME": CHAT.table_name},
        )
    return function_name
