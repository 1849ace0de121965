"""Two people in two JupyterLab pages, each running the lesson notebook in its own kernel.

What one does in the browser shows up in the other page, through the local cloud. In the chat,
page A's participant is "ada" and page B's is "bob" (each notebook's Python-driven helper is
renamed too); the arena names every pointer itself.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.lab import JupyterLab, page_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
CHAT_LESSON = ROOT / "notebooks" / "05-live-chat.ipynb"
ARENA_LESSON = ROOT / "notebooks" / "06-pointer-arena.ipynb"
SCREENSHOTS = ROOT / "docs" / "screenshots"

# In the chat lesson, "bob" is the widget on screen and "ada" is driven from Python.
PAGE_A_NAMES = {"bob": "ada", "ada": "grace"}
PAGE_B_NAMES = {"ada": "linus"}

VIEWPORT = {"width": 820, "height": 900}
WAIT_MS = 30_000  # generous: kernels start and Lambda workers warm up on a 2-core machine

RUN_ALL_CELLS = """async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  return await app.commands.execute("notebook:run-all-cells");
}"""

APP_READY = """() => {
  const panel = window.jupyterapp?.shell?.currentWidget;
  return Boolean(panel?.sessionContext && panel?.context);
}"""

# Names are random adjective-animal pairs and may repeat: any pointer of that name at (x, y) counts.
POINTER_AT = """([name, x, y]) => [...document.querySelectorAll(".arena-pointer")].some(
  (node) => node.dataset.name === name && !node.hidden
    && Math.abs(parseFloat(node.style.left) - x * 100) < 2
    && Math.abs(parseFloat(node.style.top) - y * 100) < 2)"""


DRAWN_POINTERS = """(nodes) => nodes.map(
  (node) => [node.dataset.name, node.hidden, node.style.left, node.style.top])"""


def open_lesson(
    browser: Browser, lab: JupyterLab, lesson: Path, names: dict[str, str], copy_name: str
) -> Page:
    """A new browser page (its own context) showing a renamed copy of `lesson`, all cells run."""
    page_notebook(lesson, names, lab.notebook_dir / copy_name)
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(f"{lab.url}/doc/tree/{copy_name}")
    page.wait_for_function(APP_READY, timeout=WAIT_MS)
    if not page.evaluate(RUN_ALL_CELLS):
        errors = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
        pytest.fail(f"{copy_name}: a cell failed:\n" + "\n".join(errors.all_inner_texts()))
    return page


def widget_cell(page: Page, widget_selector: str) -> Locator:
    """The notebook cell whose output holds the widget: its code and the widget, for a screenshot."""
    return page.locator(".jp-CodeCell", has=page.locator(widget_selector)).last


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


def test_chat_message_typed_in_one_page_shows_in_the_other(
    browser: Browser, lab: JupyterLab
) -> None:
    """A message typed into ada's chat widget in one page appears in bob's, in another page."""
    ada = open_lesson(browser, lab, CHAT_LESSON, PAGE_A_NAMES, "chat-ada.ipynb")
    bob = open_lesson(browser, lab, CHAT_LESSON, PAGE_B_NAMES, "chat-bob.ipynb")
    expect(bob.get_by_text("bob: connected")).to_be_visible(timeout=WAIT_MS)

    message_box = ada.locator(".widget-text input")
    message_box.fill("hello from ada")
    message_box.press("Enter")

    received = re.compile(r"^ada: hello from ada$", re.M)
    expect(bob.locator(".widget-textarea textarea")).to_have_value(received, timeout=WAIT_MS)

    sent = re.compile(r"^ada \(you\): hello from ada$", re.M)
    expect(ada.locator(".widget-textarea textarea")).to_have_value(sent)
    save_side_by_side(
        browser,
        [
            ("Page A: ada types", widget_cell(ada, ".widget-textarea").screenshot()),
            ("Page B: bob receives", widget_cell(bob, ".widget-textarea").screenshot()),
        ],
        SCREENSHOTS / "chat-two-participants.png",
    )

    # Lesson 05's Trace, in page A, shows the typed message's hops: in, route, Lambda, posts out.
    trace = ada.locator(".workshop-trace").last
    expect(trace).to_contain_text("hello from ada", timeout=WAIT_MS)
    expect(trace).to_contain_text("route sendMessage")
    expect(trace).to_contain_text("chat-sendMessage")
    expect(trace.locator("tr", has_text="post").first).to_be_visible()
    save_side_by_side(
        browser,
        [("Trace: frame in -> route -> Lambda -> @connections", trace.screenshot())],
        SCREENSHOTS / "trace.png",
    )


def test_pointer_moved_in_one_page_is_drawn_in_the_other(browser: Browser, lab: JupyterLab) -> None:
    """Moving the mouse over the arena in page A draws A's pointer at that place in page B."""
    page_a = open_lesson(browser, lab, ARENA_LESSON, PAGE_A_NAMES, "arena-a.ipynb")
    page_b = open_lesson(browser, lab, ARENA_LESSON, PAGE_B_NAMES, "arena-b.ipynb")
    name_a, name_b = arena_name(page_a), arena_name(page_b)

    move_mouse_across(page_a, [(0.2, 0.2), (0.45, 0.3), (0.6, 0.35)])

    wait_for_pointer(page_b, name_a, 0.6, 0.35)

    # For the screenshot: B moves too, so each page shows the other's pointer.
    move_mouse_across(page_b, [(0.7, 0.8), (0.8, 0.6)])
    wait_for_pointer(page_a, name_b, 0.8, 0.6)
    save_side_by_side(
        browser,
        [
            (f"Page A: {name_a}", widget_cell(page_a, ".arena-area").screenshot()),
            (f"Page B: {name_b}", widget_cell(page_b, ".arena-area").screenshot()),
        ],
        SCREENSHOTS / "arena-two-participants.png",
    )


def wait_for_pointer(page: Page, name: str, x: float, y: float) -> None:
    """Wait until the page's arena draws `name`'s pointer at (x, y); say what it drew otherwise."""
    try:
        page.wait_for_function(POINTER_AT, arg=[name, x, y], timeout=WAIT_MS)
    except PlaywrightTimeoutError:
        drawn = page.eval_on_selector_all(".arena-pointer", DRAWN_POINTERS)
        status = page.locator(".arena-status").inner_text()
        pytest.fail(f"no pointer {name!r} at ({x}, {y}); the arena ({status}) shows {drawn}")


def arena_name(page: Page) -> str:
    """The name the arena's $connect gave the page's own pointer (its status shows it)."""
    status = page.locator(".arena-status")
    expect(status).to_contain_text(" as ", timeout=WAIT_MS)
    found = re.search(r" as (.+?) ·", status.inner_text())
    assert found, status.inner_text()
    return found.group(1)


def move_mouse_across(page: Page, points: list[tuple[float, float]]) -> None:
    """Move the real mouse over the page's arena through `points` (fractions of its size)."""
    area = page.locator(".arena-area")
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    assert box is not None, "the arena is not on screen"
    for x, y in points:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=5)
