"""Lessons 04 and 05's checks: a learner's `send` and `on_default` are tested, then deployed."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra import challenges, lessons
from infra.challenges import CheckFailed, lesson04, lesson05
from infra.challenges.lambda_code import with_function
from infra.deploy import package_lambda
from infra.deploy.packaging import code_sha256
from infra.local.cloud import LocalCloud


@pytest.fixture
def lenient() -> Iterator[None]:
    was = challenges.is_strict()
    challenges.strict(False)
    yield
    challenges.strict(was)


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


def stub_send(api: Any, table: Any, connection: str, frame: dict) -> bool:  # type: ignore[return]
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
