"""The audit trail (R46): every change a user makes, written in the transaction of the change itself, so no change
exists without its record and no record without its change.

An entry is stored once in each trail it belongs to: under `AUDIT#COMPANY#<id>` for each company it concerns and
`AUDIT#PROJECT#<id>` for each project, sorted by time, then id. A company's trail and a project's are then each
one Query, newest first, read strongly: a change just made is in its trail at once. Items of their own rather
than a second index: a connection's change belongs to two companies' and two projects' trails where an index
gives an item one place, an index is only read eventually consistent, and an index falling behind throttles the
writes of the table, the changes themselves. No TTL: a trail is kept as long as its company.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import JSONAttribute, ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from connectability.db.base import Changes, Item, Key, actions, as_read, as_row, lost_race, page, transaction, written
from connectability.db.rows import AuditEntry, TrailFilter

# What a project's change takes of its transaction: one item in its company's trail, one in its own.
PROJECT_CHANGE_ITEMS = 2


class AuditItem(Item):
    """An entry as one trail holds it (the same fields in each)."""

    entry_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    user_id = UnicodeAttribute()
    user_name = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    target_type = UnicodeAttribute()
    target_ids = ListAttribute[str]()
    company_ids = ListAttribute[str]()
    project_ids = ListAttribute[str]()
    before = JSONAttribute()
    after = JSONAttribute()
    request_id = UnicodeAttribute(null=True)


def _stamp(at: datetime) -> str:
    """A moment as its trail sorts it: UTC, every part at its full width (years before 1000 too)."""
    u = at.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"


def _company_trail(company_id: str) -> str:
    return f"AUDIT#COMPANY#{company_id}"


def _project_trail(project_id: str) -> str:
    return f"AUDIT#PROJECT#{project_id}"


def _keys(entry: AuditEntry) -> list[Key]:
    sk = f"{_stamp(entry.at)}#{entry.entry_id}"
    trails = [*map(_company_trail, entry.company_ids), *map(_project_trail, entry.project_ids)]
    return [(pk, sk) for pk in dict.fromkeys(trails)]


def items_for(entry: AuditEntry | None) -> int:
    """How many items of a transaction an entry takes (one per trail; none for no entry)."""
    return len(_keys(entry)) if entry is not None else 0


def record(tx: TransactWrite, entry: AuditEntry | None) -> None:
    """Write an entry in the transaction of its change: the one call a change makes to be audited. Added after
    the change's own items and unconditional, so the positions and reasons of a refusal stay the change's."""
    if entry is None:
        return
    fields = entry._asdict()
    for pk, sk in _keys(entry):
        tx.save(AuditItem(pk, sk, **fields))


def update_as_read(key: Item, was: Changes, changes: Changes, entry: AuditEntry) -> bool:
    """Set `changes` on the item only while it still holds `was` (what the entry's before was read from), with the
    entry, in one transaction; False when another change came between (nothing written)."""
    model = type(key)

    def write() -> None:
        with transaction() as tx:
            tx.update(key, actions=actions(model, changes), condition=as_read(model, was))
            record(tx, entry)

    return written(write, lost_race)


def company_trail(
    company_id: str, wanted: TrailFilter, limit: int, next_token: str | None
) -> tuple[list[AuditEntry], str | None]:
    """A page of a company's trail, newest first: every change to the company and to its projects."""
    return _trail(_company_trail(company_id), wanted, limit, next_token)


def project_trail(
    project_id: str, wanted: TrailFilter, limit: int, next_token: str | None
) -> tuple[list[AuditEntry], str | None]:
    """A page of a project's trail, newest first."""
    return _trail(_project_trail(project_id), wanted, limit, next_token)


def _trail(pk: str, wanted: TrailFilter, limit: int, next_token: str | None) -> tuple[list[AuditEntry], str | None]:
    """The time range is the key's (`since` and `until` included); who and what are filtered after the read, so
    a filtered page may hold fewer than `limit` entries while the token says more may follow."""
    since, until = wanted.since, wanted.until
    low, high = (_stamp(since) if since else None), (f"{_stamp(until)}#~" if until else None)
    sk = AuditItem.sk
    within = sk.between(low, high) if low and high else (sk >= low) if low else (sk <= high) if high else None
    kept: Condition | None = None
    for attribute, value in ((AuditItem.user_id, wanted.user_id), (AuditItem.action, wanted.action)):
        if value is not None:
            kept = attribute == value if kept is None else kept & (attribute == value)
    items, token = page(
        AuditItem,
        pk,
        within,
        limit=limit,
        next_token=next_token,
        scan_index_forward=False,
        consistent_read=True,
        filter_condition=kept,
    )
    return [as_row(AuditEntry, i) for i in items], token
