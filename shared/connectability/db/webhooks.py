"""The webhook aggregate (R45): a company's endpoints and each one's delivery log.

An endpoint lives in its company's partition (`COMPANY#<id>`, `WEBHOOK#<id>`): a company's endpoints are one
query. Its log is a partition of its own, newest first, each attempt kept 30 days (the table's TTL).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from connectability.db import audit as audit_db
from connectability.db.base import Changes, Item, as_read, as_row, lost_race, page, transaction, written
from connectability.db.companies import company_key
from connectability.db.rows import AuditEntry, WebhookDeliveryRow, WebhookRow
from connectability.errors import AlreadyExists

LOG_KEPT = timedelta(days=30)


def _sk(webhook_id: str) -> str:
    return f"WEBHOOK#{webhook_id}"


def _log_key(webhook_id: str) -> str:
    return f"WEBHOOK_LOG#{webhook_id}"


class WebhookItem(Item):
    company_id = UnicodeAttribute()
    webhook_id = UnicodeAttribute()
    url = UnicodeAttribute()
    event_types = ListAttribute[str]()
    description = UnicodeAttribute(null=True)
    enabled = BooleanAttribute(default=True)
    disabled_reason = UnicodeAttribute(null=True)
    secrets = ListAttribute[str]()
    previous_secret_until = UTCDateTimeAttribute(null=True)
    failures = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class WebhookDeliveryItem(Item):
    webhook_id = UnicodeAttribute()
    delivery_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    attempt = NumberAttribute()
    status = UnicodeAttribute()
    response_code = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    duration_ms = NumberAttribute(default=0)
    expiration = TTLAttribute(null=True)


def _row(item: WebhookItem) -> WebhookRow:
    return as_row(WebhookRow, item)._replace(failures=int(item.failures), event_types=list(item.event_types))


def create(webhook: WebhookRow, audit: AuditEntry) -> WebhookRow:
    """Register an endpoint, with its record (R46)."""
    item = WebhookItem(company_key(webhook.company_id), _sk(webhook.webhook_id), **_fields(webhook))

    def write() -> None:
        with transaction() as tx:
            tx.save(item, condition=WebhookItem.pk.does_not_exist())
            audit_db.record(tx, audit)

    if not written(write):
        raise AlreadyExists(f"A webhook with id {webhook.webhook_id} exists already.")
    return _row(item)


def _fields(row: WebhookRow) -> dict[str, Any]:
    return row._asdict()


def get(company_id: str, webhook_id: str) -> WebhookRow | None:
    try:
        return _row(WebhookItem.get(company_key(company_id), _sk(webhook_id), consistent_read=True))
    except WebhookItem.DoesNotExist:
        return None


def of_company(company_id: str) -> list[WebhookRow]:
    """Every endpoint of a company (a company has a handful: one query)."""
    return [_row(i) for i in WebhookItem.query(company_key(company_id), WebhookItem.sk.startswith("WEBHOOK#"))]


def update(webhook: WebhookRow, changes: Changes, audit: AuditEntry) -> WebhookRow | None:
    """Set these fields of the endpoint as read (only those: a delivery counting its failures meanwhile is kept),
    with the change's record; the endpoint as the change left it, or None when it had changed or gone meanwhile
    (nothing written)."""
    key = WebhookItem(company_key(webhook.company_id), _sk(webhook.webhook_id))
    was = {name: getattr(webhook, name) for name in audit.after}
    return webhook._replace(**changes) if audit_db.update_as_read(key, was, changes, audit) else None


def disable_if_enabled(company_id: str, webhook_id: str, reason: str, at: datetime) -> bool:
    """Disable an endpoint once: True only for the call that disabled it (it alone mails the admins)."""
    item = WebhookItem(company_key(company_id), _sk(webhook_id))
    return written(
        lambda: item.update(
            actions=[
                WebhookItem.enabled.set(False),
                WebhookItem.disabled_reason.set(reason),
                WebhookItem.updated_at.set(at),
            ],
            condition=WebhookItem.pk.exists() & (WebhookItem.enabled == True),  # noqa: E712 (PynamoDB's condition)
        )
    )


def count_outcome(company_id: str, webhook_id: str, delivered: bool) -> None:
    """A delivery that reached the endpoint clears its failures; one that failed for good adds one."""
    item = WebhookItem(company_key(company_id), _sk(webhook_id))
    action = WebhookItem.failures.set(0) if delivered else WebhookItem.failures.add(1)
    written(lambda: item.update(actions=[action], condition=WebhookItem.pk.exists()))


def delete(webhook: WebhookRow, audit: AuditEntry) -> bool:
    """Delete the endpoint as read, with its record; False when it had changed or gone meanwhile."""
    key = WebhookItem(company_key(webhook.company_id), _sk(webhook.webhook_id))

    def write() -> None:
        with transaction() as tx:
            tx.delete(key, condition=as_read(WebhookItem, {"updated_at": webhook.updated_at}))
            audit_db.record(tx, audit)

    return written(write, lost_race)


def log(delivery: WebhookDeliveryRow) -> None:
    WebhookDeliveryItem(
        _log_key(delivery.webhook_id),
        f"{delivery.at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{delivery.delivery_id}",
        expiration=delivery.at + LOG_KEPT,
        **delivery._asdict(),
    ).save()


def deliveries(webhook_id: str, limit: int, next_token: str | None) -> tuple[list[WebhookDeliveryRow], str | None]:
    """An endpoint's delivery log, newest first."""
    items, token = page(
        WebhookDeliveryItem, _log_key(webhook_id), limit=limit, next_token=next_token, scan_index_forward=False
    )
    return [as_row(WebhookDeliveryRow, i) for i in items], token
