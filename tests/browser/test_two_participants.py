"""Two people in two JupyterLab pages, each running the lesson notebook in its own kernel.

Page A's participant is "ada", page B's is "bob" (each notebook's Python-driven helper is renamed
too). What one does in the browser shows up in the other page, through the local cloud.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.lab import JupyterLab, page_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
CHAT_LESSON = ROOT / "notebooks" / "05-live-chat.ipynb"
ARENA_LESSON = ROOT / "notebooks" / "06-pointer-arena.ipynb"
SCREENSHOTS = ROOT / "docs" / "screenshots"

# In each lesson, "bob" is the widget on screen and "ada" is driven from Python.
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

POINTER_AT = """([name, x, y]) => {
  const node = document.querySelector(`.arena-pointer[data-name="${name}"]`);
  return Boolean(node) && !node.hidden
    && Math.abs(parseFloat(node.style.left) - x * 100) < 2
    && Math.abs(parseFloat(node.style.top) - y * 100) < 2;
}"""


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
        "body{margin:0;display:flex;gap:16px;padding:12px;background:#e8e8e8;width:max-content}"
        "figure{margin:0;background:#fff;padding:8px;border-radius:6px}"
        "figcaption{font:600 15px system-ui,sans-serif;margin-bottom:6px}"
        "img{display:block;border:1px solid #ccc}"
    )
    page = browser.new_page()
    try:
        page.set_content(f"<style>{style}</style>{figures}")
        path.parent.mkdir(parents=True, exist_ok=True)
        page.locator("body").screenshot(path=path)
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


def test_pointer_moved_in_one_page_is_drawn_in_the_other(
    browser: Browser, lab: JupyterLab
) -> None:
    """Moving the mouse over ada's arena in one page draws her pointer there in bob's page."""
    ada = open_lesson(browser, lab, ARENA_LESSON, PAGE_A_NAMES, "arena-ada.ipynb")
    bob = open_lesson(browser, lab, ARENA_LESSON, PAGE_B_NAMES, "arena-bob.ipynb")

    move_mouse_across(ada, [(0.2, 0.2), (0.45, 0.3), (0.6, 0.35)])

    expect(bob.locator('.arena-pointer[data-name="ada"]')).to_be_visible(timeout=WAIT_MS)
    bob.wait_for_function(POINTER_AT, arg=["ada", 0.6, 0.35], timeout=WAIT_MS)

    # For the screenshot: bob moves too, so each page shows the other's pointer.
    move_mouse_across(bob, [(0.7, 0.8), (0.8, 0.6)])
    ada.wait_for_function(POINTER_AT, arg=["bob", 0.8, 0.6], timeout=WAIT_MS)
    save_side_by_side(
        browser,
        [
            ("Page A: ada's arena", widget_cell(ada, ".arena-area").screenshot()),
            ("Page B: bob's arena", widget_cell(bob, ".arena-area").screenshot()),
        ],
        SCREENSHOTS / "arena-two-participants.png",
    )


def move_mouse_across(page: Page, points: list[tuple[float, float]]) -> None:
    """Move the real mouse over the page's arena through `points` (fractions of its size)."""
    area = page.locator(".arena-area")
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    assert box is not None, "the arena is not on screen"
    for x, y in points:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=5)
