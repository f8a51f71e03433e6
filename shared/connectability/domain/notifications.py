"""The notifications sent (R39): per project, each event's recipients and the message they got, written once per
(event, project) by the notify function; read by the project's admins, and as the local outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectability.db import notifications as notifications_db
from connectability.domain.permissions import CM, DRAWINGS, Caller, project_for
from connectability.errors import NotFound, NotPermitted
from connectability.models.common import Level, Page, utcnow
from connectability.models.notifications import EventType, Notification, NotificationEvent, OutboxMessage, Side


def record_sent(
    event: NotificationEvent, side: Side, project_id: str, to: list[str], subject: str, text: str, html: str
) -> None:
    """Log what one side of an event was sent; a repeat of the event writes the same entry again."""
    notifications_db.put(
        f"{event.event_id}-{side.value}",
        event.event.value,
        project_id,
        event.connection_id,
        to,
        subject,
        text,
        html,
        utcnow(),
    )


def list_for_project(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[Notification]:
    """Notifications sent for a project, newest first: for its CM or Drawings admins."""
    access = project_for(caller, project_id)
    if access.entry is None:
        raise NotFound(f"No project {project_id} is visible to you: you are not in its directory.")
    if Level.admin not in (access.level(CM), access.level(DRAWINGS)):
        raise NotPermitted("Only Connection Manager or Drawings admins of this project can see its notifications.")
    items, token = notifications_db.for_project(project_id, limit, next_token)
    return Page[Notification](
        items=[
            Notification(
                id=i.notification_id,
                event=EventType(i.event),
                project_id=i.project_id,
                connection_id=i.connection_id,
                recipients=list(i.recipients),
                subject=i.subject,
                sent_at=i.sent_at,
            )
            for i in items
        ],
        next_token=token,
    )


def outbox(days: int = 2) -> list[OutboxMessage]:
    """Every message sent in the last `days` UTC days, one per recipient, oldest first (the local outbox)."""
    today = datetime.now(UTC).date()
    items = [
        i for d in range(days - 1, -1, -1) for i in notifications_db.sent_on((today - timedelta(days=d)).isoformat())
    ]
    return [
        OutboxMessage(
            to=[email],
            subject=i.subject,
            text=i.text,
            html=i.html,
            event=EventType(i.event),
            project_id=i.project_id,
            connection_id=i.connection_id,
            sent_at=i.sent_at,
        )
        for i in items
        for email in i.recipients
    ]
