"""How drawings and revisions are shown: the API models built from items and the records they point at.

A project's own drawings point at the project's areas, disciplines and sets. Connected copies point at records
of their own, keyed by their connection (R24), so no downstream edit can reach a synced field through them.
The records of a view are read at once (records_of), or given as read already alongside other items.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from connectability import storage
from connectability.db import records as records_db
from connectability.db.base import Found, Ref, read_items
from connectability.db.companies import company_ref
from connectability.db.projects import project_ref
from connectability.db.rows import DrawingRow, RevisionRow
from connectability.models.drawings import (
    Area,
    Discipline,
    Drawing,
    DrawingSet,
    DrawingSource,
    FileInfo,
    FileState,
    Revision,
    RevisionState,
    Source,
    Thumbnail,
    ThumbnailState,
)


def revision_views(
    project_id: str,
    revisions: list[RevisionRow],
    consistent: bool = False,
    records: Found | None = None,
    links: bool = True,
) -> list[Revision]:
    """`records`: the records they point at as read already (records_of), else read here; `links`: with the
    thumbnails' presigned URLs (what a reader is shown; a manifest carries none)."""
    found = records if records is not None else records_of(project_id, revisions, consistent)
    return [_revision_view(project_id, r, found, links) for r in revisions]


def records_of(project_id: str, items: Iterable[DrawingRow | RevisionRow], consistent: bool = False) -> Found:
    """The areas, disciplines and sets these drawings and revisions point at, in one read."""
    return read_items((ref for item in items for ref in record_refs(project_id, item)), consistent=consistent)


def record_refs(project_id: str, item: DrawingRow | RevisionRow) -> list[Ref[Any]]:
    """The records a drawing or revision points at; for a connected one, its upstream project and company too."""
    refs = records_db.record_refs(project_id, item)
    if item.connected and item.source_project_id and item.source_company_id:
        refs += [project_ref(item.source_project_id), company_ref(item.source_company_id)]
    return refs


def _revision_view(project_id: str, r: RevisionRow, found: Found, links: bool) -> Revision:
    drawing_set = records_db.set_of(found, project_id, r)
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
        area=_area_view(project_id, r, found),
        connected=bool(r.connected),
        source=Source(upstream_revision_id=r.source_revision_id, **_upstream(r, found))
        if r.connected and r.source_connection_id and r.source_revision_id
        else None,
        file=FileInfo(
            content_type=r.content_type, size=int(r.size), sha256=r.sha256, state=FileState(r.file_state or "ready")
        ),
        thumbnail=thumbnail_view(r, links),
        published_at=r.published_at,
        deleted_at=r.deleted_at,
        deleted_by=r.deleted_by,
    )


def drawing_views(
    project_id: str, drawings: list[DrawingRow], current: dict[str, RevisionRow], records: Found | None = None
) -> list[Drawing]:
    """`records`: the records they and their current revisions point at as read already, else read here."""
    found = records if records is not None else records_of(project_id, [*drawings, *current.values()])
    revisions = {v.id: v for v in revision_views(project_id, list(current.values()), records=found)}
    source = {
        d.drawing_id: DrawingSource(**_upstream(d, found)) for d in drawings if d.connected and d.source_connection_id
    }
    return [
        Drawing(
            id=d.drawing_id,
            project_id=d.project_id,
            number=d.number,
            title=d.title,
            obsolete=bool(d.obsolete),
            discipline=_discipline_view(project_id, d, found),
            area=_area_view(project_id, d, found),
            connected=bool(d.connected),
            source=source.get(d.drawing_id),
            current_revision=revisions.get(d.current_revision_id or ""),
        )
        for d in drawings
    ]


def _upstream(item: DrawingRow | RevisionRow, found: Found) -> dict[str, Any]:
    """Where a connected drawing or revision comes from: its connection, and the upstream project and company by
    name as read with its records (R22: a reader needs no access upstream to know where a sheet comes from)."""
    project = found.get(project_ref(item.source_project_id)) if item.source_project_id else None
    company = found.get(company_ref(item.source_company_id)) if item.source_company_id else None
    return {
        "connection_id": item.source_connection_id,
        "upstream_project_id": item.source_project_id,
        "upstream_project_name": project.name if project else None,
        "upstream_company_id": item.source_company_id,
        "upstream_company_name": company.name if company else None,
    }


def thumbnail_view(r: RevisionRow, links: bool = True) -> Thumbnail:
    """A revision's thumbnail as the API shows it: a presigned URL of a ready one (when `links`), the reason of an
    unavailable one."""
    state = ThumbnailState(r.thumbnail_state or ThumbnailState.pending.value)
    key = r.thumbnail_key if state is ThumbnailState.ready else None
    return Thumbnail(
        state=state,
        url=storage.presign_thumbnail(r.bucket, key, r.thumbnail_version) if links and key else None,
        width=int(r.thumbnail_width) if r.thumbnail_width is not None else None,
        height=int(r.thumbnail_height) if r.thumbnail_height is not None else None,
        reason=r.thumbnail_reason if state is ThumbnailState.unavailable else None,
    )


def _discipline_view(project_id: str, item: DrawingRow | RevisionRow, found: Found) -> Discipline:
    record = records_db.discipline_of(found, project_id, item)
    if record is None:
        return Discipline(name=item.discipline_key)
    return Discipline(name=record.name, position=int(record.position) if record.position is not None else None)


def _area_view(project_id: str, item: DrawingRow | RevisionRow, found: Found) -> Area | None:
    record = records_db.area_of(found, project_id, item)
    return Area(id=record.area_id, name=record.name, description=record.description) if record else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
