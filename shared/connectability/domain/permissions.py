"""Who may do what: platform admins, company users and admins, project directory members and their tool levels."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from connectability.db import companies as companies_db
from connectability.db import projects as projects_db
from connectability.db.base import Found, Ref, read_items
from connectability.db.rows import CompanyRow, CompanyUserRow, DirectoryEntryRow, ProjectRow
from connectability.errors import NotFound, NotPermitted
from connectability.models.common import Level

# The tools a directory entry grants a level of (R01): their names in entries, settings and messages.
CM = "connection_manager"
DRAWINGS = "drawings"


class Caller(NamedTuple):
    """The authenticated user, as the authorizer asserted it; nothing in a request body can change it."""

    user_id: str
    groups: frozenset[str] = frozenset()
    is_platform_admin: bool = False
    request_id: str | None = None  # API Gateway's, recorded with every change the request makes (R46)


class CompanyAccess(NamedTuple):
    """A company the caller may see, the caller's membership of it (None for a platform admin who is not a
    user of it), and whatever else was read with them (`found`)."""

    company: CompanyRow
    membership: CompanyUserRow | None
    found: Found

    @property
    def caller_name(self) -> str | None:
        return self.membership.name if self.membership is not None else None


def company_access(
    caller: Caller,
    company_id: str,
    *,
    admin: bool = False,
    allow_platform_admin: bool = False,
    also: Iterable[Ref[Any]] = (),
    consistent: bool = False,
) -> CompanyAccess:
    """The company and the caller's membership, with `also`, in one read: its users and platform admins may see
    it (404 for anyone else); with `admin`, only its company admins (and platform admins if allowed) may go on."""
    company_ref, membership_ref = (
        companies_db.company_ref(company_id),
        companies_db.company_user_ref(company_id, caller.user_id),
    )
    found = read_items([company_ref, membership_ref, *also], consistent=consistent)
    company = found.get(company_ref)
    membership = found.get(membership_ref) if company else None
    if company is None or (membership is None and not caller.is_platform_admin):
        raise NotFound(f"No company {company_id} is visible to you.")
    is_admin = membership is not None and membership.is_company_admin
    if admin and not is_admin and not (allow_platform_admin and caller.is_platform_admin):
        raise NotPermitted("Only a company admin of this company can do this; ask one of them.")
    return CompanyAccess(company, membership, found)


def company_for(caller: Caller, company_id: str) -> tuple[CompanyRow, CompanyUserRow | None]:
    """The company, if the caller may see it: its users and platform admins; 404 for anyone else."""
    access = company_access(caller, company_id)
    return access.company, access.membership


def company_admin_for(caller: Caller, company_id: str, *, allow_platform_admin: bool = False) -> CompanyRow:
    return company_access(caller, company_id, admin=True, allow_platform_admin=allow_platform_admin).company


class ProjectAccess(NamedTuple):
    project: ProjectRow
    entry: DirectoryEntryRow | None
    is_company_admin: bool
    caller_name: str | None = None  # as the project's company knows the caller

    def level(self, tool: str) -> Level:
        return Level(getattr(self.entry, tool)) if self.entry else Level.none


class Rights(NamedTuple):
    """What decides the caller's rights on some projects, read at once (read_rights), with whatever else the
    request read alongside (`found`). Each check answers exactly as the function of the same name below."""

    caller: Caller
    found: Found

    def project_for(self, project_id: str) -> ProjectAccess:
        """A project the caller may see: its company's users only, otherwise 404 (never reveal other companies)."""
        user = self.caller.user_id
        project = self.found.get(projects_db.project_ref(project_id))
        membership = self.found.get(companies_db.company_user_ref(project.company_id, user)) if project else None
        if project is None or membership is None:
            raise NotFound(f"No project {project_id} is visible to you.")
        entry = self.found.get(projects_db.entry_ref(project_id, user))
        return ProjectAccess(project, entry, membership.is_company_admin, membership.name)

    def caller_name(self, *company_ids: str) -> str | None:
        """The caller's name as the first of these companies knows it (read with the rights already)."""
        for company_id in company_ids:
            membership = self.found.get(companies_db.company_user_ref(company_id, self.caller.user_id))
            if membership is not None:
                return str(membership.name)
        return None

    def directory_member_of(self, project_id: str) -> ProjectAccess:
        """Directory members only; company admins see their projects too (they manage the directory)."""
        access = self.project_for(project_id)
        if access.entry is None and not access.is_company_admin:
            raise NotFound(f"No project {project_id} is visible to you: you are not in its directory.")
        return access

    def project_admin_of(self, project_id: str) -> ProjectAccess:
        access = self.project_for(project_id)
        if not access.is_company_admin:
            raise NotPermitted("Only a company admin of the project's company can do this; ask one of them.")
        return access

    def tool_level_at_least(self, project_id: str, tool: str, level: Level, rule: str | None = None) -> ProjectAccess:
        """Directory members with at least `level` on `tool`; members below it get 403, others 404."""
        access = self.project_for(project_id)
        if access.entry is None:
            raise NotFound(f"No project {project_id} is visible to you: you are not in its directory.")
        if not access.level(tool).at_least(level):
            label = "Connection Manager" if tool == "connection_manager" else "Drawings"
            raise NotPermitted(
                f"This needs {label} '{level.value}' permission on project {project_id}; ask a company admin.",
                rule=rule,
            )
        return access


def read_rights(
    caller: Caller,
    project_ids: Iterable[str],
    *,
    companies: Mapping[str, str] | None = None,
    also: Iterable[Ref[Any]] = (),
    then: Callable[[Found], Iterable[Ref[Any]]] | None = None,
    consistent: bool = False,
) -> Rights:
    """The caller's rights on these projects, and what else the request needs, in two BatchGetItems instead of a
    GetItem per item: first each project, the caller's entry in its directory and `also`; then the caller's
    membership of each project's company and `then(first found)`, items whose keys come from the first read.

    `companies` (project id to its company id, where known already: a connection records both) puts those
    memberships in the first read; only a project of another company than the one given is read again in the
    second. `consistent`: both reads strongly consistent (what `also` or `then` may need).
    """
    ids, user, known = list(dict.fromkeys(project_ids)), caller.user_id, companies or {}
    first = [
        *(ref for p in ids for ref in (projects_db.project_ref(p), projects_db.entry_ref(p, user))),
        *(companies_db.company_user_ref(c, user) for c in known.values()),
        *also,
    ]
    found = read_items(first, consistent=consistent)
    projects = [p for p in (found.get(projects_db.project_ref(i)) for i in ids) if p is not None]
    second = [
        *(
            companies_db.company_user_ref(p.company_id, user)
            for p in projects
            if known.get(p.project_id) != p.company_id
        ),
        *(then(found) if then else ()),
    ]
    return Rights(caller, found | read_items(second, consistent=consistent) if second else found)


def project_for(caller: Caller, project_id: str) -> ProjectAccess:
    """A project the caller may see: its company's users only, otherwise 404 (never reveal other companies)."""
    return read_rights(caller, [project_id]).project_for(project_id)


def directory_member_of(caller: Caller, project_id: str) -> ProjectAccess:
    """Directory members only; company admins see their projects too (they manage the directory)."""
    return read_rights(caller, [project_id]).directory_member_of(project_id)


def project_admin_of(caller: Caller, project_id: str, *, consistent: bool = False) -> ProjectAccess:
    return read_rights(caller, [project_id], consistent=consistent).project_admin_of(project_id)


def tool_level_at_least(
    caller: Caller, project_id: str, tool: str, level: Level, rule: str | None = None
) -> ProjectAccess:
    """Directory members with at least `level` on `tool`; members below it get 403, others 404."""
    return read_rights(caller, [project_id]).tool_level_at_least(project_id, tool, level, rule)
