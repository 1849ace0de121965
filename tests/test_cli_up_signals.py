"""`workshop up` stops cleanly on SIGTERM (`kill PID`), as on Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any

import pytest

import infra.cli
import infra.labfiles
import infra.labsettings
from infra.local.cloud import LocalCloud


def test_sigterm_stops_jupyterlab_then_the_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM to `workshop up`: JupyterLab gets SIGTERM, the cloud stops, exit status 0."""
    for name in [name for name in os.environ if name.startswith(("AWS_ENDPOINT_URL", "WORKSHOP_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(infra.labsettings, "install_lab_overrides", lambda: None)
    monkeypatch.setattr(
        infra.labfiles, "make_own_copy", lambda: type("C", (), {"describe": lambda self: []})()
    )
    lab = [sys.executable, "-c", "import time; time.sleep(60)"]  # stands in for JupyterLab
    monkeypatch.setattr(infra.cli, "lab_command", lambda args: lab)
    stopped: list[LocalCloud] = []
    original_stop = LocalCloud.stop

    def stop(self: LocalCloud) -> None:
        stopped.append(self)
        original_stop(self)

    monkeypatch.setattr(LocalCloud, "stop", stop)
    started = time.monotonic()
    timer = threading.Timer(3.0, os.kill, (os.getpid(), signal.SIGTERM))
    previous: Any = signal.getsignal(signal.SIGTERM)
    timer.start()
    try:
        status = infra.cli.main(["up", "--port", "0", "--no-state", "--no-browser"])
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
    assert status == 0
    assert len(stopped) == 1
    assert time.monotonic() - started < 30  # not the stand-in's 60 s: it was told to stop
