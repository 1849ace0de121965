"""A room in the pointer arena: N people moving their mouse at ~20 Hz for a while.

Measures what a room feels: how long until a move shows up in someone else's arena (frame ->
`move` Lambda -> DynamoDB -> stream -> `tableTriggers` -> @connections -> client), and how many
moves per second the local cloud absorbs.

Run: `.venv/bin/python benchmarks/bench_arena.py [--people 10] [--seconds 10] [--hz 20]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time

import websockets

from infra.deploy import deploy_app
from infra.local.cloud import LocalCloud


async def person(url: str, index: int, seconds: float, hz: float, seen: list[float]) -> int:
    """Move for `seconds`, encoding the send time in clientX; record how late others' moves are."""
    async with websockets.connect(f"{url}?name=p{index}") as ws:
        await ws.send(json.dumps({"action": "list"}))
        reply = json.loads(await ws.recv())
        while reply.get("type") != "list":  # others' joins may arrive first
            reply = json.loads(await ws.recv())
        me = reply["you"]["id"]
        stop = time.monotonic() + seconds
        sent = 0

        async def listen() -> None:
            while True:
                frame = json.loads(await ws.recv())
                for change in frame.get("changes", []):
                    if change["kind"] == "move" and change["id"] != me and change["y"]:
                        sent_at = change["y"] * 1e4  # seconds within the run, see below
                        seen.append((time.monotonic() % 1e4) - sent_at)

        listener = asyncio.ensure_future(listen())
        while time.monotonic() < stop:
            # y carries the send time (mod 10^4 s, scaled into 0..1) so receivers can time it.
            stamp = (time.monotonic() % 1e4) / 1e4
            await ws.send(json.dumps({"action": "move", "clientX": 0.5, "clientY": stamp}))
            sent += 1
            await asyncio.sleep(1 / hz)
        await asyncio.sleep(2)  # let the last batches arrive
        listener.cancel()
        return sent


async def room(url: str, people: int, seconds: float, hz: float) -> None:
    seen: list[float] = []
    started = time.monotonic()
    sent = await asyncio.gather(*(person(url, i, seconds, hz, seen) for i in range(people)))
    elapsed = time.monotonic() - started - 2
    lag_ms = sorted(s * 1000 for s in seen)
    print(
        f"people={people} hz={hz}: {sum(sent)} moves in {elapsed:.1f} s "
        f"({sum(sent) / elapsed:.0f}/s); {len(lag_ms)} deliveries"
    )
    if lag_ms:
        p95 = lag_ms[int(0.95 * (len(lag_ms) - 1))]
        print(
            f"  move seen by another person: p50={statistics.median(lag_ms):.0f} ms  "
            f"p95={p95:.0f} ms  max={lag_ms[-1]:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--hz", type=float, default=20.0)
    args = parser.parse_args()
    with LocalCloud(port=0) as cloud:
        os.environ.update(cloud.env())
        url = deploy_app("arena")
        asyncio.run(room(url, args.people, args.seconds, args.hz))


if __name__ == "__main__":
    main()
