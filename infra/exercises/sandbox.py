"""Run one notebook against its own fresh local cloud, in a process of its own.

moto keeps its state per process, so a process per notebook is what keeps one learner's tables
and functions out of another's grade (and lets two notebooks run side by side). The process
group also holds the kernel and the Lambda workers, so one kill ends them all::

    python -m infra.exercises.sandbox NOTEBOOK --cwd DIR --timeout SECONDS --report FILE
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .runner import PROJECT_ROOT, NotebookReport, read_problem, run_notebook

GRACE = 60.0  # seconds past the notebook's timeout before its process is killed outright
GRADING_TTL_INTERVAL = 1.0  # seconds between TTL sweeps: a TTL check waits no longer than that


def run_in_sandbox(notebook: Path, cwd: Path, timeout: float) -> NotebookReport:
    """The notebook's report, run in a fresh process with a fresh local cloud (never raises)."""
    problem = read_problem(notebook)
    if problem:  # no process, no cloud, no kernel for a notebook that cannot even be read
        return NotebookReport(str(notebook), problem=problem)
    with tempfile.TemporaryDirectory(prefix="workshop-sandbox-") as scratch:
        report_file = Path(scratch) / "report.json"
        command = [
            sys.executable, "-m", "infra.exercises.sandbox", str(notebook),
            "--cwd", str(cwd), "--timeout", str(timeout), "--report", str(report_file),
        ]  # fmt: skip
        problem = _run(command, timeout + GRACE)
        if report_file.is_file():
            return NotebookReport.from_json(report_file.read_text(encoding="utf-8"))
    return NotebookReport(str(notebook), problem=problem or "the sandbox gave no report")


def _run(command: list[str], limit: float) -> str:
    """Run the sandbox in its own process group; returns what went wrong, if anything."""
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
    )
    try:
        _, errors = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return f"the sandbox was killed after {limit:g} s"
    if process.returncode != 0:
        last = next((line for line in reversed(errors.splitlines()) if line.strip()), "")
        return f"the sandbox failed: {last or f'exit status {process.returncode}'}"
    return ""


def main() -> None:
    """The sandbox process: start a cloud, run the notebook against it, write the report."""
    from infra.local.cloud import LocalCloud  # only the sandbox process pays for moto

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--cwd", type=Path, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args()
    cloud = LocalCloud(port=0, ttl_interval=GRADING_TTL_INTERVAL).start()
    try:
        report = run_notebook(args.notebook, args.timeout, env=cloud.env(), cwd=args.cwd)
    finally:
        cloud.stop()
    args.report.write_text(report.to_json(), encoding="utf-8")


if __name__ == "__main__":
    main()
