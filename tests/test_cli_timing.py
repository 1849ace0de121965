"""`--timing`: how long the local cloud's resources take to settle, for `workshop cloud` and
`workshop up`, which hands its mode to the clouds notebook kernels start (WORKSHOP_TIMING)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import infra.cli
import infra.labfiles
import infra.labsettings
import infra.local.cloud
from infra.cli import PROJECT_ROOT, main
from infra.local.aws import states
from infra.local.cloud import LocalCloud
from infra.local.timing import AWS, DEFAULT, ENVIRONMENT, SHORT


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[LocalCloud]]:
    """`workshop cloud` builds its cloud, which returns at once instead of serving."""
    clouds: list[LocalCloud] = []
    monkeypatch.setattr(
        LocalCloud, "serve_forever", lambda self, on_ready=None: clouds.append(self)
    )
    before = states.current()
    yield clouds
    states.use(before)  # a cloud made sets moto's clock; one never served does not set it back


def test_cloud_takes_the_timing_it_is_given(served: list[LocalCloud]) -> None:
    """`workshop cloud --timing aws`: AWS's typical durations."""
    assert main(["cloud", "--no-state", "--timing", "aws"]) == 0
    assert served[0].settings.timing == AWS


def test_cloud_reads_workshop_timing_without_the_option(
    served: list[LocalCloud], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --timing: WORKSHOP_TIMING's mode, else the default."""
    monkeypatch.setenv(ENVIRONMENT, "short")
    main(["cloud", "--no-state"])
    monkeypatch.delenv(ENVIRONMENT)
    main(["cloud", "--no-state"])
    assert [cloud.settings.timing for cloud in served] == [SHORT, DEFAULT]


def test_a_bad_timing_is_one_line() -> None:
    """A WORKSHOP_TIMING that is no mode, or --timing bogus: one line naming the modes, exit 2."""
    for args, env in (
        (["cloud", "--no-state"], {ENVIRONMENT: "slow"}),
        (["cloud", "--no-state", "--timing", "bogus"], {}),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "infra.cli", *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
        )
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        [line] = result.stderr.strip().splitlines()
        assert "default" in line and "aws" in line and "instant" in line, line


class StubCloud:
    """Stands in for the cloud `workshop up` starts: remembers its settings."""

    made: list[dict[str, Any]] = []

    def __init__(self, **settings: Any) -> None:
        self.made.append(settings)
        self.url, self.region, self.state = "http://127.0.0.1:1", "us-east-1", None
        self.settings = type("Settings", (), {"room_key": None})()

    def start(self) -> StubCloud:
        return self

    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.url}

    def stop(self) -> None:
        pass


def test_up_hands_its_timing_to_jupyterlab(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`workshop up --timing short`: its cloud and JupyterLab's kernels (WORKSHOP_TIMING) both,
    and it says so."""
    environments: list[dict[str, str]] = []

    class Lab:
        returncode = 0

        def __init__(self, command: list[str], env: dict[str, str]) -> None:
            environments.append(env)

        def wait(self, timeout: float | None = None) -> int:
            return 0

    for name in [n for n in os.environ if n.startswith(("AWS_ENDPOINT_URL", "WORKSHOP_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(infra.local.cloud, "LocalCloud", StubCloud)
    monkeypatch.setattr(infra.labfiles, "make_own_copy", NoCopy)
    monkeypatch.setattr(infra.labsettings, "install_lab_overrides", lambda: None)
    monkeypatch.setattr(infra.cli.subprocess, "Popen", Lab)
    monkeypatch.setattr(infra.cli.signal, "signal", lambda *args: None)
    StubCloud.made.clear()
    assert main(["up", "--no-state", "--no-browser", "--timing", "short"]) == 0
    assert StubCloud.made[0]["timing"] == "short"
    assert environments[0][ENVIRONMENT] == "short"
    assert "Timing: short (" in capsys.readouterr().out


class NoCopy:
    """Stands in for the learner's copy, which this test does not need."""

    def describe(self) -> list[str]:
        return ["(no copy in this test)"]
