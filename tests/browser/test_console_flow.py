"""The console in a real browser, as `make dev` starts it: a connection from request to disconnect (R16, R21, R29)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from local.client import LocalStackClient
from tests.browser.conftest import WAIT_MS, axe, keep_for_docs, open_project, shot, sign_in

UP_LABEL = "Harbor Tower — Apex Builders"
DOWN_LABEL = "Harbor Tower - Electrical — Volt Electric"


def test_request_approve_initial_sync_review_publish_and_disconnect(page: Page, demo_stack: LocalStackClient) -> None:
    url = demo_stack.url
    # Given the demo, whose upstream "Harbor Tower" has published six drawings

    # When Volt's project manager signs in (the sign-in page lists every user of the directory)
    page.goto(f"{url}/")
    expect(page.locator("button[data-user]")).not_to_have_count(0)
    axe(page, "sign in")
    shot(page, "00-sign-in")
    # opens the electrical project and requests Harbor Tower
    sign_in(page, url, "sub-pm")
    open_project(page, DOWN_LABEL, tab="Connections")
    target = page.locator(".target", has_text="Harbor Tower")
    expect(target).to_contain_text("Apex Builders")
    shot(page, "01-request-connectable-projects")
    target.get_by_role("button", name="Request connection").click()

    # Then the request shows as pending, on the downstream side
    card = page.locator("article.connection")
    expect(card).to_have_count(1)
    expect(card.locator(".badge")).to_have_text("pending")
    expect(card).to_contain_text("This project is the downstream one.")
    expect(card).to_contain_text("Requested by Sam Project-Manager")  # people by name, not by id

    # When Apex's project manager approves it from the upstream project
    sign_in(page, url, "gc-pm")
    open_project(page, UP_LABEL, tab="Connections")
    card = page.locator("article.connection")
    expect(card.locator(".badge")).to_have_text("pending")
    shot(page, "02-upstream-sees-the-request")
    card.get_by_role("button", name="Approve").click()

    # Then it is active, and the initial sync's bar fills up to every published drawing
    expect(card.locator(".badge")).to_have_text("active")
    expect(card).to_contain_text("Approved by Gabriel Project-Manager")
    expect(card.locator(".bar-label")).to_have_text("Initial sync complete: 6 of 6 copied", timeout=3 * WAIT_MS)
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "6")
    # and the sync status says so
    expect(card.locator(".sync-status h3")).to_have_text("Sync status")
    figures = card.locator(".sync-status .figures")
    expect(figures.locator("div", has=page.locator("dt", has_text="Copied")).locator("dd")).to_have_text("6")
    expect(figures.locator("div", has=page.locator("dt", has_text="Failed")).locator("dd")).to_have_text("0")
    axe(page, "connections, upstream")
    keep_for_docs(shot(page, "03-approved-initial-sync-complete", full_page=False), "console.png")

    # When Volt's admin (a Drawings admin) opens the review queue
    sign_in(page, url, "sub-admin")
    open_project(page, DOWN_LABEL, tab="Review queue")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(6)
    expect(page.locator("tbody")).to_contain_text("Ground floor plan")
    shot(page, "04-review-queue")

    # and publishes one selected drawing, then all the rest
    page.get_by_role("checkbox", name="Select A-101").check()
    page.get_by_role("button", name=re.compile(r"Publish selected \(1\)")).click()
    expect(page.locator(".ok")).to_contain_text("Published 1 drawing revision.")
    expect(rows).to_have_count(5)
    page.get_by_role("button", name="Publish all 5 waiting").click()
    page.get_by_role("dialog").get_by_role("button", name="Publish 5").click()  # it asks first, with the count
    expect(page.locator(".ok")).to_have_count(1)  # the banner replaces the one before
    expect(page.locator(".ok")).to_contain_text("Published 5 drawing revisions.")
    expect(page.get_by_text("Nothing is waiting for review.")).to_be_visible()

    # Then the downstream register holds all six, published, without the console's help
    register = demo_stack.call("GET", f"/projects/{project_id(demo_stack, 'sub-tower')}/drawings", "sub-pm").json()
    assert sorted(d["number"] for d in register["items"]) == ["A-101", "A-102", "A-201", "E-101", "E-102", "S-101"]

    # When the admin disconnects, the page first warns that this project can never connect again
    page.locator("nav.tabs").get_by_role("link", name="Connections").click()
    card = page.locator("article.connection")
    card.get_by_role("button", name="Disconnect…").click()
    warning = card.locator(".warning")
    expect(warning).to_contain_text("can never connect again")
    card.get_by_placeholder("Reason (required)").fill("Electrical scope finished")
    shot(page, "05-disconnect-warning")
    card.get_by_role("button", name="Disconnect for good").click()

    # Then the connection is disconnected, with who, when and why, and nothing more can be requested
    expect(card.locator(".badge")).to_have_text("disconnected")
    expect(card).to_contain_text("Disconnected by Sofia Admin")
    expect(card).to_contain_text("Electrical scope finished")
    page.reload()
    expect(page.locator(".request")).to_contain_text("was disconnected from Harbor Tower and can never connect again")
    shot(page, "06-disconnected")

    # and the notifications tab lists what was sent to this project, each event named
    demo_stack.settle()
    page.locator("nav.tabs").get_by_role("link", name="Notifications").click()
    log = page.locator("section", has_text="Notifications sent")
    for event in ("Connection created", "Initial sync complete", "Connection disabled"):
        expect(log).to_contain_text(event)
    expect(log).not_to_contain_text("R3")  # rule ids are for the API and its docs
    # and who is notified can be narrowed to selected people, which the page confirms once the API took it
    cm = page.locator('form[data-tool="connection-manager"]')
    expect(cm.get_by_label("Default")).to_be_checked()
    cm.get_by_label("Selected people").check()
    cm.get_by_role("checkbox", name=re.compile("Sofia Admin")).check()
    cm.get_by_role("button", name="Save").click()
    expect(page.locator(".ok").last).to_contain_text("Connection Manager events: recipients saved.")
    axe(page, "notifications")
    shot(page, "07-notifications-and-settings")

    # and Apex's company admin sees the connection among every connection of the company (R41)
    sign_in(page, url, "gc-admin")
    page.get_by_role("link", name="All connections of Apex Builders").click()
    row = page.locator(".company-connections tbody tr")  # the company's activity is a table too, below
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Harbor Tower - Electrical")
    expect(row).to_contain_text("disconnected")
    expect(row).to_contain_text("6 of 6")
    axe(page, "company connections")
    shot(page, "08-company-connections")


def project_id(stack: LocalStackClient, key: str) -> str:
    """The demo's ids, as `make dev` prints them."""
    return re.findall(rf"^export PROJECT_{key.upper().replace('-', '_')}=(\S+)$", stack.stdout, flags=re.MULTILINE)[0]
