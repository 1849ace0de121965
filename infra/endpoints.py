"""Where boto3 is pointed: the local cloud's keys, the variables that name an endpoint, and a
client for a cloud at a URL. A leaf: it imports nothing of the kit, so the local cloud and the
notebook's session (`infra.session`, which starts a local cloud) both build on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENDPOINT_VARIABLES = "AWS_ENDPOINT_URL"  # and AWS_ENDPOINT_URL_<SERVICE>: boto3 reads all of them
LOCAL_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DEFAULT_REGION = "us-east-1"


def cloud_environment(url: str, region: str = DEFAULT_REGION) -> dict[str, str]:
    """The variables that point boto3 (and every Lambda worker) at the local cloud at `url`."""
    return {
        "AWS_ENDPOINT_URL": url,
        **LOCAL_KEYS,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


def local_client(url: str, service: str, region: str = DEFAULT_REGION, **options: Any) -> Any:
    """A boto3 client for the local cloud at `url`, with the learner's (all-powerful) keys."""
    import boto3  # only when asked: a kernel on AWS, or a benchmark's client, need not load it

    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=LOCAL_KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_KEYS["AWS_SECRET_ACCESS_KEY"],
        **options,
    )


def endpoint_variables(environ: Mapping[str, str]) -> list[str]:
    """The variables that would point boto3 somewhere other than AWS's public endpoints."""
    return sorted(name for name in environ if name.startswith(ENDPOINT_VARIABLES))


def aws_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` for a real AWS account: no endpoint, no local cloud's test keys, the switch set.

    Real credentials in `environ` (or in ~/.aws, SSO, a role) are boto3's to find, as usual.
    """
    env = {
        name: value for name, value in environ.items() if not name.startswith(ENDPOINT_VARIABLES)
    }
    if all(env.get(name) == value for name, value in LOCAL_KEYS.items()):
        for name in LOCAL_KEYS:
            env.pop(name)
    env.pop("WORKSHOP_CLOUD_URL", None)
    env["WORKSHOP_TARGET"] = "aws"
    return env
