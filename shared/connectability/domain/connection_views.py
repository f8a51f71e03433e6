"""What a connection looks like to the people who may see it (R41): one connection, a project's or a company's
list, each with both sides' project and company names; and the upstream projects a downstream could request now.
A connection exists only for those who may see it: to anyone else it is not found."""

from __future__ import annotations

from typing import Any

from connectability.db import companies as companies_db
from connectability.db import connections as connections_db
from connectability.db import projects as projects_db
from connectability.db.base import Found, Ref, read_items
from connectability.db.companies import company_ref
from connectability.db.projects import project_ref
from connectability.db.rows import ConnectionRow
from connectability.domain import initial_sync
from connectability.domain.connection_access import visible
from connectability.domain.permissions import CM, Caller, company_admin_for, tool_level_at_least
from connectability.models.common import Level, Page, ProjectRef
from connectability.models.connections import Connection
from connectability.models.sync_status import InitialSync


def get(caller: Caller, connection_id: str) -> Connection:
    connection, rights = visible(caller, connection_id)
    return view(connection, rights.found)


def list_for_project(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[Connection]:
    tool_level_at_least(caller, project_id, CM, Level.read_only)
    items, token = connections_db.project_connections(project_id, limit, next_token)
    return Page[Connection](items=views(items), next_token=token)


def list_for_company(caller: Caller, company_id: str, limit: int, next_token: str | None) -> Page[Connection]:
    """R41: a company admin sees every connection of every project of the company, either side, in one call."""
    company_admin_for(caller, company_id)
    items, token = connections_db.company_connections(company_id, limit, next_token)
    return Page[Connection](items=views(items), next_token=token)


def connectable_projects(caller: Caller, project_id: str) -> Page[ProjectRef]:
    """The upstream projects this caller could request right now for this downstream project (R03-R07, R11-R16)."""
    down = tool_level_at_least(caller, project_id, CM, Level.admin, rule="R07").project
    company = companies_db.get_company(down.company_id)
    if down.status != "active" or company is None or not company.connected_drawings_beta:
        return Page[ProjectRef](items=[])
    entries = [
        e
        for e in projects_db.entries_of_user(caller.user_id)
        if e.project_id != project_id and Level(e.drawings).at_least(Level.read_only)
    ]
    roles = connections_db.get_roles([project_id, *(e.project_id for e in entries)])
    own = roles[project_id]
    if own.downstream_state != "none" or (own.upstream_count or 0) > 0:
        return Page[ProjectRef](items=[])
    projects = projects_db.get_projects(e.project_id for e in entries)
    candidates = [
        p for p in projects.values() if p.status == "active" and roles[p.project_id].downstream_state == "none"
    ]
    companies = companies_db.get_companies(p.company_id for p in candidates)
    items = [
        ProjectRef(
            project_id=p.project_id,
            project_name=p.name,
            company_id=p.company_id,
            company_name=companies[p.company_id].name,
        )
        for p in sorted(candidates, key=lambda p: (companies[p.company_id].name, p.name))
        if p.company_id in companies
    ]
    return Page[ProjectRef](items=items)


def views(items: list[ConnectionRow]) -> list[Connection]:
    names = read_items(ref for c in items for ref in _name_refs(c))
    return [view(c, names) for c in items]


def _name_refs(connection: ConnectionRow) -> list[Ref[Any]]:
    return [
        project_ref(connection.upstream_project_id),
        project_ref(connection.downstream_project_id),
        company_ref(connection.upstream_company_id),
        company_ref(connection.downstream_company_id),
    ]


def view(connection: ConnectionRow, names: Found | None = None) -> Connection:
    """A connection with both projects' and companies' names, so clients need no second call; `names`: the
    projects and companies as read already, else read here."""
    found = names if names is not None else read_items(_name_refs(connection))

    def ref(project_id: str, company_id: str) -> ProjectRef:
        project, company = found.get(project_ref(project_id)), found.get(company_ref(company_id))
        return ProjectRef(
            project_id=project_id,
            project_name=project.name if project else "",
            company_id=company_id,
            company_name=company.name if company else "",
        )

    return Connection(
        id=connection.connection_id,
        status=connection.status,  # type: ignore[arg-type]
        upstream=ref(connection.upstream_project_id, connection.upstream_company_id),
        downstream=ref(connection.downstream_project_id, connection.downstream_company_id),
        requested_by=connection.requested_by,
        requested_by_name=connection.requested_by_name,
        requested_at=connection.requested_at,
        decided_by=connection.decided_by,
        decided_by_name=connection.decided_by_name,
        decided_at=connection.decided_at,
        reason=connection.reason,
        disconnected_by=connection.disconnected_by,
        disconnected_by_name=connection.disconnected_by_name,
        disconnected_at=connection.disconnected_at,
        disconnect_reason=connection.disconnect_reason,
        initial_sync=InitialSync(
            status=connection.initial_sync_status,
            total=int(connection.initial_sync_total or 0),
            copied=initial_sync.initial_progress(connection),
        ),
    )
