"""Markups of a project's drawings (R27): they stay in the project that drew them."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute

from connectability.db.base import Item, page
from connectability.db.projects import project_key


class MarkupItem(Item):
    markup_id = UnicodeAttribute()
    drawing_id = UnicodeAttribute()
    revision_id = UnicodeAttribute()
    data = JSONAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


def put_markup(markup: MarkupItem) -> None:
    markup.save(condition=MarkupItem.pk.does_not_exist())


def markups_of(
    project_id: str, drawing_id: str, limit: int, next_token: str | None
) -> tuple[list[MarkupItem], str | None]:
    return page(
        MarkupItem,
        project_key(project_id),
        MarkupItem.sk.startswith(f"MARKUP#{drawing_id}#"),
        limit=limit,
        next_token=next_token,
    )
