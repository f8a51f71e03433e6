"""Uploads and new revisions: a presigned PUT for exactly the declared file, then a draft revision from it, the
file checked by its size and first bytes and hashed (one too large to hash within a request is hashed by the
file-check function before it can be published). A known drawing number makes the revision that drawing's next
one; a connected drawing takes none of the project's own (R24)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connectability import queues, storage
from connectability.config import get_settings
from connectability.db import drawings as db
from connectability.db import outbox as outbox_db
from connectability.db import uploads as uploads_db
from connectability.db.base import Ref, read_items
from connectability.db.rows import DrawingNumberRow, DrawingRow, ProjectRow, RevisionRow
from connectability.domain import audit, thumbnails
from connectability.domain.drawing_views import revision_views
from connectability.domain.drawings import access_at, is_admin
from connectability.domain.ids import new_id
from connectability.domain.permissions import DRAWINGS, Caller, ProjectAccess, read_rights
from connectability.domain.record_views import day
from connectability.domain.records import NamedRecords, find_or_make, named_area_refs, named_refs
from connectability.errors import AlreadyExists, ConnectedDrawingReadOnly, InvalidInput, InvalidState
from connectability.models.audit import AuditAction
from connectability.models.common import Level, name_key, utcnow
from connectability.models.drawings import ContentType, Revision, RevisionCreate, Upload, UploadRequest
from connectability.models.manifests import FileCheck, FileState, RevisionState
from connectability.observability import logger

# The first bytes of each accepted file type: a file must be what it says it is.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ContentType.pdf: (b"%PDF-",),
    ContentType.png: (b"\x89PNG\r\n\x1a\n",),
    ContentType.jpeg: (b"\xff\xd8\xff",),
    ContentType.tiff: (b"II*\x00", b"MM\x00*"),
}


def create_upload(caller: Caller, project_id: str, body: UploadRequest) -> Upload:
    """A presigned PUT into the company's bucket, valid 15 minutes, for exactly the declared type and size."""
    project = access_at(caller, project_id, Level.standard).project
    upload_id = new_id("upl")
    bucket, key = storage.bucket_name(project.company_id), f"{storage.UPLOAD_PREFIX}{project_id}/{upload_id}"
    now = utcnow()
    uploads_db.put_upload(
        uploads_db.UploadRow(
            project_id=project_id,
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
        also=[upload_ref, number_ref, *named_refs(project_id, body.discipline, body.area, body.drawing_set)],
        then=lambda found: [
            *_holder_refs(project_id, found.get(number_ref), body.revision_number),
            *named_area_refs(project_id, body.area, found),
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
    if existing is not None and (
        held := rights.found.get(db.revision_number_ref(project_id, existing.drawing_id, body.revision_number))
    ):
        raise _number_taken(existing, body.revision_number, held.revision_id)
    revision_id = new_id("rev")
    claimed = uploads_db.claim_upload(upload, revision_id)
    if claimed is None:
        raise InvalidInput(
            f"Upload {body.upload_id} was used by another revision meanwhile; upload the file again.",
            details=[{"field": "upload_id", "message": "already used"}],
        )
    upload = claimed
    drawn = uploads_db.thumbnail_of(upload, file_version)  # drawn already, if the file check was first
    try:
        records = find_or_make(
            project_id,
            body.discipline,
            body.area,
            body.drawing_set,
            rights.found,
            may_change=is_admin(access),
            # before the revision commits: a used file (and its thumbnail) never expires
            alongside=partial(_keep_for_good, upload, file_version, drawn),
        )
        revision, duty = _new_revision(
            access, caller, body, upload, revision_id, existing, file_version, sha256, records, drawn
        )
    except BaseException:
        uploads_db.release_upload(upload)  # nothing was committed: the upload may make a revision again
        raise
    if duty is not None:
        request_file_check(duty)
    return revision_views(project_id, [revision], records=records.found)[0]


def _keep_for_good(upload: uploads_db.UploadRow, file_version: str, drawn: dict[str, Any] | None) -> None:
    storage.mark_upload_used(upload.bucket, upload.key, file_version)
    thumbnails.keep_for_good(upload, drawn)


def _new_revision(
    access: ProjectAccess,
    caller: Caller,
    body: RevisionCreate,
    upload: uploads_db.UploadRow,
    revision_id: str,
    existing: DrawingRow | None,
    file_version: str,
    sha256: str | None,
    records: NamedRecords,
    drawn: dict[str, Any] | None,
) -> tuple[RevisionRow, outbox_db.Duty | None]:
    """The drawing (a new one holds its first revision's place already), then the revision, written only if the
    drawing still stands."""
    project = access.project
    discipline_key, area_id = name_key(body.discipline.name), records.area.area_id if records.area else None
    set_key = name_key(body.drawing_set.name) if body.drawing_set else None
    drawing, seq = (existing, None) if existing else _new_drawing(project, body, discipline_key, area_id)
    seq = seq or db.next_seq(drawing.project_id, drawing.drawing_id)
    if seq is None:
        raise InvalidState(f"Drawing {drawing.number} was deleted meanwhile; create the revision again.")
    revision = RevisionRow(
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
        **{k: v for k, v in thumbnails.fields_of(drawn).items() if v is not None},
        created_by=caller.user_id,
        created_at=utcnow(),
    )
    duty = None
    if sha256 is None:
        duty = outbox_db.file_check(project.project_id, revision.revision_id, new_id("chk"), utcnow())
    record = audit.entry(
        caller,
        access.caller_name,
        AuditAction.revision_create,
        "revision",
        [revision.revision_id],
        companies=[project.company_id],
        projects=[project.project_id],
        after={n: v for n in _RECORDED if (v := getattr(revision, n)) is not None} | {"upload_id": upload.upload_id},
    )
    written = db.put_revision(revision, duty, record)
    if written is db.NewRevision.number_taken:
        held = read_items([db.revision_number_ref(project.project_id, drawing.drawing_id, body.revision_number)])
        claim = held.get(db.revision_number_ref(project.project_id, drawing.drawing_id, body.revision_number))
        raise _number_taken(drawing, body.revision_number, claim.revision_id if claim else None)
    if written is not db.NewRevision.written:
        raise InvalidState(f"Drawing {drawing.number} was deleted meanwhile; create the revision again.")
    return revision, duty


# What a new revision's record shows of it: what its creator gave, its drawing, its state and its file's hash.
_RECORDED = (
    "drawing_id",
    "number",
    "title",
    "revision_number",
    "status",
    "drawing_date",
    "received_date",
    "discipline_key",
    "area_id",
    "set_key",
    "state",
    "content_type",
    "size",
    "sha256",
)


def _holder_refs(project_id: str, number: DrawingNumberRow | None, revision_number: str) -> list[Ref[Any]]:
    """The drawing that holds a number, and the claim on the revision number asked for in it."""
    if number is None:
        return []
    return [
        db.drawing_ref(project_id, number.drawing_id),
        db.revision_number_ref(project_id, number.drawing_id, revision_number),
    ]


def _number_taken(drawing: DrawingRow, revision_number: str, holder: str | None) -> AlreadyExists:
    """A drawing's revision numbers are unique: the one that holds this number is named, so it can be opened."""
    which = f" ({holder})" if holder else ""
    return AlreadyExists(
        f"Drawing {drawing.number} already has a revision {revision_number}{which}; "
        "give this one the next revision number.",
        details=[{"field": "revision_number", "message": f"revision {revision_number} exists{which}"}],
    )


def request_file_check(duty: outbox_db.Duty) -> bool:
    """Queue the hashing of a file too large to hash within a request; the outbox relay retries a failure."""
    try:
        queues.send_file_check(FileCheck(project_id=duty.project_id or "", revision_id=duty.revision_id or ""))
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


def _check_uploaded_file(upload: uploads_db.UploadRow) -> tuple[str, str | None]:
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
    project: ProjectRow, body: RevisionCreate, discipline_key: str, area_id: str | None
) -> tuple[DrawingRow, int | None]:
    """A new drawing for the number, holding its first revision's place (1); when another request created the
    number first, that drawing, whose next place is still to take (None)."""
    drawing = DrawingRow(
        drawing_id=new_id("drw"),
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
