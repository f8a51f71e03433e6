"""The outbox: what a change owes the world, recorded with (or before) the change, done after it, then removed.

Its kinds: a notification event to queue, a manifest to write for a revision, a file to check, an initial
sync to start (its first page), and the rest of a drawing's delete (more revisions than one transaction
holds). If the work after the change fails, or the function dies first, the record stays and the relay does
the work later; consumers are idempotent (notify per event and recipient, sync per manifest version, a delete
skips what it moved), so doing it twice is harmless. Nothing is lost.

Every change writes a duty and clears it, so the outbox takes a write at every change of every project: it is
sharded over `outbox_shards` partitions (a setting) by a hash of each duty's id, so no partition takes more than
its share (DynamoDB gives a partition about 1,000 writes a second). The relay reads them all.
"""

from __future__ import annotations

import heapq
import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PynamoDBException

from connectability import aws
from connectability.config import get_settings
from connectability.db.base import Item, as_row
from connectability.db.rows import Duty
from connectability.observability import logger

PARTITION = "OUTBOX"
NOTIFICATION = "notification"
MANIFEST = "manifest"
FILE_CHECK = "file_check"
SYNC_MESSAGE = "sync_message"
DRAWING_DELETE = "drawing_delete"
BUS_EVENT = "bus_event"


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
    return f"{_stamp(created_at)}#{duty_id}"


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def partition(shard: int) -> str:
    """The partition of one shard; shard 0 keeps the name of the outbox's first and only partition, so duties a
    stack recorded before it was sharded are read on."""
    return PARTITION if shard == 0 else f"{PARTITION}#{shard}"


def _partition_of(duty: Duty) -> str:
    """A duty's partition, by a hash of its id; a drawing's delete by its project's, so the deletes a project has
    under way are read in one query."""
    return _partition_by(duty.project_id if duty.kind == DRAWING_DELETE and duty.project_id else duty.event_id)


def _partition_by(key: str) -> str:
    return partition(zlib.crc32(key.encode()) % get_settings().outbox_shards)


def outbox_item(duty: Duty) -> OutboxItem:
    """The item that records a duty, for a write of db's own (one inside a change's transaction)."""
    return OutboxItem(
        _partition_of(duty),
        _sk(duty.created_at, duty.event_id),
        **{k: v for k, v in ((n, getattr(duty, n)) for n in _FIELDS) if v is not None},
    )


_FIELDS = ("kind", "event_id", "created_at", "body", "project_id", "revision_id", "revision_ids")


def reference(duty: Duty) -> str:
    """What names a duty in a message that hands it on (ManifestsDue): `get` finds it by this."""
    return f"{_partition_of(duty)}/{_sk(duty.created_at, duty.event_id)}"


def record(event_id: str, body: str, created_at: datetime) -> Duty:
    """A notification event, to write inside the change's own transaction."""
    return Duty(kind=NOTIFICATION, event_id=event_id, body=body, created_at=created_at)


def bus_event(event_id: str, body: str, created_at: datetime) -> Duty:
    """An event for integrators (R44), to write inside the change's own transaction (or by itself: `put`)."""
    return Duty(kind=BUS_EVENT, event_id=event_id, body=body, created_at=created_at)


def put(duty: Duty) -> None:
    """Record a duty that follows no write of ours."""
    outbox_item(duty).save()


def sync_message(duty_id: str, body: str, created_at: datetime) -> Duty:
    """An initial sync's first page (its connection became active), to write inside its change's transaction."""
    return Duty(kind=SYNC_MESSAGE, event_id=duty_id, body=body, created_at=created_at)


def file_check(project_id: str, revision_id: str, duty_id: str, at: datetime) -> Duty:
    """A file to hash, to write inside the transaction that creates its revision."""
    return Duty(kind=FILE_CHECK, event_id=duty_id, project_id=project_id, revision_id=revision_id, created_at=at)


def drawing_delete(project_id: str, drawing_id: str, by: str, at: datetime, duty_id: str) -> Duty:
    """The rest of a drawing's delete, to write inside the transaction that marks the drawing deleted."""
    body = json.dumps({"drawing_id": drawing_id, "by": by})
    return Duty(kind=DRAWING_DELETE, event_id=duty_id, body=body, project_id=project_id, created_at=at)


def deletes_under_way(project_id: str) -> list[Duty]:
    """A project's drawing deletes not finished yet (the outbox stays near empty, so this reads little)."""
    where = _partition_by(project_id)
    condition = (OutboxItem.kind == DRAWING_DELETE) & (OutboxItem.project_id == project_id)
    return [as_row(Duty, i) for i in OutboxItem.query(where, filter_condition=condition, consistent_read=True)]


# About 4 KB an item: a publish of 2,000 revisions records its manifests in 20 items and one call, instead of
# 2,000 items on the outbox's one partition.
MANIFESTS_PER_DUTY = 100


def intend_manifests(
    project_id: str, revision_ids: Sequence[str], new_duty_id: Callable[[], str], at: datetime
) -> list[Duty]:
    """Record, before a change, that these revisions' manifests are due."""
    duties = [
        Duty(
            kind=MANIFEST,
            event_id=new_duty_id(),
            project_id=project_id,
            revision_ids=list(revision_ids[start : start + MANIFESTS_PER_DUTY]),
            created_at=at,
        )
        for start in range(0, len(revision_ids), MANIFESTS_PER_DUTY)
    ]
    with OutboxItem.batch_write() as batch:
        for duty in duties:
            batch.save(outbox_item(duty))
    return duties


def get(reference: str) -> Duty | None:
    """A duty still pending, by its reference, or None once it is done."""
    where, _, sk = reference.rpartition("/")
    try:
        return as_row(Duty, OutboxItem.get(where or PARTITION, sk, consistent_read=True))
    except OutboxItem.DoesNotExist:
        return None


def narrow(duty: Duty, revision_ids: list[str]) -> None:
    """Keep only the manifests still due; if even that fails, the relay only writes the others again."""
    try:
        outbox_item(duty._replace(revision_ids=revision_ids)).save()
    except PynamoDBException:
        logger.exception("manifest duty not narrowed", extra={"event_id": duty.event_id})


def sent(duty: Duty) -> None:
    """Clear a duty done; if even that fails, the relay only does the (idempotent) duty again."""
    try:
        outbox_item(duty).delete()
    except PynamoDBException:
        logger.exception("outbox duty done but not cleared", extra={"event_id": duty.event_id})


def done(duties: Iterable[Duty]) -> None:
    with OutboxItem.batch_write() as batch:
        for duty in duties:
            batch.delete(outbox_item(duty))


def pending(older_than: datetime, limit: int = 500) -> list[Duty]:
    """Duties still undone that were recorded before `older_than`, oldest first: every partition is read, at once."""
    partitions = [partition(n) for n in range(get_settings().outbox_shards)]
    found = aws.together(*(partial(_before, p, older_than, limit) for p in partitions))
    return [as_row(Duty, i) for i in heapq.merge(*found, key=lambda i: i.sk)][:limit]


def oldest_pending(older_than: datetime, among: Iterable[Duty]) -> Duty | None:
    """The oldest duty still undone from before `older_than`, in the partitions of `among` (the duties `pending`
    answered a moment ago: the other partitions held none that old)."""
    partitions = sorted({_partition_of(d) for d in among})
    found = aws.together(*(partial(_before, p, older_than, 1) for p in partitions))
    oldest = min((i for items in found for i in items), key=lambda i: i.sk, default=None)
    return as_row(Duty, oldest) if oldest is not None else None


def _before(where: str, older_than: datetime, limit: int) -> list[OutboxItem]:
    query = OutboxItem.query(where, OutboxItem.sk < _stamp(older_than), limit=limit, consistent_read=True)
    return list(query)
