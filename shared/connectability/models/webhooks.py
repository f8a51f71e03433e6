"""API models of webhooks (R45): a company's endpoints for events, and their delivery logs."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from connectability.models.common import Flag, Input, NoControls, Output
from connectability.models.events import BusEvent, EventKind

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2048), NoControls]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoControls]


def _subscribable(kinds: list[EventKind]) -> list[EventKind]:
    if EventKind.webhook_test in kinds:
        raise ValueError("webhook.test is sent by POST .../test only; choose among the bus's event types")
    return list(dict.fromkeys(kinds))


EventTypes = Annotated[list[EventKind], Field(min_length=1, max_length=20), AfterValidator(_subscribable)]
_EXAMPLE: JsonDict = {
    "url": "https://erp.example.com/connectability/events",
    "event_types": ["copies.landed", "initial_sync.completed"],
    "description": "ERP: new sheets to review",
}


class WebhookCreate(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    url: Url
    event_types: EventTypes
    description: Description | None = None


class WebhookUpdate(Input):
    """Change any of these; `enabled: true` turns an endpoint disabled after failures back on."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"event_types": ["copies.landed"], "enabled": True}]})

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    enabled: Flag | None = None


class Webhook(Output):
    id: str
    company_id: str
    url: str
    event_types: list[EventKind]
    description: str | None = None
    enabled: bool
    disabled_reason: str | None = None
    previous_secret_valid_until: datetime | None = Field(
        default=None, description="After a rotation, deliveries are signed with both secrets until then."
    )
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(Webhook):
    secret: str = Field(description="Shown once, now: verify each delivery's Connectability-Signature with it.")


class WebhookDelivery(Output):
    id: str
    event_id: str
    event_type: str
    attempt: int
    status: Literal["delivered", "retrying", "failed", "skipped"]
    response_code: int | None = None
    error: str | None = None
    at: datetime
    duration_ms: int


class DeliveryJob(Output):
    """A message of the deliveries queue: one event for one endpoint (retried alone)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    webhook_id: str
    company_id: str
    event: BusEvent
