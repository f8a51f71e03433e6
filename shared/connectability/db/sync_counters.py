"""A connection's counters (sync status R40, initial-sync progress R29, news for digests R35/R36) and its
failures, plus the upstream project's count of published revisions.

Counters are updated in the very transactions that change what they count, so they never drift from the truth
by a lost update; they live in shards, so concurrent copies of one connection rarely contend for one item,
and a read sums the shards (one BatchGetItem).
"""

from __future__ import annotations

import zlib
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from connectability.db.base import Item, as_row, batch_get, lost_race, low, retry_conflicts, written
from connectability.db.connections import ConnectionItem
from connectability.db.outbox import outbox_item
from connectability.db.projects import project_key
from connectability.db.rows import CounterShardRow, Duty, FailureRow

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
    """The counter shard a (downstream) revision counts in."""
    return zlib.crc32(revision_id.encode()) % SHARDS


def _connection_pk(connection_id: str) -> str:
    return f"CONNECTION#{connection_id}"


def counter_shard(connection_id: str, revision_id: str) -> SyncCounterItem:
    """The shard of a connection's counters that a (downstream) revision counts in, to write to."""
    return SyncCounterItem(_connection_pk(connection_id), _shard_sk(shard_of(revision_id)))


def _shard_sk(shard: int) -> str:
    return f"SYNC#{shard:02d}"


def _shard_row(item: SyncCounterItem) -> CounterShardRow:
    fields = {name: getattr(item, name) for name in CounterShardRow._fields if name != "shard"}
    return CounterShardRow(
        shard=int(item.sk.removeprefix("SYNC#")), **{k: v for k, v in fields.items() if v is not None}
    )


def published_shard(project_id: str, revision_id: str) -> PublishedCountItem:
    return PublishedCountItem(project_key(project_id), f"PUBLISHED#{shard_of(revision_id):02d}")


def failure_key(connection_id: str, upstream_revision_id: str) -> tuple[str, str]:
    return _connection_pk(connection_id), f"FAILURE#{upstream_revision_id}"


def initial_mark(connection_id: str, upstream_revision_id: str) -> InitialMarkItem:
    return InitialMarkItem(_connection_pk(connection_id), f"INITIAL#{upstream_revision_id}")


@retry_conflicts
def count_initial(connection_id: str, upstream_revision_id: str, revision_id: str) -> bool:
    """Count an initial-sync job with nothing to write (the downstream holds its copy `revision_id` already, or
    it is gone) as done, once (R29); False when it counted already."""

    def write() -> None:
        with TransactWrite(connection=low()) as tx:
            tx.save(initial_mark(connection_id, upstream_revision_id), condition=InitialMarkItem.pk.does_not_exist())
            tx.update(counter_shard(connection_id, revision_id), actions=[SyncCounterItem.initial_copied.add(1)])

    return written(write)


# -- counters, digest and initial-sync progress ---------------------------------------------------------------
def counter_shards(connection_id: str) -> list[CounterShardRow]:
    keys = [(_connection_pk(connection_id), _shard_sk(n)) for n in range(SHARDS)]
    return [_shard_row(s) for s in SyncCounterItem.batch_get(keys, consistent_read=True)]


def digest_generation(connection_id: str) -> int:
    found = list(DigestItem.batch_get([(_connection_pk(connection_id), "DIGEST")], consistent_read=True))
    return int(found[0].generation) if found else 0


def close_digest(connection_id: str, generation: int, taken: list[CounterShardRow], outbox: list[Duty]) -> bool:
    """Take the news counted so far (leaving any counted meanwhile) and commit the mails they owe, once:
    False when another check closed this generation first."""
    digest = DigestItem(_connection_pk(connection_id), "DIGEST")
    condition = DigestItem.pk.does_not_exist() if generation == 0 else DigestItem.generation == generation

    def write() -> None:
        with TransactWrite(connection=low()) as tx:
            tx.update(digest, actions=[DigestItem.generation.set(generation + 1)], condition=condition)
            for shard in taken:
                tx.update(
                    SyncCounterItem(_connection_pk(connection_id), _shard_sk(shard.shard)),
                    actions=[
                        SyncCounterItem.news_published.add(-int(shard.news_published or 0)),
                        SyncCounterItem.news_deleted.add(-int(shard.news_deleted or 0)),
                    ],
                )
            for duty in outbox:
                tx.save(outbox_item(duty))

    return written(write, lost_race)


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
    condition = (
        (ConnectionItem.status == "active")
        & (ConnectionItem.initial_sync_status == "running")
        & ConnectionItem.initial_sync_pages_done.does_not_exist()
        & at_cursor
    )
    return written(lambda: connection.update(actions=actions, condition=condition))


def complete_initial_sync(connection_id: str, total: int, outbox: list[Duty]) -> bool:
    """Mark the initial sync complete with its announcement, exactly once (R29, R34)."""
    connection = ConnectionItem(_connection_pk(connection_id), "CONNECTION")

    def write() -> None:
        with TransactWrite(connection=low()) as tx:
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
                tx.save(outbox_item(duty))

    return written(write, lost_race)


# -- failures and status ----------------------------------------------------------------------------------------
def record_failure(connection_id: str, upstream_revision_id: str, revision_id: str, error: str, at: datetime) -> None:
    """Keep the latest error of an upstream revision's copy (`revision_id`); count the revision as failed once."""
    pk, sk = failure_key(connection_id, upstream_revision_id)
    failure = FailureItem(pk, sk, upstream_revision_id=upstream_revision_id, error=error[:1000], at=at)
    try:
        with TransactWrite(connection=low()) as tx:
            tx.save(failure, condition=FailureItem.pk.does_not_exist())
            tx.update(counter_shard(connection_id, revision_id), actions=[SyncCounterItem.failed.add(1)])
    except TransactWriteError as exc:
        if not lost_race(exc):
            raise
        failure.update(actions=[FailureItem.error.set(error[:1000]), FailureItem.at.set(at)])  # failed before


@retry_conflicts
def clear_failure(connection_id: str, upstream_revision_id: str, revision_id: str) -> bool:
    """The revision is as it should be downstream after all: its failure is over."""
    pk, sk = failure_key(connection_id, upstream_revision_id)

    def write() -> None:
        with TransactWrite(connection=low()) as tx:
            tx.delete(FailureItem(pk, sk), condition=FailureItem.pk.exists())
            tx.update(counter_shard(connection_id, revision_id), actions=[SyncCounterItem.failed.add(-1)])

    return written(write, lost_race)


def failures(connection_id: str, limit: int = 20) -> list[FailureRow]:
    query = FailureItem.query(_connection_pk(connection_id), FailureItem.sk.startswith("FAILURE#"), limit=limit)
    return [as_row(FailureRow, f) for f in query]


def status_items(connection_id: str, upstream_project_id: str) -> tuple[list[CounterShardRow], int]:
    """The connection's counter shards and the upstream's published count: one BatchGetItem, whatever the size."""
    keys = [(_connection_pk(connection_id), _shard_sk(n)) for n in range(SHARDS)]
    keys += [(project_key(upstream_project_id), f"PUBLISHED#{n:02d}") for n in range(SHARDS)]
    shards, published = [], 0
    for raw in batch_get(keys, consistent=True):
        if raw["sk"]["S"].startswith("SYNC#"):
            shards.append(_shard_row(SyncCounterItem.from_raw_data(raw)))
        else:
            published += int(PublishedCountItem.from_raw_data(raw).published or 0)
    return shards, published


def published_count(project_id: str) -> int:
    keys = [(project_key(project_id), f"PUBLISHED#{n:02d}") for n in range(SHARDS)]
    return sum(int(s.published or 0) for s in PublishedCountItem.batch_get(keys, consistent_read=True))
