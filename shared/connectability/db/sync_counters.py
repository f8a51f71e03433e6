"""A connection's counters (sync status R40, initial-sync progress R29, news for digests R35/R36) and its
failures, plus the upstream project's count of published revisions.

Counters are updated in the very transactions that change what they count, so they never drift from the truth
by a lost update; they live in shards, so concurrent copies of one connection rarely contend for one item,
and a read sums the shards (one BatchGetItem).
"""

from __future__ import annotations

import zlib
from datetime import datetime
from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from connectability.db.base import Item, error_code, lost_race, retry_conflicts
from connectability.db.connections import ConnectionItem
from connectability.db.projects import project_key

SHARDS = 8


class SyncCounterItem(Item):
    """One shard of a connection's counters (pk CONNECTION#id, sk SYNC#nn)."""

    initial_copied = NumberAttribute(default=0)
    copied = NumberAttribute(default=0)  # copies in the downstream, not deleted
    pending_review = NumberAttribute(default=0)
    published_downstream = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)  # upstream revisions whose last copy attempt failed
    news_published = NumberAttribute(default=0)  # copies waiting for review not yet told (R35)
    news_deleted = NumberAttribute(default=0)  # drawings deleted upstream not yet told (R36)
    last_news_at = NumberAttribute(null=True)  # epoch seconds of the latest news in this shard
    last_synced_at = NumberAttribute(null=True)  # epoch seconds of this shard's latest copy
    last_lag = NumberAttribute(null=True)  # seconds from that change upstream to its copy downstream


class PublishedCountItem(Item):
    """One shard of a project's count of published revisions, not deleted (pk PROJECT#id, sk PUBLISHED#nn)."""

    published = NumberAttribute(default=0)


class FailureItem(Item):
    """The last failed copy of an upstream revision in a connection (pk CONNECTION#id, sk FAILURE#rev);
    removed, and the count lowered, by the copy that succeeds."""

    upstream_revision_id = UnicodeAttribute()
    error = UnicodeAttribute()
    at = UTCDateTimeAttribute()


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


def counter_shard(connection_id: str, shard: int) -> SyncCounterItem:
    return _shard(connection_id, shard)


def published_shard(project_id: str, revision_id: str) -> PublishedCountItem:
    return PublishedCountItem(project_key(project_id), f"PUBLISHED#{shard_of(revision_id):02d}")


def failure_key(connection_id: str, upstream_revision_id: str) -> tuple[str, str]:
    return _connection_pk(connection_id), f"FAILURE#{upstream_revision_id}"


def initial_mark(connection_id: str, upstream_revision_id: str) -> InitialMarkItem:
    return InitialMarkItem(_connection_pk(connection_id), f"INITIAL#{upstream_revision_id}")


@retry_conflicts
def count_initial(connection_id: str, upstream_revision_id: str, shard: int) -> bool:
    """Count an initial-sync job with nothing to write (the downstream holds it already, or it is gone) as
    done, once (R29); False when it counted already."""
    try:
        with TransactWrite(connection=_low()) as tx:
            tx.save(initial_mark(connection_id, upstream_revision_id), condition=InitialMarkItem.pk.does_not_exist())
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
        if lost_race(exc):
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
        if error_code(exc) == "ConditionalCheckFailedException":
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
        if lost_race(exc):
            return False
        raise
    return True


# -- failures and status ----------------------------------------------------------------------------------------
def record_failure(connection_id: str, upstream_revision_id: str, shard: int, error: str, at: datetime) -> None:
    """Keep the latest error of an upstream revision's copy; count the revision as failed once."""
    pk, sk = failure_key(connection_id, upstream_revision_id)
    failure = FailureItem(pk, sk, upstream_revision_id=upstream_revision_id, error=error[:1000], at=at)
    try:
        with TransactWrite(connection=_low()) as tx:
            tx.save(failure, condition=FailureItem.pk.does_not_exist())
            tx.update(_shard(connection_id, shard), actions=[SyncCounterItem.failed.add(1)])
    except TransactWriteError as exc:
        if not lost_race(exc):
            raise
        failure.update(actions=[FailureItem.error.set(error[:1000]), FailureItem.at.set(at)])  # failed before


@retry_conflicts
def clear_failure(connection_id: str, upstream_revision_id: str, shard: int) -> bool:
    """The revision is as it should be downstream after all: its failure is over."""
    pk, sk = failure_key(connection_id, upstream_revision_id)
    try:
        with TransactWrite(connection=_low()) as tx:
            tx.delete(FailureItem(pk, sk), condition=FailureItem.pk.exists())
            tx.update(_shard(connection_id, shard), actions=[SyncCounterItem.failed.add(-1)])
    except TransactWriteError as exc:
        if lost_race(exc):
            return False
        raise
    return True


def failures(connection_id: str, limit: int = 20) -> list[FailureItem]:
    return list(FailureItem.query(_connection_pk(connection_id), FailureItem.sk.startswith("FAILURE#"), limit=limit))


def status_items(connection_id: str, upstream_project_id: str) -> tuple[list[SyncCounterItem], int]:
    """The connection's counter shards and the upstream's published count: one BatchGetItem, whatever the size."""
    keys = [{"pk": {"S": _connection_pk(connection_id)}, "sk": {"S": f"SYNC#{n:02d}"}} for n in range(SHARDS)]
    keys += [{"pk": {"S": project_key(upstream_project_id)}, "sk": {"S": f"PUBLISHED#{n:02d}"}} for n in range(SHARDS)]
    table = SyncCounterItem.Meta.table_name
    request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
    shards, published = [], 0
    while request:
        answer = _low().client.batch_get_item(RequestItems=request)  # type: ignore[attr-defined]
        for raw in answer.get("Responses", {}).get(table, []):
            if raw["sk"]["S"].startswith("SYNC#"):
                shards.append(SyncCounterItem.from_raw_data(raw))
            else:
                published += int(PublishedCountItem.from_raw_data(raw).published or 0)
        request = answer.get("UnprocessedKeys") or {}
    return shards, published


def published_count(project_id: str) -> int:
    keys = [(project_key(project_id), f"PUBLISHED#{n:02d}") for n in range(SHARDS)]
    return sum(int(s.published or 0) for s in PublishedCountItem.batch_get(keys, consistent_read=True))
