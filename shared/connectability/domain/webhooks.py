"""Webhooks (R45): a company admin's endpoints for the events of the company's own projects.

An endpoint must be https and on the public internet, checked when it is registered and again at every
delivery (a name may change what it resolves to). Its secret is shown once; a rotation keeps the previous one
valid for a day, so a receiver can switch without losing a delivery. Deliveries: domain/webhook_deliveries.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from connectability import webhook_http
from connectability.config import get_settings
from connectability.db import webhooks as webhooks_db
from connectability.db.rows import AuditEntry, WebhookRow
from connectability.domain import audit, webhook_deliveries
from connectability.domain.ids import new_id
from connectability.domain.permissions import Caller, company_access, company_admin_for
from connectability.errors import InvalidInput, NotFound
from connectability.models.audit import AuditAction
from connectability.models.common import Page, utcnow
from connectability.models.events import BusEvent, EventKind
from connectability.models.webhooks import Webhook, WebhookCreate, WebhookDelivery, WebhookUpdate, WebhookWithSecret

PER_COMPANY = 20  # endpoints a company may register
PREVIOUS_SECRET_KEPT = timedelta(hours=24)
UNRECORDED = ("secrets", "updated_at")  # a secret is never written into a trail; the entry has its own time


def create(caller: Caller, company_id: str, body: WebhookCreate) -> WebhookWithSecret:
    access = company_access(caller, company_id, admin=True)
    _check_url(body.url)
    if len(webhooks_db.of_company(company_id)) >= PER_COMPANY:
        raise InvalidInput(
            f"A company may register {PER_COMPANY} webhooks; delete one it no longer uses first.",
            rule="R45",
            details=[{"field": "url", "message": "too many webhooks"}],
        )
    now, secret = utcnow(), _new_secret()
    wanted = WebhookRow(
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
    after = {k: v for k, v in audit.fields_of(wanted).items() if k not in UNRECORDED}
    row = webhooks_db.create(wanted, _entry(caller, access.caller_name, AuditAction.webhook_create, wanted, {}, after))
    return WebhookWithSecret(**_view(row).model_dump(), secret=secret)


def list_for_company(caller: Caller, company_id: str) -> Page[Webhook]:
    company_admin_for(caller, company_id)
    rows = sorted(webhooks_db.of_company(company_id), key=lambda r: r.created_at)
    return Page[Webhook](items=[_view(r) for r in rows], next_token=None)


def get(caller: Caller, company_id: str, webhook_id: str) -> Webhook:
    company_admin_for(caller, company_id)
    return _view(_found(company_id, webhook_id))


def update(caller: Caller, company_id: str, webhook_id: str, body: WebhookUpdate) -> Webhook:
    asked: dict[str, object] = {}
    if body.url is not None:
        _check_url(body.url)
        asked["url"] = body.url
    if body.event_types is not None:
        asked["event_types"] = [k.value for k in body.event_types]
    if body.description is not None:
        asked["description"] = body.description or None
    if body.enabled is not None:
        asked |= {"enabled": body.enabled, "disabled_reason": None}
        if body.enabled:
            asked["failures"] = 0
    return _view(_change(caller, company_id, webhook_id, AuditAction.webhook_update, lambda _: asked))


def delete(caller: Caller, company_id: str, webhook_id: str) -> None:
    """Delete the endpoint as read, recording what it was (its secrets apart)."""

    def attempt(strongly: bool) -> bool | None:
        access = company_access(caller, company_id, admin=True, consistent=strongly)
        row = _found(company_id, webhook_id)
        was = {k: v for k, v in audit.fields_of(row).items() if k not in UNRECORDED}
        record = _entry(caller, access.caller_name, AuditAction.webhook_delete, row, was, {})
        return True if webhooks_db.delete(row, record) else None

    audit.until_written(attempt, f"Webhook {webhook_id}")


def rotate_secret(caller: Caller, company_id: str, webhook_id: str) -> WebhookWithSecret:
    """A new secret signs every delivery from now; the previous one signs them too for PREVIOUS_SECRET_KEPT. The
    trail records the rotation and until when the previous secret holds, never a secret."""
    secret = _new_secret()

    def rotated(row: WebhookRow) -> dict[str, object]:
        return {"secrets": [secret, row.secrets[0]], "previous_secret_until": utcnow() + PREVIOUS_SECRET_KEPT}

    changed = _change(caller, company_id, webhook_id, AuditAction.webhook_rotate_secret, rotated)
    return WebhookWithSecret(**_view(changed).model_dump(), secret=secret)


def _change(
    caller: Caller,
    company_id: str,
    webhook_id: str,
    action: AuditAction,
    changes_of: Callable[[WebhookRow], dict[str, object]],
) -> WebhookRow:
    """Change the endpoint as read, with its record; nothing is written (or recorded) when nothing changes."""

    def attempt(strongly: bool) -> WebhookRow | None:
        access = company_access(caller, company_id, admin=True, consistent=strongly)
        row = _found(company_id, webhook_id)
        changes = changes_of(row)
        before, after = audit.changed(row, changes)
        if not after:
            return row
        if "secrets" in after:  # the rotation's fact, not its values
            before["secrets"], after["secrets"] = "(previous)", "(rotated)"
        record = _entry(caller, access.caller_name, action, row, before, after)
        return webhooks_db.update(row, {n: changes[n] for n in after} | {"updated_at": utcnow()}, record)

    return audit.until_written(attempt, f"Webhook {webhook_id}")


def _entry(
    caller: Caller,
    name: str | None,
    action: AuditAction,
    row: WebhookRow,
    before: dict[str, object],
    after: dict[str, object],
) -> AuditEntry:
    return audit.entry(
        caller,
        name,
        action,
        "webhook",
        [row.webhook_id],
        companies=[row.company_id],
        before=before,
        after=after,
    )


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
