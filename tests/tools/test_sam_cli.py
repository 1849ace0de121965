"""The real SAM CLI and AWS CLI deploy the chat's template onto a local cloud, as on AWS.

`sam deploy --resolve-s3` makes its managed stack (a bucket with a bucket policy), uploads the
code and the template, creates a change set from the template's URL, waits, and prints the
stack's outputs; `sam delete` removes the stack and its artefacts. `aws cloudformation package`
and `deploy` do the same with a bucket of one's own. `sam deploy` also deploys AWS's Node.js
sample chat (lambdas/chat-javascript/: ES modules on the runtime's SDK v3, nothing bundled). Each
tool runs in `.venv-sam/` (tests/tools/tools_env.py) with AWS_ENDPOINT_URL pointing at the module's cloud.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from infra.deploy.aws import client
from infra.local.aws import runtimes
from infra.local.cloud import LocalCloud
from infra.local.runtime import node_sdk
from tests.apps.helpers import receive, receive_until
from tests.apps.stacks import leftovers, settle
from tests.tools.tools_env import tool_environment, tools_bin

CHAT = Path(__file__).resolve().parents[2] / "lambdas" / "chat"
NODE_CHAT = CHAT.with_name("chat-javascript")  # AWS's sample, in Node.js
CAPABILITIES = ["--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]

pytestmark = pytest.mark.timeout(900)  # the first run installs the tools (a minute or two)


@pytest.fixture(scope="module")
def tools() -> Path:
    return tools_bin()


def runner(source: Path, cloud: LocalCloud, tools: Path, tmp_path: Path) -> Callable[..., str]:
    """Run `sam` or `aws` in a copy of an app's folder; returns what it printed, failing on error."""
    app = tmp_path / source.name
    shutil.copytree(source, app, ignore=shutil.ignore_patterns("__pycache__"))
    env = tool_environment(cloud.env(), tmp_path / "home")

    def run_tool(tool: str, *args: str) -> str:
        done = subprocess.run(
            [str(tools / tool), *args],
            cwd=app,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{tool} {' '.join(args)} failed:\n{output}"
        return output

    run_tool.app = app  # type: ignore[attr-defined]
    return run_tool


@pytest.fixture
def run(cloud: LocalCloud, tools: Path, tmp_path: Path) -> Callable[..., str]:
    """Run `sam` or `aws` in a copy of lambdas/chat."""
    return runner(CHAT, cloud, tools, tmp_path)


def outputs(stack: str) -> dict[str, str]:
    [found] = client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in found["Outputs"]}


def chat(url: str) -> tuple[dict, dict]:
    """ada's message as bob gets it, and the $default reply cyd gets for an unknown action."""

    async def scenario() -> tuple[dict, dict]:
        async with (
            connect(f"{url}?name=ada") as ada,
            connect(f"{url}?name=bob") as bob,
            connect(f"{url}?name=cyd") as cyd,
        ):
            await ada.send(json.dumps({"action": "sendMessage", "data": "hi from sam"}))
            message = await receive(bob)
            await cyd.send(json.dumps({"action": "dance"}))
            return message, await receive_until(cyd, lambda frame: frame["type"] == "help")

    return asyncio.run(scenario())


def gone(stack: str) -> bool:
    names = [s["StackName"] for s in client("cloudformation").describe_stacks()["Stacks"]]
    return stack not in names


def test_sam_deploy_chats_redeploys_and_sam_delete_leaves_nothing(cloud: LocalCloud, run) -> None:  # type: ignore[no-untyped-def]
    """`sam deploy --resolve-s3` deploys the chat, a change redeploys, `sam delete` leaves nothing."""
    deploy = [
        "deploy", "--resolve-s3", "--s3-prefix", "samchat", "--stack-name", "samchat",
        *CAPABILITIES, "--no-confirm-changeset", "--no-progressbar",
    ]  # fmt: skip
    printed = run("sam", *deploy)
    url = outputs("samchat")["WebSocketURL"]
    assert "Successfully created/updated stack - samchat" in printed
    assert url in printed  # the stack's outputs, printed
    message, helped = chat(url)
    assert message == {"type": "message", "from": "ada", "text": "hi from sam"}
    assert helped["type"] == "help" and "(v2)" not in helped["text"]

    default = run.app / "default.py"
    default.write_text(
        default.read_text().replace("to see who is here.", "to see who is here (v2).")
    )
    printed = run("sam", *deploy)
    assert "* Modify" in printed and "DefaultFunction" in printed  # a change set with an update
    assert "UPDATE_COMPLETE" in printed
    assert outputs("samchat")["WebSocketURL"] == url
    assert "(v2)" in chat(url)[1]["text"]  # the new code answers

    settle(cloud)
    run("sam", "delete", "--stack-name", "samchat", "--no-prompts")
    assert gone("samchat")
    assert leftovers("samchat") == []
    # As on AWS, the managed stack and its bucket stay for the next deploy; the artefacts under
    # the stack's prefix are deleted (the versioned bucket keeps their old versions).
    bucket = outputs("aws-sam-cli-managed-default")["SourceBucket"]
    left = client("s3").list_objects_v2(Bucket=bucket, Prefix="samchat/").get("Contents", [])
    assert left == []


def test_aws_cloudformation_package_and_deploy_the_chat(cloud: LocalCloud, run) -> None:  # type: ignore[no-untyped-def]
    """`aws cloudformation package` uploads the code, `deploy` makes the stack from the template's
    S3 URL, and the chat works; `delete-stack` leaves nothing."""
    client("s3").create_bucket(Bucket="cli-artifacts")
    run(
        "aws", "cloudformation", "package", "--template-file", "template.yaml",
        "--s3-bucket", "cli-artifacts", "--s3-prefix", "clichat",
        "--output-template-file", "packaged.yaml",
    )  # fmt: skip
    assert "s3://cli-artifacts/clichat/" in (run.app / "packaged.yaml").read_text()
    printed = run(
        "aws", "cloudformation", "deploy", "--template-file", "packaged.yaml",
        "--stack-name", "clichat", "--s3-bucket", "cli-artifacts", "--s3-prefix", "clichat",
        *CAPABILITIES, "--no-execute-changeset",
    )  # fmt: skip
    # The CLI's own wait after executing polls every 30 s: execute it, and wait, from here.
    [change_set] = re.findall(r"--change-set-name (\S+)", printed)
    run("aws", "cloudformation", "execute-change-set", "--change-set-name", change_set)
    waiter = client("cloudformation").get_waiter("stack_create_complete")
    waiter.wait(StackName="clichat", WaiterConfig={"Delay": 1})
    message, _ = chat(outputs("clichat")["WebSocketURL"])
    assert message == {"type": "message", "from": "ada", "text": "hi from sam"}

    settle(cloud)
    run("aws", "cloudformation", "delete-stack", "--stack-name", "clichat")
    waiter = client("cloudformation").get_waiter("stack_delete_complete")
    waiter.wait(StackName="clichat", WaiterConfig={"Delay": 1})
    assert gone("clichat")
    assert leftovers("clichat") == []


@pytest.mark.skipif(
    runtimes.runnable("nodejs22.x") is not None or not node_sdk.installed(),
    reason=runtimes.runnable("nodejs22.x") or "no AWS SDK for JavaScript: `make workshop`",
)
def test_sam_deploys_aws_node_sample_chat_which_chats_prunes_and_its_delete_leaves_nothing(
    cloud: LocalCloud, tools: Path, tmp_path: Path
) -> None:
    """AWS's Node.js sample (three CodeUri folders, ES modules on the runtime's SDK v3) deploys
    with `sam deploy --resolve-s3`, delivers a message to the other client, prunes a gone
    connection on 410, and deleting the stack leaves nothing of it."""
    run = runner(NODE_CHAT, cloud, tools, tmp_path)
    printed = run(
        "sam", "deploy", "--resolve-s3", "--s3-prefix", "nodechat", "--stack-name", "nodechat",
        *CAPABILITIES, "--no-confirm-changeset", "--no-progressbar",
    )  # fmt: skip
    assert "Successfully created/updated stack - nodechat" in printed
    # The sample's output builds the wss:// URL of AWS by hand; the API's own endpoint is local.
    api_id = client("cloudformation").describe_stack_resource(
        StackName="nodechat", LogicalResourceId="SimpleChatWebSocket"
    )["StackResourceDetail"]["PhysicalResourceId"]
    url = client("apigatewayv2").get_api(ApiId=api_id)["ApiEndpoint"] + "/Prod"
    table = "simplechat_connections"  # the template's default TableName
    dynamodb = client("dynamodb")
    # A connection that left without its $disconnect (a dropped client's can arrive late).
    dynamodb.put_item(TableName=table, Item={"connectionId": {"S": "R29uZU5vZGU="}})

    async def scenario() -> tuple[str, str]:
        async with connect(url) as ada, connect(url) as bob:
            await ada.send(json.dumps({"action": "sendmessage", "data": "hi from node"}))
            return await asyncio.wait_for(bob.recv(), 10), await asyncio.wait_for(ada.recv(), 10)

    assert asyncio.run(scenario()) == ("hi from node", "hi from node")
    deadline = time.monotonic() + 10  # the stale row goes after the live posts: wait for it
    while time.monotonic() < deadline:
        left = {item["connectionId"]["S"] for item in dynamodb.scan(TableName=table)["Items"]}
        if "R29uZU5vZGU=" not in left:
            break
        time.sleep(0.05)
    assert "R29uZU5vZGU=" not in left

    settle(cloud)
    # `sam delete` is tested on the Python chat above; its wait asks every 30 s, so here the
    # stack is deleted as the AWS CLI test deletes its own, with a waiter asking every second.
    run("aws", "cloudformation", "delete-stack", "--stack-name", "nodechat")
    waiter = client("cloudformation").get_waiter("stack_delete_complete")
    waiter.wait(StackName="nodechat", WaiterConfig={"Delay": 1})
    assert gone("nodechat")
    # As on AWS, only the log groups Lambda made for the functions stay: the sample's template
    # does not declare them (the kit's chat does, so its stack takes them along).
    left = leftovers("nodechat")
    assert len(left) == 3 and all(
        re.fullmatch(r"log group /aws/lambda/nodechat-On(Connect|Disconnect)Function-\w+", item)
        or re.fullmatch(r"log group /aws/lambda/nodechat-SendMessageFunction-\w+", item)
        for item in left
    ), left
    assert table not in dynamodb.list_tables()["TableNames"]
    assert api_id not in [api["ApiId"] for api in client("apigatewayv2").get_apis()["Items"]]
