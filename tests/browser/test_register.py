"""The register with 2,000 sheets: loaded a page at a time, grouped by discipline in position order, numbers in
natural order, filtered on the page, never more than a window of rows in the DOM; every text from the API shown as
text (a title made of markup shows its characters), each thumbnail or the reason it has none.

The register's answers are made here (route), so the test needs no 2,000 uploads; the bench measures the real one.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from local.client import LocalStackClient
from tests.browser.conftest import DESKTOP, PHONE, axe, open_page, shot, sign_in, sized
from tests.e2e.conftest import unique_fixture

PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR4nGNgYGD4z8DAwMDAwMDAAAAbAAH/"
    "bvmVnAAAAABJRU5ErkJggg=="
)
DISCIPLINES = [("Architectural", 1), ("Structural", 0), ("Electrical", None)]
XSS = "<img src=x onerror=alert(1)>"
ARABIC = "مخطط الطابق الأرضي 🏗️ (نهائي)"


def drawing(project_id: str, n: int) -> dict[str, Any]:
    name, position = DISCIPLINES[n % 3]
    number = f"{name[0]}-{n}"
    title = XSS if n == 1999 else ARABIC if n == 7 else f"Sheet {n}"
    thumb: dict[str, Any] = {"state": "ready", "url": PNG, "width": 2, "height": 2, "reason": None}
    if n % 10 == 1:
        thumb = {"state": "unavailable", "url": None, "width": None, "height": None, "reason": "Not a readable PDF."}
    elif n % 10 == 4:
        thumb = {"state": "pending", "url": None, "width": None, "height": None, "reason": None}
    connected = n % 4 == 0
    source = (
        {
            "connection_id": "con_1",
            "upstream_project_id": "prj_up",
            "upstream_project_name": "Harbor Tower",
            "upstream_company_id": "cmp_up",
            "upstream_company_name": "Apex Builders",
        }
        if connected
        else None
    )
    revision = {
        "id": f"rev_{n}",
        "drawing_id": f"drw_{n}",
        "number": number,
        "title": title,
        "revision_number": str(1 + n % 3),
        "status": "For construction",
        "state": "published",
        "drawing_date": "2026-11-18",
        "received_date": None,
        "drawing_set": {"name": "Tender set" if n % 2 else "Permit set", "date": "2026-11-01"},
        "discipline": {"name": name, "position": position},
        "area": {"id": f"area_{n % 5}", "name": f"Level {n % 5}", "description": None},
        "connected": connected,
        "source": source,
        "file": {"content_type": "application/pdf", "size": 123456, "sha256": None, "state": "ready"},
        "thumbnail": thumb,
        "published_at": "2026-11-20T10:00:00Z",
        "deleted_at": None,
        "deleted_by": None,
    }
    return {
        "id": f"drw_{n}",
        "project_id": project_id,
        "number": number,
        "title": title,
        "obsolete": n % 50 == 0,
        "discipline": {"name": name, "position": position},
        "area": revision["area"],
        "connected": connected,
        "source": source,
        "current_revision": revision,
        "revisions": None,
    }


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def screen(browser: Browser, request: pytest.FixtureRequest) -> Any:
    viewport: ViewportSize = request.param
    opened, errors = open_page(browser, viewport)
    yield opened
    opened.context.close()
    assert not errors, f"the page raised: {errors}"


def test_two_thousand_sheets_load_by_pages_into_a_window_of_rows(screen: Page, local_stack: LocalStackClient) -> None:
    page = screen
    fixture, suffix = unique_fixture()
    ids = local_stack.seed(fixture)
    project = ids["projects"][f"gc-tower-{suffix}"]
    # Given a register of 2,000 sheets, answered 200 at a time (the API's answers are made here)
    sheets = [drawing(project, n) for n in range(2000)]
    asked: list[int] = []

    def register(route: Route) -> None:
        query = parse_qs(urlparse(route.request.url).query)
        start = int(query.get("next_token", ["0"])[0])
        limit = int(query["limit"][0])
        asked.append(limit)
        end = start + limit
        body = {"items": sheets[start:end], "next_token": str(end) if end < len(sheets) else None}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(f"**/projects/{project}/drawings?*", register)
    page.add_init_script(
        """window.__rows = 0;
        new MutationObserver(() => {
          const list = document.querySelector('.vlist');
          if (list) window.__rows = Math.max(window.__rows, list.childElementCount);
        }).observe(document, {childList: true, subtree: true});"""
    )

    # When the project's register opens
    sign_in(page, local_stack.url, f"gc-pm-{suffix}")
    names = ids.get("company_names", {})
    page.select_option("#project", label=f"Harbor Tower — {names.get(f'gc-{suffix}', 'Apex Builders')}")

    # Then all 2,000 come, ten pages of 200, and the obsolete ones are hidden until asked for
    count = page.locator(".register .count")
    expect(count).to_have_text("1,960 of 2,000 sheets")
    assert asked == [200] * 10
    # grouped by discipline in position order (none last), numbers in natural order within each
    groups = page.locator(".vgroup h3")
    expect(groups.first).to_contain_text("Structural")
    rows = page.locator(".vrow")
    expect(rows.first).to_contain_text("S-1 ")
    expect(rows.nth(1)).to_contain_text("S-4 ")  # S-4 before S-10
    # and only a window of them is in the DOM, then and ever since the first page came
    assert page.locator(".vlist > *").count() <= 100
    assert page.evaluate("window.__rows") <= 100
    # each thumbnail, or a placeholder saying why there is none
    expect(page.locator(".vrow img.thumb").first).to_be_visible()
    unavailable = page.locator('.vrow[data-drawing="drw_1"] .thumb-unavailable')
    expect(unavailable).to_contain_text("Not a readable PDF.")
    expect(page.locator(".vrow .thumb-pending").first).to_contain_text("Preview coming")
    # connected sheets say where they come from
    expect(page.locator('.vrow[data-drawing="drw_4"] .mark.connected')).to_contain_text(
        "from Harbor Tower (Apex Builders)"
    )
    axe(page, "register, 2,000 sheets")
    shot(page, sized(page, "register-2000-sheets"), full_page=False)

    # When the page is scrolled to the end, the end is there, still in a bounded window
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.locator(".vrow").last).to_contain_text("E-1997")
    assert page.evaluate("window.__rows") <= 100
    assert page.evaluate("document.documentElement.scrollWidth") <= (page.viewport_size or {"width": 0})["width"]
    page.evaluate("window.scrollTo(0, 0)")

    # When one searches, the filter runs on the page: a title made of markup shows those characters
    page.get_by_label("Search").fill("S-1999")
    expect(count).to_have_text("1 of 2,000 sheets")
    expect(page.locator(".vrow")).to_have_count(1)
    expect(page.locator(".vrow .title")).to_have_text(XSS)
    assert page.locator('.vlist img[src="x"]').count() == 0
    # and a right-to-left title with an emoji is isolated for its direction
    page.get_by_label("Search").fill("S-7")
    expect(page.locator(".vrow .title bdi[dir=auto]").first).to_have_text(ARABIC)

    # When filters combine: a discipline and a set, and obsolete sheets shown
    page.get_by_label("Search").fill("")
    page.get_by_label("Discipline").select_option("Architectural")
    page.get_by_label("Set").select_option("Permit set")
    expect(count).to_have_text("320 of 2,000 sheets")
    page.get_by_label("Show obsolete").check()
    expect(count).to_have_text("334 of 2,000 sheets")

    # and the keyboard moves from row to row, End to the last
    page.get_by_label("Show obsolete").uncheck()
    page.locator(".vrow a").first.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator(".vrow a").nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(page.locator(".vrow a:focus")).to_contain_text("A-1998")
    shot(page, sized(page, "register-filtered"), full_page=False)
