"""The outbox: what a change owes the world, recorded with (or before) the change, done after it, then removed.

Its kinds: a notification event to queue, a manifest to write for a revision, a file to check, a message
for sync (an initial sync to start), and the rest of a drawing's delete (more revisions than one transaction
holds). If the work after the change fails, or the function dies first, the record stays and the relay does
the work later; consumers are idempotent (notify per event and recipient, sync per manifest version, a delete
skips what it moved), so doing it twice is harmless. Nothing is lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PynamoDBException

from connectability.db.base import Item
from connectability.observability import logger

PARTITION = "OUTBOX"
NOTIFICATION = "notification"
MANIFEST = "manifest"
FILE_CHECK = "file_check"
SYNC_MESSAGE = "sync_message"
DRAWING_DELETE = "drawing_delete"


class OutboxItem(Item):
    """A pending duty; the partition holds only work not yet done, so it stays near empty."""

    kind = UnicodeAttribute(default=NOTIFICATION)
    event_id = UnicodeAttribute()
    body = UnicodeAttribute(default="")
    project_id = UnicodeAttribute(null=True)
    revision_id = UnicodeAttribute(null=True)  # a file to check
    revision_ids = ListAttribute[str](null=True)  # manifests due, up to MANIFESTS_PER_DUTY
    created_at = UTCDateTimeAttribute()


def _sk(created_at: datetime, duty_id: str) -> str:
    return f"{created_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{duty_id}"


def record(event_id: str, body: str, created_at: datetime) -> OutboxItem:
    """A notification event, to write inside the change's own transaction."""
    return OutboxItem(PARTITION, _sk(created_at, event_id), event_id=event_id, body=body, created_at=created_at)


def sync_message(duty_id: str, body: str, created_at: datetime) -> OutboxItem:
    """A message for the sync-events queue (an initial sync to start), to write inside its change's transaction."""
    return OutboxItem(
        PARTITION, _sk(created_at, duty_id), kind=SYNC_MESSAGE, event_id=duty_id, body=body, created_at=created_at
    )


def file_check(project_id: str, revision_id: str, duty_id: str, at: datetime) -> OutboxItem:
    """A file to hash, to write inside the transaction that creates its revision."""
    return OutboxItem(
        PARTITION,
        _sk(at, duty_id),
        kind=FILE_CHECK,
        event_id=duty_id,
        project_id=project_id,
        revision_id=revision_id,
        created_at=at,
    )


def drawing_delete(project_id: str, drawing_id: str, by: str, at: datetime, duty_id: str) -> OutboxItem:
    """The rest of a drawing's delete, to write inside the transaction that marks the drawing deleted."""
    return OutboxItem(
        PARTITION,
        _sk(at, duty_id),
        kind=DRAWING_DELETE,
        event_id=duty_id,
        body=json.dumps({"drawing_id": drawing_id, "by": by}),
        project_id=project_id,
        created_at=at,
    )


def deletes_under_way(project_id: str) -> list[OutboxItem]:
    """A project's drawing deletes not finished yet (the outbox stays near empty, so this reads little)."""
    condition = (OutboxItem.kind == DRAWING_DELETE) & (OutboxItem.project_id == project_id)
    return list(OutboxItem.query(PARTITION, filter_condition=condition, consistent_read=True))


# About 4 KB an item: a publish of 2,000 revisions records its manifests in 20 items and one call, instead of
# 2,000 items on the outbox's one partition.
MANIFESTS_PER_DUTY = 100


def intend_manifests(
    project_id: str, revision_ids: Sequence[str], new_duty_id: Callable[[], str], at: datetime
) -> list[OutboxItem]:
    """Record, before a change, that these revisions' manifests are due."""
    items = []
    for start in range(0, len(revision_ids), MANIFESTS_PER_DUTY):
        duty = new_duty_id()
        items.append(
            OutboxItem(
                PARTITION,
                _sk(at, duty),
                kind=MANIFEST,
                event_id=duty,
                project_id=project_id,
                revision_ids=list(revision_ids[start : start + MANIFESTS_PER_DUTY]),
                created_at=at,
            )
        )
    with OutboxItem.batch_write() as batch:
        for item in items:
            batch.save(item)
    return items


def get(sk: str) -> OutboxItem | None:
    """A duty still pending, or None once it is done."""
    try:
        return OutboxItem.get(PARTITION, sk, consistent_read=True)
    except OutboxItem.DoesNotExist:
        return None


def narrow(duty: OutboxItem, revision_ids: list[str]) -> None:
    """Keep only the manifests still due; if even that fails, the relay only writes the others again."""
    duty.revision_ids = revision_ids
    try:
        duty.save()
    except PynamoDBException:
        logger.exception("manifest duty not narrowed", extra={"event_id": duty.event_id})


def sent(item: OutboxItem) -> None:
    """Clear a duty done; if even that fails, the relay only does the (idempotent) duty again."""
    try:
        item.delete()
    except PynamoDBException:
        logger.exception("outbox duty done but not cleared", extra={"event_id": item.event_id})


def done(items: Iterable[OutboxItem]) -> None:
    with OutboxItem.batch_write() as batch:
        for item in items:
            batch.delete(item)


def pending(older_than: datetime, limit: int = 500) -> list[OutboxItem]:
    """Duties still undone that were recorded before `older_than`, oldest first."""
    stamp = older_than.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return list(OutboxItem.query(PARTITION, OutboxItem.sk < stamp, limit=limit, consistent_read=True))
