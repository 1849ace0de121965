"""Rebuild a saved-state fixture: a state folder as a learner's cloud leaves it.

Run it from a checkout of the kit whose saved state the fixture keeps (an older commit, in a
worktree of its own, so that the classes in the pickle are that commit's):

    git worktree add /tmp/old COMMIT
    cd /tmp/old && PYTHONPATH=/tmp/old python /path/to/make_saved_state.py OUT_FOLDER
    git worktree remove /tmp/old

The cloud (timing "instant", state saved to OUT_FOLDER) gets what a learner's state holds:

- the chat app deployed step by step with the kit's boto3 library (`infra.deploy`): a table,
  a role, five functions, a WebSocket API with routes, integrations and a route response, a
  deployment and the stage `dev` (the kit's `Deployment` and `ApiSnapshot` are pickled);
- the arena and push apps as CloudFormation stacks from their SAM templates (moto's stacks, the
  kit's CloudFormation resource classes, a DynamoDB stream mapping and a schedule); the code
  zips in the artifacts bucket;
- a third stack of what the apps' templates lack (an S3 bucket and its policy, CDK metadata);
- a few invocations of `chat-default` (log events in the journal).

The cloud is stopped, which saves; the lock file is removed (a cloud writes its own).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import boto3

import infra
from infra.deploy.apps import deploy_app
from infra.deploy.stacks import create_stack, deploy_template
from infra.local.cloud import LocalCloud

EXTRAS = {  # resource types the apps' templates do not use
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "fixture-bucket"}},
        "BucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "Bucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:DeleteBucket",
                            "Resource": {"Fn::GetAtt": ["Bucket", "Arn"]},
                        }
                    ],
                },
            },
        },
        "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:fixture"}},
    },
    "Outputs": {"BucketName": {"Value": {"Ref": "Bucket"}}},
}
HELP_EVENT = {"requestContext": {"connectionId": "fixture", "routeKey": "$default"}, "body": "?"}


def build(folder: Path) -> None:
    cloud = LocalCloud(state_dir=str(folder), timing="instant").start()
    try:
        os.environ.update(cloud.env())
        print(deploy_app("chat"))
        print(deploy_template("arena"))
        print(deploy_template("push"))
        print(create_stack("extras", EXTRAS))
        lambda_ = boto3.client("lambda")
        for _ in range(2):
            reply = lambda_.invoke(FunctionName="chat-default", Payload=json.dumps(HELP_EVENT))
            print(reply["StatusCode"], reply["Payload"].read()[:80])
    finally:
        cloud.stop()
    (folder / "lock").unlink(missing_ok=True)


if __name__ == "__main__":
    print(f"infra from {Path(infra.__file__).parent}")
    build(Path(sys.argv[1]).resolve())
