"""Uploads: a presigned PUT waiting to become one revision. Kept under its project's partition."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError

from connectability.db.base import Item, Ref, error_code, retry_conflicts
from connectability.db.projects import project_key


class UploadItem(Item):
    upload_id = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    bucket = UnicodeAttribute()
    key = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    revision_id = UnicodeAttribute(null=True)
    # The thumbnail of each version of the file put to the upload's URL, as the file check made it: state,
    # key and version of the PNG, its size, or the reason there is none (see domain.thumbnails).
    thumbnails = MapAttribute[str, Any](default=dict)


def upload_ref(project_id: str, upload_id: str) -> Ref[UploadItem]:
    return Ref(UploadItem, project_key(project_id), f"UPLOAD#{upload_id}")


def get_upload(project_id: str, upload_id: str, consistent: bool = False) -> UploadItem | None:
    try:
        return UploadItem.get(project_key(project_id), f"UPLOAD#{upload_id}", consistent_read=consistent)
    except DoesNotExist:
        return None


def put_upload(upload: UploadItem) -> None:
    upload.save(condition=UploadItem.pk.does_not_exist())


@retry_conflicts
def claim_upload(upload: UploadItem, revision_id: str) -> bool:
    """An upload makes one revision; False when another revision took it first. The upload is refreshed with
    what it holds now (a thumbnail made meanwhile)."""
    try:
        upload.update(
            actions=[UploadItem.revision_id.set(revision_id)], condition=UploadItem.revision_id.does_not_exist()
        )
    except UpdateError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release_upload(upload: UploadItem) -> None:
    upload.update(actions=[UploadItem.revision_id.remove()])


@retry_conflicts
def record_thumbnail(project_id: str, upload_id: str, file_version: str, entry: dict[str, Any]) -> UploadItem | None:
    """Keep what the file check made of one version of an upload's file; the upload as it is now (is it claimed
    by a revision yet?), or None when there is no such upload."""
    upload = UploadItem(project_key(project_id), f"UPLOAD#{upload_id}")
    try:
        upload.update(
            actions=[UploadItem.thumbnails[file_version].set(entry)],
            condition=UploadItem.pk.exists(),
        )
    except UpdateError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return None
        raise
    return upload


def thumbnails_of(upload: UploadItem) -> dict[str, dict[str, Any]]:
    """What the file check made of each version of the upload's file, by version."""
    return {version: _plain(entry) for version, entry in _plain(upload.thumbnails).items()}


def thumbnail_of(upload: UploadItem, file_version: str) -> dict[str, Any] | None:
    """What the file check made of this version of the upload's file, if it has looked at it yet."""
    entry = _plain(upload.thumbnails).get(file_version)
    return _plain(entry) if entry is not None else None


def _plain(value: Any) -> dict[str, Any]:
    """A map attribute as read (PynamoDB's raw MapAttribute), or as set (a dict), as a dict."""
    if isinstance(value, MapAttribute):
        return dict(value.as_dict())
    return dict(value or {})
