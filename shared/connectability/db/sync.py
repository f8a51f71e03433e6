"""What sync writes and counts: connected copies in a downstream project, each connection's counter shards,
its digest of news, its initial-sync progress, and the downstream review queue.

Every copy is one transaction conditioned on the connection still being active (R17) and on the state read
before it (the revision's manifest version, the drawing's current revision): a duplicate, a late event or a
racing change refuses it and changes nothing. Counters live in shards, so concurrent copies of one
connection do not all contend for one item; a read sums them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from connectability.config import get_settings
from connectability.db.base import Item, page, retry_conflicts
from connectability.db.connections import ConnectionItem
from connectability.db.drawings import AreaItem, DisciplineItem, DrawingItem, RevisionItem, SetItem
from connectability.db.projects import project_key

SHARDS = 8
REVIEW = "REVIEW"


class SyncCounterItem(Item):
    """One shard of a connection's counters (pk CONNECTION#id, sk SYNC#nn)."""

    initial_copied = NumberAttribute(default=0)
    news_published = NumberAttribute(default=0)  # copies waiting for review not yet told (R35)
    news_deleted = NumberAttribute(default=0)  # drawings deleted upstream not yet told (R36)
    last_news_at = NumberAttribute(null=True)  # epoch seconds of the latest news in this shard


class InitialMarkItem(Item):
    """An upstream revision counted into its connection's initial-sync progress (pk CONNECTION#id, sk INITIAL#rev)."""


class DigestItem(Item):
    """A connection's digest generation: each digest sent bumps it, so two checks never send one twice."""

    generation = NumberAttribute(default=0)


def shard_of(revision_id: str) -> int:
    return zlib.crc32(revision_id.encode()) % SHARDS


def _connection_pk(connection_id: str) -> str:
    return f"CONNECTION#{connection_id}"


def _shard(connection_id: str, shard: int) -> SyncCounterItem:
    return SyncCounterItem(_connection_pk(connection_id), f"SYNC#{shard:02d}")


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


_MODELS: list[tuple[str, type[Item]]] = [
    ("CONNECTION", ConnectionItem),
    ("INITIAL#", InitialMarkItem),
    ("REVISION#", RevisionItem),
    ("DRAWING#", DrawingItem),
    ("AREA#", AreaItem),
    ("DISCIPLINE#", DisciplineItem),
    ("SET#", SetItem),
]


def read_downstream(
    connection_id: str,
    project_id: str,
    revision_id: str,
    drawing_id: str,
    upstream_revision_id: str,
    record_sks: Iterable[str],
) -> Downstream:
    """One strongly consistent BatchGetItem for everything a copy needs to decide what to write."""
    pk = project_key(project_id)
    keys = [
        {"pk": {"S": _connection_pk(connection_id)}, "sk": {"S": "CONNECTION"}},
        {"pk": {"S": _connection_pk(connection_id)}, "sk": {"S": f"INITIAL#{upstream_revision_id}"}},
        {"pk": {"S": pk}, "sk": {"S": f"REVISION#{revision_id}"}},
        {"pk": {"S": pk}, "sk": {"S": f"DRAWING#{drawing_id}"}},
        *({"pk": {"S": pk}, "sk": {"S": sk}} for sk in dict.fromkeys(record_sks)),
    ]
    table = get_settings().table_name
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
    while request:
        answer = _low().client.batch_get_item(RequestItems=request)  # type: ignore[attr-defined]
        found += answer.get("Responses", {}).get(table, [])
        request = answer.get("UnprocessedKeys") or {}
    state = Downstream()
    for raw in found:
        sk = raw["sk"]["S"]
        model = next(m for prefix, m in _MODELS if sk.startswith(prefix))
        item = model.from_raw_data(raw)
        if isinstance(item, ConnectionItem):
            state.connection = item
        elif isinstance(item, InitialMarkItem):
            state.initial_counted = True
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


def write_copy(write: CopyWrite) -> Written:
    """The copy's one transaction: connection active, revision and drawing as read, records only if newer."""
    pk = project_key(write.project_id)
    revision = RevisionItem(pk, f"REVISION#{write.revision_id}")
    drawing = DrawingItem(pk, f"DRAWING#{write.drawing_id}")
    try:
        with TransactWrite(connection=_low()) as tx:
            tx.condition_check(
                ConnectionItem,
                _connection_pk(write.connection_id),
                "CONNECTION",
                condition=ConnectionItem.status == "active",
            )
            tx.update(revision, actions=_actions(RevisionItem, write.revision), condition=_revision_as_seen(write))
            condition = _drawing_as_seen(write.drawing_seen)
            if write.drawing:
                tx.update(drawing, actions=_actions(DrawingItem, write.drawing), condition=condition)
            else:
                tx.condition_check(DrawingItem, pk, drawing.sk, condition=condition)
            for record in write.records:
                model = type(record)
                newer = model.pk.does_not_exist() | (model.read_at < record.read_at)  # type: ignore[attr-defined]
                tx.save(record, condition=newer)
            counts: list[Action] = [getattr(SyncCounterItem, k).add(v) for k, v in write.counts.items() if v]
            if write.count_initial:
                mark = InitialMarkItem(_connection_pk(write.connection_id), f"INITIAL#{write.upstream_revision_id}")
                tx.save(mark, condition=InitialMarkItem.pk.does_not_exist())
                counts.append(SyncCounterItem.initial_copied.add(1))
            if write.news_at is not None:
                counts.append(SyncCounterItem.last_news_at.set(write.news_at))
            if counts:
                tx.update(_shard(write.connection_id, write.shard), actions=counts)
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return Written.disconnected
        if any(r is not None and r.code in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons):
            return Written.changed
        raise
    return Written.applied


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


@retry_conflicts
def count_initial(connection_id: str, upstream_revision_id: str, shard: int) -> bool:
    """Count an initial-sync job with nothing to write (the downstream holds it already, or it is gone) as
    done, once (R29); False when it counted already."""
    try:
        with TransactWrite(connection=_low()) as tx:
            mark = InitialMarkItem(_connection_pk(connection_id), f"INITIAL#{upstream_revision_id}")
            tx.save(mark, condition=InitialMarkItem.pk.does_not_exist())
            tx.update(_shard(connection_id, shard), actions=[SyncCounterItem.initial_copied.add(1)])
    except TransactWriteError as exc:
        if any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or []):
            return False
        raise
    return True


# -- counters, digest and initial-sync progress ---------------------------------------------------------------
def counter_shards(connection_id: str) -> list[SyncCounterItem]:
    keys = [(_connection_pk(connection_id), f"SYNC#{n:02d}") for n in range(SHARDS)]
    return list(SyncCounterItem.batch_get(keys, consistent_read=True))


def digest_generation(connection_id: str) -> int:
    found = list(DigestItem.batch_get([(_connection_pk(connection_id), "DIGEST")], consistent_read=True))
    return int(found[0].generation) if found else 0


def close_digest(connection_id: str, generation: int, taken: list[SyncCounterItem], outbox: list[Item]) -> bool:
    """Take the news counted so far (leaving any counted meanwhile) and commit the mails they owe, once:
    False when another check closed this generation first."""
    digest = DigestItem(_connection_pk(connection_id), "DIGEST")
    condition = DigestItem.pk.does_not_exist() if generation == 0 else DigestItem.generation == generation
    try:
        with TransactWrite(connection=_low()) as tx:
            tx.update(digest, actions=[DigestItem.generation.set(generation + 1)], condition=condition)
            for shard in taken:
                tx.update(
                    shard,
                    actions=[
                        SyncCounterItem.news_published.add(-int(shard.news_published or 0)),
                        SyncCounterItem.news_deleted.add(-int(shard.news_deleted or 0)),
                    ],
                )
            for duty in outbox:
                tx.save(duty)
    except TransactWriteError as exc:
        if any(
            r is not None and r.code in ("ConditionalCheckFailed", "TransactionConflict")
            for r in exc.cancellation_reasons or []
        ):
            return False
        raise
    return True


@retry_conflicts
def record_initial_page(connection_id: str, cursor: str, next_cursor: str | None, added: int) -> bool:
    """Count one enqueued page into the initial sync's total and move its cursor on, once per page."""
    connection = ConnectionItem(_connection_pk(connection_id), "CONNECTION")
    actions: list[Action] = [ConnectionItem.initial_sync_total.add(added)]
    if next_cursor is None:
        actions.append(ConnectionItem.initial_sync_pages_done.set(True))
    else:
        actions.append(ConnectionItem.initial_sync_cursor.set(next_cursor))
    at_cursor = ConnectionItem.initial_sync_cursor == cursor
    if not cursor:
        at_cursor = ConnectionItem.initial_sync_cursor.does_not_exist() | at_cursor
    try:
        connection.update(
            actions=actions,
            condition=(ConnectionItem.status == "active")
            & (ConnectionItem.initial_sync_status == "running")
            & ConnectionItem.initial_sync_pages_done.does_not_exist()
            & at_cursor,
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def complete_initial_sync(connection_id: str, total: int, outbox: list[Item]) -> bool:
    """Mark the initial sync complete with its announcement, exactly once (R29, R34)."""
    connection = ConnectionItem(_connection_pk(connection_id), "CONNECTION")
    try:
        with TransactWrite(connection=_low()) as tx:
            tx.update(
                connection,
                actions=[
                    ConnectionItem.initial_sync_status.set("complete"),
                    ConnectionItem.initial_sync_copied.set(total),
                ],
                condition=(ConnectionItem.initial_sync_status == "running")
                & (ConnectionItem.initial_sync_pages_done == True)  # noqa: E712 - a DynamoDB condition
                & (ConnectionItem.initial_sync_total == total),
            )
            for duty in outbox:
                tx.save(duty)
    except TransactWriteError as exc:
        if any(
            r is not None and r.code in ("ConditionalCheckFailed", "TransactionConflict")
            for r in exc.cancellation_reasons or []
        ):
            return False
        raise
    return True


# -- the upstream's published revisions, a page at a time ------------------------------------------------------
def published_page(project_id: str, cursor: str, limit: int) -> tuple[list[RevisionItem], str | None]:
    """A page of a project's own published revisions (pages may come back short: the filter runs after the
    read); the cursor of the next page, or None after the last."""
    start = {"pk": {"S": project_key(project_id)}, "sk": {"S": cursor}} if cursor else None
    result = RevisionItem.query(
        project_key(project_id),
        RevisionItem.sk.startswith("REVISION#"),
        filter_condition=(RevisionItem.state == "published") & (RevisionItem.connected != True),  # noqa: E712
        limit=limit,
        last_evaluated_key=start,
        consistent_read=True,
    )
    items = list(result)
    last = result.last_evaluated_key
    return items, (last["sk"]["S"] if last else None)


# -- the downstream review queue (R21) ------------------------------------------------------------------------
def review_keys(project_id: str, number_key: str, seq: int, revision_id: str) -> dict[str, str]:
    """Where a copy waiting for review is listed (gsi2): by drawing number, then revision."""
    return {"gsi2pk": f"{project_key(project_id)}#{REVIEW}", "gsi2sk": f"{number_key}#{seq:06d}#{revision_id}"}


def review_page(project_id: str, limit: int, next_token: str | None) -> tuple[list[RevisionItem], str | None]:
    return page(RevisionItem.gsi2, f"{project_key(project_id)}#{REVIEW}", limit=limit, next_token=next_token)


@retry_conflicts
def publish_copy(revision: RevisionItem, at: datetime) -> bool:
    """A copy waiting for review becomes published; False if it was not waiting any more."""
    try:
        revision.update(
            actions=[
                RevisionItem.state.set("published"),
                RevisionItem.published_at.set(at),
                RevisionItem.gsi2pk.remove(),
                RevisionItem.gsi2sk.remove(),
            ],
            condition=RevisionItem.state == "pending_review",
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _refused(exc: TransactWriteError) -> bool:
    """A condition did not hold, or another transaction held an item: the caller decides again from a read."""
    codes = {r.code for r in exc.cancellation_reasons or [] if r is not None}
    return bool(codes & {"ConditionalCheckFailed", "TransactionConflict"})
