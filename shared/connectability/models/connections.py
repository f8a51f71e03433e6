"""API models of the Connection Manager (the Connection Manager API)."""

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from connectability.models.common import Input, Output, ProjectRef, Reason
from connectability.models.sync_status import InitialSync


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
