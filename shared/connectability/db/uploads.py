"""Uploads: a presigned PUT waiting to become one revision. Kept under its project's partition."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
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


def upload_ref(project_id: str, upload_id: str) -> Ref[UploadItem]:
    return Ref(UploadItem, project_key(project_id), f"UPLOAD#{upload_id}")


def get_upload(project_id: str, upload_id: str) -> UploadItem | None:
    try:
        return UploadItem.get(project_key(project_id), f"UPLOAD#{upload_id}")
    except DoesNotExist:
        return None


def put_upload(upload: UploadItem) -> None:
    upload.save(condition=UploadItem.pk.does_not_exist())


@retry_conflicts
def claim_upload(upload: UploadItem, revision_id: str) -> bool:
    """An upload makes one revision; False when another revision took it first."""
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
