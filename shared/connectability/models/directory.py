"""API models of the directory: companies, their users, projects and project directories (R01, R02)."""

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from connectability.models.common import Email, Flag, Input, Level, Name, Output


class ConnectionApproval(StrEnum):
    automatic = "automatic"
    manual = "manual"


class ProjectStatus(StrEnum):
    active = "active"
    inactive = "inactive"


class CompanyCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Apex Builders", "connection_approval": "manual", "connected_drawings_beta": False}]
        }
    )

    name: Name
    connection_approval: ConnectionApproval = ConnectionApproval.manual
    connected_drawings_beta: Flag = False


class CompanyUpdate(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"connection_approval": "automatic"}]})

    name: Name | None = None
    connection_approval: ConnectionApproval | None = None
    connected_drawings_beta: Flag | None = None


class Company(Output):
    id: str
    name: str
    connection_approval: ConnectionApproval
    connected_drawings_beta: bool
    created_at: datetime


class CompanyUserPut(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "sam@volt.example", "name": "Sam Project-Manager", "is_company_admin": False}]
        }
    )

    email: Email
    name: Name
    is_company_admin: Flag = False


class CompanyUser(Output):
    company_id: str
    user_id: str
    email: str
    name: str
    is_company_admin: bool


class Membership(Output):
    """One company the caller belongs to: where a client starts when it knows nobody's ids yet."""

    company_id: str
    company_name: str
    is_company_admin: bool


class ProjectCreate(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Harbor Tower"}]})

    name: Name


class ProjectUpdate(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "inactive"}]})

    name: Name | None = None
    status: ProjectStatus | None = None


class Project(Output):
    id: str
    company_id: str
    name: str
    status: ProjectStatus
    created_at: datetime


class Permissions(Input):
    connection_manager: Level = Level.none
    drawings: Level = Level.none


class DirectoryEntryPut(Input):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"permissions": {"connection_manager": "admin", "drawings": "read_only"}}]}
    )

    permissions: Permissions = Field(default_factory=Permissions)


class PermissionsOut(Output):
    connection_manager: Level
    drawings: Level


class DirectoryEntry(Output):
    project_id: str
    user_id: str
    permissions: PermissionsOut
    name: str | None = None
    email: str | None = None
