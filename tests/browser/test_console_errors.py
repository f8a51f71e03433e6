"""Every way the console can fail shows a sentence a person can act on, never a blank page or raw JSON, and a failed
load offers Retry; a user sees only what they may use; long lists come a page at a time; sync status shows its
figures, and a failed copy's reason as a sentence."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from local.client import LocalStackClient
from local.sheets import publish_sheets
from tests.browser.conftest import axe, open_project, shot, sign_in
from tests.e2e.conftest import unique_fixture


class Demo:
    """A fresh copy of the demo's directory on the shared stack: its ids and its users' suffixed names."""

    def __init__(self, stack: LocalStackClient) -> None:
        fixture, self.suffix = unique_fixture()
        ids = stack.seed(fixture)
        self.stack = stack
        self.up, self.down = ids["projects"][f"gc-tower-{self.suffix}"], ids["projects"][f"sub-tower-{self.suffix}"]
        # the copies' companies are named apart from other copies on the shared stack: the picker's labels
        names = ids["company_names"]
        self.up_label = f"Harbor Tower — {names[f'gc-{self.suffix}']}"
        self.down_label = f"Harbor Tower - Electrical — {names[f'sub-{self.suffix}']}"

    def user(self, name: str) -> str:
        return f"{name}-{self.suffix}"

    def request(self) -> dict[str, Any]:
        answer = self.stack.call(
            "POST", f"/projects/{self.down}/connections", self.user("sub-pm"), json={"upstream_project_id": self.up}
        )
        assert answer.status_code == 201, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def connect(self) -> dict[str, Any]:
        connection = self.request()
        approved = self.stack.call("POST", f"/connections/{connection['id']}/approve", self.user("gc-pm"))
        assert approved.status_code == 200, approved.text
        result: dict[str, Any] = approved.json()
        return result


def test_an_action_the_api_refuses_shows_its_message(page: Page, local_stack: LocalStackClient) -> None:
    # Given a pending request that the upstream's project manager has on screen
    demo = Demo(local_stack)
    connection = demo.request()
    sign_in(page, local_stack.url, demo.user("gc-pm"))
    open_project(page, demo.up_label, tab="Connections")
    card = page.locator(f'article[data-connection="{connection["id"]}"]')
    expect(card.locator(".badge")).to_have_text("pending")

    # When the requester cancels it meanwhile, and the page's Approve is clicked
    assert local_stack.call("POST", f"/connections/{connection['id']}/cancel", demo.user("sub-pm")).ok
    card.get_by_role("button", name="Approve").click()

    # Then the page shows the API's own message for approving a cancelled request, in place of a result
    expected = local_stack.call("POST", f"/connections/{connection['id']}/approve", demo.user("gc-pm")).json()["error"]
    expect(card.get_by_role("alert")).to_contain_text(expected["message"])
    expect(card.locator(".badge")).to_have_text("pending")  # nothing pretends it worked
    shot(page, "10-error-refused-action")


def test_disconnecting_without_a_reason_names_the_missing_field(page: Page, local_stack: LocalStackClient) -> None:
    # Given an active connection
    demo = Demo(local_stack)
    demo.connect()
    sign_in(page, local_stack.url, demo.user("sub-admin"))
    open_project(page, demo.down_label, tab="Connections")

    # When the admin confirms a disconnect with no reason
    card = page.locator("article.connection")
    card.get_by_role("button", name="Disconnect…").click()
    card.get_by_role("button", name="Disconnect for good").click()

    # Then the API's 422 message names the field, and the connection stays active
    expect(card.get_by_role("alert")).to_contain_text("Some fields are invalid: reason.")
    expect(card.locator(".badge")).to_have_text("active")


def test_a_read_only_user_sees_only_what_they_may_use(page: Page, local_stack: LocalStackClient) -> None:
    # Given a viewer with read_only rights in both tools of the upstream project, which shares its drawings
    demo = Demo(local_stack)
    demo.connect()
    sign_in(page, local_stack.url, demo.user("gc-viewer"))

    # When they open the project
    open_project(page, demo.up_label)

    # Then its pages are the register and the connections: no upload, review queue, deleted report or notifications
    expect(page.locator("nav.tabs a")).to_have_text(["Drawings", "Connections"])
    expect(page.locator(".register")).to_be_visible()
    axe(page, "register, read-only")
    # and the connections show no red box, no request card and no action, only what happened
    open_project(page, demo.up_label, tab="Connections")
    expect(page.locator("article.connection .badge")).to_have_text("active")
    expect(page.locator("article.connection")).to_contain_text("Approved by Gabriel Project-Manager")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator(".request")).to_have_count(0)
    expect(page.locator("article.connection button")).to_have_count(0)
    shot(page, "11-read-only-sees-what-they-may")

    # and a page they may not open, reached by its address, says so in words
    page.goto(f"{local_stack.url}/#/project/{demo.up}/review")
    expect(page.locator(".notice")).to_contain_text("This page is not open to you in this project")


def test_a_company_admin_outside_the_directory_is_offered_to_join(page: Page, local_stack: LocalStackClient) -> None:
    # Given Apex's company admin, who is not in the directory of one of Apex's projects
    fixture, suffix = unique_fixture()
    tower = fixture["companies"][0]["projects"][0]
    tower["directory"] = [e for e in tower["directory"] if not e["user_id"].startswith("gc-admin")]
    ids = local_stack.seed(fixture)
    sign_in(page, local_stack.url, f"gc-admin-{suffix}")

    # When they open that project
    page.select_option("#project", label=f"Harbor Tower — {ids['company_names'][f'gc-{suffix}']}")

    # Then they are told how to add themselves, once, and not shown an error
    expect(page.get_by_role("heading", name="You are not in this project's directory")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    axe(page, "not in the directory")
    page.get_by_role("button", name="Add me to this project as an admin").click()

    # and once added, the project's pages are theirs (its Activity too: they are a Connection Manager admin)
    tabs = ["Drawings", "Upload", "Deleted", "Connections", "Notifications", "Activity"]
    expect(page.locator("nav.tabs a")).to_have_text(tabs)


def test_a_refused_sign_in_says_so_and_offers_to_sign_in_again(page: Page, local_stack: LocalStackClient) -> None:
    # Given a token the API does not accept (a forged or expired one), in the session when the console loads (set
    # by the page itself before its scripts run: a storage write made from outside and the next load can pass each
    # other on a loaded machine)
    page.add_init_script(
        "if (!sessionStorage.getItem('test.forged')) { sessionStorage.setItem('test.forged', 'yes');"
        " sessionStorage.setItem('connectability.token', 'not.a.token'); }"
    )

    # When the console loads
    page.goto(f"{local_stack.url}/")

    # Then it shows the API's 401 message and a way back to the sign-in page
    expect(page.get_by_role("alert").first).to_contain_text("Sign in first")
    page.get_by_role("button", name="Sign in again").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


@pytest.mark.parametrize(
    ("fulfil", "message"),
    [
        (lambda route: route.abort(), "Cannot reach the API"),
        (
            lambda route: route.fulfill(status=502, content_type="text/html", body="<html>Bad gateway</html>"),
            "The API answered 502",
        ),
    ],
    ids=["unreachable", "not-json"],
)
def test_an_api_that_fails_outright_is_said_plainly(
    page: Page, local_stack: LocalStackClient, fulfil: Any, message: str
) -> None:
    # Given a signed-in user, and an API that stops answering, or answers with an HTML error page
    demo = Demo(local_stack)
    sign_in(page, local_stack.url, demo.user("sub-pm"))
    page.route("**/me/companies?*", fulfil)

    # When the page loads
    page.reload()

    # Then it says what happened in words, and offers to try again
    expect(page.get_by_role("alert").first).to_contain_text(message)
    expect(page.get_by_role("alert").first.get_by_role("button", name="Retry")).to_be_visible()


def test_sync_status_shows_its_figures_and_failures(page: Page, local_stack: LocalStackClient) -> None:
    # Given an active connection, and an API whose sync status reports a failure
    demo = Demo(local_stack)
    connection = demo.connect()
    status = {
        "connection_id": connection["id"],
        "upstream_published": 12,
        "copied": 11,
        "pending_review": 4,
        "published_downstream": 7,
        "failed": 1,
        "lag_seconds": 3.5,
        "last_synced_at": "2026-11-25T10:00:00Z",
        "failures": [
            {"upstream_revision_id": "rev_42", "error": "the file is gone upstream", "at": "2026-11-25T09:59:00Z"},
            {
                "upstream_revision_id": "rev_43",
                "error": "CopyObject was refused: AccessDenied (Access Denied)",
                "at": "2026-11-25T09:59:30Z",
            },
        ],
    }
    page.route(
        "**/sync-status",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(status)),
    )

    # When a CM admin opens the connections
    sign_in(page, local_stack.url, demo.user("sub-pm"))
    open_project(page, demo.down_label, tab="Connections")

    # Then every figure of R40 is there, with the failure
    figures = page.locator(".sync-status")
    for label, value in [
        ("Published upstream", "12"),
        ("Copied", "11"),
        ("Waiting for review", "4"),
        ("Published downstream", "7"),
        ("Failed", "1"),
    ]:
        expect(
            figures.locator("div", has=page.locator("dt", has_text=re.compile(f"^{label}$"))).locator("dd")
        ).to_have_text(value)
    expect(figures).to_contain_text("4 s")
    # and each failure as a sentence, the raw text behind "Details"
    failures = figures.locator(".failures li")
    expect(failures.locator(".failure-text")).to_have_text(
        [
            "The copy failed; it will be retried.",
            "The downstream storage refused the copy (access denied). It will be retried; if it keeps failing, "
            "the buckets' permissions need a look.",
        ]
    )
    failures.first.get_by_text("Details").click()
    expect(failures.first.locator("pre")).to_have_text("the file is gone upstream")
    shot(page, "12-sync-status-figures")


def test_a_request_that_hangs_times_out_and_offers_retry(page: Page, local_stack: LocalStackClient) -> None:
    # Given an active connection, a console whose requests give up after 1.5 s, and a sync status that never answers
    demo = Demo(local_stack)
    demo.connect()
    page.route(
        "**/config.json",
        lambda route: route.fulfill(json={"api_url": "", "auth": {"mode": "local"}, "request_timeout_ms": 1500}),
    )
    page.route("**/sync-status", lambda route: None)  # never answered

    # When the connections are shown
    sign_in(page, local_stack.url, demo.user("sub-pm"))
    open_project(page, demo.down_label, tab="Connections")

    # Then the sync status says the API did not answer, and offers Retry instead of "Loading..." for ever
    alert = page.locator(".sync-status").get_by_role("alert")
    expect(alert).to_contain_text("The API did not answer within 2 seconds.")
    expect(page.locator("article.connection .badge")).to_have_text("active")  # the rest of the page works
    # and once the API answers again, Retry shows the figures
    page.unroute("**/sync-status")
    alert.get_by_role("button", name="Retry").click()
    expect(page.locator(".sync-status .figures")).to_be_visible()


def test_the_initial_sync_bar_never_says_0_of_0(page: Page, local_stack: LocalStackClient) -> None:
    # Given a connection whose initial sync runs and has not counted its drawings yet
    demo = Demo(local_stack)
    connection = demo.connect()

    def counting(route: Any) -> None:
        answer = route.fetch()
        body = answer.json()
        for item in body.get("items", [body]):
            item["initial_sync"] = {"status": "running", "total": 0, "copied": 0}
        route.fulfill(response=answer, json=body)

    page.route(f"**/projects/{demo.down}/connections?*", counting)
    page.route(f"**/connections/{connection['id']}", counting)

    # When the connections are shown
    sign_in(page, local_stack.url, demo.user("sub-pm"))
    open_project(page, demo.down_label, tab="Connections")

    # Then the bar says it is counting, and a 0 of the sync status is shown as 0
    expect(page.locator(".bar-label")).to_have_text("Counting the drawings to copy…")
    failed = page.locator(".figures div", has=page.locator("dt", has_text="Failed")).locator("dd")
    expect(failed).to_have_text("0")


def test_a_long_review_queue_shows_its_count_and_asks_before_publishing_all(
    page: Page, local_stack: LocalStackClient
) -> None:
    # Given 23 connected drawings waiting for review
    demo = Demo(local_stack)
    sheets: list[tuple[str, str, str, str | None]] = [
        (f"M-{n:03d}", f"Mechanical sheet {n}", "Mechanical", None) for n in range(1, 24)
    ]
    publish_sheets(local_stack.url, local_stack.token(demo.user("gc-pm")), demo.up, sheets)
    demo.connect()
    assert local_stack.settle()["settled"] is True

    # When the downstream admin opens the review queue
    sign_in(page, local_stack.url, demo.user("sub-admin"))
    open_project(page, demo.down_label, tab="Review queue")

    # Then it counts them, lists them in number order, and "Publish all" names the count and asks first
    expect(page.locator(".summary")).to_have_text("23 copies waiting for review.")
    expect(page.locator("tbody tr")).to_have_count(23)
    expect(page.locator("tbody tr").last).to_contain_text("M-023")
    page.get_by_role("button", name="Publish all 23 waiting").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Publish all 23 copies?")
    axe(page, "review queue, confirmation")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("tbody tr")).to_have_count(23)  # nothing published
