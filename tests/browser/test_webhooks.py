"""A company's webhooks in the console (R45), on the demo stack: a company admin registers an endpoint, sees its
secret once, sends a test that a receiver on this machine checks with that secret, is refused a private address,
rotates the secret, turns the endpoint off, and deletes it; by keyboard, at desktop and phone sizes."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from connectability.models.events import EventKind
from local.client import LocalStackClient, free_port
from tests.browser.conftest import DESKTOP, PHONE, axe, fits, keep_for_docs, open_page, shot, sign_in, sized

COMPANY = "Volt Electric"
ADMIN = "sub-admin"


@dataclass
class Receiver:
    """An endpoint on 127.0.0.1 that accepts a delivery (204) only when its signature is right for `secret`."""

    url: str
    secret: str = ""
    seen: list[tuple[bool, str]] = field(default_factory=list)  # (signature good, event type), in order


def _checked(secret: str, header: str, body: bytes) -> bool:
    """The signature checked as the README tells a receiver to: any v1 that is the HMAC of "t.body"."""
    parts = [p.split("=", 1) for p in header.split(",")]
    t = next(v for k, v in parts if k == "t")
    good = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, good) for k, v in parts)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    found = Receiver(url=f"http://127.0.0.1:{port}/hook")

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = bool(found.secret) and _checked(found.secret, self.headers["Connectability-Signature"], body)
            found.seen.append((ok, self.headers["Connectability-Event-Type"]))
            self.send_response(204 if ok else 401)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


def opened(browser: Browser, size: ViewportSize, stack: LocalStackClient) -> tuple[Page, list[str]]:
    """The company's page, for its admin (the clipboard open to the console, as a person's browser asks them)."""
    page, errors = open_page(browser, size)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    sign_in(page, stack.url, ADMIN)
    page.get_by_role("link", name=f"All connections of {COMPANY}").click()
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
    return page, errors


def register(page: Page, url: str, types: list[str], description: str = "") -> None:
    """Fill the form by keyboard and send it with Enter."""
    form = page.locator("form.webhook-form")
    form.get_by_label("Endpoint URL").fill("")
    form.get_by_label("Endpoint URL").focus()
    page.keyboard.type(url)
    for kind in types:
        form.get_by_role("checkbox", name=kind).focus()
        page.keyboard.press("Space")
    form.get_by_label("Description (optional)").focus()
    page.keyboard.type(description)
    page.keyboard.press("Enter")


def test_r45_a_company_admin_manages_a_webhook_in_the_console(
    browser: Browser, demo_stack: LocalStackClient, receiver: Receiver
) -> None:
    # Given Volt's company admin on the company's page
    page, errors = opened(browser, DESKTOP, demo_stack)
    try:
        # Then the form offers every event type of the bus (webhook.test is only sent by "Send a test")
        offered = page.locator("form.webhook-form input[name=event_types]")
        bus = [k.value for k in EventKind if k is not EventKind.webhook_test]
        assert offered.evaluate_all("inputs => inputs.map((i) => i.value)") == bus

        # When they register an endpoint on this machine for two event types, by keyboard
        register(page, receiver.url, ["copies.landed", "initial_sync.completed"], "ERP: new sheets to review")

        # Then it is listed, enabled, with what it receives
        hook = page.locator("article.webhook", has_text=receiver.url)
        expect(hook.locator(".badge")).to_have_text("enabled")
        expect(hook.locator(".event-types li")).to_have_text(["initial_sync.completed", "copies.landed"])  # bus order
        expect(hook).to_contain_text("ERP: new sheets to review")
        # and its secret shows once, with a warning, focused, and the copy button puts it on the clipboard
        panel = hook.locator(".secret")
        expect(panel).to_be_focused()
        expect(panel).to_contain_text("Copy it now: it will not be shown again.")
        secret = panel.locator(".secret-value").inner_text()
        assert secret.startswith("whsec_")
        panel.get_by_role("button", name="Copy secret").click()
        expect(panel.locator(".copied")).to_have_text("Copied.")
        assert page.evaluate("navigator.clipboard.readText()") == secret
        receiver.secret = secret
        axe(page, "webhook registered, its secret shown")
        shot(page, sized(page, "webhooks-01-registered"))
        panel.get_by_role("button", name="I have copied it").press("Enter")
        expect(hook.locator(".secret")).to_have_count(0)
        expect(hook.get_by_role("button", name="Send a test")).to_be_focused()  # the keyboard goes on from there

        # When they come back to the page, the secret is nowhere on it
        page.reload()
        expect(hook.locator(".badge")).to_have_text("enabled")
        assert secret not in page.content()

        # When they send a test (Enter on the button)
        hook.get_by_role("button", name="Send a test").focus()
        page.keyboard.press("Enter")
        # Then the receiver checked its signature with the secret shown, and the page says it was delivered
        expect(hook.locator(".outcome")).to_contain_text("Test delivered: the endpoint answered 204")
        assert receiver.seen == [(True, "webhook.test")]
        # and the delivery log lists it
        hook.locator("summary", has_text="Last deliveries").press("Enter")
        row = hook.locator(".deliveries tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("webhook.test")
        expect(row.locator(".badge")).to_have_text("delivered")
        expect(row).to_contain_text("204")

        # When they try to add an endpoint on a private address
        register(page, "https://10.0.0.1/x", ["copy.failed"])
        # Then the API's refusal shows beside the URL, in its words, and nothing is added
        refused = demo_stack.call(
            "POST",
            f"/companies/{company_id(page)}/webhooks",
            ADMIN,
            json={"url": "https://10.0.0.1/x", "event_types": ["copy.failed"]},
        )
        assert refused.status_code == 422
        expect(page.locator("#webhook-url-error")).to_have_text(refused.json()["error"]["message"])
        expect(page.get_by_label("Endpoint URL")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("article.webhook")).to_have_count(1)
        axe(page, "webhook refused")
        shot(page, sized(page, "webhooks-02-refused"))

        # When they rotate the secret, confirming in the console's dialog, by keyboard
        hook.get_by_role("button", name="Rotate secret").focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="Rotate this webhook's secret?")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("button", name="Rotate secret")).to_be_focused()
        page.keyboard.press("Enter")
        # Then a new secret shows once, and the previous one's window is told
        panel = hook.locator(".secret")
        expect(panel).to_contain_text("The new signing secret")
        rotated = panel.locator(".secret-value").inner_text()
        assert rotated.startswith("whsec_")
        assert rotated != secret
        expect(hook.locator(".previous-secret")).to_contain_text("the previous secret signs deliveries too until")
        # and a test signed with it is delivered to a receiver that knows only the new secret
        receiver.secret = rotated
        hook.get_by_role("button", name="Send a test").click()
        expect(hook.locator(".outcome")).to_contain_text("Test delivered")
        assert receiver.seen[-1] == (True, "webhook.test")
        expect(hook.locator(".deliveries tbody tr")).to_have_count(2)
        hook.scroll_into_view_if_needed()
        axe(page, "webhook rotated and tested")
        keep_for_docs(shot(page, sized(page, "webhooks-03-rotated"), full_page=False), "webhooks.png")

        # When they turn it off
        hook.get_by_role("button", name="Turn off").click()
        # Then it shows disabled, and can be turned on again
        expect(hook.locator(".badge").first).to_have_text("disabled")
        expect(hook).to_contain_text("Turned off: no event is delivered to it.")
        expect(hook.get_by_role("button", name="Turn on")).to_be_visible()
        assert listed(demo_stack, page)[0]["enabled"] is False
        shot(page, sized(page, "webhooks-04-off"))
        hook.get_by_role("button", name="Turn on").click()
        expect(hook.locator(".badge").first).to_have_text("enabled")
        assert listed(demo_stack, page)[0]["enabled"] is True

        # When they delete it, confirming, it is gone from the page and from the API
        hook.get_by_role("button", name="Delete").click()
        page.get_by_role("dialog", name="Delete this webhook?").get_by_role("button", name="Delete webhook").click()
        expect(hook).to_have_count(0)
        expect(page.get_by_text("No webhook yet: add one below.")).to_be_visible()
        assert listed(demo_stack, page) == []
    finally:
        page.context.close()
    assert not errors, f"the page raised: {errors}"


def test_webhooks_fit_a_phone(browser: Browser, demo_stack: LocalStackClient, receiver: Receiver) -> None:
    # Given Volt's company admin on a phone
    page, errors = opened(browser, PHONE, demo_stack)
    try:
        fits(page, "company page on a phone")
        # When they register an endpoint
        register(page, receiver.url, ["copies.landed"], "ERP")
        hook = page.locator("article.webhook", has_text=receiver.url)
        secret = hook.locator(".secret-value").inner_text()
        # Then the secret's panel fits the screen
        fits(page, "webhook secret on a phone")
        shot(page, sized(page, "webhooks-phone-secret"))

        # When they send a test before their receiver knows the secret
        hook.get_by_role("button", name="Send a test").click()
        # Then the page says it failed, with the code the receiver answered
        expect(hook.locator(".outcome")).to_contain_text("Test failed: The endpoint answered 401")
        expect(hook.locator(".outcome .badge")).to_have_text("failed")
        # and once the receiver has the secret, a test is delivered
        receiver.secret = secret
        hook.get_by_role("button", name="Send a test").click()
        expect(hook.locator(".outcome")).to_contain_text("Test delivered")
        assert [ok for ok, _ in receiver.seen] == [False, True]
        # and the delivery log is a card per delivery, newest first, each field labelled
        hook.locator("summary", has_text="Last deliveries").click()
        rows = hook.locator(".deliveries tbody tr")
        expect(rows.locator(".badge")).to_have_text(["delivered", "failed"])
        expect(rows.nth(1).locator("td[data-label=Response]")).to_contain_text("401")
        fits(page, "webhook deliveries on a phone")
        shot(page, sized(page, "webhooks-phone-deliveries"))

        # When the endpoint has had more deliveries than a page holds (19 more tests, through the API)
        webhook_id = hook.get_attribute("data-webhook")
        for _ in range(19):
            sent = demo_stack.call("POST", f"/companies/{company_id(page)}/webhooks/{webhook_id}/test", ADMIN)
            assert sent.status_code == 200, sent.text  # delivered or not: the log has one more either way
        page.reload()
        hook.locator("summary", has_text="Last deliveries").click()
        # Then the log shows a page of them, and the rest on request
        expect(rows).to_have_count(20)
        hook.get_by_role("button", name="Show more").click()
        expect(rows).to_have_count(21)
        expect(rows.last.locator(".badge")).to_have_text("failed")  # the oldest: the one the receiver refused
        hook.get_by_role("button", name="Delete").click()
        page.get_by_role("button", name="Delete webhook").click()
        expect(hook).to_have_count(0)
    finally:
        page.context.close()
    assert not errors, f"the page raised: {errors}"


def company_id(page: Page) -> str:
    """The company's id, from the page's route: #/company/<id>."""
    return page.url.rsplit("/", 1)[-1]


def listed(stack: LocalStackClient, page: Page) -> list[dict[str, object]]:
    answer = stack.call("GET", f"/companies/{company_id(page)}/webhooks", ADMIN)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_r45_an_endpoint_added_while_the_list_is_loading_shows_once(
    browser: Browser, demo_stack: LocalStackClient, receiver: Receiver
) -> None:
    # Given the company's page on a slow line: its list of endpoints has not arrived yet
    page, errors = open_page(browser, DESKTOP)
    held: list[Route] = []
    page.route(
        re.compile(r".*/companies/[^/]+/webhooks(\?.*)?$"),
        lambda route: held.append(route) if route.request.method == "GET" else route.continue_(),
    )
    try:
        sign_in(page, demo_stack.url, ADMIN)
        page.get_by_role("link", name=f"All connections of {COMPANY}").click()
        expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
        # When the admin registers an endpoint before it arrives, and then the list arrives (holding it too)
        with page.expect_response(lambda r: r.request.method == "POST" and "/webhooks" in r.url):
            register(page, receiver.url, ["copies.landed"])
        assert len(held) == 1
        held[0].continue_()
        # Then the endpoint is listed once, still with its secret shown that one time
        expect(page.locator("section:has(#webhooks-title) .loading")).to_have_count(0)
        expect(page.locator("article.webhook", has_text=receiver.url)).to_have_count(1)
        expect(page.locator("article.webhook .secret")).to_have_count(1)
    finally:
        page.context.close()
    assert not errors, f"the page raised: {errors}"
