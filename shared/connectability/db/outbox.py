"""The outbox: events written in the same transaction as the change they announce, then sent, then removed.

If the send after the commit fails (or the function dies between the two), the item stays and the relay sends
it later; consumers are idempotent on the event's id, so a second send is harmless. Nothing announced is lost.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from connectability.db.base import Item

PARTITION = "OUTBOX"


class OutboxItem(Item):
    """A pending event; the partition holds only events not yet sent, so it stays near empty."""

    event_id = UnicodeAttribute()
    body = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


def record(event_id: str, body: str, created_at: datetime) -> OutboxItem:
    """The item to write inside the change's own transaction."""
    stamp = created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return OutboxItem(PARTITION, f"{stamp}#{event_id}", event_id=event_id, body=body, created_at=created_at)


def sent(item: OutboxItem) -> None:
    item.delete()


def pending(older_than: datetime, limit: int = 100) -> list[OutboxItem]:
    """Events still unsent that were written before `older_than`, oldest first."""
    stamp = older_than.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return list(OutboxItem.query(PARTITION, OutboxItem.sk < stamp, limit=limit, consistent_read=True))
