"""Saving while a room plays: the arena keeps serving during saves, and the saves lose nothing."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from infra.deploy import deploy_app
from infra.local.cloud import LocalCloud
from tests.apps.helpers import receive_until
from tests.conftest import running_cloud

PEOPLE, MOVES = 4, 40


async def loop_lag(stop: asyncio.Event, lags: list[float]) -> None:
    """How late a 5 ms timer fires on the cloud's loop (a save that blocks it shows here)."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - started - 0.005)


async def play(url: str) -> dict[str, Any]:
    """Everyone moves MOVES times; a watcher sees every last move arrive."""
    watcher = await connect(url + "?name=watcher")
    # The people never read the changes sent to them: an unbounded queue keeps their
    # clients reading the socket, so their close handshakes are not stuck behind them.
    people = [await connect(f"{url}?name=p{n}", max_queue=None) for n in range(PEOPLE)]
    try:
        for step in range(1, MOVES + 1):
            for person in people:
                position = {"clientX": step / MOVES, "clientY": 0.5}
                await person.send(json.dumps({"action": "move", **position}))
            await asyncio.sleep(0.02)
        last: dict[str, Any] = {}
        while len(last) < PEOPLE:
            frame = await receive_until(watcher, lambda f: f.get("type") == "changes")
            for change in frame["changes"]:
                if change["kind"] == "move" and change.get("x") == 1:
                    last[change["id"]] = change
        return last
    finally:
        for connection in [watcher, *people]:
            await connection.close()


def settle(cloud: LocalCloud, quiet: float = 1.0, timeout: float = 20) -> None:
    """Wait until everyone's $disconnect ran, then until nothing has written for `quiet`
    seconds (the stream's last batches delivered, their logs written)."""
    deadline = time.monotonic() + timeout
    while cloud.client("dynamodb").scan(TableName="arena-connections")["Items"]:
        assert time.monotonic() < deadline, "the people's rows were never deleted"
        time.sleep(0.05)
    seen, since = cloud.backends.revision, time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the cloud never went quiet"
        time.sleep(0.05)
        if cloud.backends.revision != seen:
            seen, since = cloud.backends.revision, time.monotonic()


def state_of(cloud: LocalCloud) -> dict[str, Any]:
    """The arena's rows, its stream's records and how many log events its functions wrote."""
    ddb, logs = cloud.client("dynamodb"), cloud.client("logs")
    streams = cloud.client("dynamodbstreams")
    arn = ddb.describe_table(TableName="arena-connections")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    events = {}
    for name in ("arena-move", "arena-tableTriggers"):
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{name}")
        events[name] = [e["message"] for page in pages for e in page["events"]]
    return {
        "rows": ddb.scan(TableName="arena-connections")["Items"],
        "stream": [(r["eventName"], r["dynamodb"]["SequenceNumber"]) for r in records],
        "log_events": events,
    }


def test_saves_during_traffic_stall_nobody_and_lose_nothing(tmp_path: Path) -> None:
    """Saves run while 4 people move; every move arrives, and a restart restores the result."""
    folder = str(tmp_path / "state")
    with running_cloud(state_dir=folder, save_interval=0.2) as cloud:
        url = deploy_app("arena")
        assert cloud.state is not None and cloud.loop is not None
        saves_before = cloud.state.saver.saves
        lags: list[float] = []
        stop = asyncio.Event()
        watch = asyncio.run_coroutine_threadsafe(loop_lag(stop, lags), cloud.loop)
        last = asyncio.run(play(url))
        cloud.loop.call_soon_threadsafe(stop.set)
        watch.result(5)
        saves = cloud.state.saver.saves - saves_before
        assert cloud.state.last_save is not None
        lock_ms = cloud.state.last_save.lock_ms
        settle(cloud)
        before = state_of(cloud)
    assert len(last) == PEOPLE  # every person's last move reached the watcher
    assert saves >= 3  # the saver kept saving while the room played
    assert max(lags) < 1.0 and lock_ms < 250
    assert len(before["stream"]) > PEOPLE * MOVES / 2  # most moves are records (some merge)
    with running_cloud(state_dir=folder) as restarted:
        assert state_of(restarted) == before
