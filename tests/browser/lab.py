"""A throwaway JupyterLab server for the browser tests, and per-page copies of the lesson notebooks.

JupyterLab runs as a subprocess on 127.0.0.1 with no token and fresh config/data/runtime dirs, so
nothing from the user's own Jupyter settings leaks in. `stop()` shuts its kernels down through the
REST API, stops the server, and kills any child process that is still alive after that.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

import nbformat
import psutil

from infra.labsettings import install_lab_overrides
from infra.local.cloud_process import free_port

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


class JupyterLab:
    """`jupyter lab` serving `notebook_dir`, with `env` added to its (and its kernels') environment."""

    def __init__(self, notebook_dir: Path, home: Path, env: dict[str, str]) -> None:
        self.notebook_dir = notebook_dir
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = home / "jupyter.log"

    def start(self) -> JupyterLab:
        """Start the server and return once /api/status answers."""
        dirs = {name: self.home / name for name in ("config", "data", "runtime")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        # What `workshop up` installs, so the test sees the learners' JupyterLab.
        install_lab_overrides()
        env = {
            **os.environ,
            **self._env,
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_DATA_DIR": str(dirs["data"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces"),
            "PYTHONUNBUFFERED": "1",
        }
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            "--ServerApp.allow_root=True",  # CI runs as root
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--ServerApp.root_dir={self.notebook_dir}",
        ]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command, env=env, cwd=self.notebook_dir, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        # A subprocess gives no event for "listening": poll its status endpoint briefly.
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"jupyter lab did not answer in {START_TIMEOUT_S:.0f} s:\n{self.log()}")

    def log(self) -> str:
        """What the server printed so far (for failure messages)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kernel_ids(self) -> list[str]:
        """The ids of the kernels the server runs."""
        with urllib.request.urlopen(f"{self.url}/api/kernels", timeout=5) as response:
            return [kernel["id"] for kernel in json.load(response)]

    def stop(self) -> None:
        """Shut down every kernel, then the server; kill whatever child survives that."""
        process, self._process = self._process, None
        if process is None:
            return
        children = _children(process.pid)
        with contextlib.suppress(OSError):
            for kernel_id in self.kernel_ids():
                request = urllib.request.Request(
                    f"{self.url}/api/kernels/{kernel_id}", method="DELETE"
                )
                urllib.request.urlopen(request, timeout=STOP_TIMEOUT_S).close()
        children += _children(process.pid)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()

    def __enter__(self) -> JupyterLab:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _children(pid: int) -> list[psutil.Process]:
    """The processes started under `pid` (kernels run in sessions of their own, so not a group)."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def page_notebook(lesson: Path, names: dict[str, str], target: Path) -> Path:
    """Copy the whole of `lesson` to `target` for one browser page, its people renamed.

    `names` maps each participant's name in the lesson's code (a string literal such as "bob") to
    the one this page uses, so two pages on one endpoint are told apart. Every cell is kept, the
    clean-up too: Run All must leave the lesson's widgets live by itself.
    """
    notebook = nbformat.read(lesson, as_version=4)
    literal = re.compile("|".join(re.escape(f'"{old}"') for old in names) or "(?!)")
    found: set[str] = set()

    def rename(match: re.Match[str]) -> str:
        old = match.group(0)[1:-1]
        found.add(old)
        return f'"{names[old]}"'

    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = literal.sub(rename, cell.source)
            cell.outputs, cell.execution_count = [], None
    if missing := set(names) - found:
        raise LookupError(f"{lesson.name} no longer names {sorted(missing)} in its code")
    nbformat.write(notebook, target)
    return target
