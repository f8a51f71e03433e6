"""A drawing's delete (R28), in transactions of at most 100 items: the first marks the drawing deleted and frees
its number, so every reader sees it deleted from then on; the rest move its revisions to the deleted report."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from connectability.db import audit as audit_db
from connectability.db.audit import PROJECT_CHANGE_ITEMS
from connectability.db.base import TRANSACTION_ITEMS, condition_failed, low, retry_conflicts
from connectability.db.drawings import (
    CHUNK_ATTEMPTS,
    DrawingItem,
    DrawingNumberItem,
    RevisionItem,
    deleted_keys,
    drawing_at,
    get_revisions,
    revision_at,
    revisions_of,
)
from connectability.db.outbox import outbox_item
from connectability.db.projects import project_key
from connectability.db.rows import AuditEntry, DrawingRow, Duty, RevisionRow
from connectability.db.sync_counters import SHARDS, PublishedCountItem, published_shard
from connectability.models.common import name_key
from connectability.observability import logger

# A delete's first transaction holds the drawing, its number, the duty to finish, SHARDS counter shards, the
# delete's record and FIRST_CHUNK revisions; each later one SHARDS shards and LATER_CHUNK revisions (100 items at
# most).
FIRST_CHUNK = TRANSACTION_ITEMS - 3 - SHARDS - PROJECT_CHANGE_ITEMS
LATER_CHUNK = TRANSACTION_ITEMS - SHARDS


def start_delete(
    drawing: DrawingRow, revisions: list[RevisionRow], by: str, at: datetime, duty: Duty | None, audit: AuditEntry
) -> bool:
    """Mark the drawing deleted, free its number and move its first FIRST_CHUNK revisions to the deleted report,
    with the delete's record (R46), in one transaction; with more revisions, `duty` (saved in the same
    transaction) says the rest is owed.

    From this commit on every reader treats all the drawing's revisions as deleted: the rest is the same change
    finishing, recorded by the first. False when another request deleted it first.
    """
    return _delete_chunks(drawing, [revisions[:FIRST_CHUNK]], by, at, opening=True, duty=duty, audit=audit)


def finish_delete(drawing: DrawingRow, by: str, at: datetime) -> bool:
    """Move the revisions a started delete left to the deleted report, LATER_CHUNK per transaction; each counts
    the published ones it moves out of the project's count. Safe to run again: moved ones are skipped. False
    (logged) when DynamoDB failed meanwhile: what was moved stays moved, the rest waits for another run."""
    try:
        left = [r for r in revisions_of(drawing.drawing_id) if r.state != "deleted"]
        _delete_chunks(drawing, [left[i : i + LATER_CHUNK] for i in range(0, len(left), LATER_CHUNK)], by, at)
    except (PynamoDBException, BotoCoreError, ClientError):
        logger.exception("drawing delete not finished yet", extra={"drawing_id": drawing.drawing_id})
        return False
    return True


def _delete_chunks(
    drawing: DrawingRow,
    chunks: list[list[RevisionRow]],
    by: str,
    at: datetime,
    opening: bool = False,
    duty: Duty | None = None,
    audit: AuditEntry | None = None,
) -> bool:
    for chunk in chunks:
        for _ in range(CHUNK_ATTEMPTS):
            try:
                _delete_chunk(drawing, chunk, duty, audit, by=by, at=at, first=opening)
                break
            except TransactWriteError as exc:
                reasons = exc.cancellation_reasons or []
                if opening and reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                    return False  # the drawing was deleted meanwhile
                if not condition_failed(exc):
                    raise
                # a revision changed meanwhile (published, say): count it as it is now
                fresh = get_revisions(drawing.project_id, [r.revision_id for r in chunk], consistent=True)
                chunk = [fresh[r.revision_id] for r in chunk if r.revision_id in fresh]
                chunk = [r for r in chunk if r.state != "deleted"]  # another run of the duty moved it
        else:
            raise RuntimeError(f"revisions of drawing {drawing.drawing_id} kept changing during its delete")
    return True


@retry_conflicts
def _delete_chunk(
    drawing: DrawingRow,
    chunk: list[RevisionRow],
    duty: Duty | None,
    audit: AuditEntry | None,
    *,
    first: bool,
    by: str,
    at: datetime,
) -> None:
    project_id, pk = drawing.project_id, project_key(drawing.project_id)
    with TransactWrite(connection=low()) as tx:
        if first:
            tx.update(
                drawing_at(project_id, drawing.drawing_id),
                actions=[DrawingItem.deleted.set(True)],
                condition=DrawingItem.deleted == False,  # noqa: E712
            )
            tx.delete(DrawingNumberItem(pk, f"DRAWNUM#{name_key(drawing.number)}"))
            if duty is not None:
                tx.save(outbox_item(duty))
        unpublished: Counter[str] = Counter()
        for revision in chunk:
            listed = deleted_keys(project_id, at, revision.revision_id)
            tx.update(
                revision_at(project_id, revision.revision_id),
                actions=[
                    RevisionItem.state.set("deleted"),
                    RevisionItem.deleted_at.set(at),
                    RevisionItem.deleted_by.set(by),
                    RevisionItem.gsi2pk.set(listed["gsi2pk"]),
                    RevisionItem.gsi2sk.set(listed["gsi2sk"]),
                ],
                condition=RevisionItem.state == revision.state,
            )
            if revision.state == "published" and not revision.connected:
                unpublished[published_shard(project_id, revision.revision_id).sk] += 1
        for sk, count in sorted(unpublished.items()):
            tx.update(PublishedCountItem(pk, sk), actions=[PublishedCountItem.published.add(-count)])
        if first:
            audit_db.record(tx, audit)
