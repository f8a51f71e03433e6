"""Who may do what: platform admins, company users and admins, project directory members and their tool levels."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectability.db import companies as companies_db
from connectability.db import projects as projects_db
from connectability.db.companies import CompanyItem, CompanyUserItem
from connectability.db.projects import DirectoryEntryItem, ProjectItem
from connectability.errors import NotFound, NotPermitted
from connectability.models.common import Level


@dataclass(frozen=True)
class Caller:
    """The authenticated user, as the authorizer asserted it; nothing in a request body can change it."""

    user_id: str
    groups: frozenset[str] = field(default_factory=frozenset)
    is_platform_admin: bool = False


def company_for(caller: Caller, company_id: str) -> tuple[CompanyItem, CompanyUserItem | None]:
    """The company, if the caller may see it: its users and platform admins; 404 for anyone else."""
    company = companies_db.get_company(company_id)
    membership = companies_db.get_company_user(company_id, caller.user_id) if company else None
    if company is None or (membership is None and not caller.is_platform_admin):
        raise NotFound(f"No company {company_id} is visible to you.")
    return company, membership


def company_admin_for(caller: Caller, company_id: str, *, allow_platform_admin: bool = False) -> CompanyItem:
    company, membership = company_for(caller, company_id)
    if membership is not None and membership.is_company_admin:
        return company
    if allow_platform_admin and caller.is_platform_admin:
        return company
    raise NotPermitted("Only a company admin of this company can do this; ask one of them.")


@dataclass(frozen=True)
class ProjectAccess:
    project: ProjectItem
    entry: DirectoryEntryItem | None
    is_company_admin: bool

    def level(self, tool: str) -> Level:
        return Level(getattr(self.entry, tool)) if self.entry else Level.none


def project_for(caller: Caller, project_id: str) -> ProjectAccess:
    """A project the caller may see: its company's users only, otherwise 404 (never reveal other companies)."""
    project = projects_db.get_project(project_id)
    membership = companies_db.get_company_user(project.company_id, caller.user_id) if project else None
    if project is None or membership is None:
        raise NotFound(f"No project {project_id} is visible to you.")
    entry = projects_db.get_entry(project_id, caller.user_id)
    return ProjectAccess(project, entry, membership.is_company_admin)


def directory_member_of(caller: Caller, project_id: str) -> ProjectAccess:
    """Directory members only; company admins see their projects too (they manage the directory)."""
    access = project_for(caller, project_id)
    if access.entry is None and not access.is_company_admin:
        raise NotFound(f"No project {project_id} is visible to you: you are not in its directory.")
    return access


def project_admin_of(caller: Caller, project_id: str) -> ProjectAccess:
    access = project_for(caller, project_id)
    if not access.is_company_admin:
        raise NotPermitted("Only a company admin of the project's company can do this; ask one of them.")
    return access


def tool_level_at_least(
    caller: Caller, project_id: str, tool: str, level: Level, rule: str | None = None
) -> ProjectAccess:
    """Directory members with at least `level` on `tool`; members below it get 403, others 404."""
    access = project_for(caller, project_id)
    if access.entry is None:
        raise NotFound(f"No project {project_id} is visible to you: you are not in its directory.")
    if not access.level(tool).at_least(level):
        label = "Connection Manager" if tool == "connection_manager" else "Drawings"
        raise NotPermitted(
            f"This needs {label} '{level.value}' permission on project {project_id}; ask a company admin.",
            rule=rule,
        )
    return access
