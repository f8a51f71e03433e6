"""The audit trail (R46) as the API shows it: what was changed, by whom, when, and through which request."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import Field

from connectability.models.common import Output


class AuditAction(StrEnum):
    """Every kind of change a user makes, each recorded in the transaction that makes it."""

    company_create = "company.create"
    company_update = "company.update"
    company_user_put = "company_user.put"
    company_user_remove = "company_user.remove"
    project_create = "project.create"
    project_update = "project.update"
    directory_entry_put = "directory_entry.put"
    directory_entry_remove = "directory_entry.remove"
    notification_recipients_put = "notification_recipients.put"
    connection_request = "connection.request"
    connection_approve = "connection.approve"
    connection_reject = "connection.reject"
    connection_cancel = "connection.cancel"
    connection_disconnect = "connection.disconnect"
    connection_reconcile = "connection.reconcile"
    revision_create = "revision.create"
    revision_publish = "revision.publish"
    copy_publish = "copy.publish"
    drawing_update = "drawing.update"
    drawing_delete = "drawing.delete"
    area_update = "area.update"
    markup_create = "markup.create"
    webhook_create = "webhook.create"
    webhook_update = "webhook.update"
    webhook_rotate_secret = "webhook.rotate_secret"
    webhook_delete = "webhook.delete"


class AuditRecord(Output):
    """One change: `before` and `after` hold only the fields it changed (a creation has no `before`)."""

    id: str
    at: datetime
    user_id: str
    user_name: str | None = Field(None, description="The user's name as their company knew it then.")
    action: AuditAction
    target_type: str = Field(description="What was changed: company, project, connection, drawing, revision...")
    target_ids: list[str] = Field(description="Its id; a publish names every revision of its transaction.")
    company_ids: list[str]
    project_ids: list[str]
    before: dict[str, Any]
    after: dict[str, Any]
    request_id: str | None = Field(None, description="API Gateway's id of the request that made the change.")


class TrailQuery(Output):
    """What a trail is read for: entries by one user, of one action, between two moments (both included)."""

    user_id: str | None = None
    action: AuditAction | None = None
    since: datetime | None = None
    until: datetime | None = None

    def in_utc(self) -> Self:
        """Both moments in UTC; one given without its offset is read as UTC, one beyond the calendar's ends (the
        first day at an offset east of UTC, say) as that end."""

        def utc(at: datetime | None) -> datetime | None:
            if at is None or at.tzinfo is None:
                return at.replace(tzinfo=UTC) if at is not None else None
            try:
                return at.astimezone(UTC)
            except OverflowError:
                return (datetime.min if at.year == datetime.min.year else datetime.max).replace(tzinfo=UTC)

        return self.model_copy(update={"since": utc(self.since), "until": utc(self.until)})
