"""End-to-end benchmark of the local cloud: what a learner waits for in a notebook cell.

Deploys the finished chat app onto a fresh local cloud, then measures
- `deploy_app("chat")`, cold and again (idempotent re-run),
- connecting (`$connect` runs a Lambda that writes to DynamoDB),
- a chat round trip: ada's frame -> route -> `sendMessage` Lambda (scan + @connections post)
  -> bob receives it, with N people in the room.

Run: `.venv/bin/python benchmarks/bench_gateway.py [--messages 200] [--room 10]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import urllib.parse

import websockets

from infra.deploy import deploy_app
from infra.local.cloud import LocalCloud


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(name: str, samples_ms: list[float]) -> str:
    return (
        f"{name:<34} n={len(samples_ms):<4} p50={statistics.median(samples_ms):7.1f} ms  "
        f"p95={percentile(samples_ms, 0.95):7.1f} ms"
    )


async def measure(url: str, messages: int, room: int) -> None:
    connects: list[float] = []
    clients = []
    for index in range(room):
        started = time.perf_counter()
        name = urllib.parse.quote(f"p{index}")
        clients.append(await websockets.connect(f"{url}?name={name}"))
        connects.append((time.perf_counter() - started) * 1000)
    print(summary(f"connect ($connect Lambda), room={room}", connects))
    ada, bob, others = clients[0], clients[1], clients[2:]
    round_trips: list[float] = []
    for index in range(messages):
        started = time.perf_counter()
        await ada.send(json.dumps({"action": "sendMessage", "data": f"m{index}"}))
        while json.loads(await bob.recv())["text"] != f"m{index}":
            pass
        round_trips.append((time.perf_counter() - started) * 1000)
        for other in others:  # drain the rest of the room so buffers stay small
            await other.recv()
    print(summary(f"chat round trip, room={room}", round_trips))
    for client in clients:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--room", type=int, default=10)
    args = parser.parse_args()
    with LocalCloud(port=0) as cloud:
        os.environ.update(cloud.env())
        started = time.perf_counter()
        url = deploy_app("chat")
        cold = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        deploy_app("chat")
        warm = (time.perf_counter() - started) * 1000
        print(f"{'deploy_app(chat): first / re-run':<34} {cold:7.0f} ms / {warm:7.0f} ms")
        asyncio.run(measure(url, args.messages, args.room))


if __name__ == "__main__":
    main()
