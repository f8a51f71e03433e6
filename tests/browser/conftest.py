"""A real browser for the console: Playwright driving Debian's chromium (`make test` installs it where missing).

Screenshots go to test-artifacts/console/ (gitignored): look at them after a run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import LocalStackClient, local_stack, running_stack

__all__ = ["local_stack"]  # the shared stack of the end-to-end tests serves these too

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page raised: {errors}"


def shot(page: Page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


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
    expect(signed_in).to_contain_text(user_id)


def open_project(page: Page, label: str, tab: str = "Connections") -> None:
    page.select_option("#project", label=label)
    page.get_by_role("tab", name=tab).click()
