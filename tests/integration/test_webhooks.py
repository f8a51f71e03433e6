"""Webhooks (R45): a company admin's endpoints receive the events of the company's own projects, signed, retried
with backoff, dead-lettered, redriven, and logged; never another company's events, never an inside address."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from connectability.config import get_settings
from connectability.domain import webhook_deliveries
from local.template import ACCOUNT, REGION, Stack
from local.world import Builder, Pipeline, Queues
from ops import redrive
from tests.iam.record import acting_as
from tests.integration.bus_world import Receiver, validate
from tests.integration.sync_world import Sync

EVENTS, DELIVERIES = "WebhookEventsQueue", "WebhookDeliveriesQueue"


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """An integrator's endpoint on this machine (the local stack's allowance: plain http on loopback only)."""
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")
    get_settings.cache_clear()
    yield from Receiver().serve()
    get_settings.cache_clear()


def _hmac_sha256(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 from RFC 2104, written here, independent of the product's signing."""
    key = key.ljust(64, b"\x00")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha256(bytes(k ^ 0x5C for k in key) + inner).hexdigest()


def _verified(headers: dict[str, str], body: bytes, secret: str) -> bool:
    parts = dict(p.split("=", 1) for p in headers["connectability-signature"].split(",") if p.startswith("t="))
    signatures = [p[3:] for p in headers["connectability-signature"].split(",") if p.startswith("v1=")]
    return _hmac_sha256(secret.encode(), f"{parts['t']}.".encode() + body) in signatures


def _register(sync: Sync, company: str, admin: str, url: str, types: list[str]) -> dict[str, Any]:
    answer = sync.api("POST", f"/companies/{company}/webhooks", admin, {"url": url, "event_types": types})
    assert answer.status == 201, answer.body
    return dict(answer.body)


def _deliver_all(queues: Queues) -> None:
    queues.drain(EVENTS, rounds=50)
    queues.drain(DELIVERIES, rounds=50)


def test_r45_a_company_admin_manages_endpoints_and_no_one_else(sync: Sync, receiver: Receiver) -> None:
    apex = sync.two.apex
    # Given Apex's admin registers an endpoint: its secret is shown once
    made = _register(sync, apex, "apex-admin", receiver.url, ["copies.landed"])
    assert made["secret"].startswith("whsec_")
    path = f"/companies/{apex}/webhooks/{made['id']}"
    read = sync.api("GET", path, "apex-admin").body
    assert "secret" not in read
    assert read["event_types"] == ["copies.landed"]
    # When others try: a user of the company is refused, another company's admin sees nothing
    assert sync.api("GET", f"/companies/{apex}/webhooks", "apex-cm").status == 403
    assert sync.api("GET", path, "volt-admin").status in (403, 404)
    assert sync.api("DELETE", path, "volt-admin").status in (403, 404)
    # And the admin changes it, rotates its secret (both sign for a day), lists and deletes it
    changed = sync.api("PATCH", path, "apex-admin", {"event_types": ["copies.landed", "copy.failed"]})
    assert changed.body["event_types"] == ["copies.landed", "copy.failed"]
    rotated = sync.api("POST", f"{path}/rotate-secret", "apex-admin").body
    assert rotated["secret"] != made["secret"]
    assert rotated["previous_secret_valid_until"]
    tested = sync.api("POST", f"{path}/test", "apex-admin")
    assert tested.body["status"] == "delivered", tested.body
    [got] = receiver.got
    assert _verified(got.headers, got.body, rotated["secret"])
    assert _verified(got.headers, got.body, made["secret"])
    validate(receiver.events()[0])
    log = sync.api("GET", f"{path}/deliveries", "apex-admin").body["items"]
    assert [(d["event_type"], d["status"], d["response_code"]) for d in log] == [("webhook.test", "delivered", 200)]
    assert [w["id"] for w in sync.api("GET", f"/companies/{apex}/webhooks", "apex-admin").body["items"]] == [made["id"]]
    assert sync.api("DELETE", path, "apex-admin").status == 204
    assert sync.api("GET", path, "apex-admin").status == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",
        "https://10.1.2.3/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://localhost/in",  # a name that resolves to loopback
    ],
)
def test_r45_an_endpoint_at_an_inside_address_is_refused(sync: Sync, url: str) -> None:
    answer = sync.api(
        "POST", f"/companies/{sync.two.apex}/webhooks", "apex-admin", {"url": url, "event_types": ["copies.landed"]}
    )
    assert answer.status == 422, answer.body
    assert answer.body["error"]["details"][0]["field"] == "url"
    assert sync.api("GET", f"/companies/{sync.two.apex}/webhooks", "apex-admin").body["items"] == []


def test_r45_a_company_receives_its_own_projects_events_signed_and_never_another_companys(
    sync: Sync, receiver: Receiver, queues: Queues, pipeline: Pipeline
) -> None:
    # Given Volt (downstream) and a third company, each with an endpoint for every event type
    everything = [
        "connection.requested",
        "connection.approved",
        "initial_sync.completed",
        "copies.landed",
        "copies.published",
    ]
    volt = _register(sync, sync.two.volt, "volt-admin", receiver.url, everything)
    build = Builder(sync.api)
    other = build.company("Other Co", "other-admin")
    outsider = Receiver()
    served = outsider.serve()
    next(served)
    _register(sync, other, "other-admin", outsider.url, everything)
    # When Volt connects to Apex and an upstream drawing is copied
    sync.connect()
    sync.up.published("E-201")
    pipeline.run()
    _deliver_all(queues)
    # Then Volt's endpoint received the facts about its project, each signed with its secret, valid
    kinds = sorted(e["type"] for e in receiver.events())
    assert {"connection.requested", "connection.approved", "copies.landed"} <= set(kinds)
    for got in receiver.got:
        assert _verified(got.headers, got.body, volt["secret"])
        assert got.headers["connectability-event-id"] == __import__("json").loads(got.body)["id"]
    for event in receiver.events():
        validate(event)
        assert sync.two.volt in event["company_ids"]
    # and the other company's endpoint received nothing
    assert outsider.got == []
    next(served, None)


def test_r45_a_failing_endpoint_is_retried_then_dead_lettered_disabled_and_redriven_once(
    sync: Sync, receiver: Receiver, queues: Queues, pipeline: Pipeline, stack: Stack
) -> None:
    # Given Volt's endpoint for copies that land, answering 500
    volt = sync.two.volt
    made = _register(sync, volt, "volt-admin", receiver.url, ["copies.landed"])
    path = f"/companies/{volt}/webhooks/{made['id']}"
    receiver.status = 500
    sync.connect()
    pipeline.run()
    sync.up.published("E-301")
    pipeline.run()
    # When every attempt fails (the backoff's waits pass at once here)
    queues.drain(EVENTS)
    queues.drain(DELIVERIES, rounds=webhook_deliveries.ATTEMPTS + 3)
    # Then it was tried ATTEMPTS times, each logged; the last failed for good and went to the dead-letter queue
    landed = [r for r in receiver.events() if r["type"] == "copies.landed"]
    assert len(landed) == webhook_deliveries.ATTEMPTS
    log = sync.api("GET", f"{path}/deliveries", "volt-admin", query={"limit": "100"}).body["items"]
    assert [d["status"] for d in log].count("retrying") == webhook_deliveries.ATTEMPTS - 1
    assert log[0]["status"] == "failed"
    assert log[0]["response_code"] == 500
    # and the endpoint is disabled, saying why, and Volt's admins were mailed
    endpoint = sync.api("GET", path, "volt-admin").body
    assert endpoint["enabled"] is False
    assert "24 hours" in endpoint["disabled_reason"]
    from moto.ses.models import ses_backends

    mails = [m for m in ses_backends[ACCOUNT][REGION].sent_messages if "Webhook disabled" in m.subject]
    assert [m.destinations["ToAddresses"] for m in mails] == [["volt-admin@example.com"]]
    # When the endpoint is fixed, turned back on, and the dead letters are redriven
    receiver.status = 200
    assert sync.api("PATCH", path, "volt-admin", {"enabled": True}).body["enabled"] is True
    with acting_as(None):
        sqs = boto3.client("sqs")
        [pair] = [p for p in redrive.redrives(sqs, stack.name) if p.source.name.endswith("-webhook-deliveries")]
        assert redrive.redrive(sqs, pair, lambda _: None)[0] == 1
    queues.drain(DELIVERIES)
    # Then it is delivered, once
    assert len([r for r in receiver.events() if r["type"] == "copies.landed"]) == webhook_deliveries.ATTEMPTS + 1
    assert sync.api("GET", f"{path}/deliveries", "volt-admin").body["items"][0]["status"] == "delivered"


def test_the_deliveries_queue_retries_as_often_as_the_backoff_counts() -> None:
    from local.template import load

    queue = load().resources["WebhookDeliveriesQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == webhook_deliveries.ATTEMPTS
    assert sum(webhook_deliveries.BACKOFF) > 24 * 3600
    assert queue["MessageRetentionPeriod"] > sum(webhook_deliveries.BACKOFF)
