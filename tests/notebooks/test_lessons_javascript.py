"""The appendix's helpers (lesson 11): handlers side by side, and the chat's `sendMessage` route
answered by AWS's Node.js handler (SDK v3) and by the chat's own JavaScript (SDK v2, bundled)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra import lessons
from infra.deploy import add_route, deploy_stage
from infra.deploy.functions import create_or_update_function
from infra.lessons import javascript as javascript_module
from infra.local.aws import runtimes
from infra.local.cloud import LocalCloud
from infra.local.runtime import node, node_sdk
from tests.local.runtime.test_node_sdk import V2_SDK, V2_SOURCE, v2_zip

NOT_RUNNABLE = runtimes.runnable(lessons.JAVASCRIPT_RUNTIME)
needs_node = pytest.mark.skipif(
    NOT_RUNNABLE is not None or not node_sdk.installed(),
    reason=NOT_RUNNABLE or "no AWS SDK for JavaScript v3: `make workshop` installs it",
)
needs_v2 = pytest.mark.skipif(
    not node_sdk.installed(V2_SDK, V2_SOURCE),
    reason="the v2 aws-sdk the seed's handler bundles is not installed: `make test` installs it",
)
V2_FUNCTION = "chat-sendMessage-v2"
GHOST = "ghostConnectionId"

# -- side by side ----------------------------------------------------------------------------


def test_side_by_side_puts_each_source_in_a_column_under_its_header() -> None:
    """One table cell per target, in order, each its header then the file, HTML-escaped."""
    shown = lessons.side_by_side("chat/send_message.py", "chat-javascript/sendmessage/app.mjs")
    page = shown._repr_html_()
    assert page.count("<td") == 2
    assert page.index("# lambdas/chat/send_message.py") < page.index(
        "# lambdas/chat-javascript/sendmessage/app.mjs"
    )
    assert "export const handler = async (event) =&gt;" in page
    assert "=>" not in page


def test_side_by_side_columns_share_the_width_and_wrap_at_spaces() -> None:
    """Two columns of half the width each, whose long lines wrap between words, never mid-name
    (JupyterLab's own style for an output's <pre> breaks anywhere)."""
    page = lessons.side_by_side("chat/send_message.py", "chat-javascript/sendmessage/app.mjs")
    html = page._repr_html_()
    assert html.count("width: 50%") == 2
    assert html.count("white-space: pre-wrap; word-break: normal") == 2


def test_side_by_side_as_text_is_each_source_after_its_header() -> None:
    """Printed, the columns come one after the other: header, then the code as source_of gives it."""
    text = str(
        lessons.side_by_side(("chat/common.py", "send"), "chat-javascript/sdk-v2/sendMessage.js")
    )
    python, javascript = text.split("\n\n# lambdas/chat-javascript/sdk-v2/sendMessage.js\n")
    assert (
        python
        == "# lambdas/chat/common.py :: send\n"
        + lessons.source_of("chat/common.py", "send").rstrip()
    )
    assert javascript.startswith("const AWS = require('aws-sdk');")


def test_side_by_side_refuses_an_exercises_answer() -> None:
    """A function holding a solution region is refused, as show_source refuses it."""
    with pytest.raises(lessons.AnswerShown):
        lessons.side_by_side("chat/send_message.py", ("chat/common.py", "nickname"))


# -- against a local cloud -------------------------------------------------------------------


@pytest.fixture(scope="module")
def chat_url(cloud: LocalCloud) -> str:
    """The finished chat, as the appendix's catch-up cell builds it."""
    url = lessons.catch_up(11)
    assert url is not None
    return url


def test_the_policy_allows_only_what_the_handler_does(chat_url: str) -> None:
    """Scan and DeleteItem on the table, posting to the chat's stage, its own log group."""
    api_id = lessons.chat_api_id()
    assert api_id is not None
    table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/chat-connections"
    statements = lessons.javascript_policy(table_arn, api_id)["Statement"]
    assert statements[0]["Action"] == ["dynamodb:Scan", "dynamodb:DeleteItem"]
    assert statements[1]["Resource"] == [
        f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/dev/POST/@connections/*"
    ]
    logs = json.dumps(statements[2:])
    assert f"/aws/lambda/{lessons.JAVASCRIPT_FUNCTION}:" in logs
    assert "/aws/lambda/chat-sendMessage:" not in logs


def test_without_node_the_deploy_says_so_in_one_line_and_returns_none(
    chat_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cloud that cannot run Node.js refuses the function; the helper prints that and skips."""
    monkeypatch.setattr(node, "for_runtime", lambda *args, **kwargs: None)
    monkeypatch.setattr(javascript_module, "JAVASCRIPT_FUNCTION", "chat-sendMessage-nonode")
    capsys.readouterr()
    assert lessons.deploy_javascript_send_message() is None
    refusal = [line for line in capsys.readouterr().out.splitlines() if "JavaScript" in line]
    assert len(refusal) == 1 and "needs Node.js 20 or later" in refusal[0]


@pytest.fixture(scope="module")
def javascript(chat_url: str) -> str:
    """The JavaScript sendMessage, deployed (twice: the second deploy changes nothing)."""
    name = lessons.deploy_javascript_send_message()
    assert name == lessons.JAVASCRIPT_FUNCTION
    assert lessons.deploy_javascript_send_message() == name
    return name


def on_the_route(function: str) -> None:
    """Point the chat's sendMessage route at ``function`` and deploy, as the appendix does."""
    api_id = lessons.chat_api_id()
    assert api_id is not None
    add_route(api_id, "sendMessage", function)
    deploy_stage(api_id, lessons.STAGE)


@pytest.fixture
def routed_back(chat_url: str) -> Iterator[None]:
    """Whatever a test points the route at, the Python function answers it afterwards."""
    yield
    on_the_route("chat-sendMessage")


@needs_node
def test_the_javascript_function_is_nodejs22_with_its_own_role(javascript: str) -> None:
    """nodejs22.x, app.handler, the chat's table, a role of its own; tagged as the chat's."""
    function = boto3.client("lambda").get_function(FunctionName=javascript)
    config = function["Configuration"]
    assert (config["Runtime"], config["Handler"]) == ("nodejs22.x", "app.handler")
    assert config["Environment"]["Variables"] == {"TABLE_NAME": "chat-connections"}
    assert config["Role"].endswith(":role/workshop/chat-sendMessage-js-role")
    assert function["Tags"]["workshop:app"] == "chat"


def ghost_is_gone() -> bool:
    return GHOST not in [row["connectionId"] for row in lessons.table_rows("chat-connections")]


def chat_with_a_ghost(url: str) -> tuple[Any, Any]:
    """ada says hello with a ghost row in the table: what bob and ada receive."""
    boto3.resource("dynamodb").Table("chat-connections").put_item(
        Item={"connectionId": GHOST, "name": "ghost"}
    )
    with (
        lessons.WsCat(url + "?name=ada", quiet=True) as ada,
        lessons.WsCat(url + "?name=bob", quiet=True) as bob,
    ):
        ada.send({"action": "sendMessage", "data": "hello"})
        return bob.receive(timeout=15), ada.receive(timeout=15)


@needs_node
def test_on_the_route_it_posts_the_plain_text_to_everyone_and_prunes(
    javascript: str, chat_url: str, routed_back: None
) -> None:
    """AWS's handler relays `data` as is, to the sender too, deletes the ghost and logs a framed
    INFO line."""
    on_the_route(javascript)
    started = lessons.now_ms()
    assert chat_with_a_ghost(chat_url) == ("hello", "hello")
    assert lessons.wait_until(ghost_is_gone, timeout=10)
    [line] = lessons.recent_logs(javascript, since_ms=started, contains=GHOST, wait=5)
    _, request_id, level, message = line.split("\t")
    assert (level, message) == ("INFO", f"Found stale connection, deleting {GHOST}")
    assert len(request_id) == 36


def test_pointed_back_the_python_function_answers_as_lesson_05(
    chat_url: str, routed_back: None
) -> None:
    """After the appendix's last step, the Python frames again: JSON, to the others only."""
    on_the_route("chat-sendMessage")
    with (
        lessons.WsCat(chat_url + "?name=ada", quiet=True) as ada,
        lessons.WsCat(chat_url + "?name=bob", quiet=True) as bob,
    ):
        ada.send({"action": "sendMessage", "data": "back"})
        assert bob.receive(timeout=10) == {"type": "message", "from": "ada", "text": "back"}
        with pytest.raises(TimeoutError):
            ada.receive(timeout=0.5)


@needs_node
@needs_v2
def test_the_sdk_v2_handler_it_shows_runs_the_same_with_v2_bundled(
    javascript: str, chat_url: str, routed_back: None
) -> None:
    """lambdas/chat-javascript/sdk-v2/sendMessage.js, zipped with the v2 aws-sdk, relays and prunes
    on the chat's route as the v3 one does."""
    source = (lessons.LAMBDAS / "chat-javascript" / "sdk-v2" / "sendMessage.js").read_text()
    role = boto3.client("iam").get_role(RoleName=f"{javascript}-role")["Role"]["Arn"]
    create_or_update_function(
        "chat",
        V2_FUNCTION,
        "index.handler",
        role,
        v2_zip(source),
        environment={"TABLE_NAME": "chat-connections"},
        runtime=lessons.JAVASCRIPT_RUNTIME,
    )
    on_the_route(V2_FUNCTION)
    assert chat_with_a_ghost(chat_url) == ("hello", "hello")
    assert lessons.wait_until(ghost_is_gone, timeout=10)
