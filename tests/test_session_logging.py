"""A cloud a notebook kernel starts never prints into the notebook: its log goes to a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KERNEL = """
import logging
from infra.session import use_cloud
use_cloud(quiet=True)
logging.getLogger("infra.local.sources.streams").warning("stream mapping m: refused")
"""


def test_a_kernel_cloud_logs_to_a_file_not_the_cell(tmp_path: Path) -> None:
    """A background warning of the kernel's cloud lands in kernel-cloud.log, not on stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WORKSHOP_"))}
    env.update(XDG_CACHE_HOME=str(tmp_path), WORKSHOP_TIMING="short")
    done = subprocess.run(
        [sys.executable, "-c", KERNEL], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    log = (tmp_path / "workshop" / "kernel-cloud.log").read_text()
    assert "stream mapping m: refused" in log
