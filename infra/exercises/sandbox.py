"""Grade one notebook against its own fresh local cloud, in a process of its own.

moto keeps its state per process, so a process per notebook is what keeps one learner's tables
and functions out of another's grade (and lets two notebooks run side by side)::

    python -m infra.exercises.sandbox NOTEBOOK --cwd DIR --timeout SECONDS --report FILE
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .runner import run_notebook


def grade_in_fresh_cloud(notebook: Path, cwd: Path, timeout: float) -> str:
    """The notebook's report (JSON), run with boto3 pointed at a cloud started just for it."""
    from infra.local.cloud import LocalCloud

    cloud = LocalCloud(port=0).start()
    try:
        return run_notebook(notebook, timeout, env=cloud.env(), cwd=cwd).to_json()
    finally:
        cloud.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--cwd", type=Path, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args()
    report = grade_in_fresh_cloud(args.notebook, args.cwd, args.timeout)
    args.report.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
