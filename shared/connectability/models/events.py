"""Events for integrators (R44): facts put on the stack's EventBridge bus and delivered to webhooks (R45).

Each type's JSON Schema is in docs/events/; a test validates every event the suite produces against it.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SOURCE = "connectability"  # the bus events' source; detail-type is the event's type


class EventKind(StrEnum):
    connection_requested = "connection.requested"
    connection_approved = "connection.approved"
    connection_rejected = "connection.rejected"
    connection_cancelled = "connection.cancelled"
    connection_disconnected = "connection.disconnected"
    initial_sync_completed = "initial_sync.completed"
    copies_landed = "copies.landed"
    drawings_deleted_upstream = "drawings.deleted_upstream"
    copies_published = "copies.published"
    copy_failed = "copy.failed"
    reconcile_repaired = "reconcile.repaired"
    webhook_test = "webhook.test"


class BusEvent(BaseModel):
    """One fact, version 1: `id` is the same every time the fact is told, so a consumer deduplicates on it."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    type: EventKind
    version: Literal[1] = 1
    occurred_at: datetime
    company_ids: list[str] = Field(min_length=1)
    project_ids: list[str]  # none for a webhook.test
    data: dict[str, Any]

    def body(self) -> str:
        """The JSON a webhook receives and the bus carries as its detail (times in ISO 8601, UTC)."""
        return self.model_dump_json()
