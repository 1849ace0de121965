"""The lesson notebooks are exactly what scripts/make_notebooks.py writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_notebooks_match_their_build_script(tmp_path: Path) -> None:
    """Editing a notebook by hand (or forgetting to rebuild) fails: the script is the source."""
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", ROOT / "scripts" / "make_notebooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    built = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert built == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    for name in built:
        assert (tmp_path / name).read_text() == (ROOT / "notebooks" / name).read_text(), (
            f"notebooks/{name} differs from its build: run `python scripts/make_notebooks.py`"
        )
