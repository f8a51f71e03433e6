"""What a drawing or revision points at, as both the API's views and the manifests show it: its discipline, area
and set, its dates, and its thumbnail's state.

Apart from domain.drawing_views, so that building a manifest needs only the manifest's models: sync, reconcile
and the initial sync behind a connection's approval do not define the Drawings API's models in their cold start.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from connectability.db import records as records_db
from connectability.db.base import Found, read_items
from connectability.db.rows import DrawingRow, RevisionRow, RowRecords
from connectability.models.manifests import Area, Discipline, DrawingSet, ThumbnailState


def records_of(project_id: str, items: Iterable[DrawingRow | RevisionRow], consistent: bool = False) -> Found:
    """The areas, disciplines and sets these drawings and revisions point at (and, for connected ones, their
    upstream project and company), in one read."""
    return read_items(
        (ref for item in items for ref in records_db.record_refs(project_id, item)), consistent=consistent
    )


def discipline_view(item: DrawingRow | RevisionRow, of: RowRecords) -> Discipline:
    if of.discipline is None:
        return Discipline(name=item.discipline_key)
    position = of.discipline.position
    return Discipline(name=of.discipline.name, position=int(position) if position is not None else None)


def area_view(of: RowRecords) -> Area | None:
    return Area(id=of.area.area_id, name=of.area.name, description=of.area.description) if of.area else None


def set_view(of: RowRecords) -> DrawingSet | None:
    return (
        DrawingSet(name=of.drawing_set.name, date=date.fromisoformat(of.drawing_set.date)) if of.drawing_set else None
    )


def thumbnail_fields(r: RevisionRow) -> dict[str, Any]:
    """A revision's thumbnail: its state, its size in pixels, and why there is none (an unavailable one only)."""
    state = ThumbnailState(r.thumbnail_state or ThumbnailState.pending.value)
    return {
        "state": state,
        "width": int(r.thumbnail_width) if r.thumbnail_width is not None else None,
        "height": int(r.thumbnail_height) if r.thumbnail_height is not None else None,
        "reason": r.thumbnail_reason if state is ThumbnailState.unavailable else None,
    }


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def as_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
