"""Drawings in a project (R19-R20, R22-R24, R28): publishing, the register, edits and files. Uploads and new
revisions are in revisions.py, the records drawings share in records.py, deletes in drawing_deletes.py. Every
change to a published revision is told to sync through its manifest (manifests.py).

Drawing-level fields (number, title, obsolete, discipline, area) are kept on the drawing and copied onto each
of its revisions; revision-level fields (revision number, status, dates, set) belong to one revision. Areas,
disciplines and sets are records of their own, so a change to one (an area's description, a discipline's
position, a set's date) reaches every revision that uses it, and a manifest follows for each published one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, NamedTuple

from connectability import storage
from connectability.aws import meanwhile
from connectability.db import drawings as db
from connectability.db import publishing as publishing_db
from connectability.db import records as records_db
from connectability.db.base import Found, Ref
from connectability.db.rows import AuditEntry, DrawingRow, RevisionRow
from connectability.domain import audit
from connectability.domain.drawing_views import drawing_views, revision_views
from connectability.domain.manifests import manifests_follow
from connectability.domain.permissions import DRAWINGS, Caller, ProjectAccess, read_rights, tool_level_at_least
from connectability.domain.record_views import day
from connectability.domain.records import find_or_make, named_area_refs, named_refs
from connectability.errors import AlreadyExists, ConnectedDrawingReadOnly, InvalidInput, InvalidState, NotFound
from connectability.models.audit import AuditAction
from connectability.models.common import Level, name_key, utcnow
from connectability.models.drawings import AreaUpdate, Drawing, DrawingUpdate, FileLink, Published, PublishRequest
from connectability.models.manifests import Area, FileState, RevisionState


def access_at(caller: Caller, project_id: str, level: Level) -> ProjectAccess:
    return tool_level_at_least(caller, project_id, DRAWINGS, level)


def is_admin(access: ProjectAccess) -> bool:
    return access.level(DRAWINGS) is Level.admin


def visible_states(access: ProjectAccess) -> set[str]:
    """Drafts, copies waiting for review and deleted revisions are for Drawings admins only."""
    if is_admin(access):
        return {s.value for s in RevisionState}
    return {RevisionState.published.value}


def _state_seen(revision: RevisionRow, drawing: DrawingRow | None) -> str:
    """A revision of a deleted drawing is deleted, even while a later transaction of the delete is moving it."""
    return RevisionState.deleted.value if drawing is None or drawing.deleted else revision.state


# -- publishing -----------------------------------------------------------------------------------------------
def publish_drafts(caller: Caller, project_id: str, body: PublishRequest) -> Published:
    """Drafts become published (all checked before any changes); the newest becomes its drawing's current.

    The revisions are read with the caller's rights, their drawings with the caller's company membership."""
    ids = list(dict.fromkeys(body.revision_ids))
    asked = {i: db.revision_ref(project_id, i) for i in ids}
    rights = read_rights(
        caller,
        [project_id],
        also=asked.values(),
        then=lambda read: [db.drawing_ref(project_id, r.drawing_id) for ref in asked.values() if (r := read.get(ref))],
    )
    access = rights.tool_level_at_least(project_id, DRAWINGS, Level.admin)
    found = {i: r for i, ref in asked.items() if (r := rights.found.get(ref))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(
            f"No such revision in this project: {', '.join(missing)}.",
            details=[
                {"field": f"revision_ids.{body.revision_ids.index(i)}", "message": "no such revision"} for i in missing
            ],
        )
    checking = [i for i in ids if found[i].file_state == FileState.checking.value]
    if checking:
        raise InvalidState(
            f"These files are still being checked: {', '.join(checking)}; publish them in a minute or two."
        )
    drawings = {
        r.drawing_id: d for r in found.values() if (d := rights.found.get(db.drawing_ref(project_id, r.drawing_id)))
    }
    gone = {d for d, drawing in drawings.items() if drawing.deleted}  # a delete still finishing: deleted already
    deleted = [i for i in ids if found[i].state == RevisionState.deleted.value or found[i].drawing_id in gone]
    if deleted:
        raise InvalidState(
            f"These revisions were deleted (their drawing was deleted), so they cannot be published: "
            f"{', '.join(deleted)}. GET /projects/{project_id}/reports/deleted-drawing-revisions lists them."
        )
    not_drafts = [i for i in ids if found[i].state != RevisionState.draft.value]
    if not_drafts:
        raise InvalidState(
            f"Only drafts can be published here; these are not drafts: {', '.join(not_drafts)}. "
            f"Connected copies are published with POST /projects/{project_id}/connected-drawings/publish."
        )
    now = utcnow()

    def recorded(chunk: list[RevisionRow]) -> AuditEntry:
        """Each transaction of the publish records the revisions it published."""
        return _entry(
            caller,
            access,
            AuditAction.revision_publish,
            "revision",
            [r.revision_id for r in chunk],
            before={"state": RevisionState.draft.value},
            after={"state": RevisionState.published.value, "published_at": now},
        )

    with manifests_follow(project_id, found.values()) as due:
        published = publishing_db.publish_many(
            sorted(found.values(), key=lambda r: (r.drawing_id, r.seq)), drawings, now, recorded
        )
        due.took_versions(published)
    done = {r.revision_id for r in published}
    return Published(published=[i for i in ids if i in done])


# -- reading --------------------------------------------------------------------------------------------------
def get_drawing(caller: Caller, project_id: str, drawing_id: str) -> Drawing:
    seen = drawing_access(caller, project_id, drawing_id, Level.read_only, with_records=True)
    return _drawing_view(project_id, seen.drawing, seen.revisions, seen.found)


def _drawing_view(project_id: str, drawing: DrawingRow, revisions: list[RevisionRow], records: Found) -> Drawing:
    """A drawing with its revisions; `records`: the records they point at."""
    current = {r.revision_id: r for r in revisions if r.revision_id == drawing.current_revision_id}
    view = drawing_views(project_id, [drawing], current, records)[0]
    view.revisions = revision_views(project_id, revisions, records=records)
    return view


class SeenDrawing(NamedTuple):
    """A drawing the caller may see at some level, the revisions of it the caller may see, and the items read with
    them (found)."""

    access: ProjectAccess
    drawing: DrawingRow
    revisions: list[RevisionRow]
    found: Found


def drawing_access(
    caller: Caller,
    project_id: str,
    drawing_id: str,
    level: Level,
    *,
    with_records: bool = False,
    also: Iterable[Ref[Any]] = (),
    then: Callable[[Found], Iterable[Ref[Any]]] | None = None,
) -> SeenDrawing:
    """The caller's Drawings access at `level` (404, 403 as access_at), then the drawing with the revisions the
    caller may see (404 otherwise). The drawing is read with the caller's rights (and `also`), its revisions are
    queried meanwhile; `with_records`: the records they point at are read with the caller's membership (and
    `then`), so a view of them needs no read of its own."""
    ref = db.drawing_ref(project_id, drawing_id)
    with meanwhile(lambda: db.revisions_of(drawing_id)) as queried:

        def second(found: Found) -> list[Ref[Any]]:
            drawing = found.get(ref)
            items: list[DrawingRow | RevisionRow] = []
            if drawing is not None and with_records:
                items = [drawing, *queried.result()]
            return [
                *(r for item in items for r in records_db.record_refs(project_id, item)),
                *(then(found) if then else []),
            ]

        rights = read_rights(caller, [project_id], also=[ref, *also], then=second)
        revisions = queried.result()
    access = rights.tool_level_at_least(project_id, DRAWINGS, level)
    drawing = rights.found.get(ref)
    states = visible_states(access)
    visible = [r for r in revisions if r.state in states] if drawing else []
    if drawing is None or drawing.deleted or not visible:
        raise NotFound(f"No drawing {drawing_id} is visible to you in this project.")
    return SeenDrawing(access, drawing, visible, rights.found)


def update_area(caller: Caller, project_id: str, area_id: str, body: AreaUpdate) -> Area:
    """Rename an area or change its description: every drawing in it shows the change, and sync hears of it.

    The area is read with the caller's rights, and the revisions in it are queried meanwhile."""
    ref = records_db.area_ref(project_id, area_id)
    with meanwhile(lambda: db.revisions_using(project_id, area_id=area_id)) as queried:
        rights = read_rights(caller, [project_id], also=[ref])
        in_area = queried.result()
    access = rights.tool_level_at_least(project_id, DRAWINGS, Level.admin)
    area = rights.found.get(ref)
    if area is None:
        raise NotFound(f"No area {area_id} in this project.")
    if area.connection_id:
        raise ConnectedDrawingReadOnly(
            "This area came with a connected project's drawings: it changes only in the upstream project."
        )
    name = body.name if body.name is not None else area.name
    description = body.description if "description" in body.model_fields_set else area.description
    if (name, description) == (area.name, area.description):
        return Area(id=area.area_id, name=area.name, description=area.description)
    before, after = audit.changed(area, {"name": name, "description": description})
    record = _entry(caller, access, AuditAction.area_update, "area", [area_id], before=before, after=after)
    with manifests_follow(project_id, in_area):
        if not records_db.update_area(project_id, area, name, description, record):
            raise AlreadyExists(f"Another area of this project is called '{name}'; choose another name.")
    return Area(id=area_id, name=name, description=description)


def file_link(caller: Caller, project_id: str, revision_id: str) -> FileLink:
    """A presigned GET valid 15 minutes, for users allowed to see that revision (read with the caller's rights, and
    its drawing with the caller's membership)."""
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
    if revision is None or _state_seen(revision, drawing) not in visible_states(access):
        raise NotFound(f"No revision {revision_id} is visible to you in this project.")
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif"}
    filename = f"{revision.number}-{revision.revision_number}.{extension.get(revision.content_type, 'bin')}"
    url = storage.presign_get(revision.bucket, revision.file_key, filename, revision.file_version)
    return FileLink(url=url, expires_at=utcnow() + timedelta(seconds=storage.URL_SECONDS))


# -- edits -----------------------------------------------------------------------------------------------------
def update_drawing(caller: Caller, project_id: str, drawing_id: str, body: DrawingUpdate) -> Drawing:
    """Edit a drawing (admins). A manifest follows for every published revision whose fields changed. The answer
    is the drawing as this edit left it, from what was read before it (with the caller's rights) and the edit.
    """
    given = body.model_fields_set
    discipline_in = body.discipline if "discipline" in given else None
    area_in = body.area if "area" in given else None
    set_in = body.drawing_set if "drawing_set" in given else None
    seen = drawing_access(
        caller,
        project_id,
        drawing_id,
        Level.admin,
        with_records=True,
        also=named_refs(project_id, discipline_in, area_in, set_in),
        then=lambda found: named_area_refs(project_id, area_in, found),
    )
    drawing, revisions, found = seen.drawing, seen.revisions, seen.found
    if drawing.connected:
        raise ConnectedDrawingReadOnly(
            "This drawing is connected: its fields come from the upstream project and cannot be changed here."
        )
    records = find_or_make(project_id, discipline_in, area_in, set_in, found)
    drawing_changes: dict[str, Any] = {}
    revision_changes: dict[str, Any] = {}
    if "title" in given and body.title is not None:
        drawing_changes["title"] = revision_changes["title"] = body.title
    if "obsolete" in given and body.obsolete is not None:
        drawing_changes["obsolete"] = body.obsolete
    if discipline_in is not None:
        drawing_changes["discipline_key"] = revision_changes["discipline_key"] = name_key(discipline_in.name)
    if "area" in given:
        drawing_changes["area_id"] = revision_changes["area_id"] = records.area.area_id if records.area else None
    target = next((r for r in revisions if r.revision_id == drawing.current_revision_id), revisions[-1])
    own = _revision_changes(body)
    affected = (revisions if drawing_changes else []) + ([target] if own else [])
    changed = {r.revision_id: revision_changes | (own if r is target else {}) for r in revisions}
    before, after = audit.changed(drawing, drawing_changes)
    own_before, own_after = audit.changed(target, own)
    record = None
    if after or own_after:  # an edit that changes nothing is written as before, and recorded nowhere
        record = _entry(
            caller,
            seen.access,
            AuditAction.drawing_update,
            "drawing",
            [drawing_id, *([target.revision_id] if own_after else [])],
            before=before | own_before,
            after=after | own_after,
        )
    edits = {r.revision_id: changed[r.revision_id] for r in revisions}
    with manifests_follow(project_id, affected):
        if not db.edit_drawing(drawing, drawing_changes, edits, record):
            raise NotFound(f"Drawing {drawing_id} was deleted meanwhile.")
    drawing = drawing._replace(**drawing_changes)
    revisions = [r._replace(**changed[r.revision_id]) for r in revisions]
    return _drawing_view(project_id, drawing, revisions, found | records.found)


def _entry(
    caller: Caller,
    access: ProjectAccess,
    action: AuditAction,
    target_type: str,
    target_ids: list[str],
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """A change to a project's drawings is in the project's trail and its company's."""
    project = access.project
    return audit.entry(
        caller,
        access.caller_name,
        action,
        target_type,
        target_ids,
        companies=[project.company_id],
        projects=[project.project_id],
        before=before,
        after=after,
    )


def _revision_changes(body: DrawingUpdate) -> dict[str, Any]:
    """What an edit changes on the drawing's current revision alone: None removes a field."""
    given, changes = body.model_fields_set, dict[str, Any]()
    if "status" in given:
        changes["status"] = body.status or None
    for field in ("drawing_date", "received_date"):
        if field in given:
            changes[field] = day(getattr(body, field))
    if "drawing_set" in given:
        changes["set_key"] = name_key(body.drawing_set.name) if body.drawing_set else None
    return changes
