"""The connection lifecycle (R03-R18): request, approve, reject, cancel, disconnect (who sees what: connection_views).

The checks that depend on one request alone (R03-R07, R09) are read first so the caller gets the precise error.
The topology rules (R11, R13, R16) are enforced by the transaction's conditions in db.connections, never by
those reads: under a race the transaction decides, and the loser is told which rule refused it (R14).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from connectability.aws import together
from connectability.db import connections as connections_db
from connectability.db import outbox as outbox_db
from connectability.db.base import Found
from connectability.db.companies import company_ref
from connectability.db.connections import role_in, role_ref
from connectability.db.projects import project_ref
from connectability.db.rows import ConnectionRow, ProjectRow, RoleRow
from connectability.domain import audit, bus_events, initial_sync, notification_events
from connectability.domain.connection_access import cm_level, visible
from connectability.domain.connection_views import view
from connectability.domain.ids import new_id
from connectability.domain.permissions import (
    CM,
    DRAWINGS,
    Caller,
    Rights,
    read_rights,
)
from connectability.errors import (
    AlreadyHasUpstream,
    ChainNotAllowed,
    InvalidState,
    NotFound,
    NotOptedIn,
    NotPermitted,
    ProjectInactive,
    ReconnectForbidden,
    SameProject,
)
from connectability.models.audit import AuditAction
from connectability.models.common import Level, utcnow
from connectability.models.connections import (
    Connection,
    ConnectionRequest,
    DisconnectBody,
    RejectBody,
)
from connectability.models.directory import ConnectionApproval
from connectability.models.events import EventKind
from connectability.models.notifications import EventType, Side


def request_connection(caller: Caller, downstream_id: str, body: ConnectionRequest) -> Connection:
    """R06: only the downstream asks. R08: the upstream company's setting decides pending or active.

    Everything the checks need (both projects, the caller's rights on them, both companies, both roles) is read
    in two reads before the first check, strongly (the roles must be); the checks then run in their order."""
    ids = [downstream_id, body.upstream_project_id]
    rights = read_rights(
        caller,
        ids,
        also=[role_ref(p) for p in ids],
        then=lambda found: [company_ref(p.company_id) for i in ids if (p := found.get(project_ref(i)))],
        consistent=True,
    )
    down = rights.tool_level_at_least(downstream_id, CM, Level.admin, rule="R07").project
    if body.upstream_project_id == down.project_id:
        raise SameProject("A project cannot connect to itself; choose another upstream project.")
    up = _upstream_for_request(rights, body.upstream_project_id)
    _check_connectable(down, up, rights.found)
    _refuse_by_role(role_in(rights.found, down.project_id), role_in(rights.found, up.project_id))
    upstream_company = rights.found.get(company_ref(up.company_id))
    automatic = upstream_company is not None and (
        upstream_company.connection_approval == ConnectionApproval.automatic.value
    )
    now = utcnow()
    connection = ConnectionRow(
        connection_id=(connection_id := new_id("con")),
        status="active" if automatic else "pending",
        upstream_project_id=up.project_id,
        upstream_company_id=up.company_id,
        downstream_project_id=down.project_id,
        downstream_company_id=down.company_id,
        requested_by=caller.user_id,
        requested_by_name=rights.caller_name(down.company_id),
        requested_at=now,
        decided_at=now if automatic else None,
        initial_sync_status="running" if automatic else "not_started",
    )
    outgoing = (
        notification_events.prepare(EventType.connection_created, connection, [Side.upstream, Side.downstream])
        if automatic
        else notification_events.prepare(
            EventType.connection_requested, connection, [Side.upstream], actor_name=connection.requested_by_name
        )
    )
    start = initial_sync.initial_sync_duty(connection_id) if automatic else None
    record = audit.of_connection(
        caller,
        connection.requested_by_name,
        AuditAction.connection_request,
        connection,
        {},
        audit.fields_of(connection),
    )
    if not connections_db.create(connection, outbox=[outgoing.record, *([start] if start else [])], audit=record):
        roles = connections_db.get_roles([down.project_id, up.project_id])
        _refuse_by_role(roles[down.project_id], roles[up.project_id])
        raise InvalidState(
            "Another change to one of these projects happened at the same moment; try again.", rule="R14"
        )
    _dispatch(outgoing, start)
    return view(connection, rights.found)


def _check_connectable(down: ProjectRow, up: ProjectRow, found: Found) -> None:
    """R03 (both active) and R05 (the downstream company opted in): checked on request and again on approval,
    from the companies read with the request's other items (`found`)."""
    for project in (down, up):
        if project.status != "active":
            raise ProjectInactive(f"Project '{project.name}' is inactive; only active projects can be connected.")
    downstream_company = found.get(company_ref(down.company_id))
    if downstream_company is None or not downstream_company.connected_drawings_beta:
        name = downstream_company.name if downstream_company else down.company_id
        raise NotOptedIn(
            f"Company '{name}' has not opted in to connected drawings; "
            "a company admin can turn on connected_drawings_beta."
        )


def _upstream_for_request(rights: Rights, upstream_id: str) -> ProjectRow:
    """R07: a user of the upstream company, in its directory, with Drawings read_only or higher."""
    access = rights.project_for(upstream_id)  # 404 unless the caller is a user of the upstream company
    if access.entry is None or not access.level(DRAWINGS).at_least(Level.read_only):
        raise NotPermitted(
            "To request a connection you must be in the upstream project's directory with Drawings "
            "'read_only' or higher; ask an upstream company admin to add you.",
            rule="R07",
        )
    return access.project


def _refuse_by_role(down: RoleRow, up: RoleRow) -> None:
    """Explain which topology rule stands in the way (the transaction enforces them; this names them)."""
    if down.downstream_state == "disconnected":
        raise ReconnectForbidden("This project was disconnected from its upstream and can never connect again (R16).")
    if down.downstream_state in ("pending", "active"):
        raise AlreadyHasUpstream(
            "This project already has a pending or active upstream connection; cancel or disconnect it first."
        )
    if (down.upstream_count or 0) > 0:
        raise ChainNotAllowed("This project is the upstream of other projects, so it cannot become a downstream.")
    if up.downstream_state != "none":
        raise ChainNotAllowed(
            "The chosen upstream project is itself a downstream (or was one), so it cannot be an upstream."
        )


def approve(caller: Caller, connection_id: str) -> Connection:
    connection, rights = visible(caller, connection_id)
    _require_cm_admin(
        rights,
        connection.upstream_project_id,
        "Only Connection Manager admins of the upstream project can approve; ask one of them.",
        rule="R09",
    )
    if connection.status == "pending":
        down, up = (
            _project(rights.found, p) for p in (connection.downstream_project_id, connection.upstream_project_id)
        )
        _check_connectable(down, up, rights.found)
    now = utcnow()
    start = initial_sync.initial_sync_duty(connection.connection_id)  # R29: committed with the approval, never lost
    name = rights.caller_name(connection.upstream_company_id)
    connection = _transition(
        connection,
        "pending",
        {
            "status": "active",
            "decided_by": caller.user_id,
            "decided_by_name": name,
            "decided_at": now,
            "initial_sync_status": "running",
        },
        "active",
        by=(caller, AuditAction.connection_approve, "decided_by_name"),
        release_upstream=False,
        rule="R09",
        announce=notification_events.prepare(
            EventType.connection_created, connection, [Side.upstream, Side.downstream], actor_name=name
        ),
        starts=start,
    )
    return view(connection, rights.found)


def reject(caller: Caller, connection_id: str, body: RejectBody) -> Connection:
    """R10: the request ends; the downstream may ask again later."""
    connection, rights = visible(caller, connection_id)
    _require_cm_admin(
        rights,
        connection.upstream_project_id,
        "Only Connection Manager admins of the upstream project can reject; ask one of them.",
        rule="R09",
    )
    changes: dict[str, object] = {
        "status": "rejected",
        "decided_by": caller.user_id,
        "decided_by_name": rights.caller_name(connection.upstream_company_id),
        "decided_at": utcnow(),
        "reason": body.reason,
    }
    announce = notification_events.prepare(
        EventType.connection_rejected,
        connection,
        [Side.downstream],
        reason=body.reason,
        actor_name=str(changes["decided_by_name"] or "") or None,
    )
    connection = _transition(
        connection,
        "pending",
        changes,
        "none",
        by=(caller, AuditAction.connection_reject, "decided_by_name"),
        release_upstream=True,
        rule="R09",
        announce=announce,
    )
    return view(connection, rights.found)


def cancel(caller: Caller, connection_id: str) -> Connection:
    """R15: a downstream CM admin withdraws a pending request."""
    connection, rights = visible(caller, connection_id)
    _require_cm_admin(
        rights,
        connection.downstream_project_id,
        "Only Connection Manager admins of the downstream project can cancel its request.",
        rule="R15",
    )
    changes: dict[str, object] = {
        "status": "cancelled",
        "decided_by": caller.user_id,
        "decided_by_name": rights.caller_name(connection.downstream_company_id),
        "decided_at": utcnow(),
    }
    # Nobody is mailed: the fact is told on the bus alone (R44), its duty committed with the change.
    told = bus_events.connection_fact(
        EventKind.connection_cancelled, connection, actor_name=str(changes["decided_by_name"] or "") or None
    )
    connection = _transition(
        connection,
        "pending",
        changes,
        "none",
        by=(caller, AuditAction.connection_cancel, "decided_by_name"),
        release_upstream=True,
        rule="R15",
        told=told,
    )
    return view(connection, rights.found)


def disconnect(caller: Caller, connection_id: str, body: DisconnectBody) -> Connection:
    """R15: CM admins of either side end an active connection; R16: the downstream can never connect again."""
    connection, rights = visible(caller, connection_id)
    if not any(_is_cm_admin(rights, p) for p in (connection.upstream_project_id, connection.downstream_project_id)):
        raise NotPermitted("Only Connection Manager admins of either project can disconnect.", rule="R15")
    changes: dict[str, object] = {
        "status": "disconnected",
        "disconnected_by": caller.user_id,
        "disconnected_by_name": rights.caller_name(
            *(
                c
                for p, c in (
                    (connection.upstream_project_id, connection.upstream_company_id),
                    (connection.downstream_project_id, connection.downstream_company_id),
                )
                if _is_cm_admin(rights, p)
            )
        ),
        "disconnected_at": utcnow(),
        "disconnect_reason": body.reason,
    }
    if connection.initial_sync_status == "running":
        # Nothing more is copied (R17), so its progress is final: it stops where it stands.
        changes |= {"initial_sync_status": "stopped", "initial_sync_copied": initial_sync.initial_progress(connection)}
    announce = notification_events.prepare(
        EventType.connection_disabled,
        connection,
        [Side.upstream, Side.downstream],
        reason=body.reason,
        actor_name=str(changes["disconnected_by_name"] or "") or None,
    )
    connection = _transition(
        connection,
        "active",
        changes,
        "disconnected",
        by=(caller, AuditAction.connection_disconnect, "disconnected_by_name"),
        release_upstream=True,
        rule="R15",
        announce=announce,
    )
    return view(connection, rights.found)


def _is_cm_admin(rights: Rights, project_id: str) -> bool:
    return cm_level(rights, project_id) is Level.admin


def _require_cm_admin(rights: Rights, project_id: str, message: str, rule: str) -> None:
    if not _is_cm_admin(rights, project_id):
        raise NotPermitted(message, rule=rule)


def _project(found: Found, project_id: str) -> ProjectRow:
    project = found.get(project_ref(project_id))
    if project is None:
        raise NotFound(f"No project {project_id} is visible to you.")
    return project


def _transition(
    connection: ConnectionRow,
    from_status: str,
    changes: dict[str, object],
    downstream_state: str,
    *,
    by: tuple[Caller, AuditAction, str],
    release_upstream: bool,
    rule: str,
    announce: notification_events.Outgoing | None = None,
    starts: outbox_db.Duty | None = None,
    told: bus_events.Fact | None = None,
) -> ConnectionRow:
    """One transaction for the connection, both roles, the announcing event, the initial sync it starts and the
    change's record (`by`: who, which action, and the field of `changes` that names them); the event and the
    sync are sent after it. Answers the connection as the change left it."""
    if connection.status != from_status:
        raise InvalidState(f"The connection is {connection.status}; this needs it to be {from_status}.", rule=rule)
    owed = [d for d in (announce.record if announce else None, starts, told.duty if told else None) if d is not None]
    caller, action, name_field = by
    name = changes.get(name_field)
    record = audit.of_connection(
        caller, name if isinstance(name, str) else None, action, connection, *audit.changed(connection, changes)
    )
    changed = connections_db.transition(
        connection, from_status, changes, downstream_state, release_upstream, owed, record
    )
    if changed is None:
        current = connections_db.get_connection(connection.connection_id)
        status = current.status if current else "gone"
        raise InvalidState(
            f"The connection changed meanwhile and is now {status}; this needs it to be {from_status}.", rule=rule
        )
    _dispatch(announce, starts, told)
    return changed


def _dispatch(
    announce: notification_events.Outgoing | None, starts: outbox_db.Duty | None, told: bus_events.Fact | None = None
) -> None:
    """Send what a committed change owes, the announcement and the initial sync's start at once (each clears its
    own outbox record; one that fails is left to the outbox relay)."""
    sends: list[Callable[[], bool]] = []
    if announce is not None:
        sends.append(partial(notification_events.dispatch, announce))
    if starts is not None:
        sends.append(partial(initial_sync.dispatch, starts))
    if told is not None:
        sends.append(partial(bus_events.tell, [told]))
    together(*sends)
