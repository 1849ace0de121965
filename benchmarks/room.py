"""A room's load on the local cloud, measured as a room sees it.

`workshop cloud` runs in its own process and the finished apps are deployed with `workshop deploy`;
the clients run in other processes (in a real room they are other laptops). Every figure is printed
next to the same job done by a raw `websockets` server (and, for AWS API calls, a raw HTTP server)
started in the same run on the same machine: the floor. Absolute times on shared machines drift;
the ratio to the floor does much less.

Scenarios (`--only` picks some):
- arena   N people moving at H Hz for S seconds: moves sent, deliveries against the ideal (every
          move to every other person), lag from a move to another person's screen, timeouts;
- fanout  one chat message to 100 people, through the finished chat app, through a handler
          written like AWS's example (`benchmarks/apps/aws_chat`), which posts serially, and
          through AWS's Node.js sample (`lambdas/chat-javascript`: Promise.all over the
          connections, on the runtime's SDK v3);
- echo    the round trip of a two-way route (`benchmarks/apps/echo`, and in Node.js
          `benchmarks/apps/node_echo`);
- connect 1,000 connections opened at once, each running the chat's `$connect` (a PutItem);
- calls   the cost of GetItem, PutItem, UpdateItem, Scan (30 rows) and post_to_connection
          from boto3 through the edge;
- soak    a real room for `--soak-seconds` (600 by default, not in the default run): 30 people
          in the arena at 10 Hz who also chat (a message every 5 s each), 3 people asleep
          (connected to both, never reading) and 2 whose connections drop and come back every
          10 s; the same 30 without the sleepers and the flapping (half before, half after:
          drift weighs on both alike), on the cloud and on the floor. It reports deliveries
          to the awake against the ideal, lag, the cloud's memory (RSS) and open files over
          time, and its worker processes at the end.

The Node.js rows run on `nodejs22.x`; without Node.js 20+ or the SDK (`make workshop` installs
both) they are skipped with a line saying so.

Run: `.venv/bin/python benchmarks/room.py` (the full room: about 3 minutes), or for example
`.venv/bin/python benchmarks/room.py --only arena --people 10 --seconds 20`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import websockets

from infra.local.cloud_process import ROOT, CloudProcess

HERE = Path(__file__).resolve().parent
WORKSHOP = str(Path(sys.executable).with_name("workshop"))
SCENARIOS = ("arena", "fanout", "echo", "connect", "calls", "soak")
DEFAULT_SCENARIOS = ("arena", "fanout", "echo", "connect", "calls")
CLOCK_WRAP = 1e4  # move timestamps travel as (time % 1e4) / 1e4, a fraction the arena accepts
SEQ_SCALE = 1e5  # a move's sequence number travels as seq / 1e5
SPAWN = multiprocessing.get_context("spawn")
NODE_RUNTIME = "nodejs22.x"  # the Node.js rows' runtime


# ---------------------------------------------------------------------------------- figures


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def spread(samples: list[float]) -> dict[str, float]:
    """p50, p95 and max of a list of milliseconds."""
    if not samples:
        return {"p50": float("nan"), "p95": float("nan"), "max": float("nan"), "n": 0}
    return {
        "p50": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "max": max(samples),
        "n": len(samples),
    }


@dataclass
class Row:
    """One line of the report: a figure on the local cloud and the same figure on the floor."""

    name: str
    local: float
    floor: float | None
    unit: str
    goal: Callable[[float, float | None], bool] | None = None
    goal_text: str = ""

    def ratio(self) -> str:
        if self.floor in (None, 0) or self.local != self.local:
            return ""
        return f"{self.local / self.floor:.1f}x"

    def verdict(self) -> str:
        if self.goal is None:
            return ""
        return ("met   " if self.goal(self.local, self.floor) else "MISSED") + f" {self.goal_text}"


def at_most(limit: float) -> Callable[[float, float | None], bool]:
    """A row's goal: the local figure is at most `limit` (fixed now, not when the goal is read)."""
    return lambda v, f: v <= limit


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *rows: Row) -> None:
        self.rows.extend(rows)

    def print(self) -> None:
        print()
        print(f"{'figure':<52} {'local cloud':>14} {'raw floor':>14} {'ratio':>7}  goal")
        for row in self.rows:
            floor = "" if row.floor is None else _fmt(row.floor, row.unit)
            print(
                f"{row.name:<52} {_fmt(row.local, row.unit):>14} {floor:>14} {row.ratio():>7}"
                f"  {row.verdict()}"
            )
        for note in self.notes:
            print(note)
        sys.stdout.flush()


def _fmt(value: float, unit: str) -> str:
    if value != value:
        return "n/a"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "/s":
        return f"{value:.0f}/s"
    return f"{value:.0f}{unit}"


# ---------------------------------------------------------------------------------- processes


class RoomCloud(CloudProcess):
    """`workshop cloud` in its own process, as an instructor runs it, with what a run reads."""

    def cpu_seconds(self) -> float:
        """User + system CPU of the cloud and its Lambda workers so far."""
        try:
            import psutil
        except ImportError:
            return float("nan")
        try:
            parent = psutil.Process(self.process.pid)
            total = sum(parent.cpu_times()[:2])
            for child in parent.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += sum(child.cpu_times()[:2])
            return total
        except psutil.Error:
            return float("nan")

    def deploy(self, app: str) -> str:
        """`workshop deploy APP`; its last line is the stage URL."""
        done = subprocess.run(
            [WORKSHOP, "deploy", app], env=self.env, capture_output=True, text=True, cwd=ROOT
        )
        if done.returncode != 0:
            raise RuntimeError(f"workshop deploy {app} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout.strip().splitlines()[-1]

    def deploy_folder(
        self, app: str, folder: Path, routes: list[tuple[str, str, bool]], runtime: str = ""
    ) -> str:
        """Deploy a benchmark-only app folder with the kit's deploy library (in a child process),
        every function on `runtime` (default: the library's python3.12)."""
        script = (
            "import json, sys\n"
            "from infra.deploy import functions\n"
            "from infra.deploy.apps import AppPlan, Route, deploy_plan\n"
            "spec = json.loads(sys.argv[1])\n"
            "plan = AppPlan(app=spec['app'], routes=tuple(Route(*r) for r in spec['routes']),"
            " key=spec['key'], table_actions=('PutItem', 'DeleteItem', 'GetItem', 'Scan'),"
            " extra_environment={'table_name': spec['app'] + '-connections'},"
            " runtime=spec['runtime'] or functions.RUNTIME)\n"
            "print(deploy_plan(plan, folder=spec['folder']))\n"
        )
        spec = {
            "app": app,
            "routes": routes,
            "folder": str(folder),
            "runtime": runtime,
            "key": "connection_id" if app == "awschat" else "connectionId",
        }
        done = subprocess.run(
            [sys.executable, "-c", script, json.dumps(spec)],
            env=self.env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"deploying {app} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout.strip().splitlines()[-1]

    def log_lines_matching(self, function_prefix: str, phrase: str) -> int:
        """How many CloudWatch log lines of the functions `function_prefix*` contain `phrase`."""
        logs = self.client("logs")
        found = 0
        groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{function_prefix}")
        for group in groups.get("logGroups", []):
            params = {"logGroupName": group["logGroupName"], "filterPattern": f'"{phrase}"'}
            while True:
                page = logs.filter_log_events(**params)
                found += sum(phrase in event["message"] for event in page.get("events", []))
                token = page.get("nextToken")
                if not token or token == params.get("nextToken"):
                    break
                params["nextToken"] = token
        return found


# ---------------------------------------------------------------------------------- the floor


def serve_floor(ports: Any, stop: Any) -> None:
    """Raw servers doing each job the most direct way: websockets, and a keep-alive HTTP answer."""
    logging.getLogger("asyncio").setLevel(logging.ERROR)  # the soak's flappers drop sockets
    logging.getLogger("websockets").setLevel(logging.CRITICAL)
    asyncio.run(_serve_floor(ports, stop))


async def _serve_floor(ports: Any, stop: Any) -> None:
    from websockets.asyncio.server import broadcast, serve

    pointers: dict[Any, str] = {}
    rooms: dict[str, set[Any]] = {}

    async def handler(ws: Any) -> None:
        path = ws.request.path.split("?")[0]
        room = rooms.setdefault(path, set())
        room.add(ws)
        me = f"{id(ws):x}"
        pointers[ws] = me
        try:
            async for message in ws:  # a flapping client ends it with an error: that is its job
                if path.startswith("/echo"):
                    await ws.send(message)
                elif path.startswith("/arena"):
                    frame = json.loads(message)
                    if frame.get("action") == "list":
                        await ws.send(json.dumps({"type": "list", "you": {"id": me}}))
                    elif frame.get("action") == "move":
                        change = {"kind": "move", "id": me, "name": me, "color": "#000000"}
                        change.update(x=frame["clientX"], y=frame["clientY"])
                        out = json.dumps({"type": "changes", "changes": [change]})
                        broadcast([c for c in room if c is not ws], out)
                elif path.startswith("/talk"):  # the finished chat's frames, as its clients read
                    text = json.loads(message).get("data", "")
                    out = json.dumps({"type": "message", "from": me, "text": text})
                    broadcast([c for c in room if c is not ws], out)
                else:  # chat: to everyone else
                    broadcast([c for c in room if c is not ws], message)
        except websockets.ConnectionClosed:
            pass
        finally:
            room.discard(ws)
            pointers.pop(ws, None)

    canned: dict[str, bytes] = {}

    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(
            ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError
        ):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                key = headers.get("x-amz-target") or method + " " + target.split("/")[-2:][0]
                if method == "PUT" and target.startswith("/_canned/"):
                    canned[target.removeprefix("/_canned/")] = body
                    answer = b""
                else:
                    answer = canned.get(key, b"{}")
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
                    b"Content-Length: " + str(len(answer)).encode() + b"\r\n\r\n" + answer
                )
                await writer.drain()

    async with serve(handler, "127.0.0.1", 0, max_size=None) as ws_server:
        http_server = await asyncio.start_server(http, "127.0.0.1", 0)
        ports.put((ws_server.sockets[0].getsockname()[1], http_server.sockets[0].getsockname()[1]))
        while not stop.is_set():
            await asyncio.sleep(0.2)
        http_server.close()


class FloorProcess:
    def __init__(self) -> None:
        ports = SPAWN.Queue()
        self._stop = SPAWN.Event()
        self.process = SPAWN.Process(target=serve_floor, args=(ports, self._stop), daemon=True)
        self.process.start()
        ws_port, http_port = ports.get(timeout=30)
        self.ws = f"ws://127.0.0.1:{ws_port}"
        self.http = f"http://127.0.0.1:{http_port}"

    def stop(self) -> None:
        self._stop.set()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


# ---------------------------------------------------------------------------------- arena


def arena_clients(
    url: str, names: list[str], hz: float, seconds: float, grace: float, inbox: Any, go: Any
) -> None:
    """One client process: its people connect, say they are ready, move on `go`, then report."""
    asyncio.run(_arena_clients(url, names, hz, seconds, grace, inbox, go))


async def _arena_clients(
    url: str, names: list[str], hz: float, seconds: float, grace: float, inbox: Any, go: Any
) -> None:
    people = []
    try:
        for chunk in range(0, len(names), 10):
            people += await asyncio.gather(
                *(_arena_join(url, name) for name in names[chunk : chunk + 10])
            )
    except Exception as error:
        inbox.put(("failed", repr(error)))
        return
    inbox.put(("ready", [me for _, me in people]))
    start_at = await asyncio.to_thread(go.get)
    results = await asyncio.gather(
        *(_arena_person(ws, me, hz, seconds, grace, start_at) for ws, me in people)
    )
    for ws, _ in people:
        with contextlib.suppress(Exception):
            await ws.close()
    inbox.put(("done", results))


async def _arena_join(url: str, name: str) -> tuple[Any, str]:
    ws = await websockets.connect(f"{url}?name={name}", max_size=None, open_timeout=60)
    await ws.send(json.dumps({"action": "list"}))
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if frame.get("type") == "list":
            return ws, frame["you"]["id"]


async def _arena_person(
    ws: Any, me: str, hz: float, seconds: float, grace: float, start_at: float
) -> dict[str, Any]:
    lags: list[float] = []
    seen: dict[str, int] = {}  # sender -> highest sequence number received
    unique: dict[str, int] = {}  # sender -> moves received (each counted once)
    out_of_order = 0
    end_at = start_at + seconds

    async def listen() -> None:
        nonlocal out_of_order
        async for message in ws:
            now = time.time() % CLOCK_WRAP
            frame = json.loads(message)
            for change in frame.get("changes", ()):
                if change.get("kind") != "move" or change["id"] == me or not change.get("x"):
                    continue
                sender, seq = change["id"], round(change["x"] * SEQ_SCALE)
                last = seen.get(sender, 0)
                if seq <= last:
                    out_of_order += 1
                    continue
                seen[sender] = seq
                unique[sender] = unique.get(sender, 0) + 1
                lag = now - change["y"] * CLOCK_WRAP
                lags.append((lag + CLOCK_WRAP if lag < -1 else lag) * 1000)

    listener = asyncio.ensure_future(listen())
    sent = 0
    dropped = False
    await asyncio.sleep(max(0.0, start_at - time.time()))
    try:
        for index in range(int(seconds * hz)):
            delay = start_at + index / hz - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            stamp = (time.time() % CLOCK_WRAP) / CLOCK_WRAP
            move = {"action": "move", "clientX": (index + 1) / SEQ_SCALE, "clientY": stamp}
            await ws.send(json.dumps(move))
            sent += 1
        await asyncio.sleep(max(0.0, end_at + grace - time.time()))
    except websockets.ConnectionClosed:
        dropped = True  # the cloud (or a keepalive timeout) closed this person's connection
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
        await listener
    return {
        "me": me,
        "sent": sent,
        "unique": unique,
        "lags": lags,
        "out_of_order": out_of_order,
        "dropped": dropped,
    }


def run_arena(url: str, people: int, hz: float, seconds: float, processes: int) -> dict[str, Any]:
    """Drive `people` pointers from `processes` client processes; merge what they saw."""
    grace = 5.0
    inbox, go = SPAWN.Queue(), SPAWN.Queue()
    names = [f"p{index}" for index in range(people)]
    groups = [names[i::processes] for i in range(processes) if names[i::processes]]
    workers = [
        SPAWN.Process(
            target=arena_clients, args=(url, group, hz, seconds, grace, inbox, go), daemon=True
        )
        for group in groups
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        kind, payload = inbox.get(timeout=300)
        if kind == "failed":
            raise RuntimeError(f"an arena client could not join: {payload}")
    start_at = time.time() + 1.0
    for _ in workers:
        go.put(start_at)
    results: list[dict[str, Any]] = []
    for _ in workers:
        kind, payload = inbox.get(timeout=seconds + grace + 120)
        results += payload
    for worker in workers:
        worker.join(10)
    sent = {r["me"]: r["sent"] for r in results}
    ideal = sum(count * (len(results) - 1) for count in sent.values())
    delivered = sum(sum(r["unique"].values()) for r in results)
    lags = [lag for r in results for lag in r["lags"]]
    return {
        "moves_per_s": sum(sent.values()) / seconds,
        "delivered_pct": 100.0 * delivered / ideal if ideal else float("nan"),
        "delivered": delivered,
        "ideal": ideal,
        "out_of_order": sum(r["out_of_order"] for r in results),
        "dropped": sum(r["dropped"] for r in results),
        "lag": spread(lags),
        "lags": lags,
    }


# ---------------------------------------------------------------------------------- chat fan-out


def fanout_client(url: str, receivers: int, messages: int, style: str, inbox: Any) -> None:
    """One client process: `receivers` listeners, one sender, `messages` messages one at a time."""
    inbox.put(asyncio.run(_fanout(url, receivers, messages, style)))


async def _fanout(url: str, receivers: int, messages: int, style: str) -> dict[str, Any]:
    arrivals: dict[int, list[float]] = {}
    complete: dict[int, asyncio.Event] = {}

    async def listen(ws: Any) -> None:
        async for message in ws:
            now = time.perf_counter()
            match = re.search(r"#(-?\d+)#", message)
            if match:
                number = int(match.group(1))
                got = arrivals.setdefault(number, [])
                got.append(now)
                if len(got) == receivers and number in complete:
                    complete[number].set()

    listeners = []
    for chunk in range(0, receivers, 25):
        sockets = await asyncio.gather(
            *(
                websockets.connect(f"{url}?name=r{i}", max_size=None, open_timeout=60)
                for i in range(chunk, min(receivers, chunk + 25))
            )
        )
        listeners += sockets
    tasks = [asyncio.ensure_future(listen(ws)) for ws in listeners]
    sender = await websockets.connect(f"{url}?name=sender", max_size=None, open_timeout=60)
    spans: list[float] = []
    each: list[float] = []
    lost = 0
    for number in range(-3, messages):  # three warm-up messages
        complete[number] = asyncio.Event()
        text = f"#{number}#"
        if style == "kit":
            frame = json.dumps({"action": "sendMessage", "data": text})
        elif style == "aws":
            frame = json.dumps({"action": "sendmessage", "msg": text})
        elif style == "node":
            frame = json.dumps({"action": "sendmessage", "data": text})
        else:
            frame = text
        started = time.perf_counter()
        await sender.send(frame)
        try:
            await asyncio.wait_for(complete[number].wait(), 10)
        except TimeoutError:
            lost += receivers - len(arrivals.get(number, []))
        if number >= 0 and arrivals.get(number):
            got = arrivals[number]
            each += [(t - started) * 1000 for t in got]
            if len(got) == receivers:
                spans.append((max(got) - started) * 1000)
    for task in tasks:
        task.cancel()
    for ws in [*listeners, sender]:
        await ws.close()
    return {"last": spread(spans), "each": spread(each), "lost": lost}


def run_in_process(target: Callable[..., None], *args: Any, timeout: float = 600) -> Any:
    inbox = SPAWN.Queue()
    worker = SPAWN.Process(target=target, args=(*args, inbox), daemon=True)
    worker.start()
    try:
        return inbox.get(timeout=timeout)
    finally:
        worker.join(10)


# ---------------------------------------------------------------------------------- echo, connect


def echo_client(url: str, count: int, inbox: Any) -> None:
    async def run() -> dict[str, Any]:
        async with websockets.connect(url, open_timeout=60) as ws:
            samples = []
            for index in range(count + 50):
                started = time.perf_counter()
                await ws.send(f"ping {index}")
                await ws.recv()
                if index >= 50:
                    samples.append((time.perf_counter() - started) * 1000)
            return spread(samples)

    inbox.put(asyncio.run(run()))


def connect_client(url: str, count: int, inbox: Any) -> None:
    async def run() -> dict[str, Any]:
        started = time.perf_counter()

        async def one(index: int) -> Any:
            try:
                return await websockets.connect(f"{url}?name=c{index}", open_timeout=120)
            except Exception:
                return None

        sockets = await asyncio.gather(*(one(i) for i in range(count)))
        elapsed = time.perf_counter() - started
        opened = [ws for ws in sockets if ws is not None]
        await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
        return {"seconds": elapsed, "opened": len(opened)}

    inbox.put(asyncio.run(run()))


# ---------------------------------------------------------------------------------- AWS calls


def calls_client(cloud_url: str, floor_url: str, stage_url: str, count: int, inbox: Any) -> None:
    inbox.put(_calls(cloud_url, floor_url, stage_url, count))


def _clients(endpoint: str, stage_endpoint: str) -> tuple[Any, Any]:
    import boto3

    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return (
        session.client("dynamodb", endpoint_url=endpoint),
        session.client("apigatewaymanagementapi", endpoint_url=stage_endpoint),
    )


def _calls(cloud_url: str, floor_url: str, stage_url: str, count: int) -> dict[str, Any]:
    import urllib.request

    from websockets.sync.client import connect

    table = "bench-calls"
    dynamodb, _ = _clients(cloud_url, cloud_url)
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    # CREATING until ACTIVE, as on AWS (boto3's waiter would poll every 20 s).
    dynamodb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1})
    for index in range(30):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": f"row{index}"}, "n": {"N": "1"}})
    ws = connect(stage_url)
    ws.send("whoami")
    connection_id = ws.recv()
    draining = threading.Thread(target=lambda: [None for _ in ws], daemon=True)
    draining.start()
    http_stage = stage_url.replace("ws://", "http://")
    floor_stage = floor_url + "/" + "/".join(http_stage.split("/")[-2:])

    def operations(dynamodb: Any, api: Any) -> dict[str, tuple[Any, Callable[[], Any]]]:
        key = {"pk": {"S": "row1"}}
        return {
            "GetItem": (dynamodb, lambda: dynamodb.get_item(TableName=table, Key=key)),
            "PutItem": (
                dynamodb,
                lambda: dynamodb.put_item(
                    TableName=table, Item={"pk": {"S": "row1"}, "n": {"N": "1"}}
                ),
            ),
            "UpdateItem": (
                dynamodb,
                lambda: dynamodb.update_item(
                    TableName=table,
                    Key=key,
                    UpdateExpression="SET #n = :n",
                    ExpressionAttributeNames={"#n": "n"},
                    ExpressionAttributeValues={":n": {"N": "2"}},
                ),
            ),
            "Scan (30 rows)": (dynamodb, lambda: dynamodb.scan(TableName=table)),
            "post_to_connection": (
                api,
                lambda: api.post_to_connection(
                    ConnectionId=connection_id, Data=b'{"hello": "you"}'
                ),
            ),
        }

    local = operations(*_clients(cloud_url, http_stage))
    floor = operations(*_clients(floor_url, floor_stage))
    results: dict[str, Any] = {}
    for name, (client, call) in local.items():
        target, request, answer = _capture(client, call)
        if target:  # the floor answers with the very bytes the local cloud answered
            canned = urllib.request.Request(f"{floor_url}/_canned/{target}", answer, method="PUT")
            urllib.request.urlopen(canned).read()
        results[name] = {
            "boto3": _time(call, count),
            "boto3 floor": _time(floor[name][1], count),
            "raw": _time(_replayer(cloud_url, request), count),
            "raw floor": _time(_replayer(floor_url, request), count),
        }
    ws.close()
    return results


def _capture(client: Any, call: Callable[[], Any]) -> tuple[str | None, bytes, bytes]:
    """One call's X-Amz-Target, the signed request boto3 sent, and the body the server answered."""
    sent: list[bytes] = []
    answered: list[tuple[str | None, bytes]] = []

    def keep_request(request: Any, **_: Any) -> None:
        url = urlsplit(request.url)
        target = url.path + (f"?{url.query}" if url.query else "")
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else bytes(body)
        lines = [f"{request.method} {target} HTTP/1.1", f"Host: {url.netloc}"]
        lines += [
            f"{k}: {v.decode() if isinstance(v, bytes) else v}" for k, v in request.headers.items()
        ]
        if "Content-Length" not in request.headers:
            lines.append(f"Content-Length: {len(body)}")
        sent.append(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def keep_response(http_response: Any, model: Any, **_: Any) -> None:
        service = model.service_model
        target = None
        if service.protocol == "json":
            target = f"{service.metadata['targetPrefix']}.{model.name}"
        answered.append((target, http_response.content))

    client.meta.events.register("before-send", keep_request)
    client.meta.events.register("after-call", keep_response)
    try:
        call()
    finally:
        client.meta.events.unregister("before-send", keep_request)
        client.meta.events.unregister("after-call", keep_response)
    target, answer = answered[-1]
    return target, sent[-1], answer


def _replayer(base_url: str, request: bytes) -> Callable[[], bytes]:
    """Send the same signed request again and again on one keep-alive socket: the server's cost."""
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = sock.makefile("rb")

    def replay() -> bytes:
        sock.sendall(request)
        length = 0
        status = reader.readline()
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = reader.read(length)
        if not status.split()[1].startswith(b"2"):
            raise RuntimeError(f"replay answered {status!r}: {body[:200]!r}")
        return body

    return replay


def _time(call: Callable[[], Any], count: int) -> dict[str, float]:
    for _ in range(30):
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return spread(samples)


# ---------------------------------------------------------------------------------- main


# ---------------------------------------------------------------------------------- the soak

SOAK_PEOPLE, SOAK_HZ, CHAT_EVERY, SLEEPERS, FLAPPERS, FLAP_EVERY = 30, 10.0, 5.0, 3, 2, 10.0
CLOSE_GRACE = 5.0  # seconds for the cloud to run the soak's last $disconnects


def chat_people(
    url: str, names: list[str], every: float, seconds: float, inbox: Any, go: Any
) -> None:
    """One client process: its people chat, a message every `every` seconds each, and report
    which messages of the others they got, and how late."""
    asyncio.run(_chat_people(url, names, every, seconds, inbox, go))


async def _chat_people(
    url: str, names: list[str], every: float, seconds: float, inbox: Any, go: Any
) -> None:
    people = [await websockets.connect(f"{url}?name={n}", max_size=None) for n in names]
    inbox.put(("ready", names))
    start_at = await asyncio.to_thread(go.get)
    received: dict[str, set[str]] = {name: set() for name in names}
    lags: list[float] = []
    sent: list[str] = []

    async def listen(name: str, ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in ws:
                text = json.loads(message).get("text", "")
                if text.startswith("soak "):
                    _, tag, stamp = text.split(" ")
                    received[name].add(tag)
                    lags.append((time.time() - float(stamp)) * 1000)

    async def talk(index: int, name: str, ws: Any) -> None:
        count = int(seconds / every)
        offset = every * index / max(1, len(names))  # spread the room's messages out
        for number in range(count):
            await asyncio.sleep(max(0.0, start_at + offset + number * every - time.time()))
            tag = f"{name}.{number}"
            await ws.send(
                json.dumps({"action": "sendMessage", "data": f"soak {tag} {time.time()}"})
            )
            sent.append(tag)

    listeners = [asyncio.ensure_future(listen(n, ws)) for n, ws in zip(names, people, strict=True)]
    await asyncio.gather(
        *(talk(i, n, ws) for i, (n, ws) in enumerate(zip(names, people, strict=True)))
    )
    await asyncio.sleep(5.0)  # the last messages' grace
    for task in listeners:
        task.cancel()
    for ws in people:
        with contextlib.suppress(Exception):
            await ws.close()
    inbox.put(("done", {"sent": sent, "received": {n: sorted(r) for n, r in received.items()},
                        "lags": lags}))  # fmt: skip


def run_chat(url: str, people: int, every: float, seconds: float, processes: int) -> dict[str, Any]:
    """`people` chatting from `processes` client processes; deliveries against the ideal."""
    inbox, go = SPAWN.Queue(), SPAWN.Queue()
    names = [f"talker{index}" for index in range(people)]
    groups = [names[i::processes] for i in range(processes) if names[i::processes]]
    workers = [
        SPAWN.Process(target=chat_people, args=(url, g, every, seconds, inbox, go), daemon=True)
        for g in groups
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        inbox.get(timeout=300)
    start_at = time.time() + 1.0
    for _ in workers:
        go.put(start_at)
    sent: list[str] = []
    received: dict[str, list[str]] = {}
    lags: list[float] = []
    for _ in workers:
        _, payload = inbox.get(timeout=seconds + 300)
        sent += payload["sent"]
        received.update(payload["received"])
        lags += payload["lags"]
    for worker in workers:
        worker.join(10)
    ideal = len(sent) * (len(received) - 1)
    delivered = sum(len(tags) for tags in received.values())
    return {"delivered": delivered, "ideal": ideal, "lag": spread(lags), "lags": lags}


def troublemakers(urls: list[str], seconds: float, inbox: Any) -> None:
    """Sleepers that never read after their handshake, and people whose connections drop
    (no close frame) and come back every FLAP_EVERY seconds, on each of `urls`."""
    logging.getLogger("asyncio").setLevel(logging.ERROR)  # writes to a dropped socket: expected
    asyncio.run(_troublemakers(urls, seconds))
    inbox.put("done")


async def _troublemakers(urls: list[str], seconds: float) -> None:
    sleepers = []
    for url in urls:
        parts = urlsplit(url)
        for index in range(SLEEPERS):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((parts.hostname, parts.port))
            sock.sendall(
                f"GET {parts.path}?name=sleeper{index} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            sleepers.append(sock)  # its answer and everything after are never read

    async def flap(url: str, index: int) -> None:
        end = time.time() + seconds
        while time.time() < end:
            with contextlib.suppress(Exception):
                ws = await websockets.connect(f"{url}?name=flapper{index}", max_size=None)
                if "arena" in url:
                    await ws.send(json.dumps({"action": "list"}))
                await asyncio.sleep(FLAP_EVERY)
                ws.transport.abort()  # the Wi-Fi drops: no close frame
            await asyncio.sleep(0.5)

    await asyncio.gather(*(flap(url, i) for url in urls for i in range(FLAPPERS)))
    for sock in sleepers:
        sock.close()


def cloud_gauges(cloud: RoomCloud) -> tuple[float, int, int]:
    """The cloud process's RSS (MB), its open files and sockets, and its workers.

    The pipes to its workers and the edge's end of their boto3 keep-alive connections are
    left out of the files: they come and go with the workers, which are counted on their own.
    A worker is one execution environment: on Linux a guard process and the worker it forked
    (`infra/local/runtime/guard.py`), so its children count."""
    import psutil

    process = psutil.Process(cloud.process.pid)
    fds = process.num_fds()
    with contextlib.suppress(OSError):  # Linux names each descriptor's kind
        folder = f"/proc/{process.pid}/fd"
        fds -= sum(_readlink(f"{folder}/{fd}").startswith("pipe:") for fd in os.listdir(folder))
    fds -= _sockets_to_workers(process)
    return process.memory_info().rss / 1e6, fds, len(process.children())


def _sockets_to_workers(process: Any) -> int:
    """The cloud's sockets whose other end is in one of its workers (their boto3 clients)."""
    import psutil

    ports: set[int] = set()
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            ports |= {c.laddr.port for c in child.net_connections("tcp") if c.laddr}
    with contextlib.suppress(psutil.Error):
        return sum(1 for c in process.net_connections("tcp") if c.raddr and c.raddr.port in ports)
    return 0


def stray_processes(cloud: RoomCloud) -> int:
    """Processes under the cloud that are neither a worker's guard nor the worker it forked."""
    import psutil

    guards = psutil.Process(cloud.process.pid).children()
    return sum(max(0, len(guard.children(True)) - 1) for guard in guards)


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:  # closed meanwhile
        return ""


def warm_worker_cap(cloud: RoomCloud) -> int:
    """How many workers the pools may keep warm: up to 4 per function, as AWS keeps
    execution environments warm (the cloud's `max_workers_per_function`)."""
    functions = cloud.client("lambda").get_paginator("list_functions").paginate()
    return 4 * sum(len(page["Functions"]) for page in functions)


def soak_once(
    arena_url: str, chat_url: str, seconds: float, processes: int, faults: bool,
    gauge: Callable[[], tuple[float, int, int]] | None,
) -> dict[str, Any]:  # fmt: skip
    """The room for `seconds`: the arena and the chat at once, with or without the faults."""
    results: dict[str, Any] = {}
    arena = threading.Thread(target=lambda: results.update(
        arena=run_arena(arena_url, SOAK_PEOPLE, SOAK_HZ, seconds, processes)))  # fmt: skip
    chat = threading.Thread(target=lambda: results.update(
        chat=run_chat(chat_url, SOAK_PEOPLE, CHAT_EVERY, seconds, processes)))  # fmt: skip
    trouble = None
    if faults:
        inbox = SPAWN.Queue()
        trouble = SPAWN.Process(
            target=troublemakers, args=([arena_url, chat_url], seconds, inbox), daemon=True
        )
        trouble.start()
    arena.start()
    chat.start()
    samples = []
    started = time.monotonic()
    while arena.is_alive() or chat.is_alive():
        if gauge is not None:
            samples.append((time.monotonic() - started, *gauge()))
        arena.join(10)
    chat.join()
    if trouble is not None:
        trouble.join(seconds + 30)
    results["gauges"] = samples
    return results


def both_halves(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two runs of the same load as one: deliveries summed, lags spread together."""
    return {
        "delivered": first["delivered"] + second["delivered"],
        "ideal": first["ideal"] + second["ideal"],
        "lag": spread(first["lags"] + second["lags"]),
    }


def run_soak(
    cloud: RoomCloud, floor: FloorProcess, report: Report, seconds: float, processes: int
) -> None:
    arena_url, chat_url = cloud.deploy("arena"), cloud.deploy("chat")
    label = f"soak {seconds:g} s"
    print(f"{label}: warming up (20 s, not measured) ...", flush=True)
    soak_once(arena_url, chat_url, 20, processes, False, None)  # both runs start warm
    # The load without the faults brackets the run with them, half before and half after: a
    # machine whose speed drifts (another program, a throttled CPU) weighs on both alike.
    print(f"{label}: the same 30 without the sleepers and the flapping, first half ...")
    calm_before = soak_once(arena_url, chat_url, seconds / 2, processes, False, None)
    wait_until_idle(cloud, report)
    idle_before = cloud_gauges(cloud)
    print(f"{label}: 30 people in the arena at 10 Hz, chatting, 3 asleep, 2 flapping ...")
    with cpu_of(cloud, f"{label} with the faults", report):
        faulty = soak_once(
            arena_url, chat_url, seconds, processes, True, lambda: cloud_gauges(cloud)
        )
    wait_until_idle(cloud, report)
    time.sleep(CLOSE_GRACE)  # the last $disconnects
    idle_after = cloud_gauges(cloud)
    cap, strays = warm_worker_cap(cloud), stray_processes(cloud)
    print(f"{label}: the same 30 without the sleepers and the flapping, second half ...")
    calm_after = soak_once(arena_url, chat_url, seconds / 2, processes, False, None)
    calm = {part: both_halves(calm_before[part], calm_after[part]) for part in ("arena", "chat")}
    print(f"{label}: the same on the floor ...", flush=True)
    raw = soak_once(floor.ws + "/arena", floor.ws + "/talk", seconds, processes, True, None)
    rss = [r for _, r, _, _ in faulty["gauges"]]
    # RSS and open files are compared with their level after the first minute (or, in a run
    # shorter than two minutes, halfway through).
    settle = 60.0 if seconds >= 120 else seconds / 2
    minute = next((i for i, (t, *_) in enumerate(faulty["gauges"]) if t >= settle), 0)
    timeouts = cloud.log_lines_matching("arena-", "Task timed out") + cloud.log_lines_matching(
        "chat-", "Task timed out"
    )

    def pct(result: dict[str, Any]) -> float:
        return 100.0 * result["delivered"] / result["ideal"] if result["ideal"] else float("nan")

    for part in ("arena", "chat"):
        mine, base, floor_ = faulty[part], calm[part], raw[part]
        report.add(
            Row(f"{label}, {part}: delivered to the awake", pct(mine), pct(floor_), "%",
                lambda v, f: v >= 99.0, ">= 99 %"),
            Row(f"{label}, {part}: lag p50", mine["lag"]["p50"], floor_["lag"]["p50"], "ms"),
            Row(f"{label}, {part}: lag p95", mine["lag"]["p95"], floor_["lag"]["p95"], "ms",
                at_most(1.25 * base["lag"]["p95"]),
                f"<= 1.25x without faults ({_fmt(base['lag']['p95'], 'ms')})"),
            Row(f"{label}, {part}: lag max", mine["lag"]["max"], floor_["lag"]["max"], "ms"),
            Row(f"{label}, {part}: without faults, delivered", pct(base), None, "%"),
        )  # fmt: skip
    report.add(
        Row(f"{label}: cloud RSS at the end (MB)", rss[-1], None, "",
            at_most(1.10 * rss[minute]),
            f"<= 110 % of minute one ({rss[minute]:.0f})"),
        Row(f"{label}: open files and sockets once idle again", idle_after[1], None, "",
            lambda v, f: v <= idle_before[1] + 5, f"no leak (idle before: {idle_before[1]})"),
        Row(f"{label}: worker processes once idle again", idle_after[2], None, "",
            lambda v, f: v <= cap, f"<= the pools' warm cap ({cap}; idle before:"
            f" {idle_before[2]})"),
        Row(f"{label}: processes beyond the workers once idle", strays, None, "",
            lambda v, f: v == 0, "none"),
        Row(f"{label}: 'Task timed out' in logs", timeouts, None, "", lambda v, f: v == 0, "none"),
    )  # fmt: skip
    report.notes.append(
        "  soak gauges (s, RSS MB, fds, workers): "
        + ", ".join(f"({t:.0f}, {r:.0f}, {f}, {w})" for t, r, f, w in faulty["gauges"][::6])
    )


def wait_until_idle(cloud: RoomCloud, report: Report, limit: float = 120.0) -> None:
    """Let the cloud finish what the last scenario left queued (a stream backlog, say)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cloud.cpu_seconds()
        time.sleep(1.0)
        if before != before or cloud.cpu_seconds() - before < 0.1:
            return
    report.notes.append(f"  the cloud was still busy {limit:.0f} s after a scenario")


@contextlib.contextmanager
def cpu_of(cloud: RoomCloud, label: str, report: Report) -> Iterator[None]:
    """Note how much CPU the cloud (and its workers) spent on a scenario."""
    wait_until_idle(cloud, report)
    before, started = cloud.cpu_seconds(), time.monotonic()
    yield
    spent, elapsed = cloud.cpu_seconds() - before, time.monotonic() - started
    if spent == spent:
        report.notes.append(
            f"  cloud CPU during {label}: {spent:.1f} s over {elapsed:.1f} s "
            f"({spent / elapsed:.2f} cores)"
        )


def node_missing() -> str | None:
    """Why the Node.js rows cannot run here, in a line; None when they can."""
    from infra.local.aws import runtimes
    from infra.local.runtime import node_sdk

    if why := runtimes.runnable(NODE_RUNTIME):
        return why
    return None if node_sdk.installed() else "no AWS SDK for JavaScript v3: `make workshop`"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(DEFAULT_SCENARIOS))
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--hz", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--fanout", type=int, default=100)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--echoes", type=int, default=500)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    parser.add_argument("--cloud-arg", action="append", default=[], help="passed to workshop cloud")
    args = parser.parse_args(argv)

    report = Report()
    floor = FloorProcess()
    cloud = RoomCloud("--no-state", *args.cloud_arg)
    print(f"workshop cloud on {cloud.url} (pid {cloud.process.pid}); floor on {floor.ws}")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    no_node = node_missing()
    try:
        if "echo" in args.only or "calls" in args.only:
            echo_url = cloud.deploy_folder(
                "echo", HERE / "apps" / "echo", [("$default", "echo.lambda_handler", True)]
            )
        if "echo" in args.only:
            print("echo round trip ...", flush=True)
            with cpu_of(cloud, "echo", report):
                local = run_in_process(echo_client, echo_url, args.echoes)
            raw = run_in_process(echo_client, floor.ws + "/echo", args.echoes)
            report.add(
                Row("echo round trip p50", local["p50"], raw["p50"], "ms",
                    lambda v, f: v <= 2.0 and (f is None or v <= 10 * f), "<= 2 ms and <= 10x"),
                Row("echo round trip p95", local["p95"], raw["p95"], "ms"),
            )  # fmt: skip
            if no_node:
                print(f"echo round trip, Node.js: skipped ({no_node})", flush=True)
            else:
                print("echo round trip, Node.js ...", flush=True)
                node_url = cloud.deploy_folder(
                    "nodeecho", HERE / "apps" / "node_echo", [("$default", "echo.handler", True)],
                    NODE_RUNTIME,
                )  # fmt: skip
                with cpu_of(cloud, "echo (Node.js)", report):
                    local = run_in_process(echo_client, node_url, args.echoes)
                report.add(
                    Row("echo round trip, Node.js p50", local["p50"], raw["p50"], "ms"),
                    Row("echo round trip, Node.js p95", local["p95"], raw["p95"], "ms"),
                )
        if "calls" in args.only:
            print("AWS calls through the edge ...", flush=True)
            with cpu_of(cloud, "calls", report):
                calls = run_in_process(calls_client, cloud.url, floor.http, echo_url, args.calls)
            for name, figures in calls.items():
                goal = (lambda v, f: v <= 1.0) if name == "UpdateItem" else None
                report.add(
                    Row(f"{name} through the edge p50", figures["raw"]["p50"],
                        figures["raw floor"]["p50"], "ms", goal, "<= 1 ms" if goal else ""),
                    Row(f"{name} from boto3 p50", figures["boto3"]["p50"],
                        figures["boto3 floor"]["p50"], "ms"),
                )  # fmt: skip
        if "fanout" in args.only:
            chat_url = cloud.deploy("chat")
            aws_url = cloud.deploy_folder(
                "awschat",
                HERE / "apps" / "aws_chat",
                [
                    ("$connect", "lambda_chat.lambda_handler", False),
                    ("$disconnect", "lambda_chat.lambda_handler", False),
                    ("sendmessage", "lambda_chat.lambda_handler", False),
                ],
            )
            styles = [
                ("kit", chat_url, "finished chat"),
                ("aws", aws_url, "AWS-idiom serial handler"),
            ]
            if no_node:
                print(f"fan-out, Node.js (AWS's sample): skipped ({no_node})", flush=True)
            else:
                node_url = cloud.deploy_folder(
                    "nodechat",
                    ROOT / "lambdas" / "chat-javascript",
                    [
                        ("$connect", "onconnect/app.handler", False),
                        ("$disconnect", "ondisconnect/app.handler", False),
                        ("sendmessage", "sendmessage/app.handler", False),
                    ],
                    NODE_RUNTIME,
                )
                styles.append(("node", node_url, "Node.js (AWS's sample)"))
            print(f"chat fan-out to {args.fanout} ...", flush=True)
            raw = run_in_process(
                fanout_client, floor.ws + "/chat", args.fanout, args.messages, "raw"
            )
            for style, url, label in styles:
                with cpu_of(cloud, f"fan-out ({label})", report):
                    local = run_in_process(fanout_client, url, args.fanout, args.messages, style)
                goal = (lambda v, f: v <= 250) if style == "aws" else None
                report.add(
                    Row(f"fan-out to {args.fanout}, {label}: last p50", local["last"]["p50"],
                        raw["last"]["p50"], "ms"),
                    Row(f"fan-out to {args.fanout}, {label}: last p95", local["last"]["p95"],
                        raw["last"]["p95"], "ms", goal, "<= 250 ms" if goal else ""),
                    Row(f"fan-out to {args.fanout}, {label}: lost", local["lost"], raw["lost"], ""),
                )  # fmt: skip
        if "connect" in args.only:
            chat_url = cloud.deploy("chat")
            print(f"{args.connections} connections ...", flush=True)
            raw = run_in_process(connect_client, floor.ws + "/connect", args.connections)
            with cpu_of(cloud, "connect", report):
                local = run_in_process(connect_client, chat_url, args.connections)
            report.add(
                Row(f"{args.connections} connections open (chat $connect)", local["seconds"],
                    raw["seconds"], "s", lambda v, f: v <= 5.0, "<= 5 s"),
                Row(f"{args.connections} connections: opened", local["opened"], raw["opened"], ""),
            )  # fmt: skip
        if "arena" in args.only:
            arena_url = cloud.deploy("arena")
            label = f"arena, {args.people} people at {args.hz:g} Hz for {args.seconds:g} s"
            print(f"{label} ...", flush=True)
            raw = run_arena(
                floor.ws + "/arena", args.people, args.hz, args.seconds, args.client_processes
            )
            with cpu_of(cloud, "arena", report):
                local = run_arena(
                    arena_url, args.people, args.hz, args.seconds, args.client_processes
                )
            timeouts = cloud.log_lines_matching("arena-", "Task timed out")
            report.add(
                Row(f"{label}: moves sent", local["moves_per_s"], raw["moves_per_s"], "/s"),
                Row(f"{label}: deliveries of ideal", local["delivered_pct"],
                    raw["delivered_pct"], "%", lambda v, f: v >= 99.0, ">= 99 %"),
                Row(f"{label}: lag p50", local["lag"]["p50"], raw["lag"]["p50"], "ms"),
                Row(f"{label}: lag p95", local["lag"]["p95"], raw["lag"]["p95"], "ms",
                    lambda v, f: v <= 250, "<= 250 ms"),
                Row(f"{label}: lag max", local["lag"]["max"], raw["lag"]["max"], "ms"),
                Row(f"{label}: out of order", local["out_of_order"], raw["out_of_order"], ""),
                Row(f"{label}: connections dropped", local["dropped"], raw["dropped"], "",
                    lambda v, f: v == 0, "none"),
                Row(f"{label}: 'Task timed out' in logs", timeouts, None, "",
                    lambda v, f: v == 0, "none"),
            )  # fmt: skip
            report.notes.append(
                f"  arena deliveries: {local['delivered']} of {local['ideal']} on the local cloud, "
                f"{raw['delivered']} of {raw['ideal']} on the floor"
            )
        if "soak" in args.only:
            run_soak(cloud, floor, report, args.soak_seconds, args.client_processes)
    finally:
        report.print()
        cloud.stop()
        floor.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
