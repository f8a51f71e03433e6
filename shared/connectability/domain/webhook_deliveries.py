"""Webhook deliveries (R45): each event of the bus goes to the endpoints of the companies it names that asked
for its type, one queue message per endpoint, so one that fails is retried alone.

A delivery is a signed POST (`Connectability-Signature: t=<unix time>,v1=<HMAC-SHA256 of "t.body">`, one v1 per
valid secret). One that fails waits longer before each retry (BACKOFF: more than 24 hours in all); after the last
it goes to the dead-letter queue (`make redrive` brings it back) and its endpoint is disabled, with a mail to
the company's admins. Every attempt is logged on its endpoint.
"""

from __future__ import annotations

import time

from connectability import mail, queues, webhook_http
from connectability.config import get_settings
from connectability.db import companies as companies_db
from connectability.db import webhooks as webhooks_db
from connectability.db.rows import WebhookDeliveryRow, WebhookRow
from connectability.domain.ids import new_id
from connectability.models.common import utcnow
from connectability.models.events import BusEvent
from connectability.models.webhooks import DeliveryJob, WebhookDelivery
from connectability.observability import logger, metrics

# Seconds to wait after attempt n fails (n = 1, 2, ...): 27 hours in all. ATTEMPTS equals the deliveries queue's
# maxReceiveCount in template.yaml (a test keeps them equal).
BACKOFF = (30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 10800, 14400, 14400, 14400, 14400, 14400)
ATTEMPTS = len(BACKOFF) + 1


class RetryLater(Exception):
    """The endpoint did not take the delivery; the queue brings it back after `seconds`."""

    def __init__(self, message: str, seconds: int) -> None:
        super().__init__(message)
        self.seconds = seconds


class FailedForGood(Exception):
    """The last attempt failed: the message goes to the dead-letter queue."""


def fan_out(event: BusEvent) -> int:
    """Queue one delivery per endpoint that asked for this event's type, of the companies the event names only."""
    jobs = [
        DeliveryJob(webhook_id=w.webhook_id, company_id=w.company_id, event=event)
        for company_id in event.company_ids
        for w in webhooks_db.of_company(company_id)
        if w.enabled and event.type.value in w.event_types
    ]
    if jobs:
        queues.send_webhook_deliveries(jobs)
    return len(jobs)


def deliver(job: DeliveryJob, attempt: int) -> None:
    """One attempt; raises RetryLater (or FailedForGood on the last) when the endpoint did not take it."""
    webhook = webhooks_db.get(job.company_id, job.webhook_id)
    if webhook is None or not webhook.enabled:
        logger.info("webhook gone or disabled: delivery dropped", extra={"webhook_id": job.webhook_id})
        return
    row = _attempt(webhook, job.event, attempt, last=attempt >= ATTEMPTS)
    if row.status == "delivered":
        if webhook.failures:
            webhooks_db.count_outcome(webhook.company_id, webhook.webhook_id, delivered=True)
        return
    if row.status == "failed":
        _give_up(webhook, row)
        raise FailedForGood(f"webhook {webhook.webhook_id}: {row.error or row.response_code}")
    raise RetryLater(f"webhook {webhook.webhook_id}: {row.error or row.response_code}", BACKOFF[attempt - 1])


def deliver_now(webhook: WebhookRow, event: BusEvent) -> WebhookDelivery:
    """A test delivery: one attempt, answered at once."""
    return view(_attempt(webhook, event, 1, last=True, test=True))


def _attempt(
    webhook: WebhookRow, event: BusEvent, attempt: int, *, last: bool, test: bool = False
) -> WebhookDeliveryRow:
    body = event.body().encode()
    try:
        target = webhook_http.target(webhook.url, allow_loopback=get_settings().webhook_allow_loopback)
        answered = webhook_http.post(target, body, _headers(webhook, event, body))
        code, error, seconds = answered.status, answered.error, answered.seconds
        if code is not None and not answered.delivered:
            error = f"The endpoint answered {code}; 2xx means received."
    except webhook_http.EndpointRefused as exc:
        code, error, seconds = None, str(exc), 0.0
    delivered = error is None
    status = "delivered" if delivered else ("failed" if last else "retrying")
    row = WebhookDeliveryRow(
        webhook_id=webhook.webhook_id,
        delivery_id=new_id("dlv"),
        event_id=event.id,
        event_type=event.type.value,
        attempt=attempt,
        status=status,
        response_code=code,
        error=error,
        at=utcnow(),
        duration_ms=round(seconds * 1000),
    )
    webhooks_db.log(row)
    if not test:
        metrics.add_metric(name="WebhookDelivered" if delivered else "WebhookDeliveryFailed", unit="Count", value=1)
    return row


def _headers(webhook: WebhookRow, event: BusEvent, body: bytes) -> dict[str, str]:
    now = utcnow()
    valid = (
        webhook.secrets[:1]
        if webhook.previous_secret_until and webhook.previous_secret_until < now
        else webhook.secrets
    )
    return {
        "Content-Type": "application/json",
        "User-Agent": "Connectability-Webhooks/1",
        "Connectability-Event-Id": event.id,
        "Connectability-Event-Type": event.type.value,
        webhook_http.SIGNATURE_HEADER: webhook_http.sign(valid, int(time.time()), body),
    }


def _give_up(webhook: WebhookRow, row: WebhookDeliveryRow) -> None:
    """The last attempt failed: disable the endpoint, once, and tell the company's admins what to do."""
    webhooks_db.count_outcome(webhook.company_id, webhook.webhook_id, delivered=False)
    reason = f"Deliveries failed for over 24 hours; the last: {row.error}"
    if not webhooks_db.disable_if_enabled(webhook.company_id, webhook.webhook_id, reason, utcnow()):
        return
    company = companies_db.get_company(webhook.company_id)
    subject = f"Webhook disabled: {webhook.url}"
    text = (
        f"The webhook {webhook.url} of {company.name if company else webhook.company_id} was disabled: "
        f"{reason}\n\nFix the endpoint, then turn it back on in the console's company page (or with "
        "PATCH /companies/{company_id}/webhooks/{webhook_id} and enabled: true), and ask for the failed "
        f"deliveries to be sent again (make redrive QUEUE=webhook-deliveries). Webhook id: {webhook.webhook_id}."
    )
    _mail_admins(webhook.company_id, subject, text)


def _mail_admins(company_id: str, subject: str, text: str) -> None:
    for admin in companies_db.company_admins(company_id):
        try:
            mail.send(admin.email, subject, text, f"<p>{_escape(text)}</p>")
        except (mail.Refused, mail.Throttled):
            logger.exception("webhook disabled mail not sent", extra={"to": admin.email})


def _escape(text: str) -> str:
    import html

    return html.escape(text).replace("\n", "<br>")


def view(row: WebhookDeliveryRow) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.delivery_id,
        event_id=row.event_id,
        event_type=row.event_type,
        attempt=int(row.attempt),
        status=row.status,  # type: ignore[arg-type]
        response_code=int(row.response_code) if row.response_code is not None else None,
        error=row.error,
        at=row.at,
        duration_ms=int(row.duration_ms),
    )
