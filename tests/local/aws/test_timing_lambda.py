"""Lambda's states in time: `Pending` then `Active`, each update `InProgress` then `Successful`.

For each state the careless call gets AWS's state or error, and the careful call (boto3's waiter)
succeeds. The module's cloud runs at the tests' `short` timing; one test per state runs at the
defaults, as learners' clouds do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from botocore.exceptions import ClientError

from infra.local.cloud import LocalCloud
from tests import waits
from tests.conftest import lambda_role, make_zip, running_cloud
from tests.local.aws.settling import at_defaults, lasting
from tests.local.gateway.helpers import GatewayLab, recv_text, run

PENDING = (
    "The operation cannot be performed at this time. "
    "The function is currently in the following state: Pending"
)
UPDATING = "The operation cannot be performed at this time. An update is in progress for resource: "


def source(answer: str) -> str:
    return f"def handler(event, context):\n    return {answer!r}\n"


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


@pytest.fixture(scope="module")
def role(aws: Any) -> str:
    """An old role: the tests of roles' propagation are in test_timing_iam.py."""
    arn = lambda_role(aws("iam"))
    waits.create_function(  # waits the role out once, for the whole module
        aws("lambda"),
        FunctionName="timing-warm-up",
        Runtime="python3.12",
        Role=arn,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": source("warm")})},
    )
    return arn


def create(aws: Any, role: str, name: str, answer: str = "v1") -> dict[str, Any]:
    """CreateFunction, careless: no waiter."""
    created: dict[str, Any] = aws("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": source(answer)})},
    )
    return created


def invoke(aws: Any, name: str) -> Any:
    answer = aws("lambda").invoke(FunctionName=name, Payload=b"{}")
    return json.loads(answer["Payload"].read())


def conflict(error: pytest.ExceptionInfo[ClientError]) -> str:
    assert error.value.response["Error"]["Code"] == "ResourceConflictException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    return str(error.value.response["Error"]["Message"])


def test_a_new_function_is_pending_then_active(aws: Any, role: str, default_timing: None) -> None:
    """At the defaults, CreateFunction answers Pending, Invoke is refused, the waiter sees Active."""
    lambda_ = aws("lambda")
    created = create(aws, role, "timing-pending")
    assert created["State"] == "Pending"
    assert created["StateReason"] == "The function is being created."
    assert created["StateReasonCode"] == "Creating"
    with pytest.raises(ClientError) as refused:
        invoke(aws, "timing-pending")
    assert conflict(refused) == PENDING
    lambda_.get_waiter("function_active_v2").wait(
        FunctionName="timing-pending", WaiterConfig={"Delay": 1}
    )
    configuration = lambda_.get_function(FunctionName="timing-pending")["Configuration"]
    assert configuration["State"] == "Active"
    assert configuration["LastUpdateStatus"] == "Successful"
    assert "StateReason" not in configuration
    assert invoke(aws, "timing-pending") == "v1"


def test_an_update_is_in_progress_then_successful(
    aws: Any, role: str, default_timing: None
) -> None:
    """At the defaults, a second update while the first is InProgress is refused; after the
    waiter it goes through."""
    lambda_ = aws("lambda")
    arn = waits.create_function(
        lambda_,
        FunctionName="timing-updating",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": source("v1")})},
    )["FunctionArn"]
    updated = lambda_.update_function_code(
        FunctionName="timing-updating", ZipFile=make_zip({"app.py": source("v2")})
    )
    assert updated["State"] == "Active"
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["LastUpdateStatusReasonCode"] == "Creating"
    with pytest.raises(ClientError) as refused:
        lambda_.update_function_configuration(FunctionName="timing-updating", Timeout=10)
    assert conflict(refused) == UPDATING + arn
    lambda_.get_waiter("function_updated_v2").wait(
        FunctionName="timing-updating", WaiterConfig={"Delay": 1}
    )
    assert lambda_.get_function(FunctionName="timing-updating")["Configuration"][
        "LastUpdateStatus"
    ] == ("Successful")
    lambda_.update_function_configuration(FunctionName="timing-updating", Timeout=10)


def test_an_invoke_during_an_update_runs_the_previous_code(aws: Any, role: str) -> None:
    """While UpdateFunctionCode is InProgress, invocations run the code from before it."""
    lambda_ = aws("lambda")
    waits.create_function(
        lambda_,
        FunctionName="timing-previous",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": source("v1")})},
    )
    assert invoke(aws, "timing-previous") == "v1"
    with lasting(function_update=3.0):
        lambda_.update_function_code(
            FunctionName="timing-previous", ZipFile=make_zip({"app.py": source("v2")})
        )
    assert invoke(aws, "timing-previous") == "v1"
    waits.function_updated(lambda_, "timing-previous")
    assert invoke(aws, "timing-previous") == "v2"


def test_an_invoke_during_a_configuration_update_sees_the_previous_configuration(
    aws: Any, role: str
) -> None:
    """While UpdateFunctionConfiguration is InProgress, invocations get the old environment."""
    lambda_ = aws("lambda")
    code = "import os\ndef handler(event, context):\n    return os.environ.get('COLOUR')\n"
    waits.create_function(
        lambda_,
        FunctionName="timing-environment",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": code})},
        Environment={"Variables": {"COLOUR": "red"}},
    )
    with lasting(function_update=3.0):
        lambda_.update_function_configuration(
            FunctionName="timing-environment", Environment={"Variables": {"COLOUR": "blue"}}
        )
    assert invoke(aws, "timing-environment") == "red"
    waits.function_updated(lambda_, "timing-environment")
    assert invoke(aws, "timing-environment") == "blue"


def test_updates_and_publish_version_while_pending_are_refused(aws: Any, role: str) -> None:
    """UpdateFunctionCode, UpdateFunctionConfiguration and PublishVersion fail while Pending."""
    lambda_ = aws("lambda")
    with lasting(function_create=3.0):
        create(aws, role, "timing-pending-updates")
    calls = [
        lambda: lambda_.update_function_code(
            FunctionName="timing-pending-updates", ZipFile=make_zip({"app.py": source("v2")})
        ),
        lambda: lambda_.update_function_configuration(
            FunctionName="timing-pending-updates", MemorySize=256
        ),
        lambda: lambda_.publish_version(FunctionName="timing-pending-updates"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as refused:
            call()
        assert conflict(refused) == PENDING
    waits.function_active(lambda_, "timing-pending-updates")
    for call in calls:
        call()
        waits.function_updated(lambda_, "timing-pending-updates")


def test_publish_version_during_an_update_is_refused(aws: Any, role: str) -> None:
    """PublishVersion waits for the update too, as Lambda requires."""
    lambda_ = aws("lambda")
    arn = waits.create_function(
        lambda_,
        FunctionName="timing-publish",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": source("v1")})},
    )["FunctionArn"]
    with lasting(function_update=3.0):
        lambda_.update_function_configuration(FunctionName="timing-publish", MemorySize=256)
    with pytest.raises(ClientError) as refused:
        lambda_.publish_version(FunctionName="timing-publish")
    assert conflict(refused) == UPDATING + arn
    waits.function_updated(lambda_, "timing-publish")
    assert lambda_.publish_version(FunctionName="timing-publish")["Version"] == "1"


def test_function_updated_waiter_waits_for_the_creation_too(aws: Any, role: str) -> None:
    """GetFunction says LastUpdateStatus InProgress while Pending, so function_updated_v2 and
    function_exists both work right after CreateFunction."""
    lambda_ = aws("lambda")
    with lasting(function_create=3.0):
        create(aws, role, "timing-exists")
    configuration = lambda_.get_function(FunctionName="timing-exists")["Configuration"]
    assert (configuration["State"], configuration["LastUpdateStatus"]) == ("Pending", "InProgress")
    lambda_.get_waiter("function_exists").wait(FunctionName="timing-exists")
    waits.function_updated(lambda_, "timing-exists")
    configuration = lambda_.get_function_configuration(FunctionName="timing-exists")
    assert (configuration["State"], configuration["LastUpdateStatus"]) == ("Active", "Successful")


def test_an_event_invoke_of_a_pending_function_is_refused(aws: Any, role: str) -> None:
    """InvocationType=Event is refused while Pending as well (Lambda queues nothing)."""
    with lasting(function_create=3.0):
        create(aws, role, "timing-event")
    with pytest.raises(ClientError) as refused:
        aws("lambda").invoke(FunctionName="timing-event", InvocationType="Event", Payload=b"{}")
    assert conflict(refused) == PENDING
    waits.function_active(aws("lambda"), "timing-event")
    answer = aws("lambda").invoke(FunctionName="timing-event", InvocationType="Event")
    assert answer["StatusCode"] == 202


def test_the_gateway_answers_a_pending_integration_as_a_failed_one(
    aws: Any, role: str, lab: GatewayLab
) -> None:
    """A route whose function is still Pending gets API Gateway's Internal server error frame;
    once the function is Active the same route answers."""
    with lasting(function_create=3.0):  # long enough to deploy a route meanwhile
        arn = create(aws, role, "timing-route", answer="routed")["FunctionArn"]
    aws("lambda").add_permission(
        FunctionName="timing-route",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    api_id = aws("apigatewayv2").create_api(
        Name="timing", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    integration = aws("apigatewayv2").create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=lab.invocation_uri(arn)
    )["IntegrationId"]
    route = aws("apigatewayv2").create_route(
        ApiId=api_id,
        RouteKey="$default",
        Target=f"integrations/{integration}",
        RouteResponseSelectionExpression="$default",
    )["RouteId"]
    aws("apigatewayv2").create_route_response(
        ApiId=api_id, RouteId=route, RouteResponseKey="$default"
    )
    aws("apigatewayv2").create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    url = aws("apigatewayv2").get_api(ApiId=api_id)["ApiEndpoint"] + "/dev"

    async def say(text: str) -> str:
        async with websockets.connect(url) as ws:
            await ws.send(text)
            return await recv_text(ws)

    if aws("lambda").get_function(FunctionName="timing-route")["Configuration"]["State"] != (
        "Pending"
    ):
        pytest.skip("the machine was too slow to deploy the route within the Pending state")
    assert json.loads(run(say("hello")))["message"] == "Internal server error"
    waits.function_active(aws("lambda"), "timing-route")
    assert run(say("hello")) == "routed"
