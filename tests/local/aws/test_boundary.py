"""Only `infra.local.aws` touches moto: every other module of the kit goes through it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MOTO_PACKAGE = ROOT / "infra" / "local" / "aws"
CHECKED = ("infra", "lambdas", "benchmarks", "scripts")


def moto_imports(path: Path) -> list[str]:
    """The moto modules a Python file imports (at any depth, in any function)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "moto"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] if node.module.split(".")[0] == "moto" else []
    return found


def kit_files() -> list[Path]:
    return [
        path
        for folder in CHECKED
        for path in (ROOT / folder).rglob("*.py")
        if ".venv" not in path.parts and MOTO_PACKAGE not in path.parents
    ]


def test_no_module_outside_the_moto_package_imports_moto() -> None:
    """Every import of moto in the kit's code lives in infra/local/aws/."""
    offenders = {
        str(path.relative_to(ROOT)): imports
        for path in kit_files()
        if (imports := moto_imports(path))
    }
    assert offenders == {}


def test_no_module_outside_the_moto_package_indexes_moto_backends() -> None:
    """Nothing outside infra/local/aws/ reaches into `*_backends[account][region]`."""
    offenders = [str(p.relative_to(ROOT)) for p in kit_files() if "_backends[" in p.read_text()]
    assert offenders == []


def test_the_check_sees_an_import() -> None:
    """The import finder is not blind: it finds moto in the moto package itself."""
    assert "moto.awslambda.models" in moto_imports(MOTO_PACKAGE / "lambda_.py")
