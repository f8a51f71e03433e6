"""Markups of a project's drawings (R27): they stay in the project that drew them."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute

from connectability.db import audit as audit_db
from connectability.db.base import Item, as_row, page, transaction
from connectability.db.projects import project_key
from connectability.db.rows import AuditEntry, MarkupRow


class MarkupItem(Item):
    markup_id = UnicodeAttribute()
    drawing_id = UnicodeAttribute()
    revision_id = UnicodeAttribute()
    data = JSONAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


def put_markup(project_id: str, markup: MarkupRow, audit: AuditEntry) -> None:
    """Add a markup, with its record (R46)."""
    item = MarkupItem(
        project_key(project_id),
        f"MARKUP#{markup.drawing_id}#{markup.markup_id}",
        markup_id=markup.markup_id,
        drawing_id=markup.drawing_id,
        revision_id=markup.revision_id,
        data=markup.data,
        created_by=markup.created_by,
        created_at=markup.created_at,
    )
    with transaction() as tx:
        tx.save(item, condition=MarkupItem.pk.does_not_exist())
        audit_db.record(tx, audit)


def markups_of(
    project_id: str, drawing_id: str, limit: int, next_token: str | None
) -> tuple[list[MarkupRow], str | None]:
    items, token = page(
        MarkupItem,
        project_key(project_id),
        MarkupItem.sk.startswith(f"MARKUP#{drawing_id}#"),
        limit=limit,
        next_token=next_token,
    )
    return [as_row(MarkupRow, i) for i in items], token
