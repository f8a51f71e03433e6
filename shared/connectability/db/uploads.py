"""Uploads: a presigned PUT waiting to become one revision. Kept under its project's partition."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from connectability.db.base import Item, Ref, retry_conflicts, written
from connectability.db.projects import project_key
from connectability.db.rows import UploadRow


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


def _row(item: UploadItem) -> UploadRow:
    return UploadRow(
        project_id=item.pk.removeprefix(project_key("")),
        upload_id=item.upload_id,
        filename=item.filename,
        content_type=item.content_type,
        size=int(item.size),
        bucket=item.bucket,
        key=item.key,
        created_by=item.created_by,
        created_at=item.created_at,
        revision_id=item.revision_id,
        thumbnails={version: _plain(entry) for version, entry in _plain(item.thumbnails).items()},
    )


def _item(project_id: str, upload_id: str) -> UploadItem:
    return UploadItem(project_key(project_id), f"UPLOAD#{upload_id}")


def upload_ref(project_id: str, upload_id: str) -> Ref[UploadRow]:
    return Ref(UploadItem, _row, project_key(project_id), f"UPLOAD#{upload_id}")


def get_upload(project_id: str, upload_id: str, consistent: bool = False) -> UploadRow | None:
    try:
        return _row(UploadItem.get(project_key(project_id), f"UPLOAD#{upload_id}", consistent_read=consistent))
    except DoesNotExist:
        return None


def put_upload(upload: UploadRow) -> None:
    item = _item(upload.project_id, upload.upload_id)
    for name in ("upload_id", "filename", "content_type", "size", "bucket", "key", "created_by", "created_at"):
        setattr(item, name, getattr(upload, name))
    item.save(condition=UploadItem.pk.does_not_exist())


@retry_conflicts
def claim_upload(upload: UploadRow, revision_id: str) -> UploadRow | None:
    """An upload makes one revision; None when another revision took it first, else the upload as it is now (with
    a thumbnail made meanwhile)."""
    item = _item(upload.project_id, upload.upload_id)
    update: list[Action] = [UploadItem.revision_id.set(revision_id)]
    if not written(lambda: item.update(actions=update, condition=UploadItem.revision_id.does_not_exist())):
        return None
    return _row(item)


def release_upload(upload: UploadRow) -> None:
    _item(upload.project_id, upload.upload_id).update(actions=[UploadItem.revision_id.remove()])


@retry_conflicts
def record_thumbnail(project_id: str, upload_id: str, file_version: str, entry: dict[str, Any]) -> UploadRow | None:
    """Keep what the file check made of one version of an upload's file; the upload as it is now (is it claimed
    by a revision yet?), or None when there is no such upload."""
    item = _item(project_id, upload_id)
    update: list[Action] = [UploadItem.thumbnails[file_version].set(entry)]
    if not written(lambda: item.update(actions=update, condition=UploadItem.pk.exists())):
        return None
    return _row(item)


def thumbnails_of(upload: UploadRow) -> dict[str, dict[str, Any]]:
    """What the file check made of each version of the upload's file, by version."""
    return dict(upload.thumbnails)


def thumbnail_of(upload: UploadRow, file_version: str) -> dict[str, Any] | None:
    """What the file check made of this version of the upload's file, if it has looked at it yet."""
    entry = upload.thumbnails.get(file_version)
    return dict(entry) if entry is not None else None


def _plain(value: Any) -> dict[str, Any]:
    """A map attribute as read (PynamoDB's raw MapAttribute), or as set (a dict), as a dict."""
    if isinstance(value, MapAttribute):
        return dict(value.as_dict())
    return dict(value or {})
