"""infra.lessons: what the lesson notebooks call besides the deploy steps and widgets."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from infra import lessons
from infra.deploy import deploy_app
from infra.local.cloud import LocalCloud

# -- pure helpers ----------------------------------------------------------------------------


def test_source_of_a_path_is_the_whole_lambdas_file() -> None:
    """A relative path is read from lambdas/ and returned whole."""
    assert lessons.source_of("chat/connect.py") == (lessons.LAMBDAS / "chat/connect.py").read_text()


def test_source_of_a_name_is_only_that_function() -> None:
    """With a name, only that top-level function's lines come back."""
    source = lessons.source_of("chat/common.py", "name_of")
    assert source.startswith("def name_of(")
    assert "def scan_connections" not in source


def test_source_of_a_missing_name_raises_lookup_error() -> None:
    """Asking for a function the file lacks is a LookupError, not an empty string."""
    with pytest.raises(LookupError):
        lessons.source_of("chat/common.py", "no_such_function")


def test_source_of_an_object_is_its_inspected_source() -> None:
    """A Python object is shown with inspect.getsource."""
    assert lessons.source_of(lessons.now_ms).startswith("def now_ms()")


def test_show_source_prints_where_the_code_lives(capsys: pytest.CaptureFixture[str]) -> None:
    """The first printed line names the file and function."""
    lessons.show_source("chat/common.py", "name_of")
    assert capsys.readouterr().out.splitlines()[0] == "# lambdas/chat/common.py :: name_of"


def test_show_source_shows_a_kit_file_the_learners_lab_hides(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An infra/ path is the kit's file, and a name may be a top-level assignment (CHAT = ...)."""
    lessons.show_source("infra/deploy/apps.py", "CHAT")
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["# infra/deploy/apps.py :: CHAT", "CHAT = AppPlan("]
    assert lines[-1] == ")"


def test_template_text_is_the_resources_as_the_file_has_them() -> None:
    """A resource's lines come back exactly as written, from its key to the next resource."""
    text = lessons.template_text("chat/template.yaml", "SendMessageRoute")
    assert text.startswith("  SendMessageRoute:\n    Type: AWS::ApiGatewayV2::Route\n")
    assert "RouteKey: sendMessage" in text and "SendMessagePermission" not in text
    assert text in (lessons.LAMBDAS / "chat/template.yaml").read_text()


def test_template_text_cuts_an_exercises_answer_out() -> None:
    """The Deployment is shown without the answer's WhisperRoute; the whisper route is refused."""
    text = lessons.template_text("chat/template.yaml", "Deployment", "Outputs")
    assert "- SendMessageRoute\n      - DefaultRoute\n" in text and "Whisper" not in text
    assert "SOLUTION" not in text and "Outputs:\n  WebSocketURL:" in text
    with pytest.raises(lessons.AnswerShown):
        lessons.template_text("chat/template.yaml", "WhisperRoute")
    with pytest.raises(LookupError):
        lessons.template_text("chat/template.yaml", "NoSuchResource")


def test_room_invitation_warns_about_a_loopback_address() -> None:
    """A 127.0.0.1 URL is explained as reachable from this machine only."""
    assert "only works on this machine" in lessons.room_invitation("ws://127.0.0.1:9/a/dev")


def test_room_invitation_for_a_lan_address_is_a_chat_client_line() -> None:
    """A reachable URL becomes a ChatClient line to pass on."""
    invitation = lessons.room_invitation("ws://192.0.2.7:4599/a/dev")
    assert invitation == "Join me: ChatClient('ws://192.0.2.7:4599/a/dev', 'your name')"


def test_chat_route_of_an_unknown_key_raises_lookup_error() -> None:
    """Only the chat plan's routes have functions."""
    with pytest.raises(LookupError):
        lessons.chat_route("dance")


class FakePlayer:
    """Just enough of TicTacToe for play_and_wait: play, frame_count, wait_for."""

    def __init__(self) -> None:
        self.played: list[tuple[int, int]] = []
        self.frames: list[dict[str, Any]] = []
        self.opponent: FakePlayer | None = None

    @property
    def frame_count(self) -> int:
        return len(self.frames)

    def play(self, row: int, col: int) -> None:
        self.played.append((row, col))
        assert self.opponent is not None
        self.opponent.frames.append({"type": "state", "last": {"row": row, "col": col}})

    def wait_for(self, predicate: Any, timeout: float, since: int) -> dict[str, Any]:
        return next(frame for frame in self.frames[since:] if predicate(frame))


def test_play_and_wait_returns_the_state_the_opponent_saw() -> None:
    """The player's move is sent and the opponent's matching state frame comes back."""
    x, o = FakePlayer(), FakePlayer()
    x.opponent, o.opponent = o, x
    o.frames.append({"type": "state", "last": {"row": 2, "col": 2}})  # an older move
    state = lessons.play_and_wait(x, o, 0, 1)
    assert x.played == [(0, 1)]
    assert state["last"] == {"row": 0, "col": 1}


# -- against a local cloud -------------------------------------------------------------------


def console_event(connection_id: str) -> dict[str, Any]:
    """The classic tutorial's console test event: just a connection id."""
    return {"requestContext": {"connectionId": connection_id}}


def post(stage_url: str, connection_id: str, frame: dict[str, Any]) -> None:
    """Post a frame to a connection as a backend does (lesson 04's call)."""
    endpoint = stage_url.replace("ws://", "http://")
    api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    api.post_to_connection(ConnectionId=connection_id, Data=json.dumps(frame).encode())


@pytest.fixture(scope="module")
def chat_url(cloud: LocalCloud) -> str:
    """The chat app as lesson 04 starts it: $connect and $disconnect deployed to dev."""
    url = lessons.catch_up(4)
    assert url is not None
    return url


def test_catch_up_before_lesson_02_builds_nothing(cloud: LocalCloud) -> None:
    """Lesson 01 starts from an empty cloud: there is no stage URL yet."""
    assert lessons.catch_up(1) is None


def test_catch_up_to_lesson_04_deploys_connect_and_disconnect(chat_url: str) -> None:
    """After lesson 03 the API has exactly the $connect and $disconnect routes."""
    api_id = lessons.chat_api_id()
    assert api_id is not None and chat_url.endswith(f"/{api_id}/dev")
    assert lessons.routes_of(api_id) == ["$connect", "$disconnect"]


def test_invoke_returns_the_payload_and_stores_the_row(chat_url: str) -> None:
    """Invoking chat-connect with the test event returns 200 and stores the row."""
    result = lessons.invoke("chat-connect", console_event("invokeTest"))
    assert (result.error, result.payload) == (None, {"statusCode": 200})
    assert {"connectionId": "invokeTest", "name": "guest"} in lessons.table_rows("chat-connections")


def test_invoke_returns_the_log_tail(chat_url: str) -> None:
    """LogType=Tail brings back the end of the log, with the REPORT line."""
    result = lessons.invoke("chat-disconnect", console_event("tailTest"))
    assert "REPORT RequestId" in result.log_tail


def test_recent_logs_reads_the_functions_log_group(chat_url: str) -> None:
    """After an invocation, filter_log_events finds its START line."""
    since = lessons.now_ms()
    lessons.invoke("chat-connect", console_event("logsTest"))
    assert lessons.recent_logs("chat-connect", since_ms=since, contains="START")


def test_recent_logs_of_a_function_that_never_logged_is_empty(chat_url: str) -> None:
    """A missing log group is no error, just no lines."""
    assert lessons.recent_logs("no-such-function") == []


def test_wscat_receives_what_the_backend_posts(
    chat_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A frame posted to a WsCat connection through @connections is received and printed."""
    with lessons.WsCat(chat_url + "?name=wscat") as cat:
        rows = lessons.table_rows("chat-connections")
        connection = next(row["connectionId"] for row in rows if row["name"] == "wscat")
        post(chat_url, connection, {"hello": 1})
        assert cat.receive() == {"hello": 1}
    assert '< {"hello": 1}' in capsys.readouterr().out


def test_remove_route_deletes_the_route_once(chat_url: str) -> None:
    """The route disappears; removing it again reports False."""
    api_id = lessons.chat_api_id()
    assert api_id is not None
    role = boto3.client("iam").get_role(RoleName="chat-lambda-role")["Role"]["Arn"]
    from infra.deploy import add_route

    add_route(api_id, "whisper", lessons.chat_function("whisper", role))
    assert lessons.remove_route(api_id, "whisper") is True
    assert "whisper" not in lessons.routes_of(api_id)
    assert lessons.remove_route(api_id, "whisper") is False


def test_chat_policy_is_the_policy_deploy_app_gives_the_role(chat_url: str) -> None:
    """Lessons and deploy_app("chat") agree on the role's policy, so neither keeps rewriting it."""
    deploy_app("chat")
    table_arn = boto3.client("dynamodb").describe_table(TableName="chat-connections")["Table"][
        "TableArn"
    ]
    deployed = boto3.client("iam").get_role_policy(
        RoleName="chat-lambda-role", PolicyName="least-privilege"
    )["PolicyDocument"]
    assert lessons.chat_policy(table_arn) == deployed


def test_route_summary_shows_the_default_route_response(chat_url: str) -> None:
    """The chat's $default route replies through a $default route response."""
    deploy_app("chat")
    api_id = lessons.chat_api_id()
    assert api_id is not None
    assert lessons.route_summary(api_id, "$default") == {
        "RouteKey": "$default",
        "Function": "chat-default",
        "RouteResponseSelectionExpression": "$default",
        "RouteResponses": ["$default"],
    }


def test_wscat_receive_of_type_skips_other_frames(chat_url: str) -> None:
    """receive(of_type=...) returns the first frame of that type, past frames of other types."""
    with lessons.WsCat(chat_url + "?name=typed", quiet=True) as cat:
        rows = lessons.table_rows("chat-connections")
        connection = next(row["connectionId"] for row in rows if row["name"] == "typed")
        post(chat_url, connection, {"type": "changes"})
        post(chat_url, connection, {"type": "list", "n": 1})
        assert cat.receive(of_type="list") == {"type": "list", "n": 1}


@pytest.mark.parametrize(
    ("path", "name"),
    [("chat/common.py", "nickname"), ("chat/common.py", "connections_named"),
     ("chat/common.py", None), ("chat/default.py", "who_is_online"),
     ("push/push.py", "push_to_all"), ("chat/default.py", None)],
)  # fmt: skip
def test_a_lesson_cannot_show_an_exercises_answer(path: str, name: str | None) -> None:
    """Code holding a solution region is refused, so no lesson prints an exercise's answer."""
    with pytest.raises(lessons.AnswerShown, match="holds an exercise's answer"):
        lessons.source_of(path, name)


def test_catch_up_app_leaves_the_lessons_own_steps_out(cloud: LocalCloud) -> None:
    """The arena's catch-up wires every route but gives `list` no route response and maps no
    stream; the push app's has no schedule; the game's table has no TTL."""
    url = lessons.catch_up_app("arena")
    api_id = url.rstrip("/").split("/")[-2]
    assert lessons.route_summary(api_id, "list")["RouteResponses"] == []
    assert lessons.stream_mappings("arena-tableTriggers") == []
    lessons.catch_up_app("push")
    assert boto3.client("scheduler").list_schedules(NamePrefix="push-")["Schedules"] == []
    assert boto3.client("events").list_rules(NamePrefix="push-")["Rules"] == []
    lessons.catch_up_app("tictactoe")
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName="tictactoe-games")
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"


def test_catch_up_app_keeps_what_the_lesson_added(cloud: LocalCloud) -> None:
    """After deploy_app (or the lesson's own cells), catching up again undoes nothing."""
    url = deploy_app("arena")
    lessons.catch_up_app("arena")
    api_id = url.rstrip("/").split("/")[-2]
    assert lessons.route_summary(api_id, "list")["RouteResponses"] == ["$default"]
    assert len(lessons.stream_mappings("arena-tableTriggers")) == 1


def test_wait_until_answers_whether_the_condition_came_true() -> None:
    """True as soon as the condition holds; False once the timeout has passed."""
    calls: list[int] = []
    assert lessons.wait_until(lambda: calls.append(1) or len(calls) >= 3, timeout=5)
    assert len(calls) == 3
    assert not lessons.wait_until(lambda: False, timeout=0.2)
