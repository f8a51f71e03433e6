"""API models of the Connection Manager (the Connection Manager API)."""


from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from connectability.models.common import Input, Output, Reason


class ConnectionStatus(StrEnum):
    pending = "pending"
    active = "active"
    rejected = "rejected"
    cancelled = "cancelled"
    disconnected = "disconnected"


class ConnectionRequest(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"upstream_project_id": "prj_01a23fc39f193e8e8240cc"}]})

    upstream_project_id: str = Field(min_length=1, max_length=64)


class NoBody(Input):
    """For actions that take no fields: an empty object or no body; anything else is refused (422)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class RejectBody(Input):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "We are not using connected drawings on this project."}]}
    )

    reason: Reason | None = None


class DisconnectBody(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Electrical scope finished."}]})

    reason: Reason


class ProjectRef(Output):
    project_id: str
    project_name: str
    company_id: str
    company_name: str


class InitialSync(Output):
    status: str = Field(
        default="not_started",
        description="not_started, running, complete; or stopped: disconnected while running (an addition).",
    )
    total: int = 0
    copied: int = 0


class Connection(Output):
    id: str
    status: ConnectionStatus
    upstream: ProjectRef
    downstream: ProjectRef
    requested_by: str
    requested_by_name: str | None = Field(default=None, description="The requester's name, as their company knew it.")
    requested_at: datetime
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    disconnected_by: str | None = None
    disconnected_by_name: str | None = None
    disconnected_at: datetime | None = None
    disconnect_reason: str | None = None
    initial_sync: InitialSync = Field(default_factory=InitialSync)


class RecipientMode(StrEnum):
    default = "default"
    selected = "selected"


class NotificationRecipients(Input):
    mode: RecipientMode = RecipientMode.default
    user_ids: list[str] = Field(default_factory=list, max_length=200)


class SettingsBody(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"notification_recipients": {"mode": "selected", "user_ids": ["gc-pm", "gc-admin"]}}]
        }
    )

    notification_recipients: NotificationRecipients


class EligibleRecipient(Output):
    """Someone who may be chosen as a recipient (R38), and why: `connection_manager_admin` or `drawings_admin` of
    the project, `company_admin` of its company."""

    user_id: str
    name: str
    email: str
    roles: list[str]


class Settings(Output):
    notification_recipients: NotificationRecipients
    eligible: list[EligibleRecipient] = Field(
        default_factory=list, description="The people a 'selected' list may name (R38), by name."
    )
