"""Uploading when things go wrong: a file storage refuses once is retried alone, a file on its way is cancelled, a
file of a kind the API does not take says so; drafts saved now are published later, and only admins publish."""

from __future__ import annotations

import re

from playwright.sync_api import FilePayload, Page, Route, expect

from local.client import LocalStackClient
from tests.browser.conftest import axe, drop_files, open_project, shot, sign_in
from tests.browser.sheets import sheet_pdf
from tests.browser.test_console_errors import Demo


def test_retry_cancel_a_refused_kind_then_drafts(page: Page, local_stack: LocalStackClient) -> None:
    # Given the upstream's document controller, and storage that refuses the plan's first PUT and holds the roof's
    demo = Demo(local_stack)
    plan = sheet_pdf("A-401", "Level 4 plan")
    roof = sheet_pdf("A-402", "Roof plan with a long title block")
    refused: list[int] = []

    def storage(route: Route) -> None:
        body = route.request.post_data_buffer or b""
        if route.request.method == "PUT" and body == plan and not refused:
            refused.append(1)
            route.fulfill(
                status=503,
                headers={"Access-Control-Allow-Origin": local_stack.url, "Content-Type": "application/xml"},
                body="<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
            )
        elif route.request.method == "PUT" and body == roof:
            pass  # never answered: on its way until cancelled
        else:
            route.continue_()

    page.route(f"{local_stack.aws_url}/**", storage)
    sign_in(page, local_stack.url, demo.user("gc-pm"))
    open_project(page, demo.up_label, tab="Upload")

    # When two sheets and a Word file are dropped
    files = [("A-401 Level 4 plan.pdf", plan), ("A-402 Roof plan.pdf", roof), ("notes.docx", b"PK")]
    drop_files(page, ".dropzone", files)

    # Then the Word file is refused for its kind, with no retry
    word = page.locator('article.file[data-file="notes.docx"]')
    expect(word.locator(".state")).to_have_text("Failed: Only PDF, PNG, JPEG and TIFF files can be uploaded.")
    expect(word.get_by_role("button", name="Retry")).to_have_count(0)
    # and the refused upload says why in words, and is retried alone
    first = page.locator('article.file[data-file="A-401 Level 4 plan.pdf"]')
    expect(first.locator(".state")).to_contain_text("Storage is busy and asked to slow down; retry in a moment.")
    held = page.locator('article.file[data-file="A-402 Roof plan.pdf"]')
    expect(held.locator(".state")).to_have_text(re.compile(r"Uploading \d+%"))
    shot(page, "upload-retry-and-cancel")
    axe(page, "upload, failures")
    first.get_by_role("button", name="Retry").click()
    expect(first).to_have_attribute("data-state", "uploaded")
    # and the held one is cancelled while on its way
    held.get_by_role("button", name="Cancel").click()
    expect(held.locator(".state")).to_have_text("Cancelled")
    expect(page.locator(".overall")).to_contain_text("1 of 2 files uploaded")

    # When the uploaded one is saved as a draft
    page.get_by_role("button", name="Save as drafts").click()
    expect(first).to_have_attribute("data-state", "draft")
    expect(page.locator(".ok")).to_contain_text("1 draft saved.")

    # Then the register shows it to admins who ask for drafts, as a draft only
    open_project(page, demo.up_label, tab="Drawings")
    page.get_by_label("Show drafts").check()
    draft = page.locator(".vrow", has_text="A-401")
    expect(draft.locator(".mark.draft")).to_have_text("Draft only")

    # and it waits on the Upload page, publishable from there later
    open_project(page, demo.up_label, tab="Upload")
    earlier = page.locator(".drafts")
    expect(earlier).to_contain_text("A-401")
    earlier.get_by_role("button", name=re.compile("Publish these")).click()
    expect(page.locator(".ok")).to_contain_text("Published")


def test_a_standard_user_uploads_but_does_not_publish(page: Page, local_stack: LocalStackClient) -> None:
    # Given Sam, Drawings standard in the subcontractor's project
    demo = Demo(local_stack)
    sign_in(page, local_stack.url, demo.user("sub-pm"))
    open_project(page, demo.down_label, tab="Upload")

    # When a sheet is chosen with the file picker (the keyboard's way in)
    chosen: FilePayload = {
        "name": "E-201 Power level 2.pdf",
        "mimeType": "application/pdf",
        "buffer": sheet_pdf("E-201", "x"),
    }
    page.set_input_files("#file-input", files=[chosen])

    # Then it uploads, can be saved as a draft, and nothing offers to publish it
    card = page.locator("article.file")
    expect(card).to_have_attribute("data-state", "uploaded")
    expect(card.get_by_label("Discipline")).to_have_value("Electrical")
    expect(page.get_by_role("button", name=re.compile("Publish"))).to_have_count(0)
    expect(page.locator(".upload-actions")).to_contain_text("A Drawings admin of the project publishes drafts.")
    page.get_by_role("button", name="Save as drafts").click()
    expect(card).to_have_attribute("data-state", "draft")
