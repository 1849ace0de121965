"""Arena against a toy pointer server, and its front-end code."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.widgets import Arena
from infra.widgets.arena import HERE, apply_changes
from tests.widgets.servers import ToyArena, running


@pytest.fixture
def arena_url() -> Iterator[str]:
    with running(ToyArena()) as url:
        yield url


@pytest.fixture
def pair(arena_url: str) -> Iterator[tuple[Arena, Arena]]:
    first = Arena(arena_url, "Brave Otter")
    first.wait_for(lambda f: f["type"] == "list")
    second = Arena(arena_url, "Calm Heron")
    second.wait_for(lambda f: f["type"] == "list")
    yield first, second
    first.close()
    second.close()


def test_asks_for_the_list_on_connect(arena_url: str) -> None:
    """On connect the widget sends list and learns who it is."""
    arena = Arena(arena_url, "Brave Otter")
    arena.wait_for(lambda f: f["type"] == "list")
    assert arena.you == {"id": "c1", "name": "Brave Otter", "color": "#ff0000"}
    assert arena.pointers == {}
    arena.close()


def test_own_moves_update_you_not_pointers(pair: tuple[Arena, Arena]) -> None:
    """The server's echo of our own move lands in `you`; `pointers` holds only the others."""
    first, _ = pair
    first.move(0.5, 0.5)
    first.wait_for(lambda f: f["changes"][0].get("id") == first.you["id"])
    assert first.you["x"] == 0.5
    assert first.you["id"] not in first.pointers


def test_sees_another_participant_join(pair: tuple[Arena, Arena]) -> None:
    """A participant who joins later appears in the pointers of the one already there."""
    first, second = pair
    first.wait_for(lambda f: f["changes"][0]["kind"] == "join")
    assert first.pointers[second.you["id"]]["name"] == "Calm Heron"


def test_sees_another_participant_move(pair: tuple[Arena, Arena]) -> None:
    """A move by one participant updates the other's pointers dict."""
    first, second = pair
    second.move(0.25, 0.75)
    first.wait_for(lambda f: f["changes"][0].get("x") == 0.25)
    assert first.pointers[second.you["id"]] == {
        "name": "Calm Heron",
        "color": "#ff0000",
        "x": 0.25,
        "y": 0.75,
    }


def test_move_is_clamped_to_the_area(pair: tuple[Arena, Arena]) -> None:
    """Coordinates outside 0..1 are clamped before they are sent."""
    first, second = pair
    second.move(1.5, -0.2)
    first.wait_for(lambda f: f["changes"][0].get("x") == 1.0)
    assert (first.pointers[second.you["id"]]["y"]) == 0.0


def test_sees_another_participant_leave(pair: tuple[Arena, Arena]) -> None:
    """When a participant disconnects, its pointer is removed."""
    first, second = pair
    gone = second.you["id"]
    second.close()
    first.wait_for(lambda f: f["changes"][0]["kind"] == "leave")
    assert gone not in first.pointers


def test_set_color_sends_the_color_action(pair: tuple[Arena, Arena]) -> None:
    """set_color sends the color action and others see the new colour."""
    first, second = pair
    second.set_color("#1e90ff")
    first.wait_for(lambda f: f["changes"][0].get("color") == "#1e90ff")
    assert first.pointers[second.you["id"]]["color"] == "#1e90ff"


def test_error_frames_are_kept(pair: tuple[Arena, Arena]) -> None:
    """An error frame (a rejected move) lands in errors."""
    first, _ = pair
    first._connection.send_json({"action": "move", "clientX": 7, "clientY": 0})
    first.wait_for(lambda f: f["type"] == "error")
    assert first.errors == ["clientX out of range"]


def test_browser_moves_are_forwarded(pair: tuple[Arena, Arena]) -> None:
    """A move message from the front end is sent on over the WebSocket."""
    first, second = pair
    second._on_browser_message(second, {"type": "move", "x": 0.5, "y": 0.1}, [])
    first.wait_for(lambda f: f["changes"][0].get("y") == 0.1)


def test_disconnect_keeps_the_widget_and_shows_it(arena_url: str) -> None:
    """disconnect() closes the WebSocket and the synced status says 'disconnected'."""
    arena = Arena(arena_url)
    arena.disconnect()
    assert arena.status == "disconnected"
    assert arena.comm is not None
    arena.close()


def test_apply_changes_merges_partial_moves() -> None:
    """A move that carries only x/y keeps the pointer's name and colour."""
    pointers = {"a": {"name": "A", "color": "#000000", "x": 0.1, "y": 0.1}}
    moved = apply_changes(pointers, [{"kind": "move", "id": "a", "x": 0.5, "y": 0.6}])
    assert moved["a"] == {"name": "A", "color": "#000000", "x": 0.5, "y": 0.6}
    assert pointers["a"]["x"] == 0.1


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_front_end_is_valid_javascript(tmp_path: Path) -> None:
    """The ESM parses as a JavaScript module."""
    module = tmp_path / "arena.mjs"
    module.write_text((HERE / "arena.js").read_text())
    subprocess.run(["node", "--check", str(module)], check=True)


def run_front_end(scenario: str) -> None:
    """Run one scenario of arena_front_end.mjs (a fake DOM and model) against the ESM."""
    harness = Path(__file__).parent / "arena_front_end.mjs"
    result = subprocess.run(
        ["node", str(harness), str(HERE / "arena.js"), scenario], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@needs_node
def test_front_end_draws_other_pointers() -> None:
    """Each other participant is a .arena-pointer with data-id/data-name, placed by x/y; not us."""
    run_front_end("draws-others")


@needs_node
def test_front_end_shows_names_as_text() -> None:
    """A name containing HTML is set as text, never as markup."""
    run_front_end("names-are-text")


@needs_node
def test_front_end_follows_pointer_and_status_changes() -> None:
    """Changes to pointers and status redraw the area."""
    run_front_end("follows-changes")


@needs_node
def test_front_end_throttles_moves() -> None:
    """Moves go to Python at most once per throttle_ms, the latest position winning."""
    run_front_end("throttles-moves")


@needs_node
def test_front_end_draws_own_pointer_marked_as_yours() -> None:
    """Our pointer follows the mouse at once, labelled "(you)", and the server's echo places it."""
    run_front_end("draws-own-pointer")


@needs_node
def test_front_end_cleans_up() -> None:
    """After the view is removed, pointer moves are no longer sent."""
    run_front_end("cleans-up")
