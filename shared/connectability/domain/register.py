"""The register of a project (R22-R23): its drawings by discipline and number, each with its current published
revision, its drafts for the Drawings admins who ask, and where a connected one comes from; the records a
register is filtered by (areas, disciplines, sets); and one revision on its own, for a client that follows a
fresh upload's check."""

from __future__ import annotations

from datetime import date
from functools import partial

from connectability.aws import together
from connectability.db import drawings as db
from connectability.db import records as records_db
from connectability.db.rows import RevisionRow
from connectability.domain.drawing_views import drawing_views, revision_views
from connectability.domain.drawings import access_at, is_admin, visible_states
from connectability.domain.permissions import DRAWINGS, Caller, ProjectAccess, read_rights
from connectability.domain.record_views import records_of
from connectability.errors import NotFound
from connectability.models.common import Level, Page, name_key
from connectability.models.drawings import Drawing, Revision
from connectability.models.manifests import Area, Discipline, DrawingSet, RevisionState


def register(
    caller: Caller,
    project_id: str,
    area_id: str | None,
    discipline: str | None,
    include_obsolete: bool,
    include_drafts: bool,
    limit: int,
    next_token: str | None,
) -> Page[Drawing]:
    """Each drawing with its current published revision, by discipline then number; with `include_drafts`, for
    Drawings admins, also the drawings that have drafts only, and each drawing's drafts (newest first)."""
    access = access_at(caller, project_id, Level.read_only)
    drafts_too = include_drafts and is_admin(access)
    items, token = db.register(
        project_id,
        area_id,
        name_key(discipline) if discipline else None,
        include_obsolete,
        drafts_too,
        limit,
        next_token,
    )
    current_ids = [d.current_revision_id for d in items if d.current_revision_id]
    with_drafts = [d.drawing_id for d in items if drafts_too and int(d.revision_count or 0) > int(d.current_seq or 0)]
    current, *revisions = together(
        partial(db.get_revisions, project_id, current_ids), *(partial(db.revisions_of, d) for d in with_drafts)
    )
    drafts = {
        drawing_id: sorted((r for r in found if r.state == RevisionState.draft.value), key=lambda r: -int(r.seq))
        for drawing_id, found in zip(with_drafts, revisions, strict=True)
    }
    records = records_of(project_id, [*items, *current.values(), *(r for rs in drafts.values() for r in rs)])
    views = drawing_views(project_id, items, current, records)
    for view in views:
        if drafts_too:
            view.drafts = revision_views(project_id, drafts.get(view.id, []), records=records)
    return Page[Drawing](items=views, next_token=token)


def get_revision(caller: Caller, project_id: str, revision_id: str) -> Revision:
    """One revision, visible as its drawing's page shows it (drafts and copies waiting for review: Drawings admins),
    and a draft to the user who made it, who may follow its file's check."""
    ref = db.revision_ref(project_id, revision_id)
    rights = read_rights(
        caller,
        [project_id],
        also=[ref],
        then=lambda found: [db.drawing_ref(project_id, r.drawing_id)] if (r := found.get(ref)) else [],
    )
    access = rights.tool_level_at_least(project_id, DRAWINGS, Level.read_only)
    revision = rights.found.get(ref)
    drawing = rights.found.get(db.drawing_ref(project_id, revision.drawing_id)) if revision else None
    if revision is None or drawing is None or drawing.deleted or not _may_see(caller, access, revision):
        raise NotFound(f"No revision {revision_id} is visible to you in this project.")
    return revision_views(project_id, [revision])[0]


def _may_see(caller: Caller, access: ProjectAccess, revision: RevisionRow) -> bool:
    if revision.state in visible_states(access):
        return True
    return revision.state == RevisionState.draft.value and revision.created_by == caller.user_id


def list_areas(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[Area]:
    access_at(caller, project_id, Level.read_only)
    items, token = records_db.areas(project_id, limit, next_token)
    return Page[Area](
        items=[Area(id=a.area_id, name=a.name, description=a.description) for a in items], next_token=token
    )


def list_disciplines(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[Discipline]:
    """The project's own disciplines (a new revision picks one, or names a new one), by name."""
    access_at(caller, project_id, Level.read_only)
    items, token = records_db.disciplines(project_id, limit, next_token)
    return Page[Discipline](
        items=[Discipline(name=d.name, position=int(d.position) if d.position is not None else None) for d in items],
        next_token=token,
    )


def list_sets(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[DrawingSet]:
    """The project's own drawing sets, by name."""
    access_at(caller, project_id, Level.read_only)
    items, token = records_db.sets(project_id, limit, next_token)
    return Page[DrawingSet](
        items=[DrawingSet(name=s.name, date=date.fromisoformat(s.date)) for s in items], next_token=token
    )
