"""The Connection Manager's pages on a phone (390 x 844): each fits the screen's width, its tables become cards,
and axe finds no serious or critical violation. The Drawings pages are on a phone in test_drawings_flow.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from local.client import LocalStackClient
from tests.browser.conftest import PHONE, axe, open_page, open_project, shot, sign_in, sized
from tests.browser.test_console_errors import Demo


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    opened, errors = open_page(browser, PHONE)
    yield opened
    opened.context.close()
    assert not errors, f"the page raised: {errors}"


def fits(page: Page, where: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{where} scrolls sideways"
    axe(page, where)
    shot(page, sized(page, f"phone-{where.replace(' ', '-')}"))


def test_the_connection_manager_on_a_phone(phone: Page, local_stack: LocalStackClient) -> None:
    # Given an active connection, and the downstream project's admin on a phone
    demo = Demo(local_stack)
    demo.connect()
    assert local_stack.settle()["settled"] is True
    sign_in(phone, local_stack.url, demo.user("sub-admin"))
    fits(phone, "sign in done")

    # When they look at the connections, the notifications and every connection of the company
    open_project(phone, demo.down_label, tab="Connections")
    expect(phone.locator("article.connection .badge")).to_have_text("active")
    expect(phone.locator(".sync-status .figures")).to_be_visible()
    fits(phone, "connections")
    open_project(phone, demo.down_label, tab="Notifications")
    expect(phone.locator("table.cards tbody tr").first).to_be_visible()
    fits(phone, "notifications")
    phone.get_by_role("link", name="All connections of").click()
    expect(phone.locator(".company-connections table.cards tbody tr")).to_have_count(1)
    fits(phone, "company connections")
