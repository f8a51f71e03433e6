"""Drawings in a project (R19-R20, R22-R24, R28): uploads, revisions, publishing, the register, edits and
files (deletes are in drawing_deletes.py). Every change to a published revision is told to sync through its
manifest (manifests.py).

Drawing-level fields (number, title, obsolete, discipline, area) are kept on the drawing and copied onto each
of its revisions; revision-level fields (revision number, status, dates, set) belong to one revision. Areas,
disciplines and sets are records of their own, so a change to one (an area's description, a discipline's
position, a set's date) reaches every revision that uses it, and a manifest follows for each published one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connectability import storage
from connectability.aws import meanwhile, together
from connectability.config import get_settings
from connectability.db import drawings as db
from connectability.db import outbox as outbox_db
from connectability.db import records as records_db
from connectability.db import uploads as uploads_db
from connectability.db.base import Found, Ref
from connectability.db.drawings import DrawingItem, RevisionItem, name_key
from connectability.db.projects import ProjectItem
from connectability.domain.drawing_views import day, drawing_views, record_refs, revision_views
from connectability.domain.ids import new_id
from connectability.domain.manifests import manifests_follow
from connectability.domain.permissions import Caller, ProjectAccess, read_rights, tool_level_at_least
from connectability.errors import (
    AlreadyExists,
    ConnectedDrawingReadOnly,
    InvalidInput,
    InvalidState,
    NotFound,
)
from connectability.models.common import Level, Page, utcnow
from connectability.models.drawings import (
    Area,
    AreaIn,
    AreaUpdate,
    ContentType,
    DisciplineIn,
    Drawing,
    DrawingSetIn,
    DrawingUpdate,
    FileCheck,
    FileLink,
    FileState,
    Published,
    PublishRequest,
    Revision,
    RevisionCreate,
    RevisionState,
    Upload,
    UploadRequest,
)
from connectability.observability import logger

DRAWINGS = "drawings"

# The first bytes of each accepted file type: a file must be what it says it is.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ContentType.pdf: (b"%PDF-",),
    ContentType.png: (b"\x89PNG\r\n\x1a\n",),
    ContentType.jpeg: (b"\xff\xd8\xff",),
    ContentType.tiff: (b"II*\x00", b"MM\x00*"),
}


def access_at(caller: Caller, project_id: str, level: Level) -> ProjectAccess:
    return tool_level_at_least(caller, project_id, DRAWINGS, level)


def _is_admin(access: ProjectAccess) -> bool:
    return access.level(DRAWINGS) is Level.admin


def _visible_states(access: ProjectAccess) -> set[str]:
    """Drafts, copies waiting for review and deleted revisions are for Drawings admins only."""
    if _is_admin(access):
        return {s.value for s in RevisionState}
    return {RevisionState.published.value}


def _state_seen(revision: RevisionItem, drawing: DrawingItem | None) -> str:
    """A revision of a deleted drawing is deleted, even while a later transaction of the delete is moving it."""
    return RevisionState.deleted.value if drawing is None or drawing.deleted else revision.state


# -- uploads and revisions ------------------------------------------------------------------------------------
def create_upload(caller: Caller, project_id: str, body: UploadRequest) -> Upload:
    """A presigned PUT into the company's bucket, valid 15 minutes, for exactly the declared type and size."""
    project = access_at(caller, project_id, Level.standard).project
    upload_id = new_id("upl")
    bucket, key = storage.bucket_name(project.company_id), f"{storage.UPLOAD_PREFIX}{project_id}/{upload_id}"
    now = utcnow()
    uploads_db.put_upload(
        uploads_db.UploadItem(
            project.pk,
            f"UPLOAD#{upload_id}",
            upload_id=upload_id,
            filename=body.filename,
            content_type=body.content_type.value,
            size=body.size,
            bucket=bucket,
            key=key,
            created_by=caller.user_id,
            created_at=now,
        )
    )
    url, headers = storage.presign_put(bucket, key, body.content_type.value, body.size)
    return Upload(
        upload_id=upload_id, url=url, headers=headers, expires_at=now + timedelta(seconds=storage.URL_SECONDS)
    )


def create_revision(caller: Caller, project_id: str, body: RevisionCreate) -> Revision:
    """A draft revision from a finished upload; a known drawing number makes it that drawing's next revision.

    The upload, the drawing holding the number and the records the body names are read with the caller's rights
    (two reads in all); the file is read once; the upload's tag and the records are written at once."""
    upload_ref, number_ref = uploads_db.upload_ref(project_id, body.upload_id), db.number_ref(project_id, body.number)
    rights = read_rights(
        caller,
        [project_id],
        also=[upload_ref, number_ref, *_named_refs(project_id, body.discipline, body.area, body.drawing_set)],
        then=lambda found: [
            *([db.drawing_ref(project_id, number.drawing_id)] if (number := found.get(number_ref)) else []),
            *_named_area_refs(project_id, body.area, found),
        ],
    )
    access = rights.tool_level_at_least(project_id, DRAWINGS, Level.standard)
    upload = rights.found.get(upload_ref)
    if upload is None:
        raise InvalidInput(
            f"No upload {body.upload_id} in this project; "
            f"ask for one with POST /projects/{project_id}/drawing-uploads first.",
            details=[{"field": "upload_id", "message": "no such upload"}],
        )
    if upload.revision_id:
        raise InvalidInput(
            f"Upload {body.upload_id} already made revision {upload.revision_id}; upload the file again.",
            details=[{"field": "upload_id", "message": "already used"}],
        )
    file_version, sha256 = _check_uploaded_file(upload)
    number = rights.found.get(number_ref)
    existing = rights.found.get(db.drawing_ref(project_id, number.drawing_id)) if number else None
    if existing is not None and existing.connected:
        raise ConnectedDrawingReadOnly(
            f"Drawing {body.number} is a connected drawing; its revisions come from the upstream project only."
        )
    revision_id = new_id("rev")
    if not uploads_db.claim_upload(upload, revision_id):
        raise InvalidInput(
            f"Upload {body.upload_id} was used by another revision meanwhile; upload the file again.",
            details=[{"field": "upload_id", "message": "already used"}],
        )
    try:
        records = _records(
            project_id,
            body.discipline,
            body.area,
            body.drawing_set,
            rights.found,
            may_change=_is_admin(access),
            # before the revision commits: a used file never expires
            alongside=partial(storage.mark_upload_used, upload.bucket, upload.key, file_version),
        )
        revision, duty = _new_revision(
            access, caller.user_id, body, upload, revision_id, existing, file_version, sha256, records
        )
    except BaseException:
        uploads_db.release_upload(upload)  # nothing was committed: the upload may make a revision again
        raise
    if duty is not None:
        request_file_check(duty)
    return revision_views(project_id, [revision], records=records.found)[0]


def _new_revision(
    access: ProjectAccess,
    by: str,
    body: RevisionCreate,
    upload: uploads_db.UploadItem,
    revision_id: str,
    existing: DrawingItem | None,
    file_version: str,
    sha256: str | None,
    records: NamedRecords,
) -> tuple[RevisionItem, outbox_db.OutboxItem | None]:
    """The drawing (a new one holds its first revision's place already), then the revision, written only if the
    drawing still stands."""
    project = access.project
    discipline_key, area_id = name_key(body.discipline.name), records.area.area_id if records.area else None
    set_key = name_key(body.drawing_set.name) if body.drawing_set else None
    drawing, seq = (existing, None) if existing else _new_drawing(project, body, discipline_key, area_id)
    seq = seq or db.next_seq(drawing)
    if seq is None:
        raise InvalidState(f"Drawing {drawing.number} was deleted meanwhile; create the revision again.")
    revision = RevisionItem(
        project.pk,
        f"REVISION#{revision_id}",
        gsi1pk=f"DRAWING#{drawing.drawing_id}",
        gsi1sk=f"REV#{seq:06d}",
        revision_id=revision_id,
        drawing_id=drawing.drawing_id,
        project_id=project.project_id,
        company_id=project.company_id,
        seq=seq,
        number=drawing.number,
        title=body.title,
        revision_number=body.revision_number,
        status=body.status,
        state=RevisionState.draft.value,
        drawing_date=day(body.drawing_date),
        received_date=day(body.received_date),
        set_key=set_key,
        discipline_key=discipline_key,
        area_id=area_id,
        bucket=upload.bucket,
        file_key=upload.key,
        file_version=file_version,
        content_type=upload.content_type,
        size=upload.size,
        sha256=sha256,
        file_state=FileState.ready.value if sha256 else FileState.checking.value,
        created_by=by,
        created_at=utcnow(),
    )
    duty = None
    if sha256 is None:
        duty = outbox_db.file_check(project.project_id, revision.revision_id, new_id("chk"), utcnow())
    if not db.put_revision(revision, drawing, duty):
        raise InvalidState(f"Drawing {drawing.number} was deleted meanwhile; create the revision again.")
    return revision, duty


def request_file_check(duty: outbox_db.OutboxItem) -> bool:
    """Queue the hashing of a file too large to hash within a request; the outbox relay retries a failure."""
    try:
        storage.request_file_check(FileCheck(project_id=duty.project_id or "", revision_id=duty.revision_id or ""))
    except (BotoCoreError, ClientError):
        logger.exception("file check not queued yet", extra={"revision_id": duty.revision_id})
        return False
    outbox_db.sent(duty)  # best effort: a duty left behind is only queued again, and the check is idempotent
    return True


def check_file(check: FileCheck) -> bool:
    """Hash a large revision file (the file-checks queue); answers whether this run recorded the sha256.

    A revision not found is an error, so SQS tries again (and ends in the DLQ, alarmed): never a silent loss.
    """
    revision = db.get_revision(check.project_id, check.revision_id, consistent=True)
    if revision is None:
        raise LookupError(f"revision {check.revision_id} of project {check.project_id} not found")
    if revision.file_state != FileState.checking.value or not revision.file_version:
        return False
    sha256 = storage.sha256_of(revision.bucket, revision.file_key, revision.file_version)
    return db.record_sha256(check.project_id, check.revision_id, sha256)


def _check_uploaded_file(upload: uploads_db.UploadItem) -> tuple[str, str | None]:
    """The upload must be there, of the declared size and type (by its bytes); answers its object version and
    sha256 (None for a file too large to hash within a request: the file check does it). Every later read names
    that version, so a second PUT to the same URL cannot swap the bytes."""
    found = storage.uploaded(upload.bucket, upload.key, int(upload.size), get_settings().inline_hash_max_bytes)
    if found is None:
        raise InvalidInput(
            "The file has not been uploaded yet: PUT it to the upload's URL first, then create the revision.",
            details=[{"field": "upload_id", "message": "no file uploaded"}],
        )
    if found.size != upload.size:
        raise InvalidInput(
            f"The uploaded file has {found.size} bytes, not the {upload.size} declared; upload again.",
            details=[{"field": "upload_id", "message": "size differs from the declared size"}],
        )
    if not found.head.startswith(SIGNATURES[ContentType(upload.content_type)]):
        raise InvalidInput(
            f"The uploaded file is not a {upload.content_type} file; upload a file of the declared type.",
            details=[{"field": "upload_id", "message": f"content is not {upload.content_type}"}],
        )
    return found.version_id, found.sha256


def _new_drawing(
    project: ProjectItem, body: RevisionCreate, discipline_key: str, area_id: str | None
) -> tuple[DrawingItem, int | None]:
    """A new drawing for the number, holding its first revision's place (1); when another request created the
    number first, that drawing, whose next place is still to take (None)."""
    drawing = DrawingItem(
        project.pk,
        f"DRAWING#{(drawing_id := new_id('drw'))}",
        drawing_id=drawing_id,
        project_id=project.project_id,
        company_id=project.company_id,
        number=body.number,
        title=body.title,
        discipline_key=discipline_key,
        area_id=area_id,
        revision_count=1,
    )
    if db.create_drawing(drawing):
        return drawing, 1
    # Another request created this number first: the revision joins that drawing.
    existing = db.drawing_by_number(project.project_id, body.number)
    if existing is None:
        raise InvalidState(f"Drawing {body.number} changed meanwhile; try again.")
    return existing, None


# -- shared records -------------------------------------------------------------------------------------------
# A body names its discipline, area and set; they are read with the caller's rights (_named_refs, then, for the
# area its name points at, _named_area_refs), and found or made from what was read.
def _named_refs(
    project_id: str, discipline: DisciplineIn | None, area: AreaIn | None, drawing_set: DrawingSetIn | None
) -> list[Ref[Any]]:
    return [
        *([records_db.discipline_ref(project_id, name_key(discipline.name))] if discipline else []),
        *([records_db.area_name_ref(project_id, area.name)] if area else []),
        *([records_db.set_ref(project_id, name_key(drawing_set.name))] if drawing_set else []),
    ]


def _named_area_refs(project_id: str, area: AreaIn | None, found: Found) -> list[Ref[Any]]:
    lookup = found.get(records_db.area_name_ref(project_id, area.name)) if area else None
    return [records_db.area_ref(project_id, lookup.area_id)] if lookup else []


def _named_discipline(project_id: str, given: DisciplineIn, found: Found) -> records_db.DisciplineItem | None:
    return found.get(records_db.discipline_ref(project_id, name_key(given.name)))


def _named_set(project_id: str, given: DrawingSetIn | None, found: Found) -> records_db.SetItem | None:
    return found.get(records_db.set_ref(project_id, name_key(given.name))) if given else None


def _named_area(project_id: str, given: AreaIn | None, found: Found) -> records_db.AreaItem | None:
    lookup = found.get(records_db.area_name_ref(project_id, given.name)) if given else None
    return found.get(records_db.area_ref(project_id, lookup.area_id)) if lookup else None


@dataclass(frozen=True)
class NamedRecords:
    """The records a body names, as found or made (None: not named), and the same items for its view."""

    discipline: records_db.DisciplineItem | None
    area: records_db.AreaItem | None
    drawing_set: records_db.SetItem | None

    @property
    def found(self) -> Found:
        return Found.of([self.discipline, self.area, self.drawing_set])


def _records(
    project_id: str,
    discipline: DisciplineIn | None,
    area: AreaIn | None,
    drawing_set: DrawingSetIn | None,
    found: Found,
    *,
    may_change: bool = True,
    alongside: Callable[[], object] | None = None,
) -> NamedRecords:
    """Find (as read in `found`) or make the records a body names; those to write are written at once, with
    `alongside` (another write of the request) if given."""
    calls: list[Callable[[], object]] = [alongside] if alongside is not None else []
    if discipline is not None:
        current = _named_discipline(project_id, discipline, found)
        calls.append(partial(_discipline, project_id, discipline, current, may_change))
    if area is not None:
        calls.append(partial(_area, project_id, area, _named_area(project_id, area, found), may_change))
    if drawing_set is not None:
        calls.append(partial(_set, project_id, drawing_set, _named_set(project_id, drawing_set, found), may_change))
    answers = iter(together(*calls)[1 if alongside is not None else 0 :])
    return NamedRecords(
        next(answers) if discipline is not None else None,
        next(answers) if area is not None else None,
        next(answers) if drawing_set is not None else None,
    )


def _discipline(
    project_id: str, given: DisciplineIn, current: records_db.DisciplineItem | None, may_change: bool = True
) -> records_db.DisciplineItem:
    """Find (`current`, as read) or make the discipline; only a Drawings admin's value changes an existing one (and
    reaches sync)."""
    key = name_key(given.name)
    if current is None:
        return records_db.put_discipline(project_id, given.name, given.position)
    if may_change and given.position is not None and given.position != current.position:
        with manifests_follow(project_id, db.revisions_using(project_id, discipline_key=key)):
            return records_db.put_discipline(project_id, current.name, given.position)
    return current


def _area(
    project_id: str, given: AreaIn | None, current: records_db.AreaItem | None, may_change: bool = True
) -> records_db.AreaItem | None:
    if given is None:
        return None
    if current is None:
        return records_db.create_area(project_id, new_id("area"), given.name, given.description)
    if may_change and given.description is not None and given.description != (current.description or ""):
        with manifests_follow(project_id, db.revisions_using(project_id, area_id=current.area_id)):
            records_db.update_area_description(current, given.description)
    return current


def _set(
    project_id: str, given: DrawingSetIn | None, current: records_db.SetItem | None, may_change: bool = True
) -> records_db.SetItem | None:
    if given is None:
        return None
    key = name_key(given.name)
    if current is None:
        return records_db.put_set(project_id, given.name, given.date.isoformat())
    if may_change and current.date != given.date.isoformat():
        with manifests_follow(project_id, db.revisions_using(project_id, set_key=key)):
            return records_db.put_set(project_id, current.name, given.date.isoformat())
    return current


# -- publishing -----------------------------------------------------------------------------------------------
def publish(caller: Caller, project_id: str, body: PublishRequest) -> Published:
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
    rights.tool_level_at_least(project_id, DRAWINGS, Level.admin)
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
    not_drafts = [i for i in ids if found[i].state != RevisionState.draft.value or found[i].drawing_id in gone]
    if not_drafts:
        raise InvalidState(
            f"Only drafts can be published here; these are not drafts: {', '.join(not_drafts)}. "
            f"Connected copies are published with POST /projects/{project_id}/connected-drawings/publish."
        )
    now = utcnow()
    with manifests_follow(project_id, found.values()) as due:
        published = db.publish_many(sorted(found.values(), key=lambda r: (r.drawing_id, r.seq)), drawings, now)
        due.took_versions(published)
    done = {r.revision_id for r in published}
    return Published(published=[i for i in ids if i in done])


# -- reading --------------------------------------------------------------------------------------------------
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
    """Each drawing with its current published revision; drawings with drafts only, for admins who ask."""
    access = access_at(caller, project_id, Level.read_only)
    drafts = include_drafts and _is_admin(access)
    items, token = db.register(
        project_id, area_id, name_key(discipline) if discipline else None, include_obsolete, drafts, limit, next_token
    )
    current = db.get_revisions(project_id, [d.current_revision_id for d in items if d.current_revision_id])
    return Page[Drawing](items=drawing_views(project_id, items, current), next_token=token)


def get_drawing(caller: Caller, project_id: str, drawing_id: str) -> Drawing:
    seen = drawing_access(caller, project_id, drawing_id, Level.read_only, with_records=True)
    return _drawing_view(project_id, seen.drawing, seen.revisions, seen.found)


def _drawing_view(project_id: str, drawing: DrawingItem, revisions: list[RevisionItem], records: Found) -> Drawing:
    """A drawing with its revisions; `records`: the records they point at."""
    current = {r.revision_id: r for r in revisions if r.revision_id == drawing.current_revision_id}
    view = drawing_views(project_id, [drawing], current, records)[0]
    view.revisions = revision_views(project_id, revisions, records=records)
    return view


@dataclass(frozen=True)
class SeenDrawing:
    """A drawing the caller may see at some level, the revisions of it the caller may see, and the items read with
    them (found)."""

    access: ProjectAccess
    drawing: DrawingItem
    revisions: list[RevisionItem]
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
            items: list[DrawingItem | RevisionItem] = []
            if drawing is not None and with_records:
                items = [drawing, *queried.result()]
            return [*(r for item in items for r in record_refs(project_id, item)), *(then(found) if then else [])]

        rights = read_rights(caller, [project_id], also=[ref, *also], then=second)
        revisions = queried.result()
    access = rights.tool_level_at_least(project_id, DRAWINGS, level)
    drawing = rights.found.get(ref)
    states = _visible_states(access)
    visible = [r for r in revisions if r.state in states] if drawing else []
    if drawing is None or drawing.deleted or not visible:
        raise NotFound(f"No drawing {drawing_id} is visible to you in this project.")
    return SeenDrawing(access, drawing, visible, rights.found)


def list_areas(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[Area]:
    access_at(caller, project_id, Level.read_only)
    items, token = records_db.areas(project_id, limit, next_token)
    return Page[Area](
        items=[Area(id=a.area_id, name=a.name, description=a.description) for a in items], next_token=token
    )


def update_area(caller: Caller, project_id: str, area_id: str, body: AreaUpdate) -> Area:
    """Rename an area or change its description: every drawing in it shows the change, and sync hears of it.

    The area is read with the caller's rights, and the revisions in it are queried meanwhile."""
    ref = records_db.area_ref(project_id, area_id)
    with meanwhile(lambda: db.revisions_using(project_id, area_id=area_id)) as queried:
        rights = read_rights(caller, [project_id], also=[ref])
        in_area = queried.result()
    rights.tool_level_at_least(project_id, DRAWINGS, Level.admin)
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
    with manifests_follow(project_id, in_area):
        if not records_db.update_area(area, name, description):
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
    if revision is None or _state_seen(revision, drawing) not in _visible_states(access):
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
        also=_named_refs(project_id, discipline_in, area_in, set_in),
        then=lambda found: _named_area_refs(project_id, area_in, found),
    )
    drawing, revisions, found = seen.drawing, seen.revisions, seen.found
    if drawing.connected:
        raise ConnectedDrawingReadOnly(
            "This drawing is connected: its fields come from the upstream project and cannot be changed here."
        )
    records = _records(project_id, discipline_in, area_in, set_in, found)
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
    with manifests_follow(project_id, affected):
        edits = {r.revision_id: (r, changed[r.revision_id]) for r in revisions}
        if not db.edit_drawing(drawing, drawing_changes, edits):
            raise NotFound(f"Drawing {drawing_id} was deleted meanwhile.")
    for item, changes in [(drawing, drawing_changes), *((r, changed[r.revision_id]) for r in revisions)]:
        for name, value in changes.items():
            setattr(item, name, value)
    return _drawing_view(project_id, drawing, revisions, found | records.found)


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
