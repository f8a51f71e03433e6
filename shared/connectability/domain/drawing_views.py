"""How drawings and revisions are shown: the API models built from items and the records they point at.

A project's own drawings point at the project's areas, disciplines and sets. Connected copies point at records
of their own, keyed by their connection (R24), so no downstream edit can reach a synced field through them.
"""

from __future__ import annotations

from datetime import date

from connectability.db import records as records_db
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


def revision_views(project_id: str, revisions: list[RevisionItem], consistent: bool = False) -> list[Revision]:
    areas = records_db.get_areas(project_id, (r.area_id for r in revisions), consistent)
    disciplines = records_db.get_disciplines(project_id, (_discipline_key(r) for r in revisions), consistent)
    sets = records_db.get_sets(project_id, (_set_key(r) for r in revisions), consistent)
    return [_revision_view(r, areas, disciplines, sets) for r in revisions]


def _discipline_key(item: RevisionItem | DrawingItem) -> str:
    return record_key(item.discipline_key, item.source_connection_id if item.connected else None)


def _set_key(item: RevisionItem) -> str | None:
    if not item.set_key:
        return None
    return record_key(item.set_key, item.source_connection_id if item.connected else None)


def _revision_view(
    r: RevisionItem,
    areas: dict[str, records_db.AreaItem],
    disciplines: dict[str, records_db.DisciplineItem],
    sets: dict[str, records_db.SetItem],
) -> Revision:
    drawing_set = sets.get(_set_key(r) or "")
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
        discipline=_discipline_view(r.discipline_key, _discipline_key(r), disciplines),
        area=_area_view(r.area_id, areas),
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


def drawing_views(project_id: str, drawings: list[DrawingItem], current: dict[str, RevisionItem]) -> list[Drawing]:
    areas = records_db.get_areas(project_id, (d.area_id for d in drawings))
    disciplines = records_db.get_disciplines(project_id, (_discipline_key(d) for d in drawings))
    revisions = {v.id: v for v in revision_views(project_id, list(current.values()))}
    return [
        Drawing(
            id=d.drawing_id,
            project_id=d.project_id,
            number=d.number,
            title=d.title,
            obsolete=bool(d.obsolete),
            discipline=_discipline_view(d.discipline_key, _discipline_key(d), disciplines),
            area=_area_view(d.area_id, areas),
            connected=bool(d.connected),
            current_revision=revisions.get(d.current_revision_id or ""),
        )
        for d in drawings
    ]


def _discipline_view(name: str, key: str, disciplines: dict[str, records_db.DisciplineItem]) -> Discipline:
    found = disciplines.get(key)
    if found is None:
        return Discipline(name=name)
    return Discipline(name=found.name, position=int(found.position) if found.position is not None else None)


def _area_view(area_id: str | None, areas: dict[str, records_db.AreaItem]) -> Area | None:
    found = areas.get(area_id) if area_id else None
    return Area(id=found.area_id, name=found.name, description=found.description) if found else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
