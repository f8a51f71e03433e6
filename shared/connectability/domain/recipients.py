"""Who is told of an event (R31-R38): by default the project's directory members with admin on the event's tool
(docs/api.md's table), or the eligible users a project's settings selected."""

from __future__ import annotations

from connectability.db import companies as companies_db
from connectability.db import projects as projects_db
from connectability.db import settings as settings_db
from connectability.domain.permissions import CM, DRAWINGS
from connectability.models.common import Level
from connectability.models.notifications import EventType
from connectability.models.recipients import RecipientMode

CM_EVENTS = frozenset(
    {
        EventType.connection_requested,
        EventType.connection_rejected,
        EventType.connection_created,
        EventType.connection_disabled,
    }
)


def tool_of(event: EventType) -> str:
    return CM if event in CM_EVENTS else DRAWINGS


def eligible_user_ids(project_id: str, tool: str) -> tuple[set[str], set[str]]:
    """(tool admins in the directory, company admins who may be added): R38's eligible users."""
    project = projects_db.get_project(project_id)
    if project is None:
        return set(), set()
    admins = {m.user_id for m in projects_db.directory_members(project_id) if getattr(m, tool) == Level.admin.value}
    company_admins: set[str] = set()
    if tool == CM:
        company_admins = {u.user_id for u in companies_db.company_admins(project.company_id)}
    return admins, company_admins


def recipients(project_id: str, event: EventType) -> list[companies_db.CompanyUserRow]:
    """Default: the project's directory members with admin on the event's tool; or the selected eligible users."""
    tool = tool_of(event)
    project = projects_db.get_project(project_id)
    if project is None:
        return []
    admins, company_admins = eligible_user_ids(project_id, tool)
    chosen = settings_db.get_settings_of(project_id, tool)
    ids = admins if chosen.mode != RecipientMode.selected.value else set(chosen.user_ids) & (admins | company_admins)
    users = companies_db.company_users(project.company_id, ids)
    return sorted(users, key=lambda u: u.email)
