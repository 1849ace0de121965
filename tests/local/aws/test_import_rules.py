"""The house flows one way: no import cycles in infra/, nothing below the edge imports it, and
the ground floor (the local cloud's vocabulary, the endpoints) imports nothing above it.

Every import counts, at any depth: a function's lazy import and a `TYPE_CHECKING` one are
dependencies all the same, and a cycle closed by one is the same tangle (cloud.py and session.py
were one, session.py's side lazy). So is an import of a package: it runs the package's
`__init__`, and an import of `a.b.c` runs those of `a` and `a.b` on the way (a module's own
packages are already running, so they are not counted).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
KIT = "infra"
EDGE = "infra.local.edge"
ABOVE_THE_EDGE = {"infra.local.cloud", "infra.local.cloud_process"}  # they start and wire it
GROUND_FLOOR = ("infra.local.vocabulary", "infra.endpoints")  # leaves: they import no one


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def kit_sources() -> dict[str, tuple[str, bool]]:
    """Every module of infra/: its name -> (its source, whether it is a package's __init__)."""
    return {
        module_name(path): (path.read_text(), path.name == "__init__.py")
        for path in (ROOT / KIT).rglob("*.py")
    }


def _named(module: str, node: ast.Import | ast.ImportFrom, is_package: bool) -> list[str]:
    """The absolute names one import statement asks for: modules, and `from` names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    return [target, *(f"{target}.{alias.name}" for alias in node.names)]


def imports_of(module: str, source: str, is_package: bool, known: Iterable[str]) -> set[str]:
    """The `known` modules that importing `module` (whose text is `source`) may run."""
    known = set(known)
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for name in _named(module, node, is_package):
            parts = name.split(".")
            for end in range(1, len(parts) + 1):
                ran = ".".join(parts[:end])
                if ran in known and not (module == ran or module.startswith(ran + ".")):
                    found.add(ran)
    return found


def import_graph(sources: Mapping[str, tuple[str, bool]]) -> dict[str, set[str]]:
    return {
        module: imports_of(module, source, is_package, sources)
        for module, (source, is_package) in sources.items()
    }


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another, each sorted (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph.get(module, ())):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == module:
                    break
            if len(group) > 1 or module in graph.get(module, ()):
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def climbs_into_the_edge(graph: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """Modules of the local cloud below the edge, with the edge modules each imports."""
    below = {
        module: imports
        for module, imports in graph.items()
        if module.startswith("infra.local.")
        and module not in ABOVE_THE_EDGE
        and not (module == EDGE or module.startswith(EDGE + "."))
    }
    return {
        module: sorted(name for name in imports if name == EDGE or name.startswith(EDGE + "."))
        for module, imports in below.items()
        if any(name == EDGE or name.startswith(EDGE + ".") for name in imports)
    }


def above_the_ground_floor(graph: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """Modules of the ground floor, with what each imports from outside it."""

    def grounded(name: str) -> bool:
        return any(name == floor or name.startswith(floor + ".") for floor in GROUND_FLOOR)

    return {
        module: sorted(name for name in imports if not grounded(name))
        for module, imports in graph.items()
        if grounded(module) and any(not grounded(name) for name in imports)
    }


def test_no_import_cycles_in_infra() -> None:
    """No group of infra/ modules imports one another, lazily or not."""
    assert cycles(import_graph(kit_sources())) == []


def test_nothing_below_the_edge_imports_the_edge() -> None:
    """Only the edge itself, cloud.py and cloud_process.py import infra/local/edge/."""
    assert climbs_into_the_edge(import_graph(kit_sources())) == {}


def test_the_ground_floor_imports_nothing_above_it() -> None:
    """infra/local/vocabulary/ and infra/endpoints.py import nothing else of the kit."""
    graph = import_graph(kit_sources())
    assert "infra.local.vocabulary.errors" in graph and "infra.endpoints" in graph
    assert above_the_ground_floor(graph) == {}


def test_the_graph_sees_lazy_imports() -> None:
    """The import finder is not blind: it finds session.py's lazy import of the local cloud."""
    graph = import_graph(kit_sources())
    assert "infra.local.cloud" in graph["infra.session"]
    assert "infra.local.edge.router" in graph["infra.local.cloud"]


def test_the_cycle_check_sees_a_cycle_closed_by_a_lazy_import() -> None:
    """The cycle check is not blind: cloud.py and session.py as they were form a cycle."""
    sources = {
        "infra.session": (
            "def use_cloud():\n    from infra.local.cloud import LocalCloud\n",
            False,
        ),
        "infra.local.cloud": ("from infra.session import LOCAL_KEYS\n", False),
        "infra.local": ("", True),
        "infra": ("", True),
    }
    assert cycles(import_graph(sources)) == [["infra.local.cloud", "infra.session"]]


def test_the_cycle_check_sees_a_package_that_imports_its_importer() -> None:
    """The cycle check is not blind: a package's __init__ that imports a module importing a
    sibling of the package is a cycle (importing the sibling runs the __init__)."""
    sources = {
        "infra.local.aws": ("from .dynamodb import install\n", True),
        "infra.local.aws.dynamodb": ("from ..access.policy import evaluate\n", False),
        "infra.local.access": ("from .guard import Guard\n", True),
        "infra.local.access.guard": ("from ..aws import iam\n", False),
        "infra.local.access.policy": ("", False),
        "infra.local.aws.iam": ("", False),
    }
    assert cycles(import_graph(sources)) == [
        [
            "infra.local.access",
            "infra.local.access.guard",
            "infra.local.aws",
            "infra.local.aws.dynamodb",
        ]
    ]


def test_the_edge_check_sees_a_module_that_climbs_into_the_edge() -> None:
    """The edge check is not blind: the guard importing the edge's messages is caught, the
    cloud's import of the router is not."""
    sources = {
        "infra.local.access.guard": ("from ..edge.messages import HttpReply\n", False),
        "infra.local.cloud": ("from .edge.router import Router\n", False),
        "infra.local.edge": ("", True),
        "infra.local.edge.messages": ("", False),
        "infra.local.edge.router": ("from .messages import HttpReply\n", False),
    }
    assert climbs_into_the_edge(import_graph(sources)) == {
        "infra.local.access.guard": ["infra.local.edge", "infra.local.edge.messages"]
    }


def test_the_ground_floor_check_sees_a_module_that_imports_upward() -> None:
    """The ground-floor check is not blind: the vocabulary importing the runtime is caught."""
    sources = {
        "infra.local.vocabulary": ("from .functions import FunctionSpec\n", True),
        "infra.local.vocabulary.functions": ("from ..runtime.pool import Pool\n", False),
        "infra.local.runtime": ("", True),
        "infra.local.runtime.pool": ("", False),
    }
    assert above_the_ground_floor(import_graph(sources)) == {
        "infra.local.vocabulary.functions": ["infra.local.runtime", "infra.local.runtime.pool"]
    }
