"""Each app folder is a self-contained Lambda zip root with a README naming its modules."""

import subprocess
import sys
from pathlib import Path

import pytest

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
APPS = ["chat", "arena", "tictactoe", "push"]


def modules(app: str) -> list[str]:
    return sorted(path.stem for path in (LAMBDAS / app).glob("*.py"))


@pytest.mark.parametrize("app", APPS)
def test_app_imports_from_its_own_folder_only(app, tmp_path):
    """Every module imports with only the app folder on the path, as in the unpacked zip."""
    imports = "; ".join(f"import {name}" for name in modules(app))
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(LAMBDAS / app)!r}); {imports}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("app", APPS)
def test_readme_names_every_module(app):
    """The app README mentions each of its modules."""
    readme = (LAMBDAS / app / "README.md").read_text()
    assert [name for name in modules(app) if f"{name}.py" not in readme] == []
