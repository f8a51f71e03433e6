"""Companies, their users, projects and project directories (R01, R02), with their permission checks."""

from __future__ import annotations

from typing import Any

from connectability import storage
from connectability.db import companies as companies_db
from connectability.db import projects as projects_db
from connectability.db.base import Found, Ref, read_items
from connectability.db.rows import AuditEntry, CompanyRow, CompanyUserRow, DirectoryEntryRow, ProjectRow
from connectability.domain import audit
from connectability.domain.ids import new_id
from connectability.domain.permissions import (
    Caller,
    company_access,
    company_for,
    directory_member_of,
    project_admin_of,
    read_rights,
)
from connectability.errors import InvalidInput, NotFound, NotPermitted
from connectability.models.audit import AuditAction
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
    company = CompanyRow(
        company_id=company_id,
        name=body.name,
        connection_approval=body.connection_approval.value,
        connected_drawings_beta=body.connected_drawings_beta,
        created_at=utcnow(),
    )
    after = audit.fields_of(company)
    record = audit.entry(
        caller, None, AuditAction.company_create, "company", [company_id], companies=[company_id], after=after
    )
    companies_db.put_company(company, record)
    return Company.model_validate(company)


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
    asked = body.model_dump(exclude_none=True, mode="json")

    def attempt(strongly: bool) -> CompanyRow | None:
        access = company_access(caller, company_id, admin=True, consistent=strongly)
        before, after = audit.changed(access.company, asked)
        if not after:
            return access.company  # nothing changes, so nothing is written or recorded
        record = audit.entry(
            caller,
            access.caller_name,
            AuditAction.company_update,
            "company",
            [company_id],
            companies=[company_id],
            before=before,
            after=after,
        )
        return companies_db.update_company(access.company, {n: asked[n] for n in after}, record)

    return Company.model_validate(audit.until_written(attempt, f"Company {company_id}"))


def put_company_user(caller: Caller, company_id: str, user_id: str, body: CompanyUserPut) -> tuple[CompanyUser, bool]:
    """Add or update a company user; platform admins may do it too, to give a new company its first admin. The
    user as it was is read with the caller's rights, and replaced only as read."""
    wanted = CompanyUserRow(
        company_id=company_id, user_id=user_id, email=body.email, name=body.name, is_company_admin=body.is_company_admin
    )
    ref = companies_db.company_user_ref(company_id, user_id)

    def attempt(strongly: bool) -> tuple[CompanyUserRow, bool] | None:
        access = company_access(
            caller, company_id, admin=True, allow_platform_admin=True, also=[ref], consistent=strongly
        )
        _check_user_id(user_id)
        old = access.found.get(ref)
        if old == wanted:
            return wanted, False
        before, after = audit.changed(old, {n: getattr(wanted, n) for n in _USER_FIELDS})
        record = audit.entry(
            caller,
            access.caller_name,
            AuditAction.company_user_put,
            "company_user",
            [user_id],
            companies=[company_id],
            before=before,
            after=after,
        )
        return (wanted, old is None) if companies_db.put_company_user(wanted, old, record) else None

    user, created = audit.until_written(attempt, f"User {user_id}")
    return CompanyUser.model_validate(user), created


_USER_FIELDS = ("email", "name", "is_company_admin")


def remove_company_user(caller: Caller, company_id: str, user_id: str) -> None:
    """Removes the user from the company and from every directory of its projects; connections stay (R18). Each
    removal is recorded: every directory entry in its project's trail, the user in the company's."""
    ref = companies_db.company_user_ref(company_id, user_id)

    def attempt(strongly: bool) -> bool | None:
        access = company_access(caller, company_id, admin=True, also=[ref], consistent=strongly)
        user = access.found.get(ref)
        if user is None:
            raise NotFound(f"User {user_id} is not a user of company {company_id}.")
        entries = projects_db.entries_of_user(user_id, company_id)
        if strongly:  # the index may still list entries removed a moment ago: read each as it is
            refs = [projects_db.entry_ref(e.project_id, user_id) for e in entries]
            found = read_items(refs, consistent=True)
            entries = [e for e in (found.get(r) for r in refs) if e is not None]
        name = access.caller_name
        removed = [(e, _entry_removed(caller, name, e)) for e in entries]  # first, as they are removed
        record = audit.entry(
            caller,
            name,
            AuditAction.company_user_remove,
            "company_user",
            [user_id],
            companies=[company_id],
            before={n: getattr(user, n) for n in _USER_FIELDS},
        )
        return True if projects_db.remove_company_user(user, removed, record) else None

    audit.until_written(attempt, f"User {user_id}")


def _entry_removed(caller: Caller, name: str | None, entry: DirectoryEntryRow) -> AuditEntry:
    return audit.entry(
        caller,
        name,
        AuditAction.directory_entry_remove,
        "directory_entry",
        [entry.user_id],
        companies=[entry.company_id],
        projects=[entry.project_id],
        before=entry.permissions,
    )


def create_project(caller: Caller, company_id: str, body: ProjectCreate) -> Project:
    access = company_access(caller, company_id, admin=True)
    project = ProjectRow(
        project_id=(project_id := new_id("prj")),
        company_id=company_id,
        name=body.name,
        status="active",
        created_at=utcnow(),
    )
    record = audit.entry(
        caller,
        access.caller_name,
        AuditAction.project_create,
        "project",
        [project_id],
        companies=[company_id],
        projects=[project_id],
        after=audit.fields_of(project),
    )
    projects_db.put_project(project, record)
    return Project.model_validate(project)


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
    asked = body.model_dump(exclude_none=True, mode="json")

    def attempt(strongly: bool) -> ProjectRow | None:
        access = project_admin_of(caller, project_id, consistent=strongly)
        project = access.project
        before, after = audit.changed(project, asked)
        if not after:
            return project  # nothing changes, so nothing is written or recorded
        record = audit.entry(
            caller,
            access.caller_name,
            AuditAction.project_update,
            "project",
            [project_id],
            companies=[project.company_id],
            projects=[project_id],
            before=before,
            after=after,
        )
        return projects_db.update_project(project, {n: asked[n] for n in after}, record)

    return Project.model_validate(audit.until_written(attempt, f"Project {project_id}"))


def put_directory_entry(caller: Caller, project_id: str, user_id: str, body: DirectoryEntryPut) -> DirectoryEntry:
    """The user's entry as it was and their company membership are read with the caller's rights; the entry is
    replaced only as read."""
    entry_ref, project_ref = projects_db.entry_ref(project_id, user_id), projects_db.project_ref(project_id)

    def user_ref(found: Found) -> list[Ref[Any]]:
        project = found.get(project_ref)
        return [companies_db.company_user_ref(project.company_id, user_id)] if project else []

    def attempt(strongly: bool) -> tuple[DirectoryEntryRow, CompanyUserRow] | None:
        rights = read_rights(caller, [project_id], also=[entry_ref], then=user_ref, consistent=strongly)
        access = rights.project_admin_of(project_id)
        project = access.project
        user = rights.found.get(companies_db.company_user_ref(project.company_id, user_id))
        if user is None:
            raise InvalidInput(
                f"User {user_id} is not a user of this project's company; add them to the company first.",
                details=[{"field": "user_id", "message": "not a user of the project's company"}],
            )
        old = rights.found.get(entry_ref)
        perms = body.permissions
        new = DirectoryEntryRow(
            project_id=project_id,
            company_id=project.company_id,
            user_id=user_id,
            connection_manager=perms.connection_manager.value,
            drawings=perms.drawings.value,
        )
        if old == new:
            return new, user
        before, after = audit.changed(old, new.permissions)
        record = audit.entry(
            caller,
            access.caller_name,
            AuditAction.directory_entry_put,
            "directory_entry",
            [user_id],
            companies=[project.company_id],
            projects=[project_id],
            before=before,
            after=after,
        )
        return (new, user) if projects_db.put_entry(new, old, record) else None

    entry, user = audit.until_written(attempt, f"The directory entry of {user_id}")
    return _entry_out(entry, user.name, user.email)


def remove_directory_entry(caller: Caller, project_id: str, user_id: str) -> None:
    """Removing a member changes nothing about connections they requested (R18)."""
    entry_ref = projects_db.entry_ref(project_id, user_id)

    def attempt(strongly: bool) -> bool | None:
        rights = read_rights(caller, [project_id], also=[entry_ref], consistent=strongly)
        access = rights.project_admin_of(project_id)
        entry = rights.found.get(entry_ref)
        if entry is None:
            raise NotFound(f"User {user_id} is not in the directory of project {project_id}.")
        return True if projects_db.delete_entry(entry, _entry_removed(caller, access.caller_name, entry)) else None

    audit.until_written(attempt, f"The directory entry of {user_id}")


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
