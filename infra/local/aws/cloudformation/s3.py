"""S3's CloudFormation types as the SAM CLI's managed stack uses them.

`sam deploy --resolve-s3` creates the stack `aws-sam-cli-managed-default`: one versioned, private
`AWS::S3::Bucket` and an `AWS::S3::BucketPolicy` on it. moto 5.2.5 has no BucketPolicy type, and
its Bucket ignores `VersioningConfiguration` and `PublicAccessBlockConfiguration` and "deletes" a
bucket that still has objects by keeping it. Here:
- `BucketPolicy` puts the policy with S3's own check (`s3.check_bucket_policy`), replaces it on
  update and deletes it with the resource; its physical id is the bucket's name, as on AWS;
- `Bucket` applies versioning and the public access block, and fails to delete a bucket that
  is not empty, as CloudFormation does (DELETE_FAILED, the bucket stays).
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.s3.exceptions import BucketNotEmpty
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

from ..s3 import check_bucket_policy


def _s3(account_id: str, region_name: str) -> Any:
    return s3_backends[account_id][get_partition(region_name)]


def _flag(value: Any) -> bool:
    """A template's boolean, which YAML and JSON templates often give as "true"."""
    return value is True or str(value).lower() == "true"


def _configure(bucket_name: str, properties: dict[str, Any], s3: Any) -> None:
    versioning = (properties.get("VersioningConfiguration") or {}).get("Status")
    if versioning:
        s3.put_bucket_versioning(bucket_name, versioning)
    block = properties.get("PublicAccessBlockConfiguration")
    if block:
        s3.put_public_access_block(
            bucket_name,
            {
                name: _flag(block.get(name))
                for name in (
                    "BlockPublicAcls",
                    "IgnorePublicAcls",
                    "BlockPublicPolicy",
                    "RestrictPublicBuckets",
                )
            },
        )


class Bucket(FakeBucket):
    """`AWS::S3::Bucket` with versioning and the public access block; refuses to delete when
    objects remain."""

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeBucket:
        bucket = FakeBucket.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        _configure(
            bucket.name, cloudformation_json.get("Properties", {}), _s3(account_id, region_name)
        )
        return bucket

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: FakeBucket,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> FakeBucket:
        bucket = FakeBucket.update_from_cloudformation_json(
            original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )
        _configure(
            bucket.name, cloudformation_json.get("Properties", {}), _s3(account_id, region_name)
        )
        return bucket

    @classmethod
    def delete_resource(cls, bucket: FakeBucket, account_id: str, region_name: str) -> None:
        """S3's BucketNotEmpty while any object (or version) is left: the stack's delete fails."""
        s3 = _s3(account_id, region_name)
        if bucket.name in s3.buckets and s3.get_bucket(bucket.name).keys:
            raise BucketNotEmpty(bucket.name)
        s3.delete_bucket(bucket.name)


class BucketPolicy(CloudFormationModel):
    """`AWS::S3::BucketPolicy`: the `PolicyDocument` put on `Bucket` (its physical id)."""

    CREATE_ONLY = ("Bucket",)

    def __init__(self, account_id: str, region_name: str, bucket_name: str) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.bucket_name = bucket_name

    @property
    def physical_resource_id(self) -> str:
        return self.bucket_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> BucketPolicy:
        properties = cloudformation_json["Properties"]
        policy = cls(account_id, region_name, str(properties["Bucket"]))
        policy._put(properties["PolicyDocument"])
        return policy

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: BucketPolicy,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> BucketPolicy:
        original_resource._put(cloudformation_json["Properties"]["PolicyDocument"])
        return original_resource

    def _put(self, document: Any) -> None:
        text = document if isinstance(document, str) else json.dumps(document)
        check_bucket_policy(text)
        _s3(self.account_id, self.region_name).put_bucket_policy(self.bucket_name, text.encode())

    def delete(self, account_id: str, region_name: str) -> None:
        _s3(account_id, region_name).delete_bucket_policy(self.bucket_name)


MODELS: dict[str, type[CloudFormationModel]] = {
    "AWS::S3::Bucket": Bucket,
    "AWS::S3::BucketPolicy": BucketPolicy,
}
