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
from functools import cache
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from connectability.config import get_settings
from connectability.db.base import Item, condition_failed, lost_race, page, retry_conflicts
from connectability.db.connections import ConnectionItem
from connectability.db.drawings import DrawingItem, RevisionItem, current_actions, may_become_current, register_keys
from connectability.db.projects import project_key
from connectability.db.records import AreaItem, DisciplineItem, SetItem
from connectability.db.sync_counters import (
    FailureItem,
    InitialMarkItem,
    SyncCounterItem,
    counter_shard,
    failure_key,
    initial_mark,
)

REVIEW = "REVIEW"
ModelT = TypeVar("ModelT", RevisionItem, DrawingItem)


@cache
def _low() -> Connection:
    return Connection()


# -- reading what a copy meets --------------------------------------------------------------------------------
@dataclass
class Downstream:
    """A copy's view of the downstream before it writes: each None when absent."""

    connection: ConnectionItem | None = None
    revision: RevisionItem | None = None
    drawing: DrawingItem | None = None
    records: dict[str, Item] = field(default_factory=dict)  # by sort key: the connected area, discipline, set
    initial_counted: bool = False  # this upstream revision already counts in the initial sync's progress
    failure: FailureItem | None = None  # the last failed attempt at this upstream revision, if not yet healed


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


Key = tuple[str, str]  # (pk, sk)


def downstream_keys(
    connection_id: str,
    project_id: str,
    revision_id: str,
    drawing_id: str,
    upstream_revision_id: str,
    record_sks: Iterable[str],
) -> list[Key]:
    """Every item a copy needs to decide what to write."""
    pk, mark = project_key(project_id), initial_mark(connection_id, upstream_revision_id)
    return [
        (mark.pk, "CONNECTION"),
        (mark.pk, mark.sk),
        failure_key(connection_id, upstream_revision_id),
        (pk, f"REVISION#{revision_id}"),
        (pk, f"DRAWING#{drawing_id}"),
        *((pk, sk) for sk in dict.fromkeys(record_sks)),
    ]


class DownstreamReads:
    """What a batch of copies meets, read for all of them at once (strongly consistent BatchGetItems of up to
    100 keys): one read instead of one per copy. A copy takes its view from here only while no write of the
    batch has touched one of its keys since (`forget`); otherwise it reads for itself."""

    def __init__(self) -> None:
        self._found: dict[Key, dict[str, Any]] = {}
        self._fresh: set[Key] = set()

    def read(self, keys: Iterable[Key]) -> None:
        wanted = list(dict.fromkeys(keys))
        for raw in read_items(wanted):
            self._found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
        self._fresh.update(wanted)

    def view(self, keys: list[Key]) -> Downstream | None:
        """The downstream as read, or None if some key was not read or was written since."""
        if not self._fresh.issuperset(keys):
            return None
        return _downstream(self._found[k] for k in keys if k in self._found)

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
            if applied:
                self._found[(pk, record.sk)] = record.serialize()
            else:
                self._forget((pk, record.sk))

    def _forget(self, key: Key) -> None:
        self._fresh.discard(key)
        self._found.pop(key, None)


def read_items(keys: list[Key]) -> list[dict[str, Any]]:
    """The items of these keys that exist, raw, read strongly in BatchGetItems of up to 100 keys."""
    table, found = get_settings().table_name, []
    for start in range(0, len(keys), 100):
        chunk = keys[start : start + 100]
        request: dict[str, Any] = {
            table: {"Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in chunk], "ConsistentRead": True}
        }
        while request:
            answer = _low().client.batch_get_item(RequestItems=request)  # type: ignore[attr-defined]
            found += answer.get("Responses", {}).get(table, [])
            request = answer.get("UnprocessedKeys") or {}
    return found


def read_downstream(keys: list[Key]) -> Downstream:
    """One strongly consistent BatchGetItem for everything one copy needs to decide what to write."""
    reads = DownstreamReads()
    reads.read(keys)
    return reads.view(keys) or Downstream()


def _downstream(found: Iterable[dict[str, Any]]) -> Downstream:
    state = Downstream()
    for raw in found:
        sk = raw["sk"]["S"]
        model = next(m for prefix, m in _MODELS if sk.startswith(prefix))
        item = model.from_raw_data(raw)
        if isinstance(item, ConnectionItem):
            state.connection = item
        elif isinstance(item, InitialMarkItem):
            state.initial_counted = True
        elif isinstance(item, FailureItem):
            state.failure = item
        elif isinstance(item, RevisionItem):
            state.revision = item
        elif isinstance(item, DrawingItem):
            state.drawing = item
        else:
            state.records[sk] = item
    return state


# -- writing a copy -------------------------------------------------------------------------------------------
class Written(Enum):
    applied = "applied"
    disconnected = "disconnected"  # the connection is no longer active: nothing was written (R17)
    changed = "changed"  # the downstream changed since it was read: read again and decide again


@dataclass
class CopyWrite:
    """One copy's writes, decided by the domain from what `read_downstream` saw."""

    connection_id: str
    project_id: str
    revision_id: str
    drawing_id: str
    upstream_revision_id: str
    revision: dict[str, Any]  # attributes to set (None removes)
    revision_seen: RevisionItem | None  # as read: the write holds only if it is unchanged
    drawing: dict[str, Any]  # attributes to set; empty: the drawing is only checked
    drawing_seen: DrawingItem | None
    records: list[Item]  # connected area, discipline and set records to save, if newer than what is there
    counts: dict[str, int]  # counter shard additions
    count_initial: bool  # count this revision into the initial sync's progress (once: its mark must be new)
    shard: int
    news_at: float | None = None
    synced_at: float | None = None  # when, in epoch seconds, and with what lag from the change upstream
    lag: float | None = None
    clear_failure: bool = False  # the failure of an earlier attempt is over


def write_copy(write: CopyWrite) -> Written:
    """The copy's one transaction: connection active, revision and drawing as read, records only if newer."""
    pk = project_key(write.project_id)
    revision = RevisionItem(pk, f"REVISION#{write.revision_id}")
    drawing = DrawingItem(pk, f"DRAWING#{write.drawing_id}")
    try:
        with TransactWrite(connection=_low()) as tx:
            connection_pk = f"CONNECTION#{write.connection_id}"
            tx.condition_check(ConnectionItem, connection_pk, "CONNECTION", condition=ConnectionItem.status == "active")
            if write.revision_seen is None:  # a new copy is put whole: the same item as an update would make
                tx.save(_new(RevisionItem, revision, write.revision), condition=_revision_as_seen(write))
            else:
                tx.update(revision, actions=_actions(RevisionItem, write.revision), condition=_revision_as_seen(write))
            condition = _drawing_as_seen(write.drawing_seen)
            drawn = _with_register_keys(write)
            if drawn and write.drawing_seen is None:
                tx.save(_new(DrawingItem, drawing, drawn), condition=condition)
            elif drawn:
                tx.update(drawing, actions=_actions(DrawingItem, drawn), condition=condition)
            else:
                tx.condition_check(DrawingItem, pk, drawing.sk, condition=condition)
            for record in write.records:
                model = type(record)
                newer = model.pk.does_not_exist() | (model.read_at < record.read_at)  # type: ignore[attr-defined]
                tx.save(record, condition=newer)
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
                tx.update(counter_shard(write.connection_id, write.shard), actions=counts)
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return Written.disconnected
        if lost_race(exc):
            return Written.changed
        raise
    return Written.applied


def _with_register_keys(write: CopyWrite) -> dict[str, Any]:
    """The drawing's changes, with its place in the register wherever its discipline is set."""
    discipline = write.drawing.get("discipline_key")
    number = write.drawing.get("number") or (write.drawing_seen.number if write.drawing_seen else None)
    if discipline is None or number is None:
        return write.drawing
    return write.drawing | register_keys(write.project_id, discipline, number)


def _new(model: type[ModelT], key: ModelT, values: dict[str, Any]) -> ModelT:
    return model(key.pk, key.sk, **{k: v for k, v in values.items() if v is not None})


def _actions(model: type[Item], values: dict[str, Any]) -> list[Action]:
    return [getattr(model, k).set(v) if v is not None else getattr(model, k).remove() for k, v in values.items()]


def _revision_as_seen(write: CopyWrite) -> Condition:
    seen = write.revision_seen
    if seen is None:
        return RevisionItem.pk.does_not_exist()
    return (RevisionItem.synced_version == seen.synced_version) & (RevisionItem.state == seen.state)


def _drawing_as_seen(seen: DrawingItem | None) -> Condition:
    if seen is None:
        return DrawingItem.pk.does_not_exist()
    condition = DrawingItem.deleted == bool(seen.deleted)
    if seen.current_revision_id is None:
        return condition & DrawingItem.current_revision_id.does_not_exist()
    return condition & (DrawingItem.current_revision_id == seen.current_revision_id)


# -- the upstream's published revisions, a page at a time ------------------------------------------------------
def published_page(project_id: str, cursor: str, limit: int) -> tuple[list[RevisionItem], str | None]:
    """A page of a project's own published revisions (the initial sync's)."""
    return _own_revisions(project_id, cursor, limit, RevisionItem.state == "published")


def reconcilable_page(project_id: str, cursor: str, limit: int) -> tuple[list[RevisionItem], str | None]:
    """A page of a project's own revisions that sync knows of (a manifest was taken: published, or published
    and deleted since) or whose file check is still running (reconcile's)."""
    known = (RevisionItem.manifest_version > 0) | (RevisionItem.file_state == "checking")
    return _own_revisions(project_id, cursor, limit, known)


def _own_revisions(
    project_id: str, cursor: str, limit: int, wanted: Condition
) -> tuple[list[RevisionItem], str | None]:
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
    items = list(result)
    last = result.last_evaluated_key
    return items, (last["sk"]["S"] if last else None)


def synced_versions(project_id: str, revision_ids: list[str]) -> dict[str, int]:
    """The manifest version each of these connected copies holds (absent: not there)."""
    keys = [(project_key(project_id), f"REVISION#{r}") for r in revision_ids]
    found = RevisionItem.batch_get(keys, consistent_read=True, attributes_to_get=["revision_id", "synced_version"])
    return {r.revision_id: int(r.synced_version or 0) for r in found} if keys else {}


def copies_and_failures(
    wanted: list[tuple[str, str, str, str]],
) -> dict[str, tuple[RevisionItem | None, FailureItem | None]]:
    """For (connection, downstream project, copy id, upstream revision) each: the copy and the failure of its
    last attempt, by connection id; in BatchGetItems of up to 100 keys."""
    keys: list[Key] = []
    for connection_id, project_id, copy_id, upstream_revision_id in wanted:
        keys += [(project_key(project_id), f"REVISION#{copy_id}"), failure_key(connection_id, upstream_revision_id)]
    copies: dict[str, RevisionItem] = {}
    failures: dict[str, FailureItem] = {}
    for raw in read_items(keys):
        if raw["sk"]["S"].startswith("REVISION#"):
            copy = RevisionItem.from_raw_data(raw)
            copies[copy.source_connection_id or ""] = copy
        else:
            failures[raw["pk"]["S"].removeprefix("CONNECTION#")] = FailureItem.from_raw_data(raw)
    return {c: (copies.get(c), failures.get(c)) for c, _, _, _ in wanted}


# -- the downstream review queue (R21) ------------------------------------------------------------------------
def review_keys(project_id: str, number_key: str, seq: int, revision_id: str) -> dict[str, str]:
    """Where a copy waiting for review is listed (gsi2): by drawing number, then revision."""
    return {"gsi2pk": f"{project_key(project_id)}#{REVIEW}", "gsi2sk": f"{number_key}#{seq:06d}#{revision_id}"}


def review_page(project_id: str, limit: int, next_token: str | None) -> tuple[list[RevisionItem], str | None]:
    return page(RevisionItem.gsi2, f"{project_key(project_id)}#{REVIEW}", limit=limit, next_token=next_token)


@retry_conflicts
def publish_copy(revision: RevisionItem, at: datetime, shard: int) -> bool:
    """A copy waiting for review becomes published, counted in its connection's status in the same transaction;
    False if it was not waiting any more."""
    try:
        with TransactWrite(connection=_low()) as tx:
            tx.update(
                revision,
                actions=[
                    RevisionItem.state.set("published"),
                    RevisionItem.published_at.set(at),
                    RevisionItem.gsi2pk.remove(),
                    RevisionItem.gsi2sk.remove(),
                ],
                condition=RevisionItem.state == "pending_review",
            )
            tx.update(
                counter_shard(revision.source_connection_id or "", shard),
                actions=[SyncCounterItem.pending_review.add(-1), SyncCounterItem.published_downstream.add(1)],
            )
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def make_copy_current(drawing: DrawingItem, revision: RevisionItem) -> Written:
    """A published copy becomes its drawing's current revision with the synced fields it holds, only while it
    still holds them: a copy landing in between (a new title, say) makes this answer `changed`, to read the
    revision again, so the register never keeps older values than the revision it shows (R25)."""
    try:
        with TransactWrite(connection=_low()) as tx:
            tx.condition_check(
                RevisionItem,
                revision.pk,
                revision.sk,
                condition=(RevisionItem.synced_version == revision.synced_version)
                & (RevisionItem.state == "published"),
            )
            tx.update(drawing, actions=current_actions(revision), condition=may_become_current(revision))
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code in ("ConditionalCheckFailed", "TransactionConflict"):
            return Written.changed
        if condition_failed(exc):
            return Written.disconnected  # a newer revision is current, or the drawing was deleted: nothing to do
        raise
    return Written.applied
