"""Companies, their users, projects and project directories (R01, R02), with their permission checks."""

from __future__ import annotations

from connectability import storage
from connectability.db import companies as companies_db
from connectability.db import projects as projects_db
from connectability.db.rows import DirectoryEntryRow
from connectability.domain.ids import new_id
from connectability.domain.permissions import (
    Caller,
    company_admin_for,
    company_for,
    directory_member_of,
    project_admin_of,
)
from connectability.errors import InvalidInput, NotFound, NotPermitted
from connectability.models.common import Page, utcnow
from connectability.models.directory import (
    Company,
    CompanyCreate,
    CompanyUpdate,
    CompanyUser,
    CompanyUserPut,
    DirectoryEntry,
    DirectoryEntryPut,
    Membership,
    PermissionsOut,
    Project,
    ProjectCreate,
    ProjectUpdate,
)


def create_company(caller: Caller, body: CompanyCreate) -> Company:
    if not caller.is_platform_admin:
        raise NotPermitted("Only a platform admin can create companies.")
    company_id = new_id("cmp")
    # The bucket first: a company is never recorded without the bucket its drawings need.
    storage.create_company_bucket(company_id)
    item = companies_db.put_company(
        company_id, body.name, body.connection_approval.value, body.connected_drawings_beta, utcnow()
    )
    return Company.model_validate(item)


def get_company(caller: Caller, company_id: str) -> Company:
    company, _ = company_for(caller, company_id)
    return Company.model_validate(company)


def my_companies(caller: Caller, limit: int = 50, next_token: str | None = None) -> Page[Membership]:
    """The caller's own companies, a page at a time, each page by name (a user belongs to a handful)."""
    memberships, token = companies_db.memberships_page(caller.user_id, limit, next_token)
    found = companies_db.get_companies(m.company_id for m in memberships)
    items = [
        Membership(company_id=m.company_id, company_name=found[m.company_id].name, is_company_admin=m.is_company_admin)
        for m in memberships
        if m.company_id in found
    ]
    return Page[Membership](items=sorted(items, key=lambda m: (m.company_name, m.company_id)), next_token=token)


def update_company(caller: Caller, company_id: str, body: CompanyUpdate) -> Company:
    company = company_admin_for(caller, company_id)
    changes = body.model_dump(exclude_none=True, mode="json")
    return Company.model_validate(companies_db.update_company(company_id, changes) if changes else company)


def put_company_user(caller: Caller, company_id: str, user_id: str, body: CompanyUserPut) -> tuple[CompanyUser, bool]:
    """Add or update a company user; platform admins may do it too, to give a new company its first admin."""
    company_admin_for(caller, company_id, allow_platform_admin=True)
    _check_user_id(user_id)
    item, created = companies_db.put_company_user(company_id, user_id, body.email, body.name, body.is_company_admin)
    return CompanyUser.model_validate(item), created


def remove_company_user(caller: Caller, company_id: str, user_id: str) -> None:
    """Removes the user from the company and from every directory of its projects; connections stay (R18)."""
    company_admin_for(caller, company_id)
    if companies_db.get_company_user(company_id, user_id) is None:
        raise NotFound(f"User {user_id} is not a user of company {company_id}.")
    projects_db.delete_entries(projects_db.entries_of_user(user_id, company_id))
    companies_db.delete_company_user(company_id, user_id)


def create_project(caller: Caller, company_id: str, body: ProjectCreate) -> Project:
    company_admin_for(caller, company_id)
    item = projects_db.put_project(new_id("prj"), company_id, body.name, utcnow())
    return Project.model_validate(item)


def list_projects(caller: Caller, company_id: str, limit: int, next_token: str | None) -> Page[Project]:
    """Company admins see every project of the company; other users the ones whose directory holds them."""
    _, membership = company_for(caller, company_id)
    if (membership is not None and membership.is_company_admin) or caller.is_platform_admin:
        items, token = projects_db.company_projects(company_id, limit, next_token)
    else:
        items, token = projects_db.member_projects(caller.user_id, company_id, limit, next_token)
    return Page[Project](items=[Project.model_validate(i) for i in items], next_token=token)


def get_project(caller: Caller, project_id: str) -> Project:
    return Project.model_validate(directory_member_of(caller, project_id).project)


def update_project(caller: Caller, project_id: str, body: ProjectUpdate) -> Project:
    project = project_admin_of(caller, project_id).project
    changes = body.model_dump(exclude_none=True, mode="json")
    return Project.model_validate(projects_db.update_project(project_id, changes) if changes else project)


def put_directory_entry(caller: Caller, project_id: str, user_id: str, body: DirectoryEntryPut) -> DirectoryEntry:
    project = project_admin_of(caller, project_id).project
    user = companies_db.get_company_user(project.company_id, user_id)
    if user is None:
        raise InvalidInput(
            f"User {user_id} is not a user of this project's company; add them to the company first.",
            details=[{"field": "user_id", "message": "not a user of the project's company"}],
        )
    perms = body.permissions
    entry = projects_db.put_entry(project, user_id, perms.connection_manager.value, perms.drawings.value)
    return _entry_out(entry, user.name, user.email)


def remove_directory_entry(caller: Caller, project_id: str, user_id: str) -> None:
    """Removing a member changes nothing about connections they requested (R18)."""
    project_admin_of(caller, project_id)
    if projects_db.get_entry(project_id, user_id) is None:
        raise NotFound(f"User {user_id} is not in the directory of project {project_id}.")
    projects_db.delete_entry(project_id, user_id)


def list_directory(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[DirectoryEntry]:
    project = directory_member_of(caller, project_id).project
    entries, token = projects_db.directory(project_id, limit, next_token)
    users = {u.user_id: u for u in companies_db.company_users(project.company_id, [e.user_id for e in entries])}
    items = [
        _entry_out(e, getattr(users.get(e.user_id), "name", None), getattr(users.get(e.user_id), "email", None))
        for e in entries
    ]
    return Page[DirectoryEntry](items=items, next_token=token)


def get_directory_entry(caller: Caller, project_id: str, user_id: str) -> DirectoryEntry:
    """One user's entry (a client reads the caller's own to know what to offer): for directory members and the
    company's admins; 404 when the user is not in the directory."""
    access = directory_member_of(caller, project_id)
    entry = access.entry if user_id == caller.user_id else projects_db.get_entry(project_id, user_id)
    if entry is None:
        raise NotFound(f"{user_id} is not in the directory of project {project_id}.")
    users = companies_db.company_users(access.project.company_id, [user_id])
    return _entry_out(entry, users[0].name if users else None, users[0].email if users else None)


def _entry_out(entry: DirectoryEntryRow, name: str | None, email: str | None) -> DirectoryEntry:
    return DirectoryEntry(
        project_id=entry.project_id,
        user_id=entry.user_id,
        permissions=PermissionsOut(connection_manager=entry.connection_manager, drawings=entry.drawings),  # type: ignore[arg-type]
        name=name,
        email=email,
    )


def _check_user_id(user_id: str) -> None:
    if not user_id or len(user_id) > 128 or any(c in user_id for c in "#/ \t\n"):
        raise InvalidInput(
            "user_id must be 1 to 128 characters without '#', '/' or spaces.",
            details=[{"field": "user_id", "message": "invalid user id"}],
        )
