"""Toy WebSocket servers that speak each app's frames, run on their own thread and loop.

They stand in for the local cloud, so the widgets are tested without the gateway or Lambda.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request

Handler = Callable[[ServerConnection], Awaitable[None]]


@contextmanager
def running(handler: Handler) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 (a free port) on a fresh thread; yield its ws:// URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="toy-server", daemon=True)
    thread.start()

    async def start() -> Any:
        # A handler may register clients before the handshake completes, as the real gateway
        # does, so that a client is known to the server once its connect() returns.
        hook = getattr(handler, "process_request", None)
        return await serve(handler, "127.0.0.1", 0, process_request=hook)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(5)
    port = server.sockets[0].getsockname()[1]

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def query_of(ws: ServerConnection) -> dict[str, str]:
    """The connection's query string parameters (first value of each)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(ws.request.path).query).items()}


async def send_all(targets: list[ServerConnection], frame: dict[str, Any]) -> None:
    """Send one JSON frame to each target, ignoring ones that went away."""
    text = json.dumps(frame)
    for ws in targets:
        with suppress(Exception):
            await ws.send(text)


class ToyChat:
    """sendMessage goes to everyone but the sender; whisper to one name (as lambdas/chat)."""

    def __init__(self) -> None:
        self.names: dict[ServerConnection, str] = {}

    def process_request(self, ws: ServerConnection, request: Request) -> None:
        query = parse_qs(urlsplit(request.path).query)
        self.names[ws] = query.get("name", ["anonymous"])[0]

    async def __call__(self, ws: ServerConnection) -> None:
        name = self.names[ws]
        try:
            async for message in ws:
                body = json.loads(message)
                if body.get("action") == "sendMessage":
                    others = [other for other in self.names if other is not ws]
                    await send_all(others, {"type": "message", "from": name, "text": body["data"]})
                elif body.get("action") == "whisper":
                    to = [other for other, their in self.names.items() if their == body["to"]]
                    whisper = {"type": "whisper", "from": name, "text": body["data"]}
                    error = {"type": "error", "text": f"no one called {body['to']}"}
                    await (send_all(to, whisper) if to else send_all([ws], error))
        finally:
            del self.names[ws]


class ToyArena:
    """list / move / color as lambdas/arena: changes go to everyone, the mover included."""

    def __init__(self) -> None:
        self.pointers: dict[ServerConnection, dict[str, Any]] = {}
        self.ids = itertools.count(1)

    def others(self, ws: ServerConnection) -> list[ServerConnection]:
        return [other for other in self.pointers if other is not ws]

    async def __call__(self, ws: ServerConnection) -> None:
        number = next(self.ids)
        me = {"id": f"c{number}", "name": query_of(ws).get("name", f"Otter {number}")}
        me |= {"color": "#ff0000", "x": None, "y": None}
        self.pointers[ws] = me
        await send_all(self.others(ws), {"type": "changes", "changes": [{"kind": "join", **me}]})
        try:
            async for message in ws:
                body = json.loads(message)
                if body["action"] == "list":
                    you = {k: me[k] for k in ("id", "name", "color")}
                    pointers = [self.pointers[other] for other in self.others(ws)]
                    await send_all([ws], {"type": "list", "you": you, "pointers": pointers})
                elif body["action"] == "move" and not 0 <= body["clientX"] <= 1:
                    await send_all([ws], {"type": "error", "message": "clientX out of range"})
                elif body["action"] in ("move", "color"):
                    if body["action"] == "move":
                        me |= {"x": body["clientX"], "y": body["clientY"]}
                    else:
                        me["color"] = body["color"]
                    change = {"kind": "move", **me}
                    await send_all(list(self.pointers), {"type": "changes", "changes": [change]})
        finally:
            del self.pointers[ws]
            leave = {"kind": "leave", "id": me["id"]}
            await send_all(list(self.pointers), {"type": "changes", "changes": [leave]})


LINES = [[(0, 0), (0, 1), (0, 2)], [(1, 0), (1, 1), (1, 2)], [(2, 0), (2, 1), (2, 2)]]
LINES += [[(r, c) for r, c in zip(range(3), [col] * 3, strict=True)] for col in range(3)]
LINES += [[(0, 0), (1, 1), (2, 2)], [(0, 2), (1, 1), (2, 0)]]


class ToyTicTacToe:
    """start / join / move between two players, with the real game's rules."""

    def __init__(self) -> None:
        self.games: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)

    async def __call__(self, ws: ServerConnection) -> None:
        try:
            async for message in ws:
                await self.handle(ws, json.loads(message))
        finally:
            for game_id, game in self.games.items():
                if ws in game["players"].values():
                    others = [p for p in game["players"].values() if p is not ws]
                    await send_all(others, {"type": "opponent_left", "gameId": game_id})

    async def handle(self, ws: ServerConnection, body: dict[str, Any]) -> None:
        if body["type"] == "start":
            game_id = f"game-{next(self.ids)}"
            board = [[""] * 3 for _ in range(3)]
            self.games[game_id] = {"players": {"X": ws}, "board": board, "turn": "X"}
            await send_all([ws], {"type": "started", "gameId": game_id, "mark": "X"})
            return
        game = self.games.get(body.get("gameId", ""))
        if game is None:
            await send_all([ws], {"type": "error", "message": "no such game"})
        elif body["type"] == "join":
            game["players"]["O"] = ws
            for mark, player in game["players"].items():
                begin = {"type": "begin", "gameId": body["gameId"], "board": game["board"]}
                await send_all([player], begin | {"turn": "X", "mark": mark})
        elif body["type"] == "move":
            await self.move(ws, body, game)

    async def move(self, ws: ServerConnection, body: dict[str, Any], game: dict[str, Any]) -> None:
        mark, row, col = game["turn"], body["row"], body["col"]
        if game["players"].get(mark) is not ws or game["board"][row][col]:
            await send_all([ws], {"type": "error", "message": "not your turn"})
            return
        game["board"][row][col] = mark
        game["turn"] = "O" if mark == "X" else "X"
        board = game["board"]
        won = any(all(board[r][c] == mark for r, c in line) for line in LINES)
        full = all(all(row) for row in board)
        winner = mark if won else ("draw" if full else None)
        state = {"type": "state", "gameId": body["gameId"], "board": board, "turn": game["turn"]}
        state |= {"winner": winner, "last": {"row": row, "col": col, "mark": mark}}
        await send_all(list(game["players"].values()), state)


class ToyTrace:
    """Streams the given hops to each client of /_workshop/trace, then stays open."""

    def __init__(self, hops: list[dict[str, Any]]) -> None:
        self.hops = hops
        self.paths: list[str] = []

    async def __call__(self, ws: ServerConnection) -> None:
        self.paths.append(ws.request.path)
        for hop in self.hops:
            await ws.send(json.dumps(hop))
        await ws.wait_closed()
