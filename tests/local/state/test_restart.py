"""A restart loses nothing: `workshop cloud --state DIR`, killed with SIGKILL, comes back.

The chat and the arena are deployed with `workshop deploy` onto a cloud in its own process;
people chat and move; a change is made a second before the kill and one right before it. The
cloud is killed with SIGKILL and started again on the same folder and port: the same stage
URLs connect, the chat carries messages, the arena's rows are there, a function answers as it
did, and the change made a second before the kill survived.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from infra.local.cloud_process import ROOT, CloudProcess, child_environment, free_port
from tests import waits
from tests.apps.helpers import receive_until

MARKS = "restart-marks"  # a table of our own: the apps' tables prune rows they do not know
LIST_EVENT = {"requestContext": {"connectionId": "nobody", "routeKey": "list"}}


def workshop(*args: str, port: int, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the `workshop` command (as a learner or an instructor would) and wait for it."""
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        env=child_environment(f"http://127.0.0.1:{port}"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cloud_on(folder: Path, port: int, *extra: str) -> CloudProcess:
    """`workshop cloud --state DIR --port PORT` in its own process."""
    return CloudProcess("--state", str(folder), *extra, port=port)


@dataclass
class Restart:
    """What was true before the kill, and what the restarted cloud answered first."""

    folder: Path
    urls: dict[str, str]
    cloud: CloudProcess
    arena_row: dict[str, Any] = field(default_factory=dict)
    listed_before: bytes = b""
    listed_after: bytes = b""
    rows_after: list[dict[str, Any]] = field(default_factory=list)
    marks_after: set[str] = field(default_factory=set)
    triggered_before: int = 0  # invocations of the arena's stream function
    triggered_after: int = 0


def deploy(app: str, port: int) -> str:
    done = workshop("deploy", app, port=port)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


async def before_the_kill(first: CloudProcess, urls: dict[str, str], restart: Restart) -> None:
    """Chat, move in the arena, invoke a function; change something 1 s and 0 s before SIGKILL."""
    marks = first.client("dynamodb")
    async with (
        connect(urls["chat"] + "?name=alice") as alice,
        connect(urls["chat"] + "?name=bob") as bob,
        connect(urls["arena"] + "?name=ada") as ada,
    ):
        await alice.send(json.dumps({"action": "sendMessage", "data": "before the kill"}))
        heard = await receive_until(bob, lambda frame: frame.get("type") == "message")
        assert heard["text"] == "before the kill"
        await ada.send(json.dumps({"action": "move", "clientX": 0.25, "clientY": 0.75}))
        await receive_until(  # the stream delivered the move: its batch is handled
            ada, lambda f: f.get("type") == "changes" and f["changes"][-1]["kind"] == "move"
        )
        restart.arena_row = await asyncio.to_thread(row_with_position, first)
        restart.triggered_before = invocations(first, "arena-tableTriggers")
        listed = first.client("lambda").invoke(
            FunctionName="arena-list", Payload=json.dumps(LIST_EVENT).encode()
        )
        restart.listed_before = listed["Payload"].read()
        marks.put_item(TableName=MARKS, Item={"mark": {"S": "a second before"}})
        await asyncio.sleep(1.0)
        marks.put_item(TableName=MARKS, Item={"mark": {"S": "right before"}})
        first.kill()  # the connections die with it: nobody's $disconnect runs


def invocations(cloud: CloudProcess, function: str) -> int:
    """How many times a function ran, by its START lines in CloudWatch Logs."""
    pages = cloud.client("logs").get_paginator("filter_log_events")
    return sum(
        1
        for page in pages.paginate(logGroupName=f"/aws/lambda/{function}")
        for event in page["events"]
        if event["message"].startswith("START ")
    )


def row_with_position(cloud: CloudProcess, timeout: float = 10) -> dict[str, Any]:
    """The arena's row that has a position (once the move was stored)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = cloud.client("dynamodb").scan(TableName="arena-connections")["Items"]
        moved = [row for row in rows if "x" in row]
        if moved:
            return moved[0]
        time.sleep(0.05)
    raise AssertionError("the move never reached the arena's table")


@pytest.fixture(scope="module")
def restart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restart]:
    """A cloud with the chat and the arena, used, killed with SIGKILL, and started again."""
    folder = tmp_path_factory.mktemp("restart") / "state"
    port = free_port()
    first = cloud_on(folder, port)
    try:
        with ThreadPoolExecutor(2) as pool:  # two `workshop deploy` processes at once
            deploys = {app: pool.submit(deploy, app, port) for app in ("chat", "arena")}
            urls = {app: future.result() for app, future in deploys.items()}
        waits.create_table(
            first.client("dynamodb"),
            TableName=MARKS,
            KeySchema=[{"AttributeName": "mark", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "mark", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        restart = Restart(folder, urls, first)
        asyncio.run(before_the_kill(first, urls, restart))
    finally:
        if first.process.poll() is None:
            first.kill()
    second = cloud_on(folder, port)
    restart.cloud = second
    try:
        ddb = second.client("dynamodb")
        restart.rows_after = ddb.scan(TableName="arena-connections")["Items"]
        restart.marks_after = {m["mark"]["S"] for m in ddb.scan(TableName=MARKS)["Items"]}
        listed = second.client("lambda").invoke(
            FunctionName="arena-list", Payload=json.dumps(LIST_EVENT).encode()
        )
        restart.listed_after = listed["Payload"].read()
        time.sleep(1.0)  # a mapping that started over would be delivering old records by now
        restart.triggered_after = invocations(second, "arena-tableTriggers")
        yield restart
    finally:
        second.stop()


def test_the_restarted_cloud_says_what_it_restored(restart: Restart) -> None:
    """Its `State:` line names the folder and what was in it."""
    state = [line for line in restart.cloud.output if line.startswith("State:")]
    assert len(state) == 1 and state[0].startswith(f"State: restored from {restart.folder} (saved")
    assert "3 tables, 11 functions, 2 APIs" in state[0]


def test_the_same_stage_urls_connect_after_a_kill(restart: Restart) -> None:
    """The chat's and the arena's URLs from before the kill open a connection."""

    async def scenario() -> None:
        async with connect(restart.urls["chat"] + "?name=carol"), connect(restart.urls["arena"]):
            pass

    asyncio.run(scenario())


def test_the_chat_carries_messages_after_a_kill(restart: Restart) -> None:
    """Two people who join after the restart chat (the dead connections' rows are pruned)."""

    async def scenario() -> dict[str, Any]:
        async with (
            connect(restart.urls["chat"] + "?name=carol") as carol,
            connect(restart.urls["chat"] + "?name=dave") as dave,
        ):
            await carol.send(json.dumps({"action": "sendMessage", "data": "after the kill"}))
            return await receive_until(dave, lambda frame: frame.get("type") == "message")

    heard = asyncio.run(scenario())
    assert heard == {"type": "message", "from": "carol", "text": "after the kill"}


def test_the_arena_rows_survive_a_kill(restart: Restart) -> None:
    """The pointer that moved before the kill is in the table with its position and colour."""
    assert restart.arena_row in restart.rows_after
    assert restart.arena_row["x"] == {"N": "0.25"} and restart.arena_row["y"] == {"N": "0.75"}


def test_the_arena_stream_goes_on_where_it_was(restart: Restart) -> None:
    """The restored mapping delivers none of the records it handled before the kill again,
    and a move after the restart reaches another person through it."""
    assert restart.triggered_after == restart.triggered_before

    async def scenario() -> None:
        async with (
            connect(restart.urls["arena"] + "?name=eve") as eve,
            connect(restart.urls["arena"] + "?name=finn") as finn,
        ):
            await eve.send(json.dumps({"action": "move", "clientX": 0.5, "clientY": 0.5}))
            await receive_until(
                finn,
                lambda f: (
                    f.get("type") == "changes"
                    and any(c["kind"] == "move" and c["name"] == "eve" for c in f["changes"])
                ),
            )

    asyncio.run(scenario())


def test_a_function_answers_as_it_did_before_a_kill(restart: Restart) -> None:
    """arena-list, invoked with the same event, returns the same pointers."""
    assert restart.listed_after == restart.listed_before
    assert json.loads(json.loads(restart.listed_after)["body"])["pointers"]


def test_a_change_made_a_second_before_the_kill_survives(restart: Restart) -> None:
    """At most the last second is lost: the change 1 s before SIGKILL is there."""
    assert "a second before" in restart.marks_after


def test_fresh_starts_empty_and_keeps_the_old_state_aside(restart: Restart) -> None:
    """--fresh on the same folder: no tables, and the old snapshot is in DIR/previous."""
    restart.cloud.stop()  # the folder is free once the cloud stopped (this test comes last)
    fresh = cloud_on(restart.folder, free_port(), "--fresh")
    try:
        assert fresh.client("dynamodb").list_tables()["TableNames"] == []
        assert (restart.folder / "previous" / "snapshot").is_file()
        assert f"the previous state is in {restart.folder / 'previous'}" in "\n".join(fresh.output)
    finally:
        fresh.stop()
