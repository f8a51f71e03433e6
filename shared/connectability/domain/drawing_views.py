"""How drawings and revisions are shown: the API models built from items and the records they point at.

A project's own drawings point at the project's areas, disciplines and sets. Connected copies point at records
of their own, keyed by their connection (R24), so no downstream edit can reach a synced field through them.
The records of a view are read at once (records_of), or given as read already alongside other items.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from connectability.db import records as records_db
from connectability.db.base import Found, Ref, read_items
from connectability.db.drawings import DrawingItem, RevisionItem
from connectability.db.records import record_key
from connectability.models.drawings import (
    Area,
    Discipline,
    Drawing,
    DrawingSet,
    FileInfo,
    FileState,
    Revision,
    RevisionState,
    Source,
)


def revision_views(
    project_id: str, revisions: list[RevisionItem], consistent: bool = False, records: Found | None = None
) -> list[Revision]:
    """`records`: the records they point at as read already (records_of), else read here."""
    found = records if records is not None else records_of(project_id, revisions, consistent)
    return [_revision_view(project_id, r, found) for r in revisions]


def records_of(project_id: str, items: Iterable[DrawingItem | RevisionItem], consistent: bool = False) -> Found:
    """The areas, disciplines and sets these drawings and revisions point at, in one read."""
    return read_items((ref for item in items for ref in record_refs(project_id, item)), consistent=consistent)


def record_refs(project_id: str, item: DrawingItem | RevisionItem) -> list[Ref[Any]]:
    """The records a drawing or revision points at."""
    refs: list[Ref[Any]] = [records_db.discipline_ref(project_id, _discipline_key(item))]
    if item.area_id:
        refs.append(records_db.area_ref(project_id, item.area_id))
    if isinstance(item, RevisionItem) and (set_key := _set_key(item)):
        refs.append(records_db.set_ref(project_id, set_key))
    return refs


def _discipline_key(item: RevisionItem | DrawingItem) -> str:
    return record_key(item.discipline_key, item.source_connection_id if item.connected else None)


def _set_key(item: RevisionItem) -> str | None:
    if not item.set_key:
        return None
    return record_key(item.set_key, item.source_connection_id if item.connected else None)


def _revision_view(project_id: str, r: RevisionItem, found: Found) -> Revision:
    set_key = _set_key(r)
    drawing_set = found.get(records_db.set_ref(project_id, set_key)) if set_key else None
    return Revision(
        id=r.revision_id,
        drawing_id=r.drawing_id,
        number=r.number,
        title=r.title,
        revision_number=r.revision_number,
        status=r.status,
        state=RevisionState(r.state),
        drawing_date=_date(r.drawing_date),
        received_date=_date(r.received_date),
        drawing_set=DrawingSet(name=drawing_set.name, date=date.fromisoformat(drawing_set.date))
        if drawing_set
        else None,
        discipline=_discipline_view(project_id, r, found),
        area=_area_view(project_id, r.area_id, found),
        connected=bool(r.connected),
        source=Source(connection_id=r.source_connection_id, upstream_revision_id=r.source_revision_id)
        if r.connected and r.source_connection_id and r.source_revision_id
        else None,
        file=FileInfo(
            content_type=r.content_type, size=int(r.size), sha256=r.sha256, state=FileState(r.file_state or "ready")
        ),
        published_at=r.published_at,
        deleted_at=r.deleted_at,
        deleted_by=r.deleted_by,
    )


def drawing_views(
    project_id: str, drawings: list[DrawingItem], current: dict[str, RevisionItem], records: Found | None = None
) -> list[Drawing]:
    """`records`: the records they and their current revisions point at as read already, else read here."""
    found = records if records is not None else records_of(project_id, [*drawings, *current.values()])
    revisions = {v.id: v for v in revision_views(project_id, list(current.values()), records=found)}
    return [
        Drawing(
            id=d.drawing_id,
            project_id=d.project_id,
            number=d.number,
            title=d.title,
            obsolete=bool(d.obsolete),
            discipline=_discipline_view(project_id, d, found),
            area=_area_view(project_id, d.area_id, found),
            connected=bool(d.connected),
            current_revision=revisions.get(d.current_revision_id or ""),
        )
        for d in drawings
    ]


def _discipline_view(project_id: str, item: DrawingItem | RevisionItem, found: Found) -> Discipline:
    record = found.get(records_db.discipline_ref(project_id, _discipline_key(item)))
    if record is None:
        return Discipline(name=item.discipline_key)
    return Discipline(name=record.name, position=int(record.position) if record.position is not None else None)


def _area_view(project_id: str, area_id: str | None, found: Found) -> Area | None:
    record = found.get(records_db.area_ref(project_id, area_id)) if area_id else None
    return Area(id=record.area_id, name=record.name, description=record.description) if record else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
