"""S3 as the kit's tools use it (SAM's and CloudFormation's buckets).

- A bucket policy is checked as S3 checks it when it is put; moto keeps any bytes.
- A bucket policy is evaluated as AWS does for the statements that name everyone (`"*"`):
  moto denies a request whenever a statement's Condition does not hold, so the SAM CLI's
  managed bucket (an Allow for one service with a SourceAccount condition, and a Deny of
  `aws:SecureTransport` "false") refused every upload. The local endpoint stands in for S3's
  HTTPS one, so its requests count as secure transport.
- CloudFormation reads a `TemplateURL` from here in any of S3's URL styles (`template_object`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from .patching import replace

_installed = False

# bucket.s3.amazonaws.com, bucket.s3.us-east-1.amazonaws.com, bucket.s3-us-west-2.amazonaws.com,
# s3.amazonaws.com, s3.eu-west-1.amazonaws.com, s3.dualstack.us-east-1.amazonaws.com, .com.cn
AWS_S3_HOST = re.compile(
    r"^(?:(?P<bucket>.+)\.)?s3(?:\.dualstack)?(?:[.-](?P<region>[a-z]{2}(?:-[a-z]+)+-\d+))?"
    r"\.amazonaws\.com(?:\.cn)?$"
)
ERROR_DOCS = (
    "For more information check http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html"
)


# What every request to the local S3 carries, for a bucket policy's conditions.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def install() -> None:
    """PutBucketPolicy refuses a document that is no policy, as S3 does, and bucket policies
    are evaluated as S3 does (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.s3.models import FakeBucket, S3Backend

    original = S3Backend.put_bucket_policy

    def put_bucket_policy(self: Any, bucket_name: str, policy: bytes) -> None:
        check_bucket_policy(policy)
        return original(self, bucket_name, policy)

    def get_permission(self: Any, action: str, resource: str) -> Any:
        return bucket_permission(self.policy, action, resource)

    replace(S3Backend, "put_bucket_policy", put_bucket_policy)
    replace(FakeBucket, "get_permission", get_permission)
    _installed = True


def _names_everyone(principal: Any) -> bool:
    return principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")


def bucket_permission(policy: bytes | str | None, action: str, resource: str) -> Any:
    """moto's PermissionResult of a bucket policy for a request to the local S3: DENIED for an
    explicit Deny, PERMITTED for an Allow, NEUTRAL otherwise. Only statements for everyone
    apply: the local caller is no AWS service and no other account."""
    from moto.iam.access_control import PermissionResult

    from ..access.policy import Decision, evaluate

    if not policy:
        return PermissionResult.NEUTRAL
    statements = json.loads(policy).get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for_everyone = [s for s in statements if _names_everyone(s.get("Principal"))]
    verdict = evaluate([{"Statement": for_everyone}], action, resource, REQUEST_CONTEXT)
    if verdict.decision is Decision.EXPLICIT_DENY:
        return PermissionResult.DENIED
    if verdict.allowed:
        return PermissionResult.PERMITTED
    return PermissionResult.NEUTRAL


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


@dataclass(frozen=True)
class ObjectURL:
    """Where an object URL points: bucket, key and (from `?versionId=`) version."""

    bucket: str
    key: str
    version_id: str | None = None


def parse_object_url(url: str) -> ObjectURL | None:
    """The object an S3 URL names, in S3's virtual-hosted or path style, or None.

    A host that is not one of S3's (the local cloud's own endpoint, as boto3-based tools
    build `{endpoint_url}/{bucket}/{key}` when AWS_ENDPOINT_URL is set) is read path-style.
    """
    parts = urlparse(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    version = parse_qs(parts.query).get("versionId", [None])[0]
    path = unquote(parts.path)
    matched = AWS_S3_HOST.match(parts.hostname)
    if matched and matched["bucket"]:  # virtual-hosted style: the bucket is in the host
        bucket, key = matched["bucket"], path.lstrip("/")
    else:  # path style: /bucket/key
        bucket, _, key = path.lstrip("/").partition("/")
    if not bucket or not key:
        return None
    return ObjectURL(bucket, key, version)


def template_object(url: str, account_id: str, partition: str) -> str:
    """The text of the template at `url` (CloudFormation's TemplateURL), with CloudFormation's
    ValidationError when the URL is no S3 URL or names no object."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import s3_backends

    where = parse_object_url(url)
    if where is None:
        raise ValidationError(message="TemplateURL must be a supported URL.")
    try:
        found = s3_backends[account_id][partition].get_object(
            where.bucket, where.key, version_id=where.version_id
        )
    except MissingBucket:
        raise ValidationError(
            message=f"S3 error: The specified bucket does not exist\n{ERROR_DOCS}"
        ) from None
    if found is None:
        raise ValidationError(message=f"S3 error: The specified key does not exist.\n{ERROR_DOCS}")
    return str(found.value.decode("utf-8"))
