"""Fixtures shared by the local cloud's tests."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.cloud import LocalCloud
from tests.local.gateway.helpers import GatewayLab


@pytest.fixture(scope="module")
def lab(cloud: LocalCloud, aws: Any) -> GatewayLab:
    """Deploys test APIs onto the module's local cloud."""
    return GatewayLab(aws, cloud)
