"""Webhooks (R45): a company admin's endpoints for the events of the company's own projects.

An endpoint must be https and on the public internet, checked when it is registered and again at every
delivery (a name may change what it resolves to). Its secret is shown once; a rotation keeps the previous one
valid for a day, so a receiver can switch without losing a delivery. Deliveries: domain/webhook_deliveries.py.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from connectability import webhook_http
from connectability.config import get_settings
from connectability.db import webhooks as webhooks_db
from connectability.db.rows import WebhookRow
from connectability.domain import webhook_deliveries
from connectability.domain.ids import new_id
from connectability.domain.permissions import Caller, company_admin_for
from connectability.errors import InvalidInput, NotFound
from connectability.models.common import Page, utcnow
from connectability.models.events import BusEvent, EventKind
from connectability.models.webhooks import Webhook, WebhookCreate, WebhookDelivery, WebhookUpdate, WebhookWithSecret

PER_COMPANY = 20  # endpoints a company may register
PREVIOUS_SECRET_KEPT = timedelta(hours=24)


def create(caller: Caller, company_id: str, body: WebhookCreate) -> WebhookWithSecret:
    company_admin_for(caller, company_id)
    _check_url(body.url)
    if len(webhooks_db.of_company(company_id)) >= PER_COMPANY:
        raise InvalidInput(
            f"A company may register {PER_COMPANY} webhooks; delete one it no longer uses first.",
            rule="R45",
            details=[{"field": "url", "message": "too many webhooks"}],
        )
    now, secret = utcnow(), _new_secret()
    row = webhooks_db.create(
        WebhookRow(
            company_id=company_id,
            webhook_id=new_id("whk"),
            url=body.url,
            event_types=[k.value for k in body.event_types],
            description=body.description,
            enabled=True,
            disabled_reason=None,
            secrets=[secret],
            previous_secret_until=None,
            failures=0,
            created_at=now,
            updated_at=now,
        )
    )
    return WebhookWithSecret(**_view(row).model_dump(), secret=secret)


def list_for_company(caller: Caller, company_id: str) -> Page[Webhook]:
    company_admin_for(caller, company_id)
    rows = sorted(webhooks_db.of_company(company_id), key=lambda r: r.created_at)
    return Page[Webhook](items=[_view(r) for r in rows], next_token=None)


def get(caller: Caller, company_id: str, webhook_id: str) -> Webhook:
    company_admin_for(caller, company_id)
    return _view(_found(company_id, webhook_id))


def update(caller: Caller, company_id: str, webhook_id: str, body: WebhookUpdate) -> Webhook:
    company_admin_for(caller, company_id)
    _found(company_id, webhook_id)
    changes: dict[str, object] = {"updated_at": utcnow()}
    if body.url is not None:
        _check_url(body.url)
        changes["url"] = body.url
    if body.event_types is not None:
        changes["event_types"] = [k.value for k in body.event_types]
    if body.description is not None:
        changes["description"] = body.description or None
    if body.enabled is not None:
        changes |= {"enabled": body.enabled, "disabled_reason": None}
        if body.enabled:
            changes["failures"] = 0
    return _view(webhooks_db.update(company_id, webhook_id, changes))


def delete(caller: Caller, company_id: str, webhook_id: str) -> None:
    company_admin_for(caller, company_id)
    if not webhooks_db.delete(company_id, webhook_id):
        raise NotFound(f"No webhook {webhook_id} in company {company_id}.")


def rotate_secret(caller: Caller, company_id: str, webhook_id: str) -> WebhookWithSecret:
    """A new secret signs every delivery from now; the previous one signs them too for PREVIOUS_SECRET_KEPT."""
    company_admin_for(caller, company_id)
    row = _found(company_id, webhook_id)
    now, secret = utcnow(), _new_secret()
    changed = webhooks_db.update(
        company_id,
        webhook_id,
        {"secrets": [secret, row.secrets[0]], "previous_secret_until": now + PREVIOUS_SECRET_KEPT, "updated_at": now},
    )
    return WebhookWithSecret(**_view(changed).model_dump(), secret=secret)


def send_test(caller: Caller, company_id: str, webhook_id: str) -> WebhookDelivery:
    """Deliver a webhook.test event to this endpoint now, once, and answer how it went (it is logged too)."""
    company_admin_for(caller, company_id)
    row = _found(company_id, webhook_id)
    event = BusEvent(
        id=new_id("evt"),
        type=EventKind.webhook_test,
        occurred_at=utcnow(),
        company_ids=[company_id],
        project_ids=[],
        data={"webhook_id": webhook_id, "message": "A test event: your endpoint received and can verify it."},
    )
    return webhook_deliveries.deliver_now(row, event)


def deliveries(
    caller: Caller, company_id: str, webhook_id: str, limit: int, next_token: str | None
) -> Page[WebhookDelivery]:
    company_admin_for(caller, company_id)
    _found(company_id, webhook_id)
    rows, token = webhooks_db.deliveries(webhook_id, limit, next_token)
    return Page[WebhookDelivery](items=[webhook_deliveries.view(r) for r in rows], next_token=token)


def _found(company_id: str, webhook_id: str) -> WebhookRow:
    row = webhooks_db.get(company_id, webhook_id)
    if row is None:
        raise NotFound(f"No webhook {webhook_id} in company {company_id}.")
    return row


def _check_url(url: str) -> None:
    try:
        webhook_http.target(url, allow_loopback=get_settings().webhook_allow_loopback)
    except webhook_http.EndpointRefused as exc:
        raise InvalidInput(str(exc), rule="R45", details=[{"field": "url", "message": str(exc)}]) from exc


def _new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _view(row: WebhookRow) -> Webhook:
    return Webhook(
        id=row.webhook_id,
        company_id=row.company_id,
        url=row.url,
        event_types=[EventKind(t) for t in row.event_types],
        description=row.description,
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        previous_secret_valid_until=row.previous_secret_until if len(row.secrets) > 1 else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
