"""Lessons 04 and 05's checks: a learner's `send` and `on_default` are tested, then deployed."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra import lessons
from infra.challenges import CheckFailed, lesson04, lesson05
from infra.challenges.lambda_code import with_function
from infra.deploy import package_lambda
from infra.deploy.packaging import code_sha256
from infra.local.cloud import LocalCloud


@pytest.fixture(scope="module")
def chat_url(cloud: LocalCloud) -> str:
    """The chat as lesson 04 starts it: $connect and $disconnect deployed to dev."""
    url = lessons.catch_up(4)
    assert url is not None
    return url


@pytest.fixture
def ada(chat_url: str) -> Iterator[tuple[lessons.WsCat, str, Any]]:
    """ada connected, her connection id, and an @connections client for the stage."""
    name = f"ada{secrets.token_hex(3)}"  # an earlier test's ada may not be gone yet
    with lessons.WsCat(chat_url + f"?name={name}", quiet=True) as client:
        rows = lessons.table_rows("chat-connections")
        ada_id = next(row["connectionId"] for row in rows if row["name"] == name)
        endpoint = chat_url.replace("ws://", "http://")
        yield client, ada_id, boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)


def good_send(api: Any, table: Any, connection: str, frame: dict) -> bool:
    try:
        api.post_to_connection(ConnectionId=connection, Data=json.dumps(frame).encode())
    except ClientError as error:
        if error.response["Error"]["Code"] != "GoneException":
            raise
        print(f"pruned {connection}")
        table.delete_item(Key={"connectionId": connection})
        return False
    return True


def swallowing_send(api: Any, table: Any, connection: str, frame: dict) -> bool:
    try:
        api.post_to_connection(ConnectionId=connection, Data=json.dumps(frame).encode())
    except ClientError:
        table.delete_item(Key={"connectionId": connection})
        return False
    return True


def careless_send(api: Any, table: Any, connection: str, frame: dict) -> bool:
    api.post_to_connection(ConnectionId=connection, Data=json.dumps(frame).encode())
    return True


def stub_send(api: Any, table: Any, connection: str, frame: dict) -> bool:
    pass


def test_with_function_replaces_only_that_def() -> None:
    """The module keeps everything but the def of the learner's function's name."""
    imports = "import json\n\nfrom botocore.exceptions import ClientError\n"
    module = imports + "\n\ndef good_send(a):\n    return 1\n\n\ndef other():\n    return 2\n"
    text = with_function(module, good_send)
    assert "def other():\n    return 2" in text and "return 1" not in text
    assert "def send(" in with_function(imports + "def send(a):\n    return 1\n", good_send, "send")
    assert 'print(f"pruned {connection}")' in text


def test_a_working_send_passes_and_runs_in_chat_send_message(
    ada: tuple[lessons.WsCat, str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """The right send passes in one ✓ line, and chat-sendMessage's code is the chat's with it."""
    client, ada_id, connections = ada
    lesson04.send_and_prune(good_send, connections, client, ada_id)
    assert capsys.readouterr().out.splitlines()[-1].startswith("✓ send posts")
    deployed = boto3.client("lambda").get_function(FunctionName="chat-sendMessage")
    expected = code_sha256(lesson04_zip(good_send))
    assert deployed["Configuration"]["CodeSha256"] == expected


def lesson04_zip(send: Any) -> bytes:
    from infra.challenges.lambda_code import zip_with

    return zip_with("chat", "common.py", send, "send")


def test_a_send_that_swallows_every_error_fails_naming_the_other_error(
    ada: tuple[lessons.WsCat, str, Any],
) -> None:
    """Pruning on any error deletes a live row: the check says only GoneException means gone."""
    client, ada_id, connections = ada
    with pytest.raises(CheckFailed, match="deleted the row of a connection that is not gone"):
        lesson04.send_and_prune(swallowing_send, connections, client, ada_id)


def test_a_send_that_lets_gone_out_fails_saying_what_to_catch(
    ada: tuple[lessons.WsCat, str, Any],
) -> None:
    """A send without the except: the check says to catch GoneException and return False."""
    client, ada_id, connections = ada
    with pytest.raises(CheckFailed, match="let a GoneException out"):
        lesson04.send_and_prune(careless_send, connections, client, ada_id)


def test_a_stub_send_is_not_done_and_the_kit_deploys_its_own(
    ada: tuple[lessons.WsCat, str, Any], lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the stub the check says ◻ and chat-sendMessage runs the kit's code."""
    client, ada_id, connections = ada
    lesson04.send_and_prune(stub_send, connections, client, ada_id)
    assert capsys.readouterr().out.startswith("◻ Not done yet: send posts nothing yet")
    deployed = boto3.client("lambda").get_function(FunctionName="chat-sendMessage")
    assert deployed["Configuration"]["CodeSha256"] == code_sha256(package_lambda("chat"))


def test_a_post_of_text_not_json_fails_the_post_check(ada: tuple[lessons.WsCat, str, Any]) -> None:
    """ada receiving "hi ada" (not the JSON object) fails, saying what Data should be."""
    client, ada_id, connections = ada
    connections.post_to_connection(ConnectionId=ada_id, Data=b"hi ada")
    with pytest.raises(CheckFailed, match="json.dumps"):
        lesson04.post_to_connection(client, ada_id, connections)


HELP = lesson05.HELP  # as the lesson has it: default.py, where the function runs, has HELP too


def help_reply(event: dict) -> dict:
    return {"statusCode": 200, "body": json.dumps(HELP)}


def dict_reply(event: dict) -> dict:
    return {"statusCode": 200, "body": HELP}


def notebook_help_reply(event: dict) -> dict:
    return {"statusCode": 200, "body": json.dumps(lesson05.HELP)}


def test_a_reply_using_a_notebook_name_fails_before_it_is_deployed(chat_url: str) -> None:
    """`lesson05` exists in the notebook, not in default.py: the check says so, naming it."""
    with pytest.raises(CheckFailed, match="uses lesson05, which the Lambda's module"):
        lesson05.default_reply(notebook_help_reply, chat_url)


def test_a_body_that_is_a_dict_fails_saying_it_must_be_text(chat_url: str) -> None:
    """The route response sends text: a dict body fails, pointing at json.dumps."""
    with pytest.raises(CheckFailed, match="json.dumps"):
        lesson05.default_reply(dict_reply, chat_url)


def test_the_help_reply_passes_and_a_wrong_action_gets_it_from_chat_default(
    chat_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The right on_default passes; deployed with the whole chat, a typo's frame gets HELP."""
    url = lessons.catch_up(5)
    capsys.readouterr()
    lesson05.default_reply(help_reply, url)
    assert capsys.readouterr().out.startswith("✓ on_default replies with HELP")
    with lessons.WsCat(url + "?name=typo", quiet=True) as client:
        client.send({"action": "sendmessage", "data": "hi"})
        assert client.receive() == lesson05.HELP


def test_a_send_that_ignores_its_api_fails_saying_use_api(
    ada: tuple[lessons.WsCat, str, Any],
) -> None:
    """A send that posts with the notebook's `connections`, not its `api`, is named as such."""
    client, ada_id, connections = ada

    def notebook_send(api: Any, table: Any, connection: str, frame: dict) -> bool:
        return good_send(connections, table, connection, frame)

    with pytest.raises(CheckFailed, match="another client than its `api` parameter"):
        lesson04.send_and_prune(notebook_send, connections, client, ada_id)


def test_an_untouched_post_says_only_its_one_line(
    ada: tuple[lessons.WsCat, str, Any], lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the stub, the kit's post is not printed: the ◻ line is all the cell shows."""
    client, ada_id, connections = ada
    client.quiet = False  # the lesson's ada prints what she receives
    lesson04.post_to_connection(client, ada_id, connections)
    said = capsys.readouterr().out
    assert said.startswith("◻ Not done yet: ada received nothing from your cell")
    assert said.count("\n") == 1


class Bob:
    """What the check reads of bob's chat widget: (sender, text) of each message."""

    def __init__(self, *messages: tuple[str, str]) -> None:
        self.messages = list(messages)


def test_carol_s_latest_message_is_judged_not_her_first() -> None:
    """A wrong frame ('' for bob), then a right one: the check passes on the right one."""
    bob = Bob(("carol", ""), ("ada", "hi"), ("carol", "hi, I am carol"))
    lesson05.own_client_frame(None, bob)  # type: ignore[arg-type]


def test_carol_s_latest_message_without_text_fails() -> None:
    """A right frame, then a wrong one: the latest shows as '', and the check says so."""
    bob = Bob(("carol", "hi, I am carol"), ("carol", ""))
    with pytest.raises(CheckFailed, match="carol's latest message as ''"):
        lesson05.own_client_frame(None, bob)  # type: ignore[arg-type]


def forgetful_reply(event: dict) -> dict:  # type: ignore[return]
    """Any frame no route matched gets the help frame back."""
    {"statusCode": 200, "body": json.dumps(HELP)}  # noqa: B018 (no return: the learner's slip)


def test_a_written_reply_without_return_fails_not_the_kit(
    chat_url: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """on_default with code but no return gets ✗ saying return, not ◻ "the kit did it"."""
    with pytest.raises(CheckFailed, match="your on_default returned None: return a dict"):
        lesson05.default_reply(forgetful_reply, chat_url)
    assert "◻" not in capsys.readouterr().out


def test_only_a_stub_counts_as_not_written() -> None:
    """A docstring and pass is a stub; any other statement is the learner's code."""
    assert not lesson04.written(stub_send)
    assert lesson04.written(forgetful_reply) and lesson04.written(careless_send)
