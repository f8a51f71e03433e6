"""Drawings in a project (R19-R20, R22-R24, R28): uploads, revisions, publishing, the register, edits and
files (deletes are in drawing_deletes.py). Every change to a published revision is told to sync through its
manifest (manifests.py).

Drawing-level fields (number, title, obsolete, discipline, area) are kept on the drawing and copied onto each
of its revisions; revision-level fields (revision number, status, dates, set) belong to one revision. Areas,
disciplines and sets are records of their own, so a change to one (an area's description, a discipline's
position, a set's date) reaches every revision that uses it, and a manifest follows for each published one.
"""

from __future__ import annotations

from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.expressions.update import Action

from connectability import storage
from connectability.config import get_settings
from connectability.db import drawings as db
from connectability.db import outbox as outbox_db
from connectability.db import records as records_db
from connectability.db import uploads as uploads_db
from connectability.db.drawings import DrawingItem, RevisionItem, name_key
from connectability.db.projects import ProjectItem
from connectability.domain.drawing_views import day, drawing_views, revision_views
from connectability.domain.ids import new_id
from connectability.domain.manifests import manifests_follow
from connectability.domain.permissions import Caller, ProjectAccess, tool_level_at_least
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
    """A draft revision from a finished upload; a known drawing number makes it that drawing's next revision."""
    access = access_at(caller, project_id, Level.standard)
    upload = uploads_db.get_upload(project_id, body.upload_id)
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
    existing = db.drawing_by_number(project_id, body.number)
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
        storage.mark_upload_used(upload.bucket, upload.key, file_version)  # first: a used file never expires
        revision, duty = _new_revision(
            access, caller.user_id, body, upload, revision_id, existing, file_version, sha256
        )
    except BaseException:
        uploads_db.release_upload(upload)  # nothing was committed: the upload may make a revision again
        raise
    if duty is not None:
        request_file_check(duty)
    return revision_views(project_id, [revision])[0]


def _new_revision(
    access: ProjectAccess,
    by: str,
    body: RevisionCreate,
    upload: uploads_db.UploadItem,
    revision_id: str,
    existing: DrawingItem | None,
    file_version: str,
    sha256: str | None,
) -> tuple[RevisionItem, outbox_db.OutboxItem | None]:
    """Shared records (changed only by admins), the drawing, then the revision, written only if the drawing
    still stands."""
    project, admin = access.project, _is_admin(access)
    discipline_key = _discipline(project.project_id, body.discipline, may_change=admin)
    area_id = _area(project.project_id, body.area, may_change=admin)
    set_key = _set(project.project_id, body.drawing_set, may_change=admin)
    drawing = existing or _new_drawing(project, body, discipline_key, area_id)
    seq = db.next_seq(drawing)
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
    found = storage.head(upload.bucket, upload.key)
    if found is None:
        raise InvalidInput(
            "The file has not been uploaded yet: PUT it to the upload's URL first, then create the revision.",
            details=[{"field": "upload_id", "message": "no file uploaded"}],
        )
    if int(found["ContentLength"]) != upload.size:
        raise InvalidInput(
            f"The uploaded file has {found['ContentLength']} bytes, not the {upload.size} declared; upload again.",
            details=[{"field": "upload_id", "message": "size differs from the declared size"}],
        )
    version = str(found["VersionId"])
    head = storage.first_bytes(upload.bucket, upload.key, version)
    if not head.startswith(SIGNATURES[ContentType(upload.content_type)]):
        raise InvalidInput(
            f"The uploaded file is not a {upload.content_type} file; upload a file of the declared type.",
            details=[{"field": "upload_id", "message": f"content is not {upload.content_type}"}],
        )
    if upload.size > get_settings().inline_hash_max_bytes:
        return version, None
    return version, storage.sha256_of(upload.bucket, upload.key, version)


def _new_drawing(project: ProjectItem, body: RevisionCreate, discipline_key: str, area_id: str | None) -> DrawingItem:
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
    )
    if db.create_drawing(drawing):
        return drawing
    # Another request created this number first: the revision joins that drawing.
    existing = db.drawing_by_number(project.project_id, body.number)
    if existing is None:
        raise InvalidState(f"Drawing {body.number} changed meanwhile; try again.")
    return existing


# -- shared records -------------------------------------------------------------------------------------------
def _discipline(project_id: str, given: DisciplineIn, may_change: bool = True) -> str:
    """Find or make the discipline; only a Drawings admin's value changes an existing one (and reaches sync)."""
    key = name_key(given.name)
    current = records_db.get_discipline(project_id, key)
    if current is None:
        records_db.put_discipline(project_id, given.name, given.position)
    elif may_change and given.position is not None and given.position != current.position:
        with manifests_follow(project_id, db.revisions_where(project_id, RevisionItem.discipline_key == key)):
            records_db.put_discipline(project_id, current.name, given.position)
    return key


def _area(project_id: str, given: AreaIn | None, may_change: bool = True) -> str | None:
    if given is None:
        return None
    area = records_db.area_by_name(project_id, given.name)
    if area is None:
        return records_db.create_area(project_id, new_id("area"), given.name, given.description).area_id
    if may_change and given.description is not None and given.description != (area.description or ""):
        with manifests_follow(project_id, db.revisions_where(project_id, RevisionItem.area_id == area.area_id)):
            records_db.update_area_description(area, given.description)
    return area.area_id


def _set(project_id: str, given: DrawingSetIn | None, may_change: bool = True) -> str | None:
    if given is None:
        return None
    key = name_key(given.name)
    current = records_db.get_set(project_id, key)
    if current is None:
        records_db.put_set(project_id, given.name, given.date.isoformat())
    elif may_change and current.date != given.date.isoformat():
        with manifests_follow(project_id, db.revisions_where(project_id, RevisionItem.set_key == key)):
            records_db.put_set(project_id, current.name, given.date.isoformat())
    return key


# -- publishing -----------------------------------------------------------------------------------------------
def publish(caller: Caller, project_id: str, body: PublishRequest) -> Published:
    """Drafts become published (all checked before any changes); the newest becomes its drawing's current."""
    access_at(caller, project_id, Level.admin)
    ids = list(dict.fromkeys(body.revision_ids))
    found = db.get_revisions(project_id, ids)
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
    drawings = db.get_drawings(project_id, {r.drawing_id for r in found.values()})
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
    access = access_at(caller, project_id, Level.read_only)
    drawing, revisions = visible_drawing(access, drawing_id)
    current = {r.revision_id: r for r in revisions if r.revision_id == drawing.current_revision_id}
    view = drawing_views(project_id, [drawing], current)[0]
    view.revisions = revision_views(project_id, revisions)
    return view


def visible_drawing(access: ProjectAccess, drawing_id: str) -> tuple[DrawingItem, list[RevisionItem]]:
    drawing = db.get_drawing(access.project.project_id, drawing_id)
    states = _visible_states(access)
    revisions = [r for r in db.revisions_of(drawing_id) if r.state in states] if drawing else []
    if drawing is None or drawing.deleted or not revisions:
        raise NotFound(f"No drawing {drawing_id} is visible to you in this project.")
    return drawing, revisions


def list_areas(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[Area]:
    access_at(caller, project_id, Level.read_only)
    items, token = records_db.areas(project_id, limit, next_token)
    return Page[Area](
        items=[Area(id=a.area_id, name=a.name, description=a.description) for a in items], next_token=token
    )


def update_area(caller: Caller, project_id: str, area_id: str, body: AreaUpdate) -> Area:
    """Rename an area or change its description: every drawing in it shows the change, and sync hears of it."""
    access_at(caller, project_id, Level.admin)
    area = records_db.get_area(project_id, area_id)
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
    with manifests_follow(project_id, db.revisions_where(project_id, RevisionItem.area_id == area_id)):
        if not records_db.update_area(area, name, description):
            raise AlreadyExists(f"Another area of this project is called '{name}'; choose another name.")
    return Area(id=area_id, name=name, description=description)


def file_link(caller: Caller, project_id: str, revision_id: str) -> FileLink:
    """A presigned GET valid 15 minutes, for users allowed to see that revision."""
    access = access_at(caller, project_id, Level.read_only)
    revision = db.get_revision(project_id, revision_id)
    drawing = db.get_drawing(project_id, revision.drawing_id) if revision else None
    if revision is None or _state_seen(revision, drawing) not in _visible_states(access):
        raise NotFound(f"No revision {revision_id} is visible to you in this project.")
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif"}
    filename = f"{revision.number}-{revision.revision_number}.{extension.get(revision.content_type, 'bin')}"
    url = storage.presign_get(revision.bucket, revision.file_key, filename, revision.file_version)
    return FileLink(url=url, expires_at=utcnow() + timedelta(seconds=storage.URL_SECONDS))


# -- edits -----------------------------------------------------------------------------------------------------
def update_drawing(caller: Caller, project_id: str, drawing_id: str, body: DrawingUpdate) -> Drawing:
    """Edit a drawing (admins). A manifest follows for every published revision whose fields changed."""
    access = access_at(caller, project_id, Level.admin)
    drawing, revisions = visible_drawing(access, drawing_id)
    if drawing.connected:
        raise ConnectedDrawingReadOnly(
            "This drawing is connected: its fields come from the upstream project and cannot be changed here."
        )
    given = body.model_fields_set
    drawing_actions: list[Action] = []
    revision_actions: list[Action] = []
    if "title" in given and body.title is not None:
        drawing_actions.append(DrawingItem.title.set(body.title))
        revision_actions.append(RevisionItem.title.set(body.title))
    if "obsolete" in given and body.obsolete is not None:
        drawing_actions.append(DrawingItem.obsolete.set(body.obsolete))
    if "discipline" in given and body.discipline is not None:
        key = _discipline(project_id, body.discipline)
        drawing_actions.append(DrawingItem.discipline_key.set(key))
        revision_actions.append(RevisionItem.discipline_key.set(key))
    if "area" in given:
        area_id = _area(project_id, body.area)
        drawing_actions.append(DrawingItem.area_id.set(area_id) if area_id else DrawingItem.area_id.remove())
        revision_actions.append(RevisionItem.area_id.set(area_id) if area_id else RevisionItem.area_id.remove())
    target = next((r for r in revisions if r.revision_id == drawing.current_revision_id), revisions[-1])
    own = _revision_actions(project_id, body)
    affected = (revisions if drawing_actions else []) + ([target] if own else [])
    changes = {r.revision_id: (r, list(revision_actions)) for r in revisions}
    changes[target.revision_id][1].extend(own)
    with manifests_follow(project_id, affected):
        if not db.edit_drawing(drawing, drawing_actions, changes):
            raise NotFound(f"Drawing {drawing_id} was deleted meanwhile.")
    return get_drawing(caller, project_id, drawing_id)


def _revision_actions(project_id: str, body: DrawingUpdate) -> list[Action]:
    given, actions = body.model_fields_set, list[Action]()
    if "status" in given:
        actions.append(RevisionItem.status.set(body.status) if body.status else RevisionItem.status.remove())
    for field in ("drawing_date", "received_date"):
        if field in given:
            value = getattr(body, field)
            attribute = getattr(RevisionItem, field)
            actions.append(attribute.set(value.isoformat()) if value else attribute.remove())
    if "drawing_set" in given:
        key = _set(project_id, body.drawing_set)
        actions.append(RevisionItem.set_key.set(key) if key else RevisionItem.set_key.remove())
    return actions
