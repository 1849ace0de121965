"""Faults in Lambda workers: killed mid-invoke, hung mid-broadcast, crashing again and again.

Each fault must fail only the invocation it hit, worded as Lambda words it, and the next
invocation must run on a fresh worker. Figures: docs/local-cloud.md, "Faults and limits".
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import sys
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psutil
import pytest
import websockets

from infra.local.cloud import LocalCloud
from tests import waits
from tests.conftest import create_function, lambda_role
from tests.local.gateway.helpers import Deployed, GatewayLab, recv_text, run

# Sends its process id to the address the event names, then sleeps: the test kills it meanwhile.
# (A socket, not a file: the function's /tmp is its own.)
KILLABLE = """
import os
import socket
import time


def handler(event, context):
    if "report_to" in event:
        with socket.create_connection(tuple(event["report_to"])) as connection:
            connection.sendall(str(os.getpid()).encode())
        time.sleep(60)
    return {"pid": os.getpid()}
"""

# Crashes its process in the way the event names; {} returns normally.
CRASHING = """
import ctypes
import os
import signal


def handler(event, context):
    how = event.get("crash")
    if how == "exit":
        os._exit(1)
    if how == "segfault":
        ctypes.string_at(0)
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    return {"pid": os.getpid()}
"""
CRASHES = {
    "exit": "Runtime exited with error: exit status 1",
    "segfault": "Runtime exited with error: signal: segmentation fault",
    "kill": "Runtime exited with error: signal: killed",
}

ROOM_TABLE = "faults-room"
# A room: $connect stores the connection and its name; "broadcast" posts the text to everyone
# else, each post on its own thread (a fan-out). The post to the one named in "stuck" hangs
# instead, so the handler hangs mid-broadcast, waiting for it, until Lambda's timeout.
ROOM = f'''
import json
import threading
import time

import boto3

TABLE = boto3.resource("dynamodb").Table("{ROOM_TABLE}")


def handler(event, context):
    ctx = event["requestContext"]
    me = ctx["connectionId"]
    if ctx["routeKey"] == "$connect":
        name = (event.get("queryStringParameters") or {{}}).get("name", "guest")
        TABLE.put_item(Item={{"id": me, "name": name}})
        return {{"statusCode": 200}}
    body = json.loads(event["body"])
    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"https://{{ctx['domainName']}}/{{ctx['stage']}}",
    )

    def post(row):
        if row["name"] == body.get("stuck"):
            time.sleep(60)  # hangs: this post never happens
        api.post_to_connection(ConnectionId=row["id"], Data=body["text"].encode())

    posts = [
        threading.Thread(target=post, args=(row,), daemon=True)
        for row in TABLE.scan()["Items"]
        if row["id"] != me
    ]
    for thread in posts:
        thread.start()
    for thread in posts:
        thread.join()
    return {{"statusCode": 200}}
'''


@pytest.fixture(scope="module")
def lambda_(cloud: LocalCloud, aws: Any) -> Any:
    """A Lambda client of the module's cloud, with the killable and crashing functions."""
    create_function(aws, "faults-killable", KILLABLE, Timeout=60)
    create_function(aws, "faults-crashing", CRASHING)
    return aws("lambda")


def invoke(lambda_: Any, name: str, event: dict[str, Any]) -> tuple[str | None, Any]:
    """(FunctionError, parsed payload) of one synchronous invoke."""
    response = lambda_.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def test_a_worker_killed_mid_invoke_fails_that_invoke_as_lambda_does(lambda_: Any) -> None:
    """SIGKILL mid-invoke: the caller gets Runtime.ExitError "signal: killed"; the next runs."""
    outcome: dict[str, Any] = {}
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(30)
        address = list(listener.getsockname())
        caller = threading.Thread(
            target=lambda: outcome.update(
                result=invoke(lambda_, "faults-killable", {"report_to": address})
            )
        )
        caller.start()
        connection, _ = listener.accept()
        with connection:
            pid = int(connection.recv(32))
    os.kill(pid, signal.SIGKILL)
    caller.join(30)
    error, payload = outcome["result"]
    assert error == "Unhandled"
    assert payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    error, payload = invoke(lambda_, "faults-killable", {})
    assert error is None and payload["pid"] != pid


def test_twenty_crashes_in_a_row_leave_a_pool_that_serves(lambda_: Any) -> None:
    """20 invokes that crash their workers each fail alone; then 4 at once all succeed."""
    kinds = [list(CRASHES)[i % len(CRASHES)] for i in range(20)]
    with ThreadPoolExecutor(4) as pool:
        crashed = list(
            pool.map(lambda kind: invoke(lambda_, "faults-crashing", {"crash": kind}), kinds)
        )
        for kind, (error, payload) in zip(kinds, crashed, strict=True):
            assert error == "Unhandled", kind
            assert payload["errorType"] == "Runtime.ExitError", kind
            assert payload["errorMessage"].endswith(CRASHES[kind]), kind
        served = list(pool.map(lambda _: invoke(lambda_, "faults-crashing", {}), range(4)))
    assert [error for error, _ in served] == [None] * 4
    zombies = [p for p in psutil.Process().children() if p.status() == psutil.STATUS_ZOMBIE]
    assert zombies == []


@pytest.fixture(scope="module")
def room(lab: GatewayLab, aws: Any) -> tuple[Deployed, str]:
    """The fan-out room and its function's name; the function times out after 1 second."""
    waits.create_table(
        aws("dynamodb"),
        TableName=ROOM_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    deployed = lab.deploy({"$connect": ROOM, "broadcast": ROOM})
    name = lab.function(ROOM).split(":")[-1]
    waits.update_function_configuration(aws("lambda"), FunctionName=name, Timeout=1)
    return deployed, name


def say(text: str, stuck: str | None = None) -> str:
    return json.dumps({"action": "broadcast", "text": text, "stuck": stuck})


def test_a_handler_hung_mid_broadcast_times_out_and_the_others_get_the_message(
    room: tuple[Deployed, str], aws: Any
) -> None:
    """The hung post's handler times out (an error frame to its sender); every other post lands,
    another sender is served meanwhile, and the sender's next broadcast reaches everyone."""
    deployed, function = room

    async def scenario() -> None:
        url = deployed.url
        async with (
            websockets.connect(f"{url}?name=ada") as ada,
            websockets.connect(f"{url}?name=bob") as bob,
            websockets.connect(f"{url}?name=cyd") as cyd,
            websockets.connect(f"{url}?name=dan") as dan,
        ):
            await ada.send(say("hello", stuck="dan"))
            assert [await recv_text(bob), await recv_text(cyd)] == ["hello", "hello"]
            await bob.send(say("meanwhile"))  # sent while ada's handler hangs
            assert [await recv_text(cyd), await recv_text(dan)] == ["meanwhile"] * 2
            to_ada = {await recv_text(ada), await recv_text(ada)}  # in either order
            assert "meanwhile" in to_ada
            (error,) = to_ada - {"meanwhile"}
            assert json.loads(error)["message"] == "Internal server error"
            await ada.send(say("after"))
            assert [await recv_text(c) for c in (bob, cyd, dan)] == ["after"] * 3  # no "hello"

    run(scenario())
    logs = aws("logs").filter_log_events(
        logGroupName=f"/aws/lambda/{function}", filterPattern="timed out"
    )
    assert any("Task timed out after 1.00 seconds" in e["message"] for e in logs["events"])


def big_zip(stored_mb: int = 0, zeros_mb: int = 0) -> bytes:
    """A zip of `stored_mb` MB of random bytes as they are, and `zeros_mb` MB of deflated zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
        if stored_mb:
            archive.writestr("noise.bin", os.urandom(stored_mb << 20), zipfile.ZIP_STORED)
        if zeros_mb:
            info = zipfile.ZipInfo("zeros.bin")
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                chunk = bytes(1 << 20)
                for _ in range(zeros_mb):
                    member.write(chunk)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """About 300 KB zipped, 300 MB unzipped."""
    return big_zip(zeros_mb=300)


def test_a_direct_upload_over_50_mb_zipped_is_refused_as_lambda_refuses_it(aws: Any) -> None:
    """A 51 MB zip: 413 RequestEntityTooLargeException at CreateFunction and UpdateFunctionCode."""
    lambda_ = aws("lambda")
    role = lambda_role(aws("iam"))
    code = big_zip(stored_mb=51)
    with pytest.raises(lambda_.exceptions.ClientError) as refused:
        lambda_.create_function(
            FunctionName="faults-too-big",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code},
        )
    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Code"] == "RequestEntityTooLargeException"
    assert error["Message"] == (
        "Request must be smaller than 69905067 bytes for the CreateFunction operation"
    )
    create_function(aws, "faults-small", "def handler(event, context):\n    return 1\n")
    with pytest.raises(lambda_.exceptions.ClientError) as refused:
        lambda_.update_function_code(FunctionName="faults-small", ZipFile=code)
    assert refused.value.response["Error"]["Message"] == (
        "Request must be smaller than 69905067 bytes for the UpdateFunctionCode operation"
    )


def test_code_over_250_mb_unzipped_is_refused_before_anything_is_unpacked(
    aws: Any, zip_bomb: bytes, cloud: LocalCloud
) -> None:
    """A zip bomb: InvalidParameterValueException at CreateFunction and UpdateFunctionCode."""
    lambda_ = aws("lambda")
    role = lambda_role(aws("iam"))
    message = "Unzipped size must be smaller than 262144000 bytes"
    with pytest.raises(lambda_.exceptions.InvalidParameterValueException, match=message):
        lambda_.create_function(
            FunctionName="faults-bomb",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": zip_bomb},
        )
    create_function(aws, "faults-defused", "def handler(event, context):\n    return 1\n")
    with pytest.raises(lambda_.exceptions.InvalidParameterValueException, match=message):
        lambda_.update_function_code(FunctionName="faults-defused", ZipFile=zip_bomb)
    response = lambda_.invoke(FunctionName="faults-defused")
    assert json.loads(response["Payload"].read()) == 1  # the old code still runs
    assert cloud.runtime is not None
    unpacked = sum(
        os.path.getsize(os.path.join(folder, name))
        for folder, _, names in os.walk(cloud.runtime.folder.path)
        for name in names
    )
    assert unpacked < 1 << 20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="memory is read from /proc")
def test_a_function_past_its_memory_size_fails_and_logs_as_lambda_does(aws: Any) -> None:
    """MemorySize=128 and 300 MB touched: Runtime.ExitError, and the REPORT line says 128 MB."""
    source = (
        "def handler(event, context):\n"
        "    block = bytearray(300 << 20)\n"
        "    for i in range(0, len(block), 4096):\n"
        "        block[i] = 1\n"
    )
    create_function(aws, "faults-hog", source, MemorySize=128, Timeout=30)
    error, payload = invoke(aws("lambda"), "faults-hog", {})
    assert error == "Unhandled"
    assert payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Runtime exited with error: signal: killed")
    events = aws("logs").filter_log_events(
        logGroupName="/aws/lambda/faults-hog", filterPattern="REPORT"
    )["events"]
    assert any("Memory Size: 128 MB\tMax Memory Used: 128 MB" in e["message"] for e in events)


def test_code_in_s3_over_250_mb_unzipped_is_refused_too(aws: Any, zip_bomb: bytes) -> None:
    """The zip bomb as an S3 object (how CloudFormation deploys): refused at CreateFunction."""
    aws("s3").create_bucket(Bucket="faults-code")
    aws("s3").put_object(Bucket="faults-code", Key="bomb.zip", Body=zip_bomb)
    lambda_ = aws("lambda")
    message = "Unzipped size must be smaller than 262144000 bytes"
    with pytest.raises(lambda_.exceptions.InvalidParameterValueException, match=message):
        lambda_.create_function(
            FunctionName="faults-s3-bomb",
            Runtime="python3.12",
            Role=lambda_role(aws("iam")),
            Handler="app.handler",
            Code={"S3Bucket": "faults-code", "S3Key": "bomb.zip"},
        )
    create_function(aws, "faults-s3-defused", "def handler(event, context):\n    return 1\n")
    with pytest.raises(lambda_.exceptions.InvalidParameterValueException, match=message):
        lambda_.update_function_code(
            FunctionName="faults-s3-defused", S3Bucket="faults-code", S3Key="bomb.zip"
        )
