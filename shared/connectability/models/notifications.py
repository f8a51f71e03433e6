"""The notification event: what the domain puts on the notifications queue, and what the API shows of it."""

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from connectability.models.common import Output


class EventType(StrEnum):
    connection_requested = "connection_requested"  # R31
    connection_rejected = "connection_rejected"  # R32
    connection_created = "connection_created"  # R33
    initial_sync_complete = "initial_sync_complete"  # R34
    drawings_published = "drawings_published"  # R35
    drawings_deleted = "drawings_deleted"  # R36
    connection_disabled = "connection_disabled"  # R37


class Side(StrEnum):
    upstream = "upstream"
    downstream = "downstream"


class NotificationEvent(BaseModel):
    """Version 1 of the message on the notifications queue. Recipients are resolved when it is sent."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    schema_version: Literal[1] = 1
    event_id: str
    event: EventType
    connection_id: str | None = None
    sides: list[Side]
    upstream_project_id: str
    downstream_project_id: str
    upstream_company_id: str | None = None  # whom the fact concerns on the bus (R44); older events lack them
    downstream_company_id: str | None = None
    actor_name: str | None = None
    reason: str | None = None
    count: int | None = None
    occurred_at: datetime


class Notification(Output):
    id: str
    event: EventType
    project_id: str
    connection_id: str | None
    recipients: list[str]
    subject: str
    sent_at: datetime


class OutboxMessage(Output):
    to: list[str]
    subject: str
    text: str
    html: str
    event: EventType
    project_id: str
    connection_id: str | None
    sent_at: datetime
