"""Who may see a connection and act on it: the connection read with the caller's rights on both its projects, and
the caller's Connection Manager level on each. Apart from the connections' views (domain/connection_views.py), so
that the Drawings API, which checks a connection's visibility for its deliveries, defines none of the Connection
Manager's models."""

from __future__ import annotations

from connectability.db import connections as connections_db
from connectability.db.companies import company_ref
from connectability.db.rows import ConnectionRow
from connectability.domain.permissions import CM, Caller, Rights, read_rights
from connectability.errors import NotFound
from connectability.models.common import Level


def connection_rights(caller: Caller, connection_id: str) -> tuple[ConnectionRow | None, Rights | None]:
    """The connection (read strongly), then, in one read, the caller's rights on both its projects and both
    companies (for its view): the connection records each project's company."""
    connection = connections_db.get_connection(connection_id)
    if connection is None:
        return None, None
    sides = {
        connection.upstream_project_id: connection.upstream_company_id,
        connection.downstream_project_id: connection.downstream_company_id,
    }
    return connection, read_rights(caller, sides, companies=sides, also=[company_ref(c) for c in sides.values()])


def visible(caller: Caller, connection_id: str) -> tuple[ConnectionRow, Rights]:
    """A connection is visible to CM read_only+ members of either project; to anyone else it does not exist."""
    connection, rights = connection_rights(caller, connection_id)
    if connection is not None and rights is not None:
        for project_id in (connection.upstream_project_id, connection.downstream_project_id):
            if cm_level(rights, project_id).at_least(Level.read_only):
                return connection, rights
    raise NotFound(f"No connection {connection_id} is visible to you.")


def cm_level(rights: Rights, project_id: str) -> Level:
    """The caller's Connection Manager level on a project; none where it may not see the project."""
    try:
        return rights.project_for(project_id).level(CM)
    except NotFound:
        return Level.none
