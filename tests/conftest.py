"""Shared fixtures: a running local cloud and boto3 pointed at it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.cloud import LocalCloud
from infra.local.timing import ENVIRONMENT
from tests import waits

# Toy notebooks the exercise-tool tests build from: not lessons, so nbval leaves them alone.
collect_ignore_glob = ["exercises/data/*"]

# The tests' clouds run at the `short` timing: a fifth of the defaults, never zero, so a test that
# skips a wait fails as it would on AWS (tests/waits.py waits). Set here, it reaches the fixtures'
# clouds, `workshop` subprocesses' and notebook kernels' (nbval's: tests/nbval_timing.py);
# WORKSHOP_TIMING=default runs the tests' own clouds at the defaults, as learners' run.
os.environ.setdefault(ENVIRONMENT, "short")

ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@contextlib.contextmanager
def running_cloud(**settings: Any) -> Iterator[LocalCloud]:
    """A local cloud on a free port, with boto3's environment pointing at it meanwhile."""
    with LocalCloud(**{"port": 0, **settings}) as running:  # timing: WORKSHOP_TIMING's
        saved = {k: os.environ.get(k) for k in running.env()}
        os.environ.update(running.env())
        try:
            yield running
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """A local cloud on a free port for the tests of one module, empty as a fresh `workshop
    cloud` is: what an earlier module's cloud left in this process's moto is gone."""
    with running_cloud(ttl_interval=0.5) as running:
        running.backends.reset()
        yield running


@pytest.fixture(scope="module")
def aws(cloud: LocalCloud) -> Any:
    """A factory of boto3 clients that talk to the local cloud."""
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=cloud.region
    )

    def client(service: str, **kwargs: Any) -> Any:
        return session.client(service, endpoint_url=cloud.url, **kwargs)

    return client


def make_zip(files: dict[str, str]) -> bytes:
    """A Lambda deployment package from {filename: source}."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in files.items():
            archive.writestr(name, source)
    return buffer.getvalue()


# What the test functions do: tables, @connections, their logs. (The apps' own least-privilege
# policies are tested with the apps; these tests are about the local cloud's machinery.)
TEST_FUNCTION_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:*", "execute-api:ManageConnections", "logs:*", "lambda:*"],
                "Resource": "*",
            }
        ],
    }
)


def lambda_role(iam: Any, name: str = "workshop-test-role") -> str:
    """An execution role for test functions (created once per cloud)."""
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=name, PolicyName="test-functions", PolicyDocument=TEST_FUNCTION_POLICY
        )
        return arn


def create_function(
    aws: Any, name: str, source: str, handler: str = "app.handler", **kwargs: Any
) -> str:
    """Create a Python function from one module's source, once it is Active; returns its ARN."""
    role = lambda_role(aws("iam"))
    response = waits.create_function(
        aws("lambda"),
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler=handler,
        Code={"ZipFile": make_zip({handler.split(".")[0] + ".py": source})},
        **kwargs,
    )
    return response["FunctionArn"]
