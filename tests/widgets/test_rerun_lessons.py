"""Re-running the widget cells of lessons 05-07 in one kernel opens no extra connections.

The learner's notebooks 05, 06 and 07 run top to bottom in one kernel, against a local cloud in
this process; then every cell that builds a widget runs again, three times over. Each re-run
closes the widgets it replaces, so the cloud's open connections (gateway connections and trace
feeds) stay as many as after the first re-run, and no widget of an older run is still connected.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from infra.local.cloud import LocalCloud

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ["05-live-chat.ipynb", "06-pointer-arena.ipynb", "07-noughts-and-crosses.ipynb"]
BUILDS_A_WIDGET = re.compile(r"\b(ChatClient|Arena|TicTacToe|Trace)\(")
CATCH_UP = re.compile(r"\blessons\.catch_up")  # the cell that sets the lesson's endpoint
RERUNS = 3

# Run in the kernel: how many widgets of this kernel are still connected.
COUNT_CONNECTED = """
import gc as _gc
from infra.widgets.connection import ConnectionFacade as _Facade

def _is_open(thing):
    try:
        return isinstance(thing, _Facade) and thing.connected
    except ReferenceError:  # a weak proxy whose object is gone
        return False

_open = [thing for thing in _gc.get_objects() if _is_open(thing)]
print(len(_open), sorted(f"{type(t).__name__} {t._connection.url}" for t in _open))
"""


def open_connections(cloud: LocalCloud) -> int:
    """WebSocket connections the local cloud holds open: API connections and trace feeds."""
    return len(cloud.registry._connections) + len(cloud.trace._subscribers)


def lessons_in_one_notebook() -> tuple[nbformat.NotebookNode, list[list[int]]]:
    """Lessons 05-07's code cells as one notebook, and per lesson the cells to run again.

    Those are the lesson's widget cells, after its catch-up cell (idempotent), which sets the
    endpoint its widgets join: in one kernel a later lesson may rebind the same name (`url`).
    """
    merged = nbformat.v4.new_notebook()
    reruns = []
    for name in LESSONS:
        lesson = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        start = len(merged.cells)
        merged.cells += [cell for cell in lesson.cells if cell.cell_type == "code"]
        cells = range(start, len(merged.cells))
        catch_up = [i for i in cells if CATCH_UP.search(merged.cells[i].source)][:1]
        builds = [i for i in cells if BUILDS_A_WIDGET.search(merged.cells[i].source)]
        assert catch_up and builds, f"{name}: no catch-up cell, or no cell builds a widget"
        reruns.append(catch_up + builds)
    return merged, reruns


def run(client: NotebookClient, source: str) -> str:
    """Run `source` as a new cell in the client's kernel; its printed text."""
    cell = nbformat.v4.new_code_cell(source)
    client.nb.cells.append(cell)
    client.execute_cell(cell, len(client.nb.cells) - 1)
    return "".join(output.get("text", "") for output in cell.outputs)


def settled(cloud: LocalCloud, client: NotebookClient) -> int:
    """The open-connection count once closes in flight have reached the cloud."""
    run(client, "import time; time.sleep(1.0)")
    return open_connections(cloud)


def test_rerunning_widget_cells_opens_no_extra_connections(cloud: LocalCloud) -> None:
    """After Run All of 05-07, re-running their widget cells leaves the connection count as is."""
    notebook, reruns = lessons_in_one_notebook()
    widget_cells = [notebook.cells[i] for cells in reruns for i in cells[1:]]
    assert len(widget_cells) >= 4, "lessons 05-07 build chat, trace, arena and board widgets"
    client = NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    )
    with client.setup_kernel():
        for index, cell in enumerate(list(notebook.cells)):
            client.execute_cell(cell, index)
        after_run_all = settled(cloud, client)
        counts = []
        for _ in range(RERUNS):
            for index in (i for cells in reruns for i in cells):
                client.execute_cell(notebook.cells[index], index)
            counts.append(settled(cloud, client))
        connected_text = run(client, COUNT_CONNECTED).strip()
        connected = int(connected_text.split()[0])
    assert counts == [after_run_all] * RERUNS, (
        f"open connections after Run All: {after_run_all}, after each re-run: {counts}"
    )
    made = sum(len(BUILDS_A_WIDGET.findall(cell.source)) for cell in widget_cells)
    assert connected <= made, (
        f"widgets connected in the kernel: {connected_text}; a round makes {made}"
    )
