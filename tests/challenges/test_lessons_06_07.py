"""Lessons 06 and 07's checks: the list route's reply, the stream mapping, winner(), TTL."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from infra import lessons
from infra.challenges import CheckFailed, lesson06, lesson07
from infra.deploy import add_route_response, deploy_stage, enable_stream, find_api, map_stream
from infra.deploy.tables import delete_table
from infra.local.cloud import LocalCloud
from tests import waits


@pytest.fixture(scope="module")
def arena(cloud: LocalCloud) -> str:
    """The arena as lesson 06 starts it: one-way list, stream mapped to nothing; its API id."""
    lessons.catch_up_app("arena")
    api = find_api("arena", "arena-api")
    assert api is not None
    return str(api["ApiId"])


def test_a_one_way_list_is_not_done_and_the_kit_makes_it_two_way(
    arena: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the untouched lesson the check says ◻ in one line, and then list answers."""
    lesson06.list_reply()
    out = capsys.readouterr().out
    assert (
        out.startswith("◻ Not done yet: the list route is still one-way") and out.count("\n") == 1
    )
    lesson06.list_reply()
    assert capsys.readouterr().out.startswith("✓ list is two-way and deployed")


def test_a_route_response_not_deployed_fails_saying_deploy(arena: str) -> None:
    """A route response added after the stage's deployment: the check says to deploy."""
    apis = boto3.client("apigatewayv2")
    deployments = apis.get_deployments(ApiId=arena)["Items"]
    oldest = min(deployments, key=lambda deployment: deployment["CreatedDate"])
    add_route_response(arena, "list")
    apis.update_stage(ApiId=arena, StageName="dev", DeploymentId=oldest["DeploymentId"])
    try:
        with pytest.raises(CheckFailed, match="deploy"):
            lesson06.list_reply()
    finally:
        deploy_stage(arena)


def test_the_catch_up_leaves_the_stream_and_its_permission_to_the_lesson(arena: str) -> None:
    """Lesson 06 starts with the table's stream off and a role that may not read a stream."""
    table = boto3.client("dynamodb").describe_table(TableName="arena-connections")["Table"]
    assert not table.get("StreamSpecification", {}).get("StreamEnabled")
    policy = boto3.client("iam").get_role_policy(
        RoleName="arena-lambda-role", PolicyName="least-privilege"
    )["PolicyDocument"]
    assert "TableStream" not in [statement.get("Sid") for statement in policy["Statement"]]


def test_stream_read_with_the_stream_off_says_switch_it_on(arena: str) -> None:
    """The stream-read check before the update_table cell: run that cell first, it says."""
    with pytest.raises(CheckFailed, match="the stream of arena-connections is off"):
        lesson06.stream_readable()


def _put_stream_statement(actions: list[str], resource: str) -> None:
    iam = boto3.client("iam")
    policy = iam.get_role_policy(RoleName="arena-lambda-role", PolicyName="least-privilege")[
        "PolicyDocument"
    ]
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "TableStream"]
    policy["Statement"].append(
        {"Sid": "TableStream", "Effect": "Allow", "Action": actions, "Resource": resource}
    )
    iam.put_role_policy(
        RoleName="arena-lambda-role",
        PolicyName="least-privilege",
        PolicyDocument=json.dumps(policy),
    )


def test_stream_read_wants_all_four_actions_on_the_stream_only(
    arena: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Untouched: ◻ and the kit adds it; three actions: ✗ names the fourth; dynamodb:*: too broad."""
    enable_stream("arena-connections")
    capsys.readouterr()
    lesson06.stream_readable()
    assert capsys.readouterr().out.startswith("◻ Not done yet: arena-lambda-role may not read")
    lesson06.stream_readable()
    assert capsys.readouterr().out.startswith("✓ arena-lambda-role may read the stream")
    table_arn = boto3.client("dynamodb").describe_table(TableName="arena-connections")["Table"][
        "TableArn"
    ]
    three = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    _put_stream_statement(three, f"{table_arn}/stream/*")
    with pytest.raises(CheckFailed, match="may not yet dynamodb:ListStreams"):
        lesson06.stream_readable()
    _put_stream_statement(["dynamodb:*"], f"{table_arn}/stream/*")
    with pytest.raises(CheckFailed, match="too broad"):
        lesson06.stream_readable()
    _put_stream_statement([*three, "dynamodb:ListStreams"], f"{table_arn}/stream/*")
    lesson06.stream_readable()
    assert capsys.readouterr().out.startswith("✓")


def test_the_catch_up_keeps_the_stream_once_the_lesson_switched_it_on(arena: str) -> None:
    """Run again after the lesson's stream cells, the catch-up keeps the stream and its reading."""
    lessons.catch_up_app("arena")
    table = boto3.client("dynamodb").describe_table(TableName="arena-connections")["Table"]
    assert table["StreamSpecification"]["StreamEnabled"]
    policy = boto3.client("iam").get_role_policy(
        RoleName="arena-lambda-role", PolicyName="least-privilege"
    )["PolicyDocument"]
    assert "TableStream" in [statement.get("Sid") for statement in policy["Statement"]]


def test_no_mapping_is_a_failure_when_strict_and_the_kit_maps_it(arena: str, strict: None) -> None:
    """Strict (the solved lesson): not done fails, yet the mapping is made for the next cells."""
    lambda_ = boto3.client("lambda")
    for mapping in lambda_.list_event_source_mappings(FunctionName="arena-tableTriggers")[
        "EventSourceMappings"
    ]:
        waits.delete_event_source_mapping(lambda_, mapping["UUID"])
    with pytest.raises(CheckFailed, match="not done: nothing maps the stream"):
        lesson06.stream_mapped()
    assert [m["State"] for m in lessons.stream_mappings("arena-tableTriggers")] == ["Enabled"]


def test_a_second_mapping_fails_saying_each_move_would_be_told_twice(
    arena: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two mappings of the stream to the trigger: the check asks to delete all but one."""
    lambda_ = boto3.client("lambda")
    uuid = map_stream("arena-connections", "arena-tableTriggers")
    capsys.readouterr()
    lesson06.stream_mapped()
    assert capsys.readouterr().out.startswith("✓ the stream of arena-connections invokes")
    stream = boto3.client("dynamodb").describe_table(TableName="arena-connections")["Table"]
    extra = waits.create_event_source_mapping(
        lambda_,
        EventSourceArn=stream["LatestStreamArn"],
        FunctionName="arena-tableTriggers",
        StartingPosition="LATEST",
    )["UUID"]
    try:
        with pytest.raises(CheckFailed, match="2 mappings read the stream"):
            lesson06.stream_mapped()
    finally:
        waits.delete_event_source_mapping(lambda_, extra)
    assert lessons.stream_mappings("arena-tableTriggers")[0]["State"] == "Enabled", uuid


def right_winner(board: str) -> str | None:
    for a, b, c in [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8)]:
        if board[a] != "." and board[a] == board[b] == board[c]:
            return board[a]
    if board[2] != "." and board[2] == board[4] == board[6]:
        return board[2]
    return None if "." in board else "draw"


def draw_first_winner(board: str) -> str | None:
    """Says draw for a full board before looking for a line."""
    if "." not in board:
        return "draw"
    return right_winner(board)


def stub_winner(board: str) -> str | None:
    """As the learner's copy has it: the docstring, then pass."""
    pass


def test_a_right_winner_passes(capsys: pytest.CaptureFixture[str]) -> None:
    """Lines, draws and games going on: one ✓ line."""
    lesson07.game_winner(right_winner)
    assert capsys.readouterr().out.startswith("✓ winner() is right on")


def test_a_winner_that_checks_draw_first_fails_on_the_full_board_with_a_line() -> None:
    """A line on a full board wins: the check names that board."""
    with pytest.raises(CheckFailed, match="a line wins, even on a full board"):
        lesson07.game_winner(draw_first_winner)


def test_a_stub_winner_is_not_done(lenient: None, capsys: pytest.CaptureFixture[str]) -> None:
    """The stub (None for every board) is not done, in one line."""
    lesson07.game_winner(stub_winner)
    assert capsys.readouterr().out.startswith("◻ Not done yet: winner() answers None")


@pytest.fixture
def games(cloud: LocalCloud) -> str:
    """The game as lesson 07 starts it: Time to Live off, on a new table (AWS refuses a second
    TTL change on a table within the hour, so each test starts with a table of its own)."""
    delete_table("tictactoe-games")
    lessons.catch_up_app("tictactoe")
    return "tictactoe-games"


def test_ttl_off_is_not_done_and_the_kit_switches_it_on(
    games: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the untouched lesson the check says ◻, then TTL is on for ttl and the check passes."""
    lesson07.games_ttl()
    assert capsys.readouterr().out.startswith("◻ Not done yet: Time to Live is DISABLED")
    lesson07.games_ttl()
    assert capsys.readouterr().out.startswith("✓ Time to Live is ENABL")  # ENABLING, or ENABLED


def test_ttl_on_another_attribute_fails_naming_ttl(games: str) -> None:
    """TTL reading `expires` instead of `ttl`: the check says the rows keep it in ttl."""
    dynamodb = boto3.client("dynamodb")
    spec = {"Enabled": True, "AttributeName": "expires"}
    dynamodb.update_time_to_live(TableName=games, TimeToLiveSpecification=spec)
    with pytest.raises(CheckFailed, match="keeps its expiry in 'ttl'"):
        lesson07.games_ttl()


def test_two_default_route_responses_fail_saying_delete_one(
    arena: str, lenient: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two '$default' route responses on list (AWS refuses the second): delete one, it says."""
    lesson06.list_reply()  # two-way, by the learner or the kit
    real = lesson06.all_items

    def twice(call: Any, **kwargs: Any) -> list[Any]:
        items = list(real(call, **kwargs))
        return items * 2 if call.__name__ == "get_route_responses" else items

    monkeypatch.setattr(lesson06, "all_items", twice)
    with pytest.raises(CheckFailed, match="2 route responses with the key '\\$default'.*delete"):
        lesson06.list_reply()


def test_the_kit_s_ttl_step_is_named_as_the_ttl_call(
    games: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ◻ line names update_time_to_live, the call the learner was to write."""
    lesson07.games_ttl()
    said = capsys.readouterr().out
    assert said.startswith("◻ Not done yet") and "update_time_to_live(TableName=" in said
    assert "create_connections_table" not in said


def test_ttl_on_another_attribute_says_how_to_start_again_on_aws(games: str) -> None:
    """Off-then-on waits an hour on AWS: the ✗ says to delete the table and catch up."""
    dynamodb = boto3.client("dynamodb")
    spec = {"Enabled": True, "AttributeName": "expires"}
    dynamodb.update_time_to_live(TableName=games, TimeToLiveSpecification=spec)
    with pytest.raises(CheckFailed, match="up to an hour.*delete the table.*catch-up cell"):
        lesson07.games_ttl()


def test_ttl_a_second_change_within_the_hour_is_refused_so_the_kit_asks_first(
    games: str, lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The kit switched TTL on; a careless second switch is refused, the check still passes."""
    dynamodb = boto3.client("dynamodb")
    lesson07.games_ttl()  # ◻: the kit switches it on
    spec = {"Enabled": True, "AttributeName": "ttl"}
    with pytest.raises(dynamodb.exceptions.ClientError, match="ValidationException"):
        dynamodb.update_time_to_live(TableName=games, TimeToLiveSpecification=spec)
    capsys.readouterr()
    lesson07.games_ttl()
    assert capsys.readouterr().out.startswith("✓ Time to Live is ENABL")


def test_a_written_winner_that_answers_none_fails_not_the_kit(
    lenient: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """winner() with code that never returns a verdict gets ✗, not ◻ "the kit did it"."""

    def winner(board: str) -> str | None:
        lines = [(0, 1, 2), (3, 4, 5), (6, 7, 8)]
        for a, b, c in lines:
            if board[a] == board[b] == board[c] == "?":
                return board[a]
        return None

    with pytest.raises(CheckFailed, match="your winner\\(\\) answers None for every board"):
        lesson07.game_winner(winner)
    assert "◻" not in capsys.readouterr().out
