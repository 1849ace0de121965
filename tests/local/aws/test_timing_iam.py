"""IAM in time: for a few seconds after CreateRole, Lambda cannot assume the new role.

The careless CreateFunction right after CreateRole gets AWS's InvalidParameterValueException;
the careful one retries (as `infra/deploy` and AWS's CloudFormation do) and succeeds. The
module's cloud runs at the tests' `short` timing; one test runs at the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core.base_backend import BackendDict

from infra.deploy.aws import once_role_assumable
from infra.local.cloud import LocalCloud
from infra.local.state.lifecycle import CloudState
from tests import waits
from tests.conftest import ROLE_POLICY, make_zip, running_cloud
from tests.local.aws.settling import at_defaults, lasting

CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
CODE = {"ZipFile": make_zip({"app.py": "def handler(event, context):\n    return 'ok'\n"})}


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """The module's cloud at the tests' `short` timing, whatever WORKSHOP_TIMING says."""
    with running_cloud(timing="short", ttl_interval=0.5) as running:
        running.backends.reset()
        yield running


@pytest.fixture
def default_timing() -> Iterator[None]:
    """Resources made meanwhile settle at the defaults (`workshop cloud`'s), not the tests'."""
    with at_defaults():
        yield


def new_role(aws: Any, name: str) -> str:
    arn: str = aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)["Role"][
        "Arn"
    ]
    return arn


def function(name: str, role: str) -> dict[str, Any]:
    return {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": role,
        "Handler": "app.handler",
        "Code": CODE,
    }


def cannot_assume(error: pytest.ExceptionInfo[ClientError]) -> bool:
    answer = error.value.response["Error"]
    return bool(
        answer["Code"] == "InvalidParameterValueException" and answer["Message"] == CANNOT_ASSUME
    )


def test_a_new_role_cannot_be_assumed_at_once(aws: Any, default_timing: None) -> None:
    """At the defaults, CreateFunction right after CreateRole is refused as on AWS; retried
    (infra/deploy's once_role_assumable) it succeeds."""
    lambda_ = aws("lambda")
    role = new_role(aws, "timing-new-role")
    with pytest.raises(ClientError) as refused:
        lambda_.create_function(**function("timing-new-role-fn", role))
    assert cannot_assume(refused)
    created = once_role_assumable(
        lambda: lambda_.create_function(**function("timing-new-role-fn", role))
    )
    assert created["FunctionName"] == "timing-new-role-fn"
    waits.function_active(lambda_, "timing-new-role-fn")


def test_the_tests_helper_waits_the_role_out(aws: Any) -> None:
    """tests/waits.create_function retries the same way and leaves the function Active."""
    role = new_role(aws, "timing-waited-role")
    created = waits.create_function(aws("lambda"), **function("timing-waited-fn", role))
    assert created["FunctionName"] == "timing-waited-fn"
    state = aws("lambda").get_function(FunctionName="timing-waited-fn")["Configuration"]["State"]
    assert state == "Active"


def test_a_configuration_update_to_a_new_role_is_refused_meanwhile(aws: Any) -> None:
    """UpdateFunctionConfiguration naming a role made a moment ago is refused the same way."""
    lambda_ = aws("lambda")
    old = new_role(aws, "timing-old-role")
    waits.create_function(lambda_, **function("timing-role-swap", old))
    with lasting(role_propagation=3.0):
        fresh = new_role(aws, "timing-fresh-role")
    with pytest.raises(ClientError) as refused:
        lambda_.update_function_configuration(FunctionName="timing-role-swap", Role=fresh)
    assert cannot_assume(refused)
    once_role_assumable(
        lambda: lambda_.update_function_configuration(FunctionName="timing-role-swap", Role=fresh)
    )
    waits.function_updated(lambda_, "timing-role-swap")
    configuration = lambda_.get_function_configuration(FunctionName="timing-role-swap")
    assert configuration["Role"] == fresh


def test_policy_edits_do_not_delay_the_role(aws: Any) -> None:
    """Only CreateRole starts the propagation: a policy put on an old role changes nothing."""
    lambda_ = aws("lambda")
    role = new_role(aws, "timing-edited-role")
    waits.create_function(lambda_, **function("timing-edited-a", role))
    aws("iam").put_role_policy(
        RoleName="timing-edited-role",
        PolicyName="more",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
            }
        ),
    )
    lambda_.create_function(**function("timing-edited-b", role))  # no retry needed


def test_a_restored_role_is_assumable_at_once(
    aws: Any, cloud: LocalCloud, tmp_path: Path, default_timing: None
) -> None:
    """A role from a saved state is old: a function can use it the moment the cloud is back."""
    fresh = new_role(aws, "timing-restored-role")
    with pytest.raises(ClientError) as refused:
        aws("lambda").create_function(**function("timing-restored-fn", fresh))
    assert cannot_assume(refused)  # still propagating when saved
    state = CloudState(cloud.backends, tmp_path, interval=3600).open()
    assert state.save_now()
    state.close()
    with cloud.backends.lock:
        BackendDict.reset()  # as a new process starts
    CloudState(cloud.backends, tmp_path, interval=3600).open().close()
    role = aws("iam").get_role(RoleName="timing-restored-role")["Role"]["Arn"]
    created = aws("lambda").create_function(**function("timing-restored-fn", role))
    assert created["FunctionName"] == "timing-restored-fn"
