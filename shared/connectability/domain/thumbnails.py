"""Thumbnails of uploaded files: each file's first page drawn once, as soon as it lands in the company's bucket
(its S3 event reaches the file-check function), and given to the revision made of it.

The file may land before its revision exists, or after: what was drawn is kept on the upload, per version of
the file, so whichever comes second finds it. A revision made after takes it from the upload when it claims
the upload (domain.revisions); one made before is given it here. A published revision's manifest follows, so
connected copies receive it (R20's file, with its preview). A file that gives no thumbnail gets a reason.
"""

from __future__ import annotations

from typing import Any

from connectability import storage, thumbnails
from connectability.config import get_settings
from connectability.db import drawings as drawings_db
from connectability.db import uploads as uploads_db
from connectability.domain.manifests import manifests_follow
from connectability.models.manifests import StoredObject, ThumbnailState
from connectability.observability import logger, metrics

RETRIES_FOR_A_REVISION = 6  # deliveries that wait for the revision an upload was claimed for


class RevisionNotYet(Exception):
    """The upload is claimed by a revision not written yet: try again in a moment."""


def look_at(uploaded: StoredObject, deliveries: int = 1) -> ThumbnailState | None:
    """Draw the thumbnail of one uploaded file (once per version), keep it on its upload, and give it to the
    revision that holds that version. Answers its state; None for an object that is not an upload's file."""
    where = _upload_of(uploaded.key)
    if where is None or not uploaded.version_id:
        logger.info("not an upload's file; no thumbnail", extra={"key": uploaded.key})
        return None
    project_id, upload_id = where
    upload = uploads_db.get_upload(project_id, upload_id, consistent=True)
    if upload is None:
        logger.warning("a file with no upload; no thumbnail", extra={"key": uploaded.key})
        return None
    entry = uploads_db.thumbnail_of(upload, uploaded.version_id)
    if entry is None:
        entry = _draw(project_id, upload, uploaded)
        upload = uploads_db.record_thumbnail(project_id, upload_id, uploaded.version_id, entry) or upload
    if upload.revision_id:
        _give(project_id, upload, uploaded.version_id, entry, deliveries)
    return ThumbnailState(entry["state"])


def _upload_of(key: str) -> tuple[str, str] | None:
    """(project id, upload id) of an upload's key: uploads/<project>/<upload>."""
    parts = key.split("/")
    if len(parts) != 3 or f"{parts[0]}/" != storage.UPLOAD_PREFIX or not all(parts[1:]):
        return None
    return parts[1], parts[2]


def _draw(project_id: str, upload: uploads_db.UploadRow, uploaded: StoredObject) -> dict[str, Any]:
    """Draw the file's first page and store the PNG beside it (tagged as the upload is); or the reason not."""
    assert uploaded.version_id
    size = uploaded.size if uploaded.size is not None else int(upload.size)
    source = storage.open_object(
        upload.bucket, upload.key, uploaded.version_id, size, get_settings().inline_hash_max_bytes
    )
    with source:
        made = thumbnails.thumbnail(source, upload.content_type)
    if isinstance(made, thumbnails.Unavailable):
        metrics.add_metric(name="ThumbnailsUnavailable", unit="Count", value=1)
        logger.info("no thumbnail", extra={"key": upload.key, "reason": made.reason})
        return {"state": ThumbnailState.unavailable.value, "reason": made.reason}
    key = storage.thumbnail_key(project_id, upload.upload_id, uploaded.version_id)
    used = bool(upload.revision_id)
    version = storage.put_thumbnail(upload.bucket, key, made.png, used=used)
    metrics.add_metric(name="ThumbnailsMade", unit="Count", value=1)
    return {
        "state": ThumbnailState.ready.value,
        "key": key,
        "version": version,
        "width": made.width,
        "height": made.height,
        "used": used,
    }


def fields_of(entry: dict[str, Any] | None) -> dict[str, Any]:
    """A revision's thumbnail attributes from what the file check kept on its upload (pending: none yet)."""
    if entry is None:
        return {"thumbnail_state": ThumbnailState.pending.value}
    return {
        "thumbnail_state": entry["state"],
        "thumbnail_key": entry.get("key"),
        "thumbnail_version": entry.get("version"),
        "thumbnail_width": entry.get("width"),
        "thumbnail_height": entry.get("height"),
        "thumbnail_reason": entry.get("reason"),
    }


def keep_for_good(upload: uploads_db.UploadRow, entry: dict[str, Any] | None) -> None:
    """Its upload became a revision: a thumbnail stored as unused is kept from now on."""
    if entry and entry.get("key") and not entry.get("used"):
        storage.mark_thumbnail_used(upload.bucket, entry["key"], entry["version"])


def _give(
    project_id: str, upload: uploads_db.UploadRow, file_version: str, entry: dict[str, Any], deliveries: int
) -> None:
    """Give the revision that claimed the upload its thumbnail, once; a published one's manifest follows."""
    revision_id = str(upload.revision_id)
    keep_for_good(upload, entry)
    revision = drawings_db.get_revision(project_id, revision_id, consistent=True)
    if revision is None:
        if deliveries < RETRIES_FOR_A_REVISION:
            raise RevisionNotYet(f"revision {revision_id} is being written; its thumbnail waits for it")
        logger.warning("the upload's revision never came; its thumbnail stays on the upload", extra=_ids(upload))
        return
    if revision.file_version != file_version or revision.thumbnail_state not in (None, "pending"):
        return  # another version of the file, or it has its thumbnail already
    fields = fields_of(entry)
    if revision.published_at is None:
        drawings_db.record_thumbnail(project_id, revision_id, file_version, fields)
        return
    with manifests_follow(project_id, [revision]):
        drawings_db.record_thumbnail(project_id, revision_id, file_version, fields)


def _ids(upload: uploads_db.UploadRow) -> dict[str, str]:
    return {"upload_id": upload.upload_id, "revision_id": str(upload.revision_id)}
