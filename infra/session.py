"""Which cloud a notebook talks to, decided once per kernel by boto3's standard environment.

- `WORKSHOP_TARGET=aws` (what `workshop up --aws` sets): a real AWS account, with whatever
  credentials boto3 finds. No endpoint may be set then, or boto3 would go there instead.
- `AWS_ENDPOINT_URL` set (by `workshop up`, or by a learner joining an instructor's room):
  use that cloud.
- Otherwise: start a local cloud in this kernel, on a free port, and set the environment so
  every boto3 client (and every Lambda worker) reaches it.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# The keys and endpoint helpers live in a leaf module (the local cloud builds on it too); a
# notebook or a lesson that names them here still finds them.
from infra.endpoints import (
    DEFAULT_REGION,
    ENDPOINT_VARIABLES,
    LOCAL_KEYS,
    aws_environment,
    cloud_environment,
    endpoint_variables,
    local_client,
)

__all__ = [
    "DEFAULT_REGION",
    "ENDPOINT_VARIABLES",
    "LOCAL_KEYS",
    "CloudChoice",
    "aws_environment",
    "cloud_environment",
    "describe_aws",
    "endpoint_variables",
    "environment",
    "local_client",
    "local_cloud",
    "use_cloud",
]

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
    if os.environ.get("WORKSHOP_TARGET") == "aws":
        endpoints = endpoint_variables(os.environ)
        if endpoints:
            name = endpoints[0]
            raise RuntimeError(
                f"WORKSHOP_TARGET=aws, but {name}={os.environ[name]} is set, so boto3 would go"
                f" there instead of AWS: unset {name} (workshop up --aws does), or unset"
                " WORKSHOP_TARGET to use that cloud."
            )
        choice = CloudChoice("aws", None, _aws_region())
        if not quiet:
            print(f"Using the {choice}")
        return choice
    region = os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    os.environ.setdefault("AWS_REGION", region)
    if os.environ.get("AWS_ENDPOINT_URL") and (
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

            _log_to_file()
            _local_cloud = LocalCloud(port=0, region=region).start()
        os.environ.update(_local_cloud.env())
        choice = CloudChoice("local (this kernel)", _local_cloud.url, region)
    if not quiet:
        print(f"Using the {choice}")
    return choice


def _log_to_file() -> None:
    """A cloud in this kernel runs on background threads, which must never print into a cell:
    its log (a stream mapping refused while its function is Pending, say) goes to
    `~/.cache/workshop/kernel-cloud.log` instead of the notebook."""
    import logging

    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(cache, "workshop")
    logger = logging.getLogger("infra.local")
    logger.propagate = False  # nothing reaches the root logger, or Python's last-resort stderr
    with contextlib.suppress(OSError):
        os.makedirs(folder, exist_ok=True)
        handler = logging.FileHandler(os.path.join(folder, "kernel-cloud.log"), delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        return
    logger.addHandler(logging.NullHandler())  # no writable cache: quiet all the same


def _aws_region() -> str:
    """The region boto3 is configured with (environment or ~/.aws/config), else us-east-1."""
    import boto3

    region = boto3.Session().region_name
    if region is None:
        region = os.environ["AWS_DEFAULT_REGION"] = DEFAULT_REGION
    return str(region)


def local_cloud() -> Any:
    """The local cloud started by this kernel, if any (for the Trace widget and schedules)."""
    return _local_cloud


def describe_aws(session: Any) -> list[str]:
    """Which account, credentials and region `session` (a boto3 Session) will use, in lines.

    Nothing is sent: the account is the one the profile names (an SSO account or a role's),
    or else whichever these credentials belong to, which lesson 00 asks STS about.
    Raises LookupError, in one line that says what to do, when boto3 finds no credentials.
    """
    from botocore.exceptions import ProfileNotFound

    try:
        credentials = session.get_credentials()
        config = session._session.get_scoped_config()
    except ProfileNotFound as error:
        raise LookupError(
            f"{error}: name one that ~/.aws/config has in AWS_PROFILE (aws configure list-profiles)"
        ) from None
    if credentials is None:
        raise LookupError(
            "no AWS credentials found: run `aws configure` (or `aws sso login`, or set"
            " AWS_PROFILE), then try again"
        )
    account = config.get("sso_account_id") or _account_of(config.get("role_arn", ""))
    how = credentials.method
    if how in ("env", "shared-credentials-file", "config-file", "explicit"):
        how += f", access key {credentials.access_key[:4]}…{credentials.access_key[-4:]}"
    region = session.region_name
    return [
        "Real AWS: no local cloud; boto3 uses AWS's public endpoints.",
        f"  account: {account or 'the one these credentials belong to (lesson 00 asks STS)'}",
        f"  credentials: profile {session.profile_name!r} ({how})",
        f"  region: {region or DEFAULT_REGION + ' (none configured: set AWS_DEFAULT_REGION)'}",
        "What you deploy costs money until you remove it: workshop teardown APP (lesson 09).",
    ]


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


@contextlib.contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """Run the block with `env` as the whole of os.environ (what a child process would see)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
