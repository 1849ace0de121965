"""nbval's notebooks run at the tests' short timing, and lessons 01 and 02 at the defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from tests.nbval_timing import KIT, timing_of

PEEK = 'import os\nassert os.environ.get("WORKSHOP_TIMING") == "short", os.environ.get("WORKSHOP_TIMING")'


def test_lessons_01_and_02_run_at_the_defaults() -> None:
    """The two lessons learners meet the table, role and function states in keep AWS's pace."""
    assert timing_of(KIT / "notebooks" / "01-connections-table.ipynb") == "default"
    assert timing_of(KIT / "notebooks" / "02-connect-lambda.ipynb") == "default"


def test_every_other_notebook_runs_at_the_short_timing() -> None:
    """The rest, and the solutions of 01 and 02, run at the short timing (never instant)."""
    others = sorted((KIT / "notebooks").glob("*.ipynb")) + sorted(KIT.glob("solutions/*.ipynb"))
    shorts = [path for path in others if timing_of(path) == "short"]
    assert len(shorts) == len(others) - 2
    assert timing_of(KIT / "solutions" / "01-connections-table-exercises.ipynb") == "short"


def test_a_kernel_nbval_starts_sees_the_timing(tmp_path: Path) -> None:
    """The kernel nbval starts for a notebook inherits the WORKSHOP_TIMING the plugin set."""
    notebook = new_notebook(cells=[new_code_cell(PEEK)])
    nbformat.write(notebook, tmp_path / "peek.ipynb")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "tests.nbval_timing", "--nbval-lax", "--rootdir", str(tmp_path)]
    ran = subprocess.run(
        [*command, str(tmp_path / "peek.ipynb")],
        cwd=KIT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WORKSHOP_TIMING": "default"},
    )
    assert ran.returncode == 0, ran.stdout[-2000:]
