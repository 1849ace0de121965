"""Two people in two JupyterLab pages, each running a whole lesson with Run > Run All Cells.

Nothing is re-run afterwards: what Run All leaves on screen must be live. What one page does in
a widget (types a chat message, moves the mouse over the arena) shows up in the other page's
widget, through the local cloud; the arena draws the page's own pointer, marked "(you)"; and
lesson 05's Trace draws the message as a sequence diagram. Each person is renamed per page
(page A: "bob" -> "ada", "ada" -> "grace"; page B: "ada" -> "linus"), so two kernels on one
endpoint are told apart. The screenshots land in docs/screenshots/ (README shows them).
"""

from __future__ import annotations

import base64
import html
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.lab import JupyterLab, page_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parents[2]
CHAT_LESSON = ROOT / "notebooks" / "05-live-chat.ipynb"
ARENA_LESSON = ROOT / "notebooks" / "06-pointer-arena.ipynb"
SCREENSHOTS = ROOT / "docs" / "screenshots"

PAGE_A_NAMES = {"bob": "ada", "ada": "grace"}
PAGE_B_NAMES = {"ada": "linus"}

VIEWPORT = {"width": 1000, "height": 900}
WAIT_MS = 30_000  # generous: kernels start and Lambda workers warm up on a 2-core machine
RUN_ALL_S = 240.0  # a whole lesson, catch-up and challenge checks included

KERNEL_IDLE = """() => {
  const panel = window.jupyterapp?.shell?.currentWidget;
  return panel?.sessionContext?.session?.kernel?.status === "idle";
}"""

# Where Run All is: code cells not run yet, the errors so far, and the kernel's status.
RUN_ALL_PROGRESS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.model.cells;
  const errors = [];
  let pending = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== "code" || !cell.sharedModel.getSource().trim()) continue;
    if (cell.executionCount === null) pending++;
    for (let j = 0; j < cell.outputs.length; j++) {
      const output = cell.outputs.get(j).toJSON();
      if (output.output_type === "error") errors.push(`${output.ename}: ${output.evalue}`);
    }
  }
  return { pending, errors, status: panel.sessionContext.session?.kernel?.status };
}"""

# Names may repeat (the arena picks adjective-animal pairs): any pointer of that name counts.
POINTER_AT = """([name, x, y, own]) => [...document.querySelectorAll(".arena-pointer")].some(
  (node) => node.dataset.name === name && !node.hidden
    && node.classList.contains("arena-pointer-you") === own
    && Math.abs(parseFloat(node.style.left) - x * 100) < 2
    && Math.abs(parseFloat(node.style.top) - y * 100) < 2)"""

DRAWN_POINTERS = """(nodes) => nodes.map((node) => [
  node.dataset.name, node.className, node.hidden, node.style.left, node.style.top])"""

CHAT_LINE = """([pattern]) => [...document.querySelectorAll(".widget-textarea textarea")].some(
  (box) => new RegExp(pattern, "m").test(box.value))"""


def open_lesson(
    browser: Browser, lab: JupyterLab, lesson: Path, names: dict[str, str], copy_name: str
) -> Page:
    """A new page (its own browser context) showing a renamed copy of `lesson`, run with Run All."""
    page_notebook(lesson, names, lab.notebook_dir / copy_name)
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(f"{lab.url}/doc/tree/{copy_name}")
    page.wait_for_function(KERNEL_IDLE, timeout=WAIT_MS * 2)
    run_all_from_the_menu(page, copy_name)
    return page


def run_all_from_the_menu(page: Page, copy_name: str) -> None:
    """Click Run > Run All Cells, as a learner does, and wait until every cell has run."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    deadline = time.monotonic() + RUN_ALL_S
    progress: dict[str, Any] = {}
    while time.monotonic() < deadline:
        progress = page.evaluate(RUN_ALL_PROGRESS)
        if progress["errors"]:
            pytest.fail(f"{copy_name}: Run All stopped at an error: {progress['errors']}")
        if progress["pending"] == 0 and progress["status"] == "idle":
            return
        time.sleep(0.5)
    pytest.fail(f"{copy_name}: Run All did not finish in {RUN_ALL_S:.0f} s ({progress})")


def save_side_by_side(browser: Browser, shots: list[tuple[str, bytes]], path: Path) -> None:
    """One PNG with the screenshots next to each other, each under its caption."""
    figures = "".join(
        f"<figure><figcaption>{html.escape(caption)}</figcaption>"
        f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}"></figure>'
        for caption, png in shots
    )
    style = (
        "main{display:flex;align-items:flex-start;gap:16px;padding:12px;"
        "background:#e8e8e8;width:max-content}"
        "figure{margin:0;background:#fff;padding:8px;border-radius:6px}"
        "figcaption{font:600 15px system-ui,sans-serif;margin-bottom:6px}"
        "img{display:block;border:1px solid #ccc}"
    )
    page = browser.new_page()
    try:
        page.set_content(f"<style>body{{margin:0}}{style}</style><main>{figures}</main>")
        path.parent.mkdir(parents=True, exist_ok=True)
        page.locator("main").screenshot(path=path)
    finally:
        page.close()


def chat_widget(page: Page, name: str) -> Locator:
    """`name`'s chat widget on the page: its status line, log, text box and Send button."""
    status = page.get_by_text(f"{name}: connected", exact=True)
    expect(status.first).to_be_visible(timeout=WAIT_MS)
    return (
        page.locator(".widget-vbox")
        .filter(has=page.locator(".widget-textarea"))
        .filter(has=page.locator(".widget-text input"))
        .filter(has=status)
        .last
    )


def wait_for_chat_line(page: Page, line: str, where: str) -> None:
    """Wait until a chat log on the page has `line` (a regex); say what the logs hold otherwise."""
    try:
        page.wait_for_function(CHAT_LINE, arg=[line], timeout=WAIT_MS)
    except PlaywrightTimeoutError:
        logs = page.eval_on_selector_all(
            ".widget-textarea textarea", "(boxes) => boxes.map((box) => box.value)"
        )
        pytest.fail(f"{where} never showed {line!r}; its chat logs: {logs}")


def test_run_all_then_chat_and_trace(browser: Browser, lab: JupyterLab) -> None:
    """After Run All, a message typed in page A's chat shows in page B's; A's Trace draws it."""
    page_a = open_lesson(browser, lab, CHAT_LESSON, PAGE_A_NAMES, "chat-a.ipynb")
    page_b = open_lesson(browser, lab, CHAT_LESSON, PAGE_B_NAMES, "chat-b.ipynb")
    chat_a = chat_widget(page_a, "ada")  # the lesson's bob, renamed
    chat_a.scroll_into_view_if_needed()
    chat_b = chat_widget(page_b, "bob")

    message_box = chat_a.locator(".widget-text input")
    message_box.fill("hello from page A")
    message_box.press("Enter")

    wait_for_chat_line(page_b, r"^ada: hello from page A$", "page B")
    if page_a.locator(".widget-textarea").count() > 1:  # the lesson shows its other person too
        wait_for_chat_line(page_a, r"^ada: hello from page A$", "page A's other chat widget")
    sent = re.compile(r"^ada \(you\): hello from page A$", re.M)
    expect(chat_a.locator(".widget-textarea textarea")).to_have_value(sent)

    chat_b.scroll_into_view_if_needed()
    save_side_by_side(
        browser,
        [
            ("Page A: ada types", chat_a.screenshot()),
            ("Page B: bob receives", chat_b.screenshot()),
        ],
        SCREENSHOTS / "chat-two-participants.png",
    )

    # Lesson 05's Trace, in page A: the typed message as a sequence diagram, hop by hop.
    trace = page_a.locator(".workshop-trace").first
    trace.scroll_into_view_if_needed()
    expect(trace).to_contain_text("hello from page A", timeout=WAIT_MS)
    newest = trace.locator(".workshop-trace-message").first
    expect(newest).to_contain_text("sendMessage")
    expect(newest).to_contain_text("chat-sendMessage")
    expect(newest).to_contain_text("@connections")
    expect(newest).to_contain_text("POST 200")
    expect(newest.locator("svg")).to_be_visible()
    save_side_by_side(
        browser,
        [("Trace: client → gateway → route → Lambda → @connections → clients", trace.screenshot())],
        SCREENSHOTS / "trace.png",
    )


def test_run_all_then_pointers_in_the_arena(browser: Browser, lab: JupyterLab) -> None:
    """After Run All, page A's mouse is drawn in page B's arena, and A draws its own, as "(you)"."""
    page_a = open_lesson(browser, lab, ARENA_LESSON, PAGE_A_NAMES, "arena-a.ipynb")
    page_b = open_lesson(browser, lab, ARENA_LESSON, PAGE_B_NAMES, "arena-b.ipynb")
    name_a, name_b = arena_name(page_a), arena_name(page_b)

    move_mouse_across(page_a, [(0.2, 0.2), (0.45, 0.3), (0.6, 0.35)])
    wait_for_pointer(page_a, name_a, 0.6, 0.35, own=True)  # at once, before any round trip
    wait_for_pointer(page_b, name_a, 0.6, 0.35, own=False)
    expect(page_a.locator(".arena-pointer-you .arena-pointer-label").first).to_have_text(
        f"{name_a} (you)"
    )

    # For the screenshot: B moves too, so each page shows its own pointer and the other's.
    move_mouse_across(page_b, [(0.7, 0.8), (0.8, 0.6)])
    wait_for_pointer(page_a, name_b, 0.8, 0.6, own=False)
    wait_for_pointer(page_b, name_b, 0.8, 0.6, own=True)
    save_side_by_side(
        browser,
        [
            (f"Page A: {name_a} (ring) sees {name_b}", arena(page_a).screenshot()),
            (f"Page B: {name_b} (ring) sees {name_a}", arena(page_b).screenshot()),
        ],
        SCREENSHOTS / "arena-two-participants.png",
    )


def arena(page: Page) -> Locator:
    """The page's first arena widget: its status line and area."""
    return page.locator(".arena").first


def wait_for_pointer(page: Page, name: str, x: float, y: float, *, own: bool) -> None:
    """Wait until the page's arena draws `name`'s pointer at (x, y); say what it drew otherwise."""
    try:
        page.wait_for_function(POINTER_AT, arg=[name, x, y, own], timeout=WAIT_MS)
    except PlaywrightTimeoutError:
        drawn = page.eval_on_selector_all(".arena-pointer", DRAWN_POINTERS)
        status = page.locator(".arena-status").all_inner_texts()
        pytest.fail(f"no pointer {name!r} (own={own}) at ({x}, {y}); arena {status} shows {drawn}")


def arena_name(page: Page) -> str:
    """The name the arena's $connect gave the page's own pointer (its status shows it)."""
    status = arena(page).locator(".arena-status")
    named = re.compile(r" as (.+?) ·")
    # The status is redrawn as people come and go: wait for a text that names the pointer, then
    # read that text (reading it again later may catch it mid-redraw).
    expect(status).to_have_text(named, timeout=WAIT_MS)
    deadline = time.monotonic() + WAIT_MS / 1000
    status.scroll_into_view_if_needed()  # JupyterLab may not render cells far off screen
    while not (found := named.search(text := status.text_content() or "")):
        assert time.monotonic() < deadline, f"the arena's status never named its pointer: {text!r}"
        time.sleep(0.1)
    return found.group(1)


def move_mouse_across(page: Page, points: list[tuple[float, float]]) -> None:
    """Move the real mouse over the page's arena through `points` (fractions of its size)."""
    area = arena(page).locator(".arena-area")
    area.scroll_into_view_if_needed()
    box = steady_box(area)
    for x, y in points:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=5)


def steady_box(area: Locator) -> dict[str, float]:
    """The area's box once it stops moving (JupyterLab lays out cells above it after a scroll)."""
    box = area.bounding_box()
    for _ in range(30):
        time.sleep(0.1)
        again = area.bounding_box()
        if again == box and box is not None:
            return box
        box = again
    assert box is not None, "the arena is not on screen"
    return box
