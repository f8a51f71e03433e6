"""A real browser for the console: Playwright driving Debian's chromium (`make test` installs it where missing).

Screenshots go to test-artifacts/console/ (gitignored): look at them after a run. `axe(page, where)` runs axe-core
(npm, pinned by package-lock.json) in the page and fails on any serious or critical violation.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, ViewportSize, expect, sync_playwright

from local.client import LocalStackClient, running_stack
from tests.e2e.conftest import local_stack

__all__ = ["local_stack"]  # the shared stack of the end-to-end tests serves these too

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser
# How long an action or an expectation waits for the page before it fails, saying what it saw: long, because a
# loaded machine serves the local stack slowly (not wrongly), and each returns as soon as the page is right.
WAIT_MS = 60_000
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no browser at {CHROMIUM}: `make test` installs Debian's chromium (or set CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def demo_stack() -> Iterator[LocalStackClient]:
    """A stack seeded as `make dev` seeds it (the demo, with published drawings upstream)."""
    with running_stack(seed="demo") as stack:
        yield stack


def open_page(browser: Browser, viewport: ViewportSize) -> tuple[Page, list[str]]:
    phone = viewport["width"] < 600
    context = browser.new_context(
        viewport=viewport, has_touch=phone, is_mobile=phone, device_scale_factor=1, locale="en-US", timezone_id="UTC"
    )
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))

    def refuse(dialog: Dialog) -> None:  # no alert, confirm or prompt: the console asks in its own dialogs
        errors.append(f"a {dialog.type} opened: {dialog.message}")
        dialog.dismiss()

    opened.on("dialog", refuse)
    return opened, errors


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened, errors = open_page(browser, {"width": 1280, "height": 860})
    yield opened
    opened.context.close()
    assert not errors, f"the page raised: {errors}"


def shot(page: Page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path


def sized(page: Page, name: str) -> str:
    """A screenshot's name that says the size it was taken at: `name-1280x800`."""
    viewport = page.viewport_size or {"width": 0, "height": 0}
    return f"{name}-{viewport['width']}x{viewport['height']}"


def keep_for_docs(screenshot: Path, name: str) -> None:
    """The README's images come from test runs, when asked (`make docs-images`): copy a screenshot to docs/
    (deterministic size: the viewport's). A plain `make test` leaves the tracked images as they are."""
    if os.environ.get("DOCS_IMAGES") == "1":
        shutil.copyfile(screenshot, ROOT / "docs" / name)


def fits(page: Page, where: str) -> None:
    """No sideways scrolling (else say which elements stick out), and nothing serious for axe."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    wide = page.evaluate(
        """(width) => document.documentElement.scrollWidth <= width ? [] : [...document.querySelectorAll("body *")]
          .filter((el) => el.getBoundingClientRect().right > width)
          .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.slice(0, 60)}`)""",
        width,
    )
    assert not wide, f"{where} scrolls sideways: {wide[-5:]}"
    axe(page, where)


def axe(page: Page, where: str) -> None:
    """axe-core over the page as it is now: no serious or critical violation."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "axe.jsonl").open("a") as log:  # every finding, minor ones too, to read after a run
        found = [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in result["violations"]]
        log.write(json.dumps({"where": where, "size": page.viewport_size, "violations": found}) + "\n")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    summary = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in bad
    ]
    assert not bad, f"axe on {where}: {json.dumps(summary, indent=1)}"


def sign_in(page: Page, url: str, user_id: str) -> None:
    """Sign in through the local user picker, as a person would, whoever was signed in before. The session is
    cleared from outside the page, and a loaded machine may load the page before the clearing reaches it: then the
    page still shows who was signed in, and it is cleared and loaded again, until the picker shows (or WAIT_MS)."""
    picker, signed_in = page.locator(f'button[data-user="{user_id}"]'), page.locator(".user-name")
    deadline = time.monotonic() + WAIT_MS / 1000
    page.goto(f"{url}/")
    while True:
        page.evaluate("sessionStorage.clear()")
        page.goto(f"{url}/")
        expect(picker.or_(signed_in).first).to_be_visible()
        if picker.count() or time.monotonic() > deadline:
            break
    picker.click()
    expect(page.locator(f'.user-name[data-user="{user_id}"]')).to_be_visible()


def open_project(page: Page, label: str, tab: str | None = None) -> None:
    """Choose a project in the picker, then one of its pages by its tab (the first page it opens on otherwise)."""
    page.select_option("#project", label=label)
    expect(page.locator("nav.tabs")).to_be_visible()
    if tab:
        page.locator("nav.tabs").get_by_role("link", name=tab, exact=True).click()
        expect(page.locator("nav.tabs [aria-current=page]")).to_have_text(tab)


def drop_files(page: Page, selector: str, files: list[tuple[str, bytes]]) -> None:
    """A real drop: DataTransfer built in the page from these files, dragenter, dragover and drop dispatched."""
    payload = [{"name": name, "data": base64.b64encode(data).decode()} for name, data in files]
    page.evaluate(
        """([selector, files]) => {
          const transfer = new DataTransfer();
          for (const f of files) {
            const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
            const type = f.name.endsWith(".pdf") ? "application/pdf" : "application/octet-stream";
            transfer.items.add(new File([bytes], f.name, { type }));
          }
          const target = document.querySelector(selector);
          for (const type of ["dragenter", "dragover", "drop"]) {
            target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
          }
        }""",
        [selector, payload],
    )


def canvas_ink(page: Page, selector: str = ".viewer canvas.base") -> dict[str, int]:
    """How many pixels of the viewer's canvas are dark (drawn), read in the page."""
    result: dict[str, int] = page.evaluate(
        """(selector) => {
          const canvas = document.querySelector(selector);
          const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          let ink = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i] < 128 && data[i + 1] < 128 && data[i + 2] < 128) ink += 1;
          }
          return { ink, pixels: data.length / 4 };
        }""",
        selector,
    )
    return result
