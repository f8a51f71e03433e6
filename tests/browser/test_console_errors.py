"""Every way the console can fail shows a sentence a person can act on, never a blank page or raw JSON; long
lists come a page at a time; sync status shows its figures, or says it is not available from this API yet."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from local.sheets import publish_sheets
from tests.browser.conftest import open_project, shot, sign_in
from tests.e2e.conftest import LocalStackClient, unique_fixture


class Demo:
    """A fresh copy of the demo's directory on the shared stack: its ids and its users' suffixed names."""

    def __init__(self, stack: LocalStackClient) -> None:
        fixture, self.suffix = unique_fixture()
        ids = stack.seed(fixture)
        self.stack = stack
        self.up, self.down = ids["projects"][f"gc-tower-{self.suffix}"], ids["projects"][f"sub-tower-{self.suffix}"]

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


UP, DOWN = "Harbor Tower — Apex Builders", "Harbor Tower - Electrical — Volt Electric"


def test_an_action_the_api_refuses_shows_its_message_and_rule(page: Page, local_stack: LocalStackClient) -> None:
    # Given a pending request that the upstream's project manager has on screen
    demo = Demo(local_stack)
    connection = demo.request()
    sign_in(page, local_stack.url, demo.user("gc-pm"))
    open_project(page, UP)
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
    open_project(page, DOWN)

    # When the admin confirms a disconnect with no reason
    card = page.locator("article.connection")
    card.get_by_role("button", name="Disconnect…").click()
    card.get_by_role("button", name="Disconnect for good").click()

    # Then the API's 422 message names the field, and the connection stays active
    expect(card.get_by_role("alert")).to_contain_text("Some fields are invalid: reason.")
    expect(card.locator(".badge")).to_have_text("active")


def test_sections_a_user_may_not_use_say_why(page: Page, local_stack: LocalStackClient) -> None:
    # Given a viewer with read_only rights in both tools
    demo = Demo(local_stack)
    sign_in(page, local_stack.url, demo.user("gc-viewer"))

    # When they open the project's connections, review queue and notifications
    open_project(page, UP)
    request = page.locator("section", has_text="Request a connection")
    expect(request.get_by_role("alert")).to_be_visible()
    refused = local_stack.call("GET", f"/projects/{demo.up}/connectable-projects", demo.user("gc-viewer")).json()
    expect(request.get_by_role("alert")).to_contain_text(refused["error"]["message"])
    page.get_by_role("tab", name="Review queue").click()
    expect(page.get_by_role("alert")).to_be_visible()
    shot(page, "11-error-not-permitted")
    page.get_by_role("tab", name="Notifications").click()

    # Then each shows the API's refusal as a sentence, never a blank area or a JSON dump
    for alert in page.get_by_role("alert").all():
        expect(alert).not_to_have_text(re.compile(r"^\s*$|\{"))
    expect(page.get_by_role("alert")).to_have_count(3)


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
    page.route("**/me/companies", fulfil)

    # When the page loads
    page.reload()

    # Then it says what happened in words
    expect(page.get_by_role("alert").first).to_contain_text(message)


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
            {"upstream_revision_id": "rev_42", "error": "the file is gone upstream", "at": "2026-11-25T09:59:00Z"}
        ],
    }
    page.route(
        "**/sync-status",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(status)),
    )

    # When a CM admin opens the connections
    sign_in(page, local_stack.url, demo.user("sub-pm"))
    open_project(page, DOWN)

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
    expect(figures.locator(".failures")).to_contain_text("the file is gone upstream")
    shot(page, "12-sync-status-figures")


def test_sync_status_not_served_yet_is_said_plainly(page: Page, local_stack: LocalStackClient) -> None:
    # Given an active connection and an API without the sync status route (404 in the error shape)
    demo = Demo(local_stack)
    connection = demo.connect()
    body = {
        "error": {
            "code": "not_found",
            "message": f"No route GET /connections/{connection['id']}/sync-status.",
            "rule": None,
            "details": None,
        }
    }
    page.route(
        "**/sync-status",
        lambda route: route.fulfill(status=404, content_type="application/json", body=json.dumps(body)),
    )

    # When the connections are shown
    sign_in(page, local_stack.url, demo.user("sub-pm"))
    open_project(page, DOWN)

    # Then the sync status says it is not available yet, and the rest of the page works
    expect(page.locator(".sync-status .unavailable")).to_have_text("Sync status is not available from this API yet.")
    expect(page.locator("article.connection .badge")).to_have_text("active")


def test_a_long_review_queue_comes_a_page_at_a_time(page: Page, local_stack: LocalStackClient) -> None:
    # Given 23 connected drawings waiting for review (more than a page of 20)
    demo = Demo(local_stack)
    sheets = [(f"M-{n:03d}", f"Mechanical sheet {n}", "Mechanical", None) for n in range(1, 24)]
    publish_sheets(local_stack.url, local_stack.token(demo.user("gc-pm")), demo.up, sheets)
    demo.connect()
    assert local_stack.settle()["settled"] is True

    # When the downstream admin opens the review queue
    sign_in(page, local_stack.url, demo.user("sub-admin"))
    open_project(page, DOWN, tab="Review queue")

    # Then it shows the first 20, and the rest on "Show more", then nothing more to show
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(20)
    page.get_by_role("button", name="Show more").click()
    expect(rows).to_have_count(23)
    expect(page.get_by_role("button", name="Show more")).to_have_count(0)
    expect(page.locator("tbody")).to_contain_text("M-023")
