"""What sync writes: connected copies in a downstream project (with the counters of sync_counters, in the same
transactions), the upstream's published revisions a page at a time, and the downstream review queue.

Every copy is one transaction conditioned on the connection still being active (R17) and on the state read
before it (the revision's manifest version, the drawing's current revision): a duplicate, a late event or a
racing change refuses it and changes nothing. Counters live in shards, so concurrent copies of one
connection do not all contend for one item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, NamedTuple

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from connectability.db import audit as audit_db
from connectability.db.base import (
    Changes,
    Item,
    Key,
    actions,
    as_row,
    batch_get,
    condition_failed,
    lost_race,
    low,
    page,
    retry_conflicts,
)
from connectability.db.base import written as applied
from connectability.db.connections import ConnectionItem
from connectability.db.drawings import (
    DrawingItem,
    RevisionItem,
    drawing_at,
    drawing_item,
    register_keys,
    review_keys,
    revision_at,
    revision_item,
)
from connectability.db.outbox import Duty, outbox_item
from connectability.db.projects import project_key
from connectability.db.publishing import current_actions, may_become_current
from connectability.db.records import AreaItem, DisciplineItem, Record, SetItem, record_item, record_row
from connectability.db.rows import AuditEntry, ConnectionRow, DrawingRow, FailureRow, RevisionRow
from connectability.db.sync_counters import (
    FailureItem,
    InitialMarkItem,
    SyncCounterItem,
    counter_shard,
    failure_key,
    initial_mark,
)


# -- reading what a copy meets --------------------------------------------------------------------------------
@dataclass
class Downstream:
    """A copy's view of the downstream before it writes: each None when absent."""

    connection: ConnectionRow | None = None
    revision: RevisionRow | None = None
    drawing: DrawingRow | None = None
    records: dict[str, Record] = field(default_factory=dict)  # the connected area, discipline, set, by key
    initial_counted: bool = False  # this upstream revision already counts in the initial sync's progress
    failure: FailureRow | None = None  # the last failed attempt at this upstream revision, if not yet healed

    def record(self, project_id: str, connection_id: str, record: Record) -> Record | None:
        """The record there of the same key as `record` (the same area, or discipline or set of that name)."""
        return self.records.get(record_item(project_id, connection_id, record).sk)


_MODELS: list[tuple[str, type[Item]]] = [
    ("CONNECTION", ConnectionItem),
    ("INITIAL#", InitialMarkItem),
    ("FAILURE#", FailureItem),
    ("REVISION#", RevisionItem),
    ("DRAWING#", DrawingItem),
    ("AREA#", AreaItem),
    ("DISCIPLINE#", DisciplineItem),
    ("SET#", SetItem),
]


class Target(NamedTuple):
    """Every item one copy reads to decide what to write."""

    keys: tuple[Key, ...]


def copy_target(
    connection_id: str,
    project_id: str,
    revision_id: str,
    drawing_id: str,
    upstream_revision_id: str,
    records: Iterable[Record],
) -> Target:
    """What a copy of `upstream_revision_id` as `revision_id` of `drawing_id` (with these records) meets."""
    pk, mark = project_key(project_id), initial_mark(connection_id, upstream_revision_id)
    record_sks = dict.fromkeys(record_item(project_id, connection_id, r).sk for r in records)
    return Target(
        (
            (mark.pk, "CONNECTION"),
            (mark.pk, mark.sk),
            failure_key(connection_id, upstream_revision_id),
            (pk, f"REVISION#{revision_id}"),
            (pk, f"DRAWING#{drawing_id}"),
            *((pk, sk) for sk in record_sks),
        )
    )


class DownstreamReads:
    """What a batch of copies meets, read for all of them at once (strongly consistent BatchGetItems of up to
    100 keys): one read instead of one per copy. A copy takes its view from here only while no write of the
    batch has touched one of its keys since (`forget`); otherwise it reads for itself."""

    def __init__(self) -> None:
        self._found: dict[Key, dict[str, Any]] = {}
        self._fresh: set[Key] = set()

    def read(self, targets: Iterable[Target]) -> None:
        wanted = list(dict.fromkeys(key for target in targets for key in target.keys))
        for raw in batch_get(wanted, consistent=True):
            self._found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
        self._fresh.update(wanted)

    def view(self, target: Target) -> Downstream | None:
        """The downstream as read, or None if some key was not read or was written since."""
        if not self._fresh.issuperset(target.keys):
            return None
        return _downstream(self._found[k] for k in target.keys if k in self._found)

    def wrote(self, write: CopyWrite, applied: bool) -> None:
        """After a copy's transaction: its revision, drawing and marks are read again by a later job of the
        batch; its records are known as saved (whole), or, if the transaction was refused, read again."""
        pk = project_key(write.project_id)
        mark = initial_mark(write.connection_id, write.upstream_revision_id)
        for key in [
            (pk, f"REVISION#{write.revision_id}"),
            (pk, f"DRAWING#{write.drawing_id}"),
            (mark.pk, mark.sk),
            failure_key(write.connection_id, write.upstream_revision_id),
        ]:
            self._forget(key)
        for record in write.records:
            item = record_item(write.project_id, write.connection_id, record)
            if applied:
                self._found[(pk, item.sk)] = item.serialize()
            else:
                self._forget((pk, item.sk))

    def _forget(self, key: Key) -> None:
        self._fresh.discard(key)
        self._found.pop(key, None)


def read_downstream(target: Target) -> Downstream:
    """One strongly consistent BatchGetItem for everything one copy needs to decide what to write."""
    reads = DownstreamReads()
    reads.read([target])
    return reads.view(target) or Downstream()


def _downstream(found: Iterable[dict[str, Any]]) -> Downstream:
    state = Downstream()
    for raw in found:
        sk = raw["sk"]["S"]
        model = next(m for prefix, m in _MODELS if sk.startswith(prefix))
        item = model.from_raw_data(raw)
        if isinstance(item, ConnectionItem):
            state.connection = as_row(ConnectionRow, item)
        elif isinstance(item, InitialMarkItem):
            state.initial_counted = True
        elif isinstance(item, FailureItem):
            state.failure = as_row(FailureRow, item)
        elif isinstance(item, RevisionItem):
            state.revision = as_row(RevisionRow, item)
        elif isinstance(item, DrawingItem):
            state.drawing = as_row(DrawingRow, item)
        else:
            state.records[sk] = record_row(item)
    return state


# -- writing a copy -------------------------------------------------------------------------------------------
class Written(Enum):
    applied = "applied"
    disconnected = "disconnected"  # the connection is no longer active: nothing was written (R17)
    changed = "changed"  # the downstream changed since it was read: read again and decide again


@dataclass
class CopyWrite:
    """One copy's writes (a copy plan), decided by the domain from what `read_downstream` saw."""

    connection_id: str
    project_id: str
    revision_id: str
    drawing_id: str
    upstream_revision_id: str
    revision: Changes  # the revision's fields to set (None removes); a new revision is given whole
    revision_seen: RevisionRow | None  # as read: the write holds only if it is unchanged
    drawing: Changes  # the drawing's fields to set; empty: the drawing is only checked
    drawing_seen: DrawingRow | None
    records: list[Record]  # connected area, discipline and set records to save, if newer than what is there
    counts: dict[str, int]  # counters (CounterShardRow's fields) to add to
    count_initial: bool  # count this revision into the initial sync's progress (once: its mark must be new)
    news_at: float | None = None
    synced_at: float | None = None  # when, in epoch seconds, and with what lag from the change upstream
    lag: float | None = None
    clear_failure: bool = False  # the failure of an earlier attempt is over


def write_copy(write: CopyWrite) -> Written:
    """The copy's one transaction: connection active, revision and drawing as read, records only if newer."""
    pk = project_key(write.project_id)
    try:
        with TransactWrite(connection=low()) as tx:
            connection_pk = f"CONNECTION#{write.connection_id}"
            tx.condition_check(ConnectionItem, connection_pk, "CONNECTION", condition=ConnectionItem.status == "active")
            revision_changes = write.revision | _listed(write)
            if write.revision_seen is None:  # a new copy is put whole: the same item as an update would make
                tx.save(revision_item(RevisionRow(**write.revision)), condition=_revision_as_seen(write))
            else:
                tx.update(
                    revision_at(write.project_id, write.revision_id),
                    actions=actions(RevisionItem, revision_changes),
                    condition=_revision_as_seen(write),
                )
            condition = _drawing_as_seen(write.drawing_seen)
            drawn = _with_register_keys(write)
            if write.drawing and write.drawing_seen is None:
                tx.save(drawing_item(DrawingRow(**write.drawing)), condition=condition)
            elif drawn:
                tx.update(
                    drawing_at(write.project_id, write.drawing_id),
                    actions=actions(DrawingItem, drawn),
                    condition=condition,
                )
            else:
                tx.condition_check(DrawingItem, pk, f"DRAWING#{write.drawing_id}", condition=condition)
            for record in write.records:
                item = record_item(write.project_id, write.connection_id, record)
                model = type(item)
                newer = model.pk.does_not_exist() | (model.read_at < record.read_at)  # type: ignore[attr-defined]
                tx.save(item, condition=newer)
            counts: list[Action] = [getattr(SyncCounterItem, k).add(v) for k, v in write.counts.items() if v]
            if write.count_initial:
                mark = initial_mark(write.connection_id, write.upstream_revision_id)
                tx.save(mark, condition=InitialMarkItem.pk.does_not_exist())
                counts.append(SyncCounterItem.initial_copied.add(1))
            if write.clear_failure:
                tx.delete(FailureItem(*failure_key(write.connection_id, write.upstream_revision_id)))
                counts.append(SyncCounterItem.failed.add(-1))
            if write.news_at is not None:
                counts.append(SyncCounterItem.last_news_at.set(write.news_at))
            if write.synced_at is not None and write.lag is not None:
                counts += [SyncCounterItem.last_synced_at.set(write.synced_at), SyncCounterItem.last_lag.set(write.lag)]
            if counts:
                tx.update(counter_shard(write.connection_id, write.revision_id), actions=counts)
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return Written.disconnected
        if lost_race(exc):
            return Written.changed
        raise
    return Written.applied


def _listed(write: CopyWrite) -> Changes:
    """Where an existing copy is listed after this write: in the review queue while it waits for review, in the
    Deleted report once deleted (gsi2)."""
    state, seen = write.revision.get("state"), write.revision_seen
    if seen is None or state is None:
        return {}
    if state == "deleted" and write.revision.get("deleted_at"):
        stamp = write.revision["deleted_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {"gsi2pk": f"{project_key(write.project_id)}#DELETED", "gsi2sk": f"{stamp}#{write.revision_id}"}
    if state == "pending_review":
        return review_keys(write.project_id, seen.number, seen.seq, write.revision_id)
    return {}


def _with_register_keys(write: CopyWrite) -> Changes:
    """The drawing's changes, with its place in the register wherever its discipline is set."""
    discipline = write.drawing.get("discipline_key")
    number = write.drawing.get("number") or (write.drawing_seen.number if write.drawing_seen else None)
    if discipline is None or number is None:
        return write.drawing
    return write.drawing | register_keys(write.project_id, discipline, number)


def _revision_as_seen(write: CopyWrite) -> Condition:
    seen = write.revision_seen
    if seen is None:
        return RevisionItem.pk.does_not_exist()
    return (RevisionItem.synced_version == seen.synced_version) & (RevisionItem.state == seen.state)


def _drawing_as_seen(seen: DrawingRow | None) -> Condition:
    if seen is None:
        return DrawingItem.pk.does_not_exist()
    condition = DrawingItem.deleted == bool(seen.deleted)
    if seen.current_revision_id is None:
        return condition & DrawingItem.current_revision_id.does_not_exist()
    return condition & (DrawingItem.current_revision_id == seen.current_revision_id)


# -- the upstream's published revisions, a page at a time ------------------------------------------------------
def published_page(project_id: str, cursor: str, limit: int) -> tuple[list[RevisionRow], str | None]:
    """A page of a project's own published revisions (the initial sync's)."""
    return _own_revisions(project_id, cursor, limit, RevisionItem.state == "published")


def reconcilable_page(project_id: str, cursor: str, limit: int) -> tuple[list[RevisionRow], str | None]:
    """A page of a project's own revisions that sync knows of (a manifest was taken: published, or published
    and deleted since) or whose file check is still running (reconcile's)."""
    known = (RevisionItem.manifest_version > 0) | (RevisionItem.file_state == "checking")
    return _own_revisions(project_id, cursor, limit, known)


def _own_revisions(project_id: str, cursor: str, limit: int, wanted: Condition) -> tuple[list[RevisionRow], str | None]:
    """Pages may come back short (the filter runs after the read); the cursor of the next, None after the last."""
    start = {"pk": {"S": project_key(project_id)}, "sk": {"S": cursor}} if cursor else None
    result = RevisionItem.query(
        project_key(project_id),
        RevisionItem.sk.startswith("REVISION#"),
        filter_condition=wanted & (RevisionItem.connected != True),  # noqa: E712 - a DynamoDB condition
        limit=limit,
        last_evaluated_key=start,
        consistent_read=True,
    )
    items = [as_row(RevisionRow, r) for r in result]
    last = result.last_evaluated_key
    return items, (last["sk"]["S"] if last else None)


def synced_versions(project_id: str, revision_ids: list[str]) -> dict[str, int]:
    """The manifest version each of these connected copies holds (absent: not there)."""
    keys = [(project_key(project_id), f"REVISION#{r}") for r in revision_ids]
    found = RevisionItem.batch_get(keys, consistent_read=True, attributes_to_get=["revision_id", "synced_version"])
    return {r.revision_id: int(r.synced_version or 0) for r in found} if keys else {}


def copies_and_failures(
    wanted: list[tuple[str, str, str, str]],
) -> dict[str, tuple[RevisionRow | None, FailureRow | None]]:
    """For (connection, downstream project, copy id, upstream revision) each: the copy and the failure of its
    last attempt, by connection id; in BatchGetItems of up to 100 keys."""
    keys: list[Key] = []
    for connection_id, project_id, copy_id, upstream_revision_id in wanted:
        keys += [(project_key(project_id), f"REVISION#{copy_id}"), failure_key(connection_id, upstream_revision_id)]
    copies: dict[str, RevisionRow] = {}
    failures: dict[str, FailureRow] = {}
    for raw in batch_get(keys, consistent=True):
        if raw["sk"]["S"].startswith("REVISION#"):
            copy = as_row(RevisionRow, RevisionItem.from_raw_data(raw))
            copies[copy.source_connection_id or ""] = copy
        else:
            failures[raw["pk"]["S"].removeprefix("CONNECTION#")] = as_row(FailureRow, FailureItem.from_raw_data(raw))
    return {c: (copies.get(c), failures.get(c)) for c, _, _, _ in wanted}


# -- the downstream review queue (R21) ------------------------------------------------------------------------
def review_page(project_id: str, limit: int, next_token: str | None) -> tuple[list[RevisionRow], str | None]:
    """A page of the connected copies waiting for review, by drawing number, then revision."""
    items, token = page(RevisionItem.gsi2, f"{project_key(project_id)}#REVIEW", limit=limit, next_token=next_token)
    return [as_row(RevisionRow, r) for r in items], token


@retry_conflicts
def publish_copy(revision: RevisionRow, at: datetime, audit: AuditEntry, owed: Iterable[Duty] = ()) -> bool:
    """A copy waiting for review becomes published, counted in its connection's status and recorded (R46) in the
    same transaction (with the outbox duties `owed`, committed only if it is); False if it was not waiting any more."""

    def write() -> None:
        with TransactWrite(connection=low()) as tx:
            for duty in owed:
                tx.save(outbox_item(duty))
            tx.update(
                revision_at(revision.project_id, revision.revision_id),
                actions=[
                    RevisionItem.state.set("published"),
                    RevisionItem.published_at.set(at),
                    RevisionItem.gsi2pk.remove(),
                    RevisionItem.gsi2sk.remove(),
                ],
                condition=RevisionItem.state == "pending_review",
            )
            tx.update(
                counter_shard(revision.source_connection_id or "", revision.revision_id),
                actions=[SyncCounterItem.pending_review.add(-1), SyncCounterItem.published_downstream.add(1)],
            )
            audit_db.record(tx, audit)

    return applied(write)


def make_copy_current(drawing: DrawingRow, revision: RevisionRow) -> Written:
    """A published copy becomes its drawing's current revision with the synced fields it holds, only while it
    still holds them: a copy landing in between (a new title, say) makes this answer `changed`, to read the
    revision again, so the register never keeps older values than the revision it shows (R25)."""
    try:
        with TransactWrite(connection=low()) as tx:
            tx.condition_check(
                RevisionItem,
                project_key(revision.project_id),
                f"REVISION#{revision.revision_id}",
                condition=(RevisionItem.synced_version == revision.synced_version)
                & (RevisionItem.state == "published"),
            )
            tx.update(
                drawing_at(drawing.project_id, drawing.drawing_id),
                actions=current_actions(revision),
                condition=may_become_current(revision),
            )
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code in ("ConditionalCheckFailed", "TransactionConflict"):
            return Written.changed
        if condition_failed(exc):
            return Written.disconnected  # a newer revision is current, or the drawing was deleted: nothing to do
        raise
    return Written.applied
