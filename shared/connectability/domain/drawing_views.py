"""How drawings and revisions are shown: the API models built from items and the records they point at.

A project's own drawings point at the project's areas, disciplines and sets. Connected copies point at records
of their own, keyed by their connection (R24), so no downstream edit can reach a synced field through them.
The records of a view are read at once (records_of), or given as read already alongside other items.
"""

from __future__ import annotations

from typing import Any

from connectability import storage
from connectability.db import records as records_db
from connectability.db.base import Found
from connectability.db.rows import DrawingRow, RevisionRow, RowRecords
from connectability.domain.record_views import (
    area_view,
    as_date,
    discipline_view,
    records_of,
    set_view,
    thumbnail_fields,
)
from connectability.models.drawings import Drawing, DrawingSource, FileInfo, Revision, Source, Thumbnail
from connectability.models.manifests import FileState, RevisionState, ThumbnailState


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
    pointed = records_db.records_for(found, project_id, revisions)
    return [_revision_view(r, of, links) for r, of in zip(revisions, pointed, strict=True)]


def _revision_view(r: RevisionRow, of: RowRecords, links: bool) -> Revision:
    return Revision(
        id=r.revision_id,
        drawing_id=r.drawing_id,
        number=r.number,
        title=r.title,
        revision_number=r.revision_number,
        status=r.status,
        state=RevisionState(r.state),
        drawing_date=as_date(r.drawing_date),
        received_date=as_date(r.received_date),
        drawing_set=set_view(of),
        discipline=discipline_view(r, of),
        area=area_view(of),
        connected=bool(r.connected),
        source=Source(upstream_revision_id=r.source_revision_id, **_upstream(r, of))
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
    return [
        Drawing(
            id=d.drawing_id,
            project_id=d.project_id,
            number=d.number,
            title=d.title,
            obsolete=bool(d.obsolete),
            discipline=discipline_view(d, of),
            area=area_view(of),
            connected=bool(d.connected),
            source=DrawingSource(**_upstream(d, of)) if d.connected and d.source_connection_id else None,
            current_revision=revisions.get(d.current_revision_id or ""),
        )
        for d, of in zip(drawings, records_db.records_for(found, project_id, drawings), strict=True)
    ]


def _upstream(item: DrawingRow | RevisionRow, of: RowRecords) -> dict[str, Any]:
    """Where a connected drawing or revision comes from: its connection, and the upstream project and company by
    name as read with its records (R22: a reader needs no access upstream to know where a sheet comes from)."""
    return {
        "connection_id": item.source_connection_id,
        "upstream_project_id": item.source_project_id,
        "upstream_project_name": of.source_project.name if of.source_project else None,
        "upstream_company_id": item.source_company_id,
        "upstream_company_name": of.source_company.name if of.source_company else None,
    }


def thumbnail_view(r: RevisionRow, links: bool = True) -> Thumbnail:
    """A revision's thumbnail as the API shows it: a presigned URL of a ready one (when `links`), the reason of an
    unavailable one."""
    fields = thumbnail_fields(r)
    key = r.thumbnail_key if fields["state"] is ThumbnailState.ready else None
    return Thumbnail(
        **fields, url=storage.presign_thumbnail(r.bucket, key, r.thumbnail_version) if links and key else None
    )
