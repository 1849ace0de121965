"""The AWS SDK for JavaScript as Lambda's Node.js runtimes provide it, on the local cloud.

The first tests run `node` as a worker runs it (the kit's preloads, NODE_PATH at the pinned SDK
v3, the cloud's variables) on scripts written here: the SDK resolves from CommonJS and ES
modules after the zip's own node_modules, the v2 `aws-sdk` does not, v3 reaches the cloud
through AWS_ENDPOINT_URL, and the execute-api host handlers build from the event, like any AWS
host v2 would call, is redirected to the local cloud. The last tests deploy Node.js handlers
through boto3 and chat over real WebSockets; they wait for the Node.js worker.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
import websockets

from infra.doctor import Doctor, diagnose
from infra.endpoints import LOCAL_KEYS
from infra.local.aws import runtimes
from infra.local.cloud import LocalCloud
from infra.local.runtime import node, node_sdk
from infra.local.runtime.redirect import REQUEST_ID_HEADER
from tests import waits
from tests.conftest import lambda_role
from tests.local.gateway.helpers import WHOAMI, GatewayLab, recv_text, run, whoami
from tests.local.runtime.test_node import fake_node
from tests.local.runtime.test_redirect import RecordingServer

NODE = node.find()
needs_sdk = pytest.mark.skipif(
    NODE is None or not node_sdk.installed(),
    reason="no Node.js 20+ or no AWS SDK for JavaScript here: `make workshop` installs both",
)
NODE_RUNTIME = "nodejs22.x"
NOT_RUNNABLE = runtimes.runnable(NODE_RUNTIME)
needs_node_functions = pytest.mark.skipif(
    NOT_RUNNABLE is not None or not node_sdk.installed(), reason=NOT_RUNNABLE or "no SDK"
)


def node_env(cloud: LocalCloud | None = None) -> dict[str, str]:
    """A worker's environment for `node`: the SDK's NODE_PATH and the cloud's variables."""
    url = cloud.url if cloud is not None else "http://127.0.0.1:9"
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "AWS_ENDPOINT_URL": url,
        "WORKSHOP_CLOUD_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        **node_sdk.environment(),
    }


# Each Node.js here: the resolve hook takes another path on Node 20 (a loader thread) than on
# 22.15+ and 24 (in the main thread).
NODES = sorted(
    {found.executable: found for found in (NODE, node.find(search_path="")) if found}.values(),
    key=lambda found: found.version,
)


def run_node(
    folder: Path, script: str, env: dict[str, str], *args: str, executable: str | None = None
) -> Any:
    """Run `script` (a file of `folder`) with the kit's preloads; its last stdout line as JSON."""
    assert NODE is not None
    answer = subprocess.run(
        [executable or NODE.executable, *node_sdk.node_arguments(), str(folder / script), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout.strip().splitlines()[-1])


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return folder


IMPORTS = """\
    const found = {};
    for (const name of ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', 'aws-sdk']) {
      try {
        const module = await import(name);
        const sdk = ['DynamoDBClient', 'DynamoDBDocumentClient'].some((key) => key in module);
        found[name] = sdk ? 'sdk' : (module.default?.origin ?? 'other');
      } catch (error) {
        found[name] = error.code;
      }
    }
    console.log(JSON.stringify(found));
"""

REQUIRES = """\
    const found = {};
    for (const name of ['@aws-sdk/client-dynamodb', '@aws-sdk/client-apigatewaymanagementapi', 'aws-sdk']) {
      try {
        found[name] = typeof require(name).ApiGatewayManagementApiClient === 'function' ? 'sdk' : 'other';
      } catch (error) {
        found[name] = `${error.code}: ${error.message.split('\\n')[0]}`;
      }
    }
    console.log(JSON.stringify(found));
"""


@needs_sdk
@pytest.mark.parametrize("found", NODES, ids=lambda found: f"node{found.major}")
def test_an_es_module_imports_the_sdk_v3_but_not_v2(tmp_path: Path, found: node.Node) -> None:
    """`import` finds @aws-sdk/* without bundling; 'aws-sdk' (v2) is not found, as on AWS."""
    write(tmp_path, {"index.mjs": IMPORTS})
    imported = run_node(tmp_path, "index.mjs", node_env(), executable=found.executable)
    assert imported == {
        "@aws-sdk/client-dynamodb": "sdk",
        "@aws-sdk/lib-dynamodb": "sdk",
        "aws-sdk": "ERR_MODULE_NOT_FOUND",
    }


@needs_sdk
def test_a_commonjs_module_requires_the_sdk_v3_but_not_v2(tmp_path: Path) -> None:
    """`require` finds @aws-sdk/* through NODE_PATH; 'aws-sdk' fails with Cannot find module."""
    write(tmp_path, {"index.js": REQUIRES})
    found = run_node(tmp_path, "index.js", node_env())
    assert found["@aws-sdk/client-apigatewaymanagementapi"] == "sdk"
    assert found["@aws-sdk/client-dynamodb"] == "other"
    assert found["aws-sdk"] == "MODULE_NOT_FOUND: Cannot find module 'aws-sdk'"


@needs_sdk
@pytest.mark.parametrize("found", NODES, ids=lambda found: f"node{found.major}")
def test_the_zips_own_packages_win_over_the_runtimes(tmp_path: Path, found: node.Node) -> None:
    """A zip bundling a package (here a stand-in 'aws-sdk' and client-dynamodb) imports its own."""
    for name in ("aws-sdk", "@aws-sdk/client-dynamodb"):
        write(
            tmp_path / "node_modules" / name,
            {
                "package.json": json.dumps({"name": name, "main": "index.js"}),
                "index.js": "exports.origin = 'zip';",
            },
        )
    write(tmp_path, {"index.mjs": IMPORTS})
    imported = run_node(tmp_path, "index.mjs", node_env(), executable=found.executable)
    assert imported["aws-sdk"] == "zip"
    assert imported["@aws-sdk/client-dynamodb"] == "zip"


NEW_CLIENT = """\
    const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
    new DynamoDBClient({});
    console.log(JSON.stringify({ made: true }));
"""


@needs_sdk
@pytest.mark.skipif(NODE is None or NODE.major >= 22, reason="the SDK warns on Node < 22 only")
@pytest.mark.parametrize(("runtime", "warned"), [("nodejs20.x", True), ("nodejs22.x", False)])
def test_the_sdks_node_version_warning_shows_only_where_lambda_shows_it(
    tmp_path: Path, runtime: str, warned: bool
) -> None:
    """On Node 20, a nodejs20.x client warns as on Lambda; a nodejs22.x one (Node 22 there) not."""
    assert NODE is not None
    write(tmp_path, {"index.js": NEW_CLIENT})
    answer = subprocess.run(
        [NODE.executable, *node_sdk.node_arguments(), str(tmp_path / "index.js")],
        env={**node_env(), "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert ("NodeVersionSupportWarning" in answer.stderr) is warned


DOCUMENT_CLIENT = """\
    import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
    import { DynamoDBDocumentClient, PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';

    const [table, endpoint] = process.argv.slice(2);
    // No endpoint: AWS_ENDPOINT_URL; else AWS's own host, as v2 always calls it.
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient(endpoint ? { endpoint } : {}));
    await documents.send(new PutCommand({ TableName: table, Item: { connectionId: 'abc', n: 1 } }));
    const { Item } = await documents.send(new GetCommand({ TableName: table, Key: { connectionId: 'abc' } }));
    console.log(JSON.stringify(Item));
"""


@pytest.fixture(scope="module")
def table(cloud: LocalCloud, aws: Any) -> str:
    name = f"node-sdk-{uuid.uuid4().hex[:8]}"
    waits.create_table(
        aws("dynamodb"),
        TableName=name,
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@needs_sdk
def test_the_sdk_v3_reaches_the_local_cloud_through_aws_endpoint_url(
    tmp_path: Path, cloud: LocalCloud, table: str
) -> None:
    """The document client puts and gets an item with no endpoint in the code."""
    write(tmp_path, {"index.mjs": DOCUMENT_CLIENT})
    assert run_node(tmp_path, "index.mjs", node_env(cloud), table) == {
        "connectionId": "abc",
        "n": 1,
    }


@needs_sdk
def test_an_aws_service_host_is_redirected_to_the_local_cloud(
    tmp_path: Path, cloud: LocalCloud, table: str
) -> None:
    """A client aimed at https://dynamodb.us-east-1.amazonaws.com (as v2's are) reaches the cloud."""
    write(tmp_path, {"index.mjs": DOCUMENT_CLIENT})
    aws_host = "https://dynamodb.us-east-1.amazonaws.com"
    assert run_node(tmp_path, "index.mjs", node_env(cloud), table, aws_host) == {
        "connectionId": "abc",
        "n": 1,
    }


POST = """\
    import {
      ApiGatewayManagementApiClient, PostToConnectionCommand, GoneException,
    } from '@aws-sdk/client-apigatewaymanagementapi';

    const [endpoint, connectionId, data] = process.argv.slice(2);
    const client = new ApiGatewayManagementApiClient({ endpoint });
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      console.log(JSON.stringify({ posted: true }));
    } catch (error) {
      console.log(JSON.stringify({
        name: error.name, status: error.$metadata?.httpStatusCode, gone: error instanceof GoneException,
      }));
    }
"""


@pytest.fixture(scope="module")
def lab(cloud: LocalCloud, aws: Any) -> GatewayLab:
    return GatewayLab(aws, cloud)


def execute_api_endpoint(cloud: LocalCloud, api_id: str, stage: str) -> str:
    """The endpoint handlers build from the event: https://{domainName}/{stage}."""
    return f"https://{api_id}.execute-api.{cloud.region}.amazonaws.com/{stage}"


@needs_sdk
def test_a_post_to_the_execute_api_host_reaches_the_connection(
    tmp_path: Path, cloud: LocalCloud, lab: GatewayLab
) -> None:
    """PostToConnection on AWS's execute-api host is delivered to the local WebSocket client."""
    deployed = lab.deploy({"whoami": WHOAMI}, two_way=["whoami"])
    write(tmp_path, {"index.mjs": POST})
    endpoint = execute_api_endpoint(cloud, deployed.api_id, deployed.stage)

    async def scenario() -> tuple[Any, str]:
        async with websockets.connect(deployed.url) as ws:
            connection_id = await whoami(ws)
            answer = await asyncio.to_thread(
                run_node, tmp_path, "index.mjs", node_env(cloud), endpoint, connection_id, "hi"
            )
            return answer, await recv_text(ws)

    answer, received = run(scenario())
    assert answer == {"posted": True}
    assert received == "hi"


@needs_sdk
def test_a_post_to_a_gone_connection_is_a_gone_exception(
    tmp_path: Path, cloud: LocalCloud, lab: GatewayLab
) -> None:
    """410 surfaces as v3's GoneException: name "GoneException", $metadata.httpStatusCode 410."""
    deployed = lab.deploy({"whoami": WHOAMI}, two_way=["whoami"])
    write(tmp_path, {"index.mjs": POST})
    endpoint = execute_api_endpoint(cloud, deployed.api_id, deployed.stage)

    async def gone_connection() -> str:
        async with websockets.connect(deployed.url) as ws:
            return await whoami(ws)

    connection_id = run(gone_connection())
    answer = run_node(tmp_path, "index.mjs", node_env(cloud), endpoint, connection_id, "hi")
    assert answer == {"name": "GoneException", "status": 410, "gone": True}


RECORDED_POST = """\
    import {
      ApiGatewayManagementApiClient, PostToConnectionCommand,
    } from '@aws-sdk/client-apigatewaymanagementapi';

    globalThis[Symbol.for('workshop.lambda.requestId')] = 'req-42'; // the runtime client's
    const client = new ApiGatewayManagementApiClient({
      endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
    });
    await client.send(new PostToConnectionCommand({ ConnectionId: 'conn-1', Data: 'hello' }));
    console.log(JSON.stringify({ posted: true }));
"""


@needs_sdk
def test_the_redirect_keeps_the_signature_and_names_the_invocation(tmp_path: Path) -> None:
    """The post reaches {cloud}/{apiId}/{stage}/@connections/{id}, signed, with its request id."""
    write(tmp_path, {"index.mjs": RECORDED_POST})
    with RecordingServer() as server:
        env = {**node_env(), "WORKSHOP_CLOUD_URL": server.url}
        assert run_node(tmp_path, "index.mjs", env) == {"posted": True}
    [(path, headers, body)] = server.requests
    assert path == "/abc123/prod/@connections/conn-1"
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert headers["host"] == "abc123.execute-api.us-east-1.amazonaws.com"  # as signed
    assert headers[REQUEST_ID_HEADER] == "req-42"
    assert body == b"hello"


OTHER_HOST = """\
    import https from 'node:https';
    import { request } from 'node:http';

    const [url] = process.argv.slice(2);
    const status = await new Promise((resolve, reject) => {
      // The ESM named export is wrapped too; a host that is not AWS's goes where it was sent.
      request(url, { method: 'POST' }, (response) => resolve(response.statusCode))
        .on('error', reject)
        .end('x');
    });
    console.log(JSON.stringify({ status, wrapped: https.request.name }));
"""


@needs_sdk
def test_a_host_that_is_not_aws_is_left_alone(tmp_path: Path) -> None:
    """A request to another host goes there untouched, with no request-id header."""
    write(tmp_path, {"index.mjs": OTHER_HOST})
    with RecordingServer() as server:
        env = {**node_env(), "WORKSHOP_CLOUD_URL": "http://127.0.0.1:9"}
        answer = run_node(tmp_path, "index.mjs", env, f"{server.url}/plain")
    assert answer == {"status": 200, "wrapped": "request"}
    [(path, headers, _)] = server.requests
    assert path == "/plain" and REQUEST_ID_HEADER not in headers


def test_install_without_node_leaves_the_python_kit_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No Node.js 20+: the install step says so in one line, installs nothing and succeeds."""
    monkeypatch.setattr(node, "find", lambda *args, **kwargs: None)
    assert node_sdk.install(tmp_path / "sdk") == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("No Node.js 20 or later")
    assert not (tmp_path / "sdk").exists() and not node_sdk.installed(tmp_path / "sdk")


def test_an_sdk_installed_from_another_lock_is_not_installed(tmp_path: Path) -> None:
    """The stamp holds the lock's hash: an older lock's install counts as missing (make redoes it)."""
    (node_sdk.node_modules(tmp_path) / "@aws-sdk" / "client-apigatewaymanagementapi").mkdir(
        parents=True
    )
    (tmp_path / node_sdk.STAMP).write_text("an older lock\n")
    assert not node_sdk.installed(tmp_path)
    (tmp_path / node_sdk.STAMP).write_text(node_sdk.lock_hash() + "\n")
    assert node_sdk.installed(tmp_path)
    assert node_sdk.environment(tmp_path) == {"NODE_PATH": str(tmp_path / "node_modules")}


def test_doctor_names_a_missing_sdk_beside_node(tmp_path: Path) -> None:
    """Node.js found but no SDK installed: one ✗ line saying to run `make workshop` again."""
    fake_node(tmp_path, "v22.3.0")
    doctor = Doctor(node_path=str(tmp_path), node_wheel=False, node_sdk=str(tmp_path / "sdk"))
    lines: list[str] = []
    status = diagnose(doctor, ["node"], lines.append)
    assert status == 1
    [line] = lines[:1]
    assert line.startswith("✗ Node.js 22.3.0")
    assert "AWS SDK for JavaScript v3" in line and "make workshop" in line


# ---------------------------------------------------------------- Node.js functions end to end

# AWS's sample chat, as the kit ships it (the SAM CLI test and lesson 11 deploy the same files).
SAMPLE_CHAT = Path(__file__).resolve().parents[3] / "lambdas" / "chat-javascript"


def sample_files(handler_folder: str) -> dict[str, str]:
    """One of the sample's CodeUri folders, as the files of a zip."""
    folder = SAMPLE_CHAT / handler_folder
    return {path.name: path.read_text() for path in folder.iterdir() if path.is_file()}


def node_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, textwrap.dedent(text))
    return buffer.getvalue()


def create_node_function(
    aws: Any, name: str, files: dict[str, str], handler: str = "index.handler", **extra: Any
) -> str:
    response = waits.create_function(
        aws("lambda"),
        FunctionName=name,
        Runtime=NODE_RUNTIME,
        Role=extra.pop("Role", None) or lambda_role(aws("iam")),
        Handler=handler,
        Code={"ZipFile": node_zip(files)},
        **extra,
    )
    arn: str = response["FunctionArn"]
    return arn


def invoke(aws: Any, name: str, event: Any) -> dict[str, Any]:
    response = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(event))
    return {**response, "Payload": json.loads(response["Payload"].read())}


def route(aws: Any, cloud: LocalCloud, api_id: str, route_key: str, function_arn: str) -> None:
    apigw = aws("apigatewayv2")
    name = function_arn.rsplit(":", 1)[-1]
    aws("lambda").add_permission(
        FunctionName=name,
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api_id}/*",
    )
    uri = (
        f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/"
        f"{function_arn}/invocations"
    )
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri
    )
    apigw.create_route(
        ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration['IntegrationId']}"
    )


GONE = "R29uZUNvbm5lY3Q="  # a connection that left without its $disconnect


def chat_and_prune(aws: Any, url: str, table: str, action: str) -> set[str]:
    """Alice says hello to Bob through `action`, with a gone connection in `table`: both get it,
    and the handler deletes the gone one's row after its 410. Returns the rows left."""
    dynamodb = aws("dynamodb")
    dynamodb.put_item(TableName=table, Item={"connectionId": {"S": GONE}})

    async def scenario() -> tuple[str, str]:
        async with websockets.connect(url) as alice, websockets.connect(url) as bob:
            await alice.send(json.dumps({"action": action, "data": "hello"}))
            return await recv_text(alice), await recv_text(bob)

    assert run(scenario()) == ("hello", "hello")
    # The handler deletes the stale row after the live posts: wait for its answer.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = {item["connectionId"]["S"] for item in dynamodb.scan(TableName=table)["Items"]}
        if GONE not in left:
            break
        time.sleep(0.05)
    assert GONE not in left
    return left


@needs_node_functions
def test_a_node_chat_of_es_modules_on_the_sdk_v3_chats_and_prunes_gone_connections(
    cloud: LocalCloud, aws: Any
) -> None:
    """AWS's sample chat (connect, disconnect, sendmessage) delivers to all and prunes on 410."""
    table = f"node-chat-{uuid.uuid4().hex[:8]}"
    waits.create_table(
        aws("dynamodb"),
        TableName=table,
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    environment = {"Variables": {"TABLE_NAME": table}}
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(
        Name="node-chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    for route_key, folder in (
        ("$connect", "onconnect"),
        ("$disconnect", "ondisconnect"),
        ("sendmessage", "sendmessage"),
    ):
        name = f"{table}-{route_key.strip('$')}"
        files = sample_files(folder)
        arn = create_node_function(aws, name, files, "app.handler", Environment=environment)
        route(aws, cloud, api_id, route_key, arn)
    apigw.create_stage(ApiId=api_id, StageName="production", AutoDeploy=True)
    url = apigw.get_api(ApiId=api_id)["ApiEndpoint"] + "/production"
    chat_and_prune(aws, url, table, "sendmessage")


@needs_node_functions
def test_a_commonjs_handler_uses_the_sdk_v3(cloud: LocalCloud, aws: Any, table: str) -> None:
    """exports.handler with require('@aws-sdk/...') reads the table through the runtime's SDK."""
    source = """\
        const { DynamoDBClient, DescribeTableCommand } = require('@aws-sdk/client-dynamodb');
        const client = new DynamoDBClient({});
        exports.handler = async (event) => {
          const { Table } = await client.send(new DescribeTableCommand({ TableName: event.table }));
          return { name: Table.TableName };
        };
    """
    create_node_function(aws, "node-sdk-cjs", {"index.js": source})
    answer = invoke(aws, "node-sdk-cjs", {"table": table})
    assert "FunctionError" not in answer, answer
    assert answer["Payload"] == {"name": table}


@needs_node_functions
def test_a_handler_requiring_the_v2_sdk_without_bundling_it_fails_to_import(
    cloud: LocalCloud, aws: Any
) -> None:
    """require('aws-sdk') with no node_modules: Runtime.ImportModuleError, as on nodejs18.x+."""
    source = """\
        const AWS = require('aws-sdk');
        exports.handler = async () => ({ ok: true });
    """
    create_node_function(aws, "node-sdk-v2-missing", {"index.js": source})
    answer = invoke(aws, "node-sdk-v2-missing", {})
    assert answer["FunctionError"] == "Unhandled"
    assert answer["Payload"]["errorType"] == "Runtime.ImportModuleError"
    assert "Cannot find module 'aws-sdk'" in answer["Payload"]["errorMessage"]


@needs_node_functions
def test_an_action_the_role_lacks_is_denied_to_the_sdk(
    cloud: LocalCloud, aws: Any, table: str
) -> None:
    """A role without dynamodb:DeleteTable gets DynamoDB's AccessDeniedException in JavaScript."""
    iam = aws("iam")
    role = iam.create_role(
        RoleName="node-sdk-narrow",
        AssumeRolePolicyDocument=json.dumps(
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
        ),
    )["Role"]["Arn"]
    source = """\
        import { DynamoDBClient, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
        const client = new DynamoDBClient({});
        export const handler = async (event) => {
          try {
            await client.send(new DeleteTableCommand({ TableName: event.table }));
            return { deleted: true };
          } catch (error) {
            return { name: error.name, status: error.$metadata?.httpStatusCode };
          }
        };
    """
    create_node_function(aws, "node-sdk-denied", {"index.mjs": source}, Role=role)
    answer = invoke(aws, "node-sdk-denied", {"table": table})
    assert answer["Payload"] == {"name": "AccessDeniedException", "status": 400}
    assert table in aws("dynamodb").list_tables()["TableNames"]


# ---------------------------------------------------------------- the seed's v2 handlers

V2_SDK = Path(sys.prefix) / "node-aws-sdk-v2"  # installed by `make test`
V2_SOURCE = Path(__file__).parent / "aws-sdk-v2"
needs_v2 = pytest.mark.skipif(
    not node_sdk.installed(V2_SDK, V2_SOURCE),
    reason="the v2 aws-sdk the seed's handlers bundle is not installed: `make test` installs it",
)

# Seed 003's two handlers, as its author wrote them (v2 SDK, a callback and an async handler).
SEED_CONNECT = """\
    var AWS = require("aws-sdk");
    AWS.config.update({ region: process.env.AWS_REGION });
    var DDB = new AWS.DynamoDB({ apiVersion: "2012-10-08" });

    exports.handler = function (event, context, callback) {
     var putParams = {
     TableName: process.env.TABLE_NAME,
     Item: {
     connectionId: { S: event.requestContext.connectionId }
     }
     };

     DDB.putItem(putParams, function (err) {
     callback(null, {
     statusCode: err ? 500 : 200,
     body: err ? "Failed to connect: " + JSON.stringify(err) : "Connected."
     });
     });
    };
"""

SEED_SEND_MESSAGE = (SAMPLE_CHAT / "sdk-v2" / "sendMessage.js").read_text()  # as seed 003 wrote it

# What a bundler leaves out of node_modules: types, docs and the browser build.
NOT_BUNDLED = (".d.ts", ".md", ".normal.json", ".examples.json")


def v2_zip(handler_source: str) -> bytes:
    """index.js and the v2 aws-sdk in node_modules, as the seed's author would upload them."""
    buffer = io.BytesIO()
    modules = V2_SDK / "node_modules"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("index.js", textwrap.dedent(handler_source))
        for path in sorted(modules.rglob("*")):
            relative = path.relative_to(modules)
            if (
                path.is_dir()
                or path.name.endswith(NOT_BUNDLED)
                or relative.parts[:2]
                == (
                    "aws-sdk",
                    "dist",
                )
            ):
                continue
            archive.write(path, f"node_modules/{relative.as_posix()}")
    return buffer.getvalue()


@needs_node_functions
@needs_v2
def test_the_seeds_javascript_chat_runs_as_written_with_v2_in_its_zip(
    cloud: LocalCloud, aws: Any
) -> None:
    """Seed 003's v2 handlers (v2 bundled) store connections, deliver, and prune on 410."""
    table = f"seed-chat-{uuid.uuid4().hex[:8]}"
    waits.create_table(
        aws("dynamodb"),
        TableName=table,
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(
        Name="seed-chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    for route_key, source in (("$connect", SEED_CONNECT), ("sendMessage", SEED_SEND_MESSAGE)):
        response = waits.create_function(
            aws("lambda"),
            FunctionName=f"{table}-{route_key.strip('$')}",
            Runtime=NODE_RUNTIME,
            Role=lambda_role(aws("iam")),
            Handler="index.handler",
            Code={"ZipFile": v2_zip(source)},
            Environment={"Variables": {"TABLE_NAME": table}},
            Timeout=10,
        )
        route(aws, cloud, api_id, route_key, response["FunctionArn"])
    apigw.create_stage(ApiId=api_id, StageName="beta", AutoDeploy=True)
    url = apigw.get_api(ApiId=api_id)["ApiEndpoint"] + "/beta"
    left = chat_and_prune(aws, url, table, "sendMessage")
    assert len(left) == 2  # alice and bob, stored by the $connect handler


# Seed 004's push, as its author wrote it for Node.js 8.10, with its placeholders filled: the
# endpoint is the stage's, and the keys are the learner's own, pasted as the post says (the kit's
# lessons never do this: their push uses the execution role's credentials, which are temporary
# and need their session token). "ar AWS" is the post's copy-paste slip for "var AWS".
SEED_PUSH = """\
    var AWS = require('aws-sdk');
    var dynamodb = new AWS.DynamoDB();
    exports.handler = (event, context) => {
    var paramsS = {
    TableName: "chatIdTable",
    ProjectionExpression: 'connectionId'
    }
    dynamodb.scan(paramsS, function(err, data) {
    if (err) console.log(err, err.stack); // an error occurred
    else console.log(data);
    var i;
    for (i = 0; i < data.Count; i++) {
    console.log(data.Items[i].connectionId.S);
    var params = {
    ConnectionId: data.Items[i].connectionId.S,
    Data: 'Hello from Lambda'
    };
    var apigatewaymanagementapi = new AWS.ApiGatewayManagementApi({
    apiVersion: "2018-11-29",
    endpoint: 'ENDPOINT',
    accessKeyId: 'ACCESS_KEY',
    secretAccessKey: 'SECRET_KEY'
    });
    apigatewaymanagementapi.postToConnection(params, function(err, data) {
    if (err) console.log(err, err.stack); // an error occurred
    else console.log(data); // successful response
    });
    }
    });
    }
"""

SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-12-06T12:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/push-every-minute"],
    "detail": {},
}


@needs_node_functions
@needs_v2
def test_the_seeds_javascript_push_runs_as_written_with_v2_in_its_zip(
    cloud: LocalCloud, aws: Any
) -> None:
    """Seed 004's push (a Node 8-style handler, v2 bundled), run by a scheduled event, reaches
    every connection stored by seed 003's $connect."""
    apigw = aws("apigatewayv2")
    api_id = apigw.create_api(
        Name="seed-push", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    waits.create_table(
        aws("dynamodb"),
        TableName="chatIdTable",
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    endpoint = f"{api_id}.execute-api.{cloud.region}.amazonaws.com/dev"
    created = {}
    for name, source in (
        ("seed-push-connect", SEED_CONNECT),
        (
            "seed-push",
            SEED_PUSH.replace("ENDPOINT", endpoint)
            .replace("ACCESS_KEY", LOCAL_KEYS["AWS_ACCESS_KEY_ID"])
            .replace("SECRET_KEY", LOCAL_KEYS["AWS_SECRET_ACCESS_KEY"]),
        ),
    ):
        created[name] = waits.create_function(
            aws("lambda"),
            FunctionName=name,
            Runtime=NODE_RUNTIME,
            Role=lambda_role(aws("iam")),
            Handler="index.handler",
            Code={"ZipFile": v2_zip(source)},
            Environment={"Variables": {"TABLE_NAME": "chatIdTable"}},
            Timeout=10,
        )["FunctionArn"]
    route(aws, cloud, api_id, "$connect", created["seed-push-connect"])
    apigw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    url = apigw.get_api(ApiId=api_id)["ApiEndpoint"] + "/dev"

    async def scenario() -> list[str]:
        async with websockets.connect(url) as alice, websockets.connect(url) as bob:
            pushed = await asyncio.to_thread(
                aws("lambda").invoke, FunctionName="seed-push", Payload=json.dumps(SCHEDULED_EVENT)
            )
            assert "FunctionError" not in pushed
            return [await recv_text(alice), await recv_text(bob)]

    try:
        assert run(scenario()) == ["Hello from Lambda", "Hello from Lambda"]
    finally:
        aws("dynamodb").delete_table(TableName="chatIdTable")


V2_GONE = """\
    const AWS = require('aws-sdk');

    const [endpoint, connectionId] = process.argv.slice(2);
    const api = new AWS.ApiGatewayManagementApi({ apiVersion: '2018-11-29', endpoint });
    api.postToConnection({ ConnectionId: connectionId, Data: 'hi' }).promise().then(
      () => console.log(JSON.stringify({ posted: true })),
      (e) => console.log(JSON.stringify({ code: e.code, statusCode: e.statusCode, name: e.name })),
    );
"""


@needs_sdk
@needs_v2
def test_a_post_to_a_gone_connection_is_v2s_gone_exception(
    tmp_path: Path, cloud: LocalCloud, lab: GatewayLab
) -> None:
    """With v2 bundled, a 410 is its error shape: code "GoneException", statusCode 410."""
    deployed = lab.deploy({"whoami": WHOAMI}, two_way=["whoami"])
    write(tmp_path, {"index.js": V2_GONE})
    (tmp_path / "node_modules").symlink_to(V2_SDK / "node_modules")  # as bundled in the zip
    endpoint = f"{deployed.api_id}.execute-api.{cloud.region}.amazonaws.com/{deployed.stage}"

    async def gone_connection() -> str:
        async with websockets.connect(deployed.url) as ws:
            return await whoami(ws)

    connection_id = run(gone_connection())
    answer = run_node(tmp_path, "index.js", node_env(cloud), endpoint, connection_id)
    assert answer == {"code": "GoneException", "statusCode": 410, "name": "GoneException"}
