"""S3 as the kit's tools use it (SAM's and CloudFormation's buckets): a bucket policy is
checked as S3 checks it; moto keeps any bytes."""

from __future__ import annotations

import json
from typing import Any

_installed = False


def install() -> None:
    """PutBucketPolicy refuses a document that is no policy, as S3 does (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.s3.models import S3Backend

    original = S3Backend.put_bucket_policy

    def put_bucket_policy(self: Any, bucket_name: str, policy: bytes) -> None:
        check_bucket_policy(policy)
        return original(self, bucket_name, policy)

    S3Backend.put_bucket_policy = put_bucket_policy  # type: ignore[method-assign]
    _installed = True


def check_bucket_policy(policy: bytes | str) -> None:
    """S3's MalformedPolicy for a policy that is not a JSON object with statements."""
    from moto.s3.exceptions import S3ClientError

    try:
        parsed = json.loads(policy)
    except (ValueError, RecursionError):
        parsed = None
    statements = parsed.get("Statement") if isinstance(parsed, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise S3ClientError(
            "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'"
        )
