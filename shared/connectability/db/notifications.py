"""The notification log: what was sent, for each project, and the local outbox (R39)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UTCDateTimeAttribute

from connectability.db.base import Gsi2, Item, as_row, page
from connectability.db.projects import project_key
from connectability.db.rows import NotificationRow


class NotificationItem(Item):
    """One event as it reached one project: its recipients, and the message each of them got."""

    gsi2 = Gsi2()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    notification_id = UnicodeAttribute()
    event = UnicodeAttribute()
    project_id = UnicodeAttribute()
    connection_id = UnicodeAttribute(null=True)
    recipients = ListAttribute[str](default=list)
    subject = UnicodeAttribute()
    text = UnicodeAttribute()
    html = UnicodeAttribute()
    sent_at = UTCDateTimeAttribute()


def _sent_day(day: str) -> str:
    """Sent messages are indexed per day, so no index partition grows without bound."""
    return f"SENT#{day}"


def put(
    item_id: str,
    event: str,
    project_id: str,
    connection_id: str | None,
    recipients: list[str],
    subject: str,
    text: str,
    html: str,
    sent_at: datetime,
) -> None:
    """Written once per (event, project); a repeat of the same event overwrites it with the same content."""
    stamp = sent_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    item = NotificationItem(
        project_key(project_id),
        f"NOTIFICATION#{item_id}",
        gsi2pk=_sent_day(stamp[:10]),
        gsi2sk=f"{stamp}#{item_id}",
        notification_id=item_id,
        event=event,
        project_id=project_id,
        connection_id=connection_id,
        recipients=recipients,
        subject=subject,
        text=text,
        html=html,
        sent_at=sent_at,
    )
    item.save()


def for_project(project_id: str, limit: int, next_token: str | None) -> tuple[list[NotificationRow], str | None]:
    items, token = page(
        NotificationItem,
        project_key(project_id),
        NotificationItem.sk.startswith("NOTIFICATION#"),
        limit=limit,
        next_token=next_token,
        scan_index_forward=False,
    )
    return [as_row(NotificationRow, i) for i in items], token


def sent_on(day: str) -> list[NotificationRow]:
    """Every notification sent on a UTC day (YYYY-MM-DD), oldest first."""
    return [as_row(NotificationRow, i) for i in NotificationItem.gsi2.query(_sent_day(day))]
