"""The Drawings tool in a real browser, on a desktop and on a phone: upload and publish upstream, preview and publish
downstream, a read-only user opens a connected sheet, a delete reaches the Deleted report, and a note pinned on a
connected sheet stays when the upstream adds a revision (R19-R28).

Screenshots of every step: test-artifacts/console/drawings-<step>-<width>x<height>.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, FilePayload, Page, ViewportSize, expect

from local.client import LocalStackClient, running_stack
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    axe,
    canvas_ink,
    drop_files,
    keep_for_docs,
    open_page,
    shot,
    sign_in,
    sized,
)
from tests.browser.sheets import sheet_pdf

SHEETS = [("A-301", "Third floor plan"), ("A-302", "Fourth floor plan"), ("S-201", "Roof framing plan")]


class World:
    """A stack of its own seeded as `make dev` seeds it (the demo: Apex's Harbor Tower with six published sheets,
    Volt's electrical project with a read-only site engineer), so the README's images name the demo's companies;
    the two projects connected, the initial sync done."""

    def __init__(self, stack: LocalStackClient) -> None:
        self.stack = stack
        self.up, self.down = demo_project(stack, "gc-tower"), demo_project(stack, "sub-tower")
        self.up_label, self.down_label = "Harbor Tower — Apex Builders", "Harbor Tower - Electrical — Volt Electric"
        request = stack.call(
            "POST", f"/projects/{self.down}/connections", "sub-pm", json={"upstream_project_id": self.up}
        )
        assert request.status_code == 201, request.text
        approved = stack.call("POST", f"/connections/{request.json()['id']}/approve", "gc-pm")
        assert approved.status_code == 200, approved.text
        self.settle()

    @staticmethod
    def user(name: str) -> str:
        return name

    def settle(self) -> None:
        assert self.stack.settle()["settled"] is True


def demo_project(stack: LocalStackClient, key: str) -> str:
    """The demo's ids, as `make dev` prints them."""
    found = re.findall(rf"^export PROJECT_{key.upper().replace('-', '_')}=(\S+)$", stack.stdout, flags=re.MULTILINE)
    return str(found[0])


@pytest.fixture
def own_stack() -> Iterator[LocalStackClient]:
    with running_stack(seed="demo") as stack:
        yield stack


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> ViewportSize:
    size: ViewportSize = request.param
    return size


@pytest.fixture
def screen(browser: Browser, viewport: ViewportSize) -> Iterator[Page]:
    opened, errors = open_page(browser, viewport)
    yield opened
    opened.context.close()
    assert not errors, f"the page raised: {errors}"


def step(page: Page, name: str, full_page: bool = True) -> None:
    """A screenshot of the step; and at any size, the page never scrolls sideways."""
    width = (page.viewport_size or {"width": 0})["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name}: the page scrolls sideways"
    shot(page, sized(page, f"drawings-{name}"), full_page=full_page)


def go(page: Page, tab: str) -> None:
    page.locator("nav.tabs").get_by_role("link", name=tab, exact=True).click()
    expect(page.locator("nav.tabs [aria-current=page]")).to_have_text(tab)


def test_upload_publish_review_view_delete_and_a_pin_that_stays(
    screen: Page, own_stack: LocalStackClient, viewport: ViewportSize
) -> None:
    page, world, url = screen, World(own_stack), own_stack.url
    desktop = viewport == DESKTOP

    # Given the GC's document controller (a Drawings admin of the upstream project) on its Upload page
    sign_in(page, url, world.user("gc-pm"))
    page.select_option("#project", label=world.up_label)
    go(page, "Upload")
    axe(page, "upload, empty")

    # When three PDFs are dropped on the page
    drop_files(page, ".dropzone", [(f"{n} {t}.pdf", sheet_pdf(n, t)) for n, t in SHEETS])

    # Then each goes to storage with its own progress, and number and title come from the file's name
    files = page.locator("article.file")
    expect(files).to_have_count(3)
    expect(page.locator("article.file[data-state=uploaded]")).to_have_count(3)
    first = page.locator('article.file[data-file="A-301 Third floor plan.pdf"]')
    expect(first.get_by_label("Number")).to_have_value("A-301")
    expect(first.get_by_label("Title")).to_have_value("Third floor plan")
    expect(first.get_by_label("Discipline")).to_have_value("Architectural")
    expect(page.locator(".overall")).to_contain_text("3 of 3 files uploaded")
    axe(page, "upload, three files")
    step(page, "01-upload-dropped")

    # When they publish all three
    page.get_by_role("button", name="Publish all 3").click()

    # Then each is published, and the register lists them
    expect(page.locator("article.file[data-state=published]")).to_have_count(3)
    expect(page.locator(".ok")).to_contain_text("Published 3 drawing revisions.")
    expect(first.locator(".check")).to_contain_text("File checked · preview ready")
    expect(first.locator(".check img.thumb")).to_be_visible()
    step(page, "02-upload-published")
    go(page, "Drawings")
    for number, _ in SHEETS:
        expect(page.locator(".vrow", has_text=number)).to_be_visible()
    step(page, "03-register-upstream")

    # When the subcontractor's Drawings admin opens the review queue, once the copies arrived
    world.settle()
    sign_in(page, url, world.user("sub-admin"))
    page.select_option("#project", label=world.down_label)
    go(page, "Review queue")
    rows = page.locator("tbody tr")
    for number, _ in SHEETS:  # each with its thumbnail, a new drawing to this project
        expect(rows.filter(has_text=number)).to_have_count(1)
        expect(rows.filter(has_text=number).locator("img.thumb")).to_be_visible()
        expect(rows.filter(has_text=number).locator(".mark.arrival")).to_have_text("New drawing")
    waiting = rows.count()
    axe(page, "review queue")
    step(page, "04-review-queue")

    # and previews one in the viewer
    rows.filter(has_text="A-301").get_by_role("button", name="Preview A-301").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".viewer")).to_have_attribute("data-state", "ready")
    assert canvas_ink(page, "dialog .viewer canvas.base")["ink"] > 500
    axe(page, "review queue, preview")
    step(page, "05-review-preview", full_page=False)
    dialog.get_by_role("button", name="Close").click()

    # and publishes all, after saying how many
    page.get_by_role("button", name=f"Publish all {waiting} waiting").click()
    confirm = page.get_by_role("dialog")
    expect(confirm).to_contain_text(f"Publish all {waiting} copies?")
    step(page, "06-review-confirm", full_page=False)
    confirm.get_by_role("button", name=f"Publish {waiting}").click()
    expect(page.locator(".ok")).to_contain_text(f"Published {waiting} drawing revisions.")
    expect(page.locator(".summary")).to_have_text("Nothing is waiting for review.")
    expect(page.get_by_role("button", name="Publish all waiting")).to_be_disabled()

    # When a read-only user of the subcontractor opens the register, on their one project
    sign_in(page, url, world.user("sub-site"))
    expect(page.locator("nav.tabs a")).to_have_text(["Drawings"])

    # Then they see the three sheets, each marked connected, with where it comes from
    for number, title in SHEETS:
        row = page.locator(".vrow", has_text=number)
        expect(row).to_contain_text(title)
        expect(row.locator(".mark.connected")).to_contain_text("Connected from Harbor Tower")
        expect(row.locator("img.thumb")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    axe(page, "register, read-only downstream")
    step(page, "07-register-read-only")
    if desktop:
        keep_for_docs(shot(page, sized(page, "docs-register"), full_page=False), "register.png")

    # When they open one
    page.locator(".vrow", has_text="A-301").get_by_role("link").click()

    # Then its fields are there and the viewer draws the sheet (its canvas holds drawn pixels)
    viewer = page.locator(".drawing .viewer")
    expect(viewer).to_have_attribute("data-state", "ready")
    assert canvas_ink(page)["ink"] > 500
    expect(page.locator(".fields")).to_contain_text("Third floor plan")
    expect(page.locator(".drawing-head .mark.connected")).to_be_visible()
    expect(page.get_by_role("button", name="Delete…")).to_have_count(0)  # read-only: nothing to change
    expect(page.get_by_role("button", name="Add a note")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    axe(page, "drawing page, read-only")
    step(page, "08-drawing-read-only", full_page=not desktop)
    # the sheet's name, the viewer and (on a desktop) the fields fill the screen
    page.locator(".drawing-head").evaluate("(head) => head.scrollIntoView()")
    keep_for_docs(shot(page, sized(page, "docs-drawing"), full_page=False), "viewer.png" if desktop else "phone.png")
    # the viewer answers keys and touch: zoom in, and back to the whole sheet
    zoom = page.locator(".zoom-level")
    before = zoom.inner_text()
    page.locator(".stage").focus()
    page.keyboard.press("+")
    expect(zoom).not_to_have_text(before)
    page.get_by_role("button", name="Fit the whole sheet").click()
    expect(zoom).to_have_text(before)
    if not desktop:  # and touch: a double tap zooms in, a pinch zooms further
        centre = middle_of(page, ".stage")
        page.touchscreen.tap(*centre)
        page.touchscreen.tap(*centre)
        expect(zoom).not_to_have_text(before)
        doubled = zoom.inner_text()
        pinch(page, centre, spread=120)
        expect(zoom).not_to_have_text(doubled)
        assert percent(zoom.inner_text()) > percent(doubled)

    # When the subcontractor's project manager (Drawings standard) pins a note on that connected sheet
    sign_in(page, url, world.user("sub-pm"))
    page.select_option("#project", label=world.down_label)
    page.locator(".vrow", has_text="A-301").get_by_role("link").click()
    expect(page.locator(".drawing .viewer")).to_have_attribute("data-state", "ready")
    if desktop:  # with the keyboard alone: the button, then Enter pins at the centre of the view
        page.get_by_role("button", name="Add a note").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".stage")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_label(re.compile("Note at this point"))).to_be_focused()
        page.keyboard.type("Check the riser position here")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Save note")).to_be_focused()
        page.keyboard.press("Enter")
    else:  # with a finger: the button, then a tap on the sheet
        page.get_by_role("button", name="Add a note").tap()
        box = page.locator(".stage").bounding_box()
        assert box is not None
        page.touchscreen.tap(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45)
        page.get_by_label(re.compile("Note at this point")).fill("Check the riser position here")
        page.get_by_role("button", name="Save note").tap()

    # Then the pin is on the sheet, and listed with the revision it was made on
    expect(page.locator(".stage .pin")).to_have_count(1)
    expect(page.locator(".notes")).to_contain_text("Check the riser position here")
    axe(page, "drawing page, with a note")
    step(page, "09-note-pinned", full_page=not desktop)

    # When the GC deletes another of the three
    sign_in(page, url, world.user("gc-pm"))
    page.select_option("#project", label=world.up_label)
    page.locator(".vrow", has_text="A-302").get_by_role("link").click()
    page.get_by_role("button", name="Delete…").click()
    confirm = page.get_by_role("dialog")
    expect(confirm).to_contain_text("Delete A-302?")
    step(page, "10-delete-confirm", full_page=False)
    confirm.get_by_role("button", name="Delete the drawing").click()

    # Then it leaves the register
    expect(page.locator(".ok")).to_contain_text("A-302 was deleted.")
    expect(page.locator(".vrow", has_text="A-301")).to_be_visible()
    expect(page.locator(".vrow", has_text="A-302")).to_have_count(0)

    # and the subcontractor's admin finds it in the Deleted report
    world.settle()
    sign_in(page, url, world.user("sub-admin"))
    page.select_option("#project", label=world.down_label)
    go(page, "Deleted")
    deleted = page.locator("tbody tr", has_text="A-302")
    expect(deleted).to_have_count(1)
    expect(deleted).to_contain_text("the upstream project")
    axe(page, "deleted report")
    step(page, "11-deleted-report")

    # When the GC adds a revision of the pinned sheet, choosing its file (the file picker) and publishing it
    sign_in(page, url, world.user("gc-pm"))
    page.select_option("#project", label=world.up_label)
    go(page, "Upload")
    pdf = sheet_pdf("A-301", "Third floor plan", revision="2")
    chosen: FilePayload = {"name": "A-301 Third floor plan.pdf", "mimeType": "application/pdf", "buffer": pdf}
    page.set_input_files("#file-input", files=[chosen])
    card = page.locator("article.file")
    expect(card).to_have_attribute("data-state", "uploaded")
    expect(card.locator(".sheet-hint")).to_have_text("New revision of A-301 (now Rev 1)")
    expect(card.get_by_label("Revision")).to_have_value("2")
    step(page, "12-upload-new-revision")
    page.get_by_role("button", name="Publish all 1").click()
    expect(card).to_have_attribute("data-state", "published")

    # and the subcontractor's admin publishes it downstream
    world.settle()
    sign_in(page, url, world.user("sub-admin"))
    page.select_option("#project", label=world.down_label)
    go(page, "Review queue")
    expect(page.locator("tbody tr", has_text="A-301")).to_have_count(1)
    expect(page.locator("tbody tr", has_text="A-301").locator(".mark.arrival")).to_have_text("New revision")
    page.get_by_role("button", name="Publish all 1 waiting").click()
    page.get_by_role("dialog").get_by_role("button", name="Publish 1").click()
    expect(page.locator(".summary")).to_have_text("Nothing is waiting for review.")

    # Then the sheet shows Rev 2, and the note is still on it, made on Rev 1
    go(page, "Drawings")
    page.locator(".vrow", has_text="A-301").get_by_role("link").click()
    expect(page.locator(".viewing")).to_have_text("Showing Rev 2 (current)")
    expect(page.locator(".drawing .viewer")).to_have_attribute("data-state", "ready")
    expect(page.locator(".stage .pin")).to_have_count(1)
    expect(page.locator(".notes li")).to_contain_text("made on Rev 1")
    expect(page.locator(".revisions li")).to_have_count(2)
    expect(page.locator(".revisions li").first).to_contain_text("Rev 2")  # newest first
    step(page, "13-note-stays-on-rev-2", full_page=not desktop)


def middle_of(page: Page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def percent(text: str) -> int:
    return int(text.rstrip("%"))


def pinch(page: Page, centre: tuple[float, float], spread: float) -> None:
    """Two fingers moving apart from the centre, as a phone's touch screen reports them (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    x, y = centre

    def fingers(apart: float) -> list[dict[str, float]]:
        return [{"x": x - apart, "y": y, "id": 1}, {"x": x + apart, "y": y, "id": 2}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": fingers(20)})
    for apart in range(30, int(20 + spread), 10):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": fingers(apart)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()
