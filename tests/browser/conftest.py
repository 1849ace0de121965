"""Fixtures for the browser tests: the local cloud with chat and arena deployed, JupyterLab, Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from infra.deploy import deploy_app
from infra.local.cloud import LocalCloud
from tests.browser.lab import JupyterLab

CHROMIUM = Path("/usr/bin/chromium")
# What works as root on a machine without a network; Playwright adds --headless and a fresh
# --user-data-dir itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def lab(cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """JupyterLab on an empty folder, its kernels pointed at a cloud where chat and arena run.

    Deploying here first means the notebooks' own (idempotent) deploy cells find everything in
    place, instead of two kernels racing to create the same resources.
    """
    deploy_app("chat")
    deploy_app("arena")
    with JupyterLab(
        notebook_dir=tmp_path_factory.mktemp("notebooks"),
        home=tmp_path_factory.mktemp("jupyter"),
        env=cloud.env(),
    ) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (scripts/ensure-chromium.sh installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
