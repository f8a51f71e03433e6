"""What both sides can see of sync (R40): a connection's status, for CM admins of either project, and the
delivery receipts of an upstream revision, for the upstream's Drawings admins; plus reconcile on demand (R42).

The status is read from counters kept in the transactions that change what they count, so it is exact and
costs the same few reads for ten revisions or a hundred thousand.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectability import queues
from connectability.db import connections as connections_db
from connectability.db import drawings as drawings_db
from connectability.db import sync as sync_db
from connectability.db import sync_counters as counters
from connectability.db.base import read_items
from connectability.db.companies import company_ref
from connectability.db.projects import project_ref
from connectability.db.rows import AuditEntry, ConnectionRow
from connectability.domain import audit, reconcile
from connectability.domain.connection_access import cm_level, connection_rights
from connectability.domain.permissions import DRAWINGS, Caller, read_rights
from connectability.domain.sync import connected_id
from connectability.errors import InvalidState, NotFound, NotPermitted
from connectability.models.audit import AuditAction
from connectability.models.common import Level, Page, ProjectRef
from connectability.models.sync_status import (
    Delivery,
    DeliveryState,
    InitialSync,
    ReconcileRun,
    ReconcileStarted,
    SyncFailure,
    SyncStatus,
)


def _for_cm_admin(caller: Caller, connection_id: str) -> tuple[ConnectionRow, str | None]:
    """CM admins of either project; anyone else who may see the connection is told why not, others get 404.
    Answers the connection and the caller's name as the company of the first side they are an admin of knows it."""
    connection, rights = connection_rights(caller, connection_id)
    levels: dict[str, Level] = {}
    if connection is not None and rights is not None:
        levels = {
            company: cm_level(rights, project)
            for project, company in (
                (connection.upstream_project_id, connection.upstream_company_id),
                (connection.downstream_project_id, connection.downstream_company_id),
            )
        }
    if connection is None or rights is None or not any(level.at_least(Level.read_only) for level in levels.values()):
        raise NotFound(f"No connection {connection_id} is visible to you.")
    if Level.admin not in levels.values():
        raise NotPermitted("Only Connection Manager admins of either project can see or run its sync.", rule="R40")
    return connection, rights.caller_name(*(c for c, level in levels.items() if level is Level.admin))


def status(caller: Caller, connection_id: str) -> SyncStatus:
    connection, _ = _for_cm_admin(caller, connection_id)
    shards, published = counters.status_items(connection_id, connection.upstream_project_id)

    def total(name: str) -> int:
        return sum(int(getattr(s, name) or 0) for s in shards)

    newest = max(shards, key=lambda s: float(s.last_synced_at or 0), default=None)
    synced = newest is not None and newest.last_synced_at is not None
    return SyncStatus(
        connection_id=connection_id,
        upstream_published=published,
        copied=total("copied"),
        pending_review=total("pending_review"),
        published_downstream=total("published_downstream"),
        failed=total("failed"),
        lag_seconds=round(float(newest.last_lag or 0), 3) if synced and newest else None,
        last_synced_at=datetime.fromtimestamp(float(newest.last_synced_at or 0), UTC) if synced and newest else None,
        failures=[
            SyncFailure(upstream_revision_id=f.upstream_revision_id, error=f.error, at=f.at)
            for f in counters.failures(connection_id)
        ],
        initial_sync=InitialSync(
            status=connection.initial_sync_status,
            total=int(connection.initial_sync_total or 0),
            copied=total("initial_copied")
            if connection.initial_sync_status == "running"
            else int(connection.initial_sync_copied or 0),
        ),
        reconcile=ReconcileRun(
            started_at=connection.reconcile_started_at,
            finished_at=connection.reconcile_finished_at,
            checked=int(connection.reconcile_checked or 0),
            repairs=int(connection.reconcile_repairs or 0),
            stuck_checking=int(connection.reconcile_stuck_checking or 0),
            dead_letters=queues.dead_letters(),
        ),
    )


def start_reconcile(caller: Caller, connection_id: str) -> ReconcileStarted:
    """On demand (R42): answered at once; the run pages through the upstream in the background."""
    connection, name = _for_cm_admin(caller, connection_id)

    def recorded(starts: dict[str, Any]) -> AuditEntry:
        return audit.of_connection(
            caller, name, AuditAction.connection_reconcile, connection, *audit.changed(connection, starts)
        )

    if connection.status != "active" or not reconcile.start(connection, recorded):
        raise InvalidState(f"The connection is {connection.status}; only an active connection is reconciled.")
    return ReconcileStarted(started=True)


def deliveries(caller: Caller, project_id: str, revision_id: str, limit: int, next_token: str | None) -> Page[Delivery]:
    """Which downstream projects hold an upstream revision, and in which state (R40): for the upstream's Drawings
    admins. A downstream project is never an upstream (R13), so it sees no other connection of its upstream."""
    asked = drawings_db.revision_ref(project_id, revision_id)
    rights = read_rights(caller, [project_id], also=[asked])
    rights.tool_level_at_least(project_id, DRAWINGS, Level.admin)
    revision = rights.found.get(asked)
    if revision is None or revision.connected:
        raise NotFound(f"No revision {revision_id} of this project's own; copies have no deliveries.")
    links, token = connections_db.project_connections(project_id, limit, next_token)
    connections = [c for c in links if c.upstream_project_id == project_id and c.status in ("active", "disconnected")]
    found = sync_db.copies_and_failures(
        [
            (c.connection_id, c.downstream_project_id, connected_id("rev", c.connection_id, revision_id), revision_id)
            for c in connections
        ]
    )
    names = read_items(
        ref for c in connections for ref in (project_ref(c.downstream_project_id), company_ref(c.downstream_company_id))
    )
    items = []
    for c in connections:
        (copy, failure), project = found[c.connection_id], names.get(project_ref(c.downstream_project_id))
        company = names.get(company_ref(c.downstream_company_id))
        if copy is not None:
            state = DeliveryState(copy.state)
        else:
            state = DeliveryState.failed if failure else DeliveryState.waiting
        items.append(
            Delivery(
                connection_id=c.connection_id,
                connection_status=c.status,
                downstream=ProjectRef(
                    project_id=c.downstream_project_id,
                    project_name=project.name if project else "",
                    company_id=c.downstream_company_id,
                    company_name=company.name if company else "",
                ),
                state=state,
                revision_id=copy.revision_id if copy is not None else None,
                error=failure.error if failure else None,
            )
        )
    return Page[Delivery](items=items, next_token=token)
