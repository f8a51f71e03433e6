"""The audit trail in the console (R46), on the demo stack: a company admin reads who changed what, newest first,
each field before and after; filters it, pages through it, and downloads it as CSV; a project's Connection Manager
admin reads the project's on a phone; anyone else is shown no Activity. By keyboard, at desktop and phone sizes."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Locator, Page, expect

from connectability.models.audit import AuditAction
from local.client import LocalStackClient
from tests.browser.conftest import DESKTOP, PHONE, axe, fits, keep_for_docs, open_page, shot, sign_in, sized

ADMIN = "sub-admin"  # Volt Electric's company admin, and a Connection Manager admin of its project
RENAMES = 12  # of the project, before the changes the test looks at: more changes than a page shows


def demo_ids(stack: LocalStackClient) -> dict[str, str]:
    """The demo's ids, as `make dev` prints them (COMPANY_SUB, PROJECT_GC_TOWER...)."""
    return dict(re.findall(r"^export (\w+)=(\S+)$", stack.stdout, flags=re.MULTILINE))


def trail(stack: LocalStackClient, where: str, user: str, **filters: str) -> list[dict[str, Any]]:
    """Every entry of a trail through the API, newest first, page after page."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        answer = stack.call("GET", where, user, params={**filters, "limit": 200, "next_token": token})
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        token = answer.json()["next_token"]
        if not token:
            return items


def refusal(stack: LocalStackClient, where: str, user: str, **filters: str) -> tuple[str, dict[str, str]]:
    """The API's 422 for these filters: its message, and each field's, by field."""
    answer = stack.call("GET", where, user, params=filters)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    return error["message"], {d["field"]: d["message"] for d in error["details"]}


def downloaded(page: Page, activity: Locator) -> list[dict[str, str]]:
    """Click "Download CSV" and read the file the browser saved: its rows, by column."""
    with page.expect_download() as saving:
        activity.get_by_role("button", name="Download CSV").click()
    path = saving.value.path()
    assert path is not None
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def apply_filters(
    page: Page, activity: Locator, who: str = "", what: str = "", since: str = "", until: str = ""
) -> None:
    """Fill the filters (the person typed, the rest chosen) and apply them with the keyboard."""
    activity.get_by_label("Who (user id)").fill(who)
    activity.get_by_label("What").select_option(label=what or "Every kind")
    activity.get_by_label("From").fill(since)
    activity.get_by_label("To").fill(until)
    activity.get_by_role("button", name="Apply filters").focus()
    page.keyboard.press("Enter")


def utc_title(at: str) -> str:
    """The UTC moment an entry's time shows in its title: 2026-12-04 13:21:49 UTC."""
    return datetime.fromisoformat(at.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S UTC")


def test_r46_a_company_admin_reads_filters_pages_and_downloads_the_activity(
    browser: Browser, demo_stack: LocalStackClient
) -> None:
    ids = demo_ids(demo_stack)
    company, down, up = ids["COMPANY_SUB"], ids["PROJECT_SUB_TOWER"], ids["PROJECT_GC_TOWER"]
    where = f"/companies/{company}/audit"
    # Given Volt's admin renamed its project a dozen times (and back), then renamed the company, gave a site
    # engineer more rights in the project, its project manager asked Apex's tower for its drawings, and Apex's
    # manager approved
    for n in [*range(1, RENAMES), 0]:
        name = "Harbor Tower - Electrical" + (f" (draft {n})" if n else "")
        assert demo_stack.call("PATCH", f"/projects/{down}", ADMIN, json={"name": name}).status_code == 200
    changes: list[tuple[str, str, str, dict[str, Any]]] = [
        ("PATCH", f"/companies/{company}", ADMIN, {"name": "Volt Electric Ltd"}),
        (
            "PUT",
            f"/projects/{down}/directory/sub-site",
            ADMIN,
            {"permissions": {"connection_manager": "none", "drawings": "standard"}},
        ),
        ("POST", f"/projects/{down}/connections", "sub-pm", {"upstream_project_id": up}),
    ]
    for method, path, user, body in changes:
        answer = demo_stack.call(method, path, user, json=body)
        assert answer.status_code in (200, 201), answer.text
    connection = answer.json()["id"]
    assert demo_stack.call("POST", f"/connections/{connection}/approve", "gc-pm").status_code == 200
    everything = trail(demo_stack, where, ADMIN)
    assert len(everything) > 20  # more than a page of the console's

    page, errors = open_page(browser, DESKTOP)
    try:
        # When the admin opens the company's page
        sign_in(page, demo_stack.url, ADMIN)
        page.get_by_role("link", name="All connections of Volt Electric Ltd").click()
        activity = page.locator("section.audit")
        expect(activity.get_by_role("heading", name="Activity")).to_be_visible()
        # (its filter offers every kind of change the API records)
        offered = activity.get_by_label("What").locator("option").evaluate_all("os => os.map((o) => o.value)")
        assert offered == ["", *(a.value for a in AuditAction)]

        # Then the Activity shows a page of the trail, newest first: Apex's approval, the request, the rights, the name
        rows = activity.locator("tbody tr")
        expect(rows).to_have_count(20)
        assert rows.evaluate_all("rs => rs.map((r) => r.dataset.entry)") == [e["id"] for e in everything[:20]]
        expect(rows.nth(0).locator(".did")).to_have_text("approved a connection")
        expect(rows.nth(1).locator(".did")).to_have_text("requested a connection")
        expect(rows.nth(2).locator(".did")).to_have_text("changed someone's permissions in a project")
        expect(rows.nth(3).locator(".did")).to_have_text("changed the company's settings")
        expect(rows.nth(4).locator(".did")).to_have_text("changed a project's settings")
        # each with who made it (a person of another company too), by name
        expect(rows.nth(0).locator(".who")).to_contain_text("Gabriel Project-Manager")
        expect(rows.nth(1).locator(".who")).to_contain_text("Sam Project-Manager")
        expect(rows.nth(3).locator(".who")).to_contain_text("Sofia Admin")
        # when, in the reader's time, with the UTC moment in its title
        expect(rows.nth(0).locator(".when time")).to_have_attribute("title", utc_title(everything[0]["at"]))
        # what was changed, and where
        expect(rows.nth(0).locator(".target")).to_contain_text(f"connection {connection}")
        expect(rows.nth(2).locator(".target")).to_contain_text("directory entry sub-site")
        expect(rows.nth(2).locator(".target")).to_contain_text("in Harbor Tower - Electrical")
        # and each field before and after
        status = rows.nth(0).locator("li[data-field=status]")
        expect(status.locator("del")).to_have_text("from pending")
        expect(status.locator("ins")).to_have_text("to active")
        name = rows.nth(3).locator("li[data-field=name]")
        expect(name.locator("del")).to_have_text("from Volt Electric")
        expect(name.locator("ins")).to_have_text("to Volt Electric Ltd")
        rights = rows.nth(2).locator(".fields li")
        expect(rights).to_have_count(1)  # only what changed: the Drawings level
        expect(rights.locator("del")).to_have_text("from read_only")
        expect(rights.locator("ins")).to_have_text("to standard")
        axe(page, "company activity")
        activity.get_by_role("heading", name="Activity").evaluate("el => (el.scrollIntoView(), scrollBy(0, -16))")
        keep_for_docs(shot(page, sized(page, "audit-01-company"), full_page=False), "audit.png")

        # And a creation shows its fields, the first few and the rest on request
        request = rows.nth(1)
        expect(request.locator(".fields").first.locator("li")).to_have_count(3)
        created = len(everything[1]["after"])
        expect(request.locator(".more-fields summary")).to_have_text(f"{created - 3} more fields")
        request.locator(".more-fields summary").press("Enter")
        expect(request.locator(".more-fields li").first).to_be_visible()
        expect(request.locator("li[data-field=upstream_project_id]")).to_contain_text(up)

        # When they ask for more, by keyboard
        activity.get_by_role("button", name="Show more").focus()
        page.keyboard.press("Enter")
        # Then the rest follows, the first of them focused, the oldest last (the company's creation), and the
        # count says how many
        expect(rows).to_have_count(len(everything))
        expect(rows.nth(20)).to_be_focused()
        expect(rows.last.locator(".did")).to_have_text("created the company")
        expect(activity.locator(".audit-count")).to_have_text(f"{len(everything)} changes shown, newest first.")

        # When they keep only the project's renames
        apply_filters(page, activity, what="Project settings changed")
        renames = trail(demo_stack, where, ADMIN, action="project.update")
        assert len(renames) == RENAMES
        # Then only those show, as the API filters them
        expect(rows).to_have_count(RENAMES)
        assert set(rows.evaluate_all("rs => rs.map((r) => r.dataset.action)")) == {"project.update"}
        expect(rows.first.locator("ins")).to_have_text("to Harbor Tower - Electrical")
        # and the download holds exactly them, newest first, before and after as JSON
        saved = downloaded(page, activity)
        assert [r["id"] for r in saved] == [e["id"] for e in renames]
        assert json.loads(saved[0]["after"]) == {"name": "Harbor Tower - Electrical"}
        expect(activity.locator(".audit-download [role=status]")).to_have_text(f"Saved {RENAMES} entries.")
        shot(page, sized(page, "audit-02-filtered"))

        # When they filter by who made the change: Apex's manager
        apply_filters(page, activity, who="gc-pm")
        # Then only the approval shows
        expect(rows).to_have_count(1)
        expect(rows.first.locator(".did")).to_have_text("approved a connection")

        # When they type something that is no user id, the API's refusal shows beside the field, in its words
        apply_filters(page, activity, who="not an id!")
        message, fields = refusal(demo_stack, where, ADMIN, user_id="not an id!")
        expect(activity.locator("#company-audit-user_id-error")).to_have_text(fields["user_id"].replace("`", ""))
        expect(activity.locator(".audit-filters .error")).to_have_text(message.replace("`", ""))
        expect(activity.get_by_label("Who (user id)")).to_have_attribute("aria-invalid", "true")
        expect(activity.get_by_label("Who (user id)")).to_be_focused()
        expect(rows).to_have_count(0)
        expect(activity.get_by_role("button", name="Download CSV")).to_be_disabled()  # not the filters shown
        # and so does a From after the To, beside From (a name in the API's words as code)
        apply_filters(page, activity, since="2030-01-02", until="2030-01-01")
        message, fields = refusal(demo_stack, where, ADMIN, **{"from": "2030-01-02", "to": "2030-01-01"})
        expect(activity.locator("#company-audit-from-error")).to_have_text(fields["from"].replace("`", ""))
        expect(activity.locator(".audit-filters .error")).to_have_text(message.replace("`", ""))
        expect(activity.locator("#company-audit-from-error code")).to_have_text("to")
        expect(activity.locator(".audit-filters .error code").first).to_have_text("from")
        expect(activity.locator("#company-audit-user_id-error")).to_be_hidden()
        axe(page, "company activity, a filter refused")
        shot(page, sized(page, "audit-03-refused"))

        # When they clear the filters, everything shows again, and the download holds the whole trail
        activity.get_by_role("button", name="Clear").press("Enter")
        expect(rows).to_have_count(20)
        expect(activity.locator("#company-audit-from-error")).to_be_hidden()
        expect(activity.locator(".audit-filters .error")).to_have_count(0)
        saved = downloaded(page, activity)
        assert [(r["id"], r["action"], r["user_id"]) for r in saved] == [
            (e["id"], e["action"], e["user_id"]) for e in trail(demo_stack, where, ADMIN)
        ]
        # and a day's dates keep the entries of that whole day in the reader's time zone (here: UTC)
        today = everything[0]["at"][:10]
        apply_filters(page, activity, since=today, until=today)
        day = trail(demo_stack, where, ADMIN, **{"from": f"{today}T00:00:00Z", "to": f"{today}T23:59:59.999Z"})
        expect(rows).to_have_count(min(20, len(day)))
        assert rows.evaluate_all("rs => rs.map((r) => r.dataset.entry)") == [e["id"] for e in day[:20]]
        apply_filters(page, activity, until="2020-01-01")
        expect(activity.locator(".empty")).to_have_text("No change matches these filters.")
    finally:
        page.context.close()
    assert not errors, f"the page raised: {errors}"


def test_r46_a_download_follows_every_page_of_the_trail(browser: Browser, demo_stack: LocalStackClient) -> None:
    # Given a company whose trail is longer than the API's largest page (a user added 205 times, and its creation)
    users = [
        {"user_id": f"big-{n:03}", "email": f"big-{n}@big.example", "name": f"Big {n}", "is_company_admin": n == 0}
        for n in range(205)
    ]
    company = demo_stack.seed({"companies": [{"key": "big", "name": "Big Builders", "users": users}]})["companies"][
        "big"
    ]
    where = f"/companies/{company}/audit"
    everything = trail(demo_stack, where, "big-000")
    assert len(everything) == 206

    page, errors = open_page(browser, DESKTOP)
    try:
        # When its admin downloads the trail
        sign_in(page, demo_stack.url, "big-000")
        page.get_by_role("link", name="All connections of Big Builders").click()
        activity = page.locator("section.audit")
        saved = downloaded(page, activity)
        # Then the file holds every entry once, newest first, under one header row
        assert [r["id"] for r in saved] == [e["id"] for e in everything]
        assert saved[-1]["action"] == "company.create"
        expect(activity.locator(".audit-download [role=status]")).to_have_text("Saved 206 entries.")
        expect(activity).to_contain_text("at most 5,000 entries")
    finally:
        page.context.close()
    assert not errors, f"the page raised: {errors}"


def test_r46_a_project_s_activity_on_a_phone_and_no_activity_for_others(
    browser: Browser, demo_stack: LocalStackClient
) -> None:
    ids = demo_ids(demo_stack)
    project, company = ids["PROJECT_SUB_TOWER"], ids["COMPANY_SUB"]
    where = f"/projects/{project}/audit"
    # Given Volt's project manager, a Connection Manager admin of its project but no company admin, on a phone
    answer = demo_stack.call("PATCH", f"/projects/{project}", ADMIN, json={"name": "Harbor Tower - E"})
    assert answer.status_code == 200, answer.text
    everything = trail(demo_stack, where, "sub-pm")
    page, errors = open_page(browser, PHONE)
    try:
        sign_in(page, demo_stack.url, "sub-pm")
        # When they open the project's Activity
        page.goto(f"{demo_stack.url}/#/project/{project}/activity")
        activity = page.locator("section.audit")
        expect(activity.get_by_role("heading", name="Activity")).to_be_visible()
        # Then its trail shows newest first, a card per change, each part labelled
        rows = activity.locator("tbody tr")
        expect(rows).to_have_count(min(20, len(everything)))
        assert rows.evaluate_all("rs => rs.map((r) => r.dataset.entry)") == [e["id"] for e in everything[:20]]
        expect(rows.first.locator("td.changes")).to_have_attribute("data-label", "Changes")
        expect(rows.first.locator("ins")).to_have_text("to Harbor Tower - E")
        fits(page, "project activity on a phone")
        shot(page, sized(page, "audit-04-project-phone"))
        # and the filters fit too, with a refusal beside its field
        apply_filters(page, activity, since="2030-01-02", until="2030-01-01")
        expect(activity.locator("#project-audit-from-error")).not_to_be_empty()
        fits(page, "project activity refused on a phone")
        shot(page, sized(page, "audit-05-project-phone-refused"))

        # When they open the company's page (they are no company admin), there is no Activity, and no error
        page.goto(f"{demo_stack.url}/#/company/{company}")
        expect(page.locator("main")).to_contain_text("Choose a project.")
        expect(page.locator("section.audit")).to_have_count(0)

        # When a site engineer (no Connection Manager admin) opens the project, there is no Activity tab
        sign_in(page, demo_stack.url, "sub-site")
        page.goto(f"{demo_stack.url}/#/project/{project}/drawings")
        expect(page.locator("nav.tabs")).to_be_visible()
        expect(page.locator("nav.tabs").get_by_role("link", name="Activity")).to_have_count(0)
        # and its address says the page is not open to them, without an error
        page.goto(f"{demo_stack.url}/#/project/{project}/activity")
        expect(page.locator(".notice")).to_contain_text("This page is not open to you in this project.")
        expect(page.locator("section.audit")).to_have_count(0)
        expect(page.locator(".error")).to_have_count(0)
    finally:
        page.context.close()
    assert not errors, f"the page raised: {errors}"
