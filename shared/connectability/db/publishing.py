"""Publishing (R19, R21): drafts become published, each drawing's newest revision becomes its current one, and
the project's count of published revisions grows, in transactions of up to a hundred items."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from connectability.db import audit as audit_db
from connectability.db.audit import PROJECT_CHANGE_ITEMS
from connectability.db.base import TRANSACTION_ITEMS, as_row, condition_failed, low, retry_conflicts
from connectability.db.drawings import (
    CHUNK_ATTEMPTS,
    DrawingItem,
    RevisionItem,
    drawing_at,
    register_keys,
    revision_at,
)
from connectability.db.projects import project_key
from connectability.db.rows import AuditEntry, DrawingRow, RevisionRow
from connectability.db.sync_counters import SHARDS, PublishedCountItem, published_shard

Recorded = Callable[[list[RevisionRow]], AuditEntry]  # the record of a publish of these revisions (R46)


@retry_conflicts
def publish(revision: RevisionRow, at: datetime, recorded: Recorded) -> bool:
    """Draft to published in one transaction with its count, its record and, if it is the newest, its drawing's
    current revision; False if it was not a draft any more, or its drawing was deleted (a concurrent publish or
    delete). A drawing that changed between the read and the write is read again."""
    record = recorded([revision])
    for _ in range(CHUNK_ATTEMPTS):
        try:
            item = DrawingItem.get(
                project_key(revision.project_id), f"DRAWING#{revision.drawing_id}", consistent_read=True
            )
        except DoesNotExist:
            return False
        drawing = as_row(DrawingRow, item)
        if drawing.deleted:
            return False  # a delete still finishing owns its revisions
        try:
            _publish_chunk([revision], {revision.drawing_id: drawing}, at, record)
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            reasons = exc.cancellation_reasons or []
            if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons[1:]):
                return False  # not a draft any more
            continue  # the drawing changed meanwhile
        return True
    return False


def publish_many(
    revisions: list[RevisionRow], drawings: dict[str, DrawingRow], at: datetime, recorded: Recorded
) -> list[RevisionRow]:
    """Publish drafts in transactions of up to a hundred items: the revisions, their drawings (each made current
    by its newest revision of the chunk when that is newer than the current one), the count's shards, and the
    record of the chunk's publish (`recorded`). A chunk is whole or nothing, so a publish that dies half-way
    leaves no revision published with its drawing behind, nor without its record; a set of thousands takes tens
    of round trips. A chunk that lost a race to another change goes one by one, each with a record of its own.
    Answers the revisions this call published. `drawings`: as read before, by id."""
    published: list[RevisionRow] = []
    for chunk in _publish_chunks(revisions):
        try:
            _publish_chunk(chunk, drawings, at, recorded(chunk))
            published += chunk
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            published += [r for r in chunk if publish(r, at, recorded)]
    return published


def _publish_chunks(revisions: list[RevisionRow]) -> list[list[RevisionRow]]:
    room = TRANSACTION_ITEMS - SHARDS - PROJECT_CHANGE_ITEMS  # every shard of the count may be touched
    chunks: list[list[RevisionRow]] = [[]]
    drawings: set[str] = set()
    for revision in revisions:
        if len(chunks[-1]) + 1 + len(drawings | {revision.drawing_id}) > room:  # with this revision
            chunks.append([])
            drawings = set()
        chunks[-1].append(revision)
        drawings.add(revision.drawing_id)
    return [c for c in chunks if c]


@retry_conflicts
def _publish_chunk(chunk: list[RevisionRow], drawings: dict[str, DrawingRow], at: datetime, record: AuditEntry) -> None:
    """Drawings first (one item each), then the revisions, then the count's shards, then the record."""
    project_id = chunk[0].project_id
    newest: dict[str, RevisionRow] = {}
    for revision in chunk:
        if revision.seq > getattr(newest.get(revision.drawing_id), "seq", -1):
            newest[revision.drawing_id] = revision
    with TransactWrite(connection=low()) as tx:
        for drawing_id, revision in sorted(newest.items()):
            drawing = drawings.get(drawing_id)
            if drawing is not None and (drawing.current_seq is None or drawing.current_seq < revision.seq):
                tx.update(
                    drawing_at(project_id, drawing_id),
                    actions=current_actions(revision),
                    condition=may_become_current(revision),
                )
            else:  # an older revision than the current one: published, the drawing left as it is
                tx.condition_check(
                    DrawingItem,
                    project_key(project_id),
                    f"DRAWING#{drawing_id}",
                    condition=DrawingItem.deleted == False,  # noqa: E712
                )
        counts: Counter[str] = Counter()
        for revision in chunk:
            tx.update(
                revision_at(project_id, revision.revision_id),
                actions=_publish_actions(revision, at),
                condition=RevisionItem.state == "draft",
            )
            counts[published_shard(revision.project_id, revision.revision_id).sk] += 1
        for sk, count in sorted(counts.items()):
            tx.update(
                PublishedCountItem(project_key(project_id), sk), actions=[PublishedCountItem.published.add(count)]
            )
        audit_db.record(tx, record)


def _publish_actions(revision: RevisionRow, at: datetime) -> list[Action]:
    """Published at `at`, and its first manifest version taken in the same write: nothing can change the
    revision between the two, so the manifest read after it is at least as new as its version says."""
    actions: list[Action] = [RevisionItem.state.set("published"), RevisionItem.published_at.set(at)]
    if not revision.connected:
        actions.append(RevisionItem.manifest_version.add(1))
    return actions


def current_actions(revision: RevisionRow) -> list[Action]:
    """What a drawing takes from the revision that becomes its current one."""
    return [
        DrawingItem.current_revision_id.set(revision.revision_id),
        DrawingItem.current_seq.set(revision.seq),
        DrawingItem.title.set(revision.title),
        DrawingItem.discipline_key.set(revision.discipline_key),
        DrawingItem.gsi3sk.set(register_keys(revision.project_id, revision.discipline_key, revision.number)["gsi3sk"]),
        DrawingItem.area_id.set(revision.area_id) if revision.area_id else DrawingItem.area_id.remove(),
        *([DrawingItem.obsolete.set(bool(revision.obsolete))] if revision.connected else []),
    ]


def may_become_current(revision: RevisionRow) -> Condition:
    """The drawing stands, and this revision is newer than its current one."""
    return (DrawingItem.deleted == False) & (  # noqa: E712 - a DynamoDB condition
        DrawingItem.current_seq.does_not_exist() | (DrawingItem.current_seq < revision.seq)
    )
