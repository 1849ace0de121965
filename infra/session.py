"""Which cloud a notebook talks to, decided once per kernel by boto3's standard environment.

- `AWS_ENDPOINT_URL` set (by `workshop up`, or by a learner joining an instructor's room):
  use that cloud.
- `WORKSHOP_TARGET=aws`: a real AWS account, with whatever credentials boto3 finds.
- Otherwise: start a local cloud in this kernel, on a free port, and set the environment so
  every boto3 client (and every Lambda worker) reaches it.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass
from typing import Any

_local_cloud: Any = None


@dataclass(frozen=True)
class CloudChoice:
    """Where this kernel's boto3 calls go."""

    kind: str  # "local (this kernel)", "local (shared)", or "aws"
    endpoint_url: str | None
    region: str

    def __str__(self) -> str:
        where = self.endpoint_url or "AWS's public endpoints"
        return f"{self.kind} cloud at {where}, region {self.region}"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_workshop/health", timeout=3) as response:
            return bool(json.load(response).get("status") == "ok")
    except (OSError, ValueError):
        return False


def use_cloud(quiet: bool = False) -> CloudChoice:
    """Choose the cloud for this kernel (idempotent) and say which in one line."""
    global _local_cloud
    region = os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_REGION", region)
    if os.environ.get("WORKSHOP_TARGET") == "aws":
        choice = CloudChoice("aws", None, region)
    elif os.environ.get("AWS_ENDPOINT_URL") and (
        _local_cloud is None or os.environ["AWS_ENDPOINT_URL"] != _local_cloud.url
    ):
        url = os.environ["AWS_ENDPOINT_URL"]
        if not _answers(url):
            raise ConnectionError(
                f"No local cloud answers at {url}. Start one with `workshop cloud`, "
                "or unset AWS_ENDPOINT_URL to start one in this notebook."
            )
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        choice = CloudChoice("local (shared)", url, region)
    else:
        if _local_cloud is None:
            from infra.local.cloud import LocalCloud

            _local_cloud = LocalCloud(port=0, region=region).start()
        os.environ.update(_local_cloud.env())
        choice = CloudChoice("local (this kernel)", _local_cloud.url, region)
    if not quiet:
        print(f"Using the {choice}")
    return choice


def local_cloud() -> Any:
    """The local cloud started by this kernel, if any (for the Trace widget and schedules)."""
    return _local_cloud
