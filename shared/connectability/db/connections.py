"""The connection aggregate: connections, per-project role items and the links that list them.

Rules R11-R16 hold under concurrency because every state change is one transaction whose conditions are on the
role items (README, "Architecture"): `downstream_state` and `upstream_count` of each project.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from connectability.db import audit as audit_db
from connectability.db.base import (
    Changes,
    Found,
    Gsi2,
    Item,
    Ref,
    actions,
    as_row,
    held,
    lost_race,
    low,
    page,
    ref,
    written,
)
from connectability.db.companies import company_key
from connectability.db.outbox import Duty, outbox_item
from connectability.db.projects import project_key
from connectability.db.rows import AuditEntry, ConnectionRow, RoleRow

ACTIVE = "ACTIVE_CONNECTIONS"


class ConnectionItem(Item):
    """A connection; while active it is listed in gsi2 under ACTIVE_CONNECTIONS (for the scheduled reconcile)."""

    active_index = Gsi2()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    connection_id = UnicodeAttribute()
    status = UnicodeAttribute()
    upstream_project_id = UnicodeAttribute()
    upstream_company_id = UnicodeAttribute()
    downstream_project_id = UnicodeAttribute()
    downstream_company_id = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    requested_by_name = UnicodeAttribute(null=True)  # names as the acting user's company knew them then
    requested_at = UTCDateTimeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decided_by_name = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    disconnected_by = UnicodeAttribute(null=True)
    disconnected_by_name = UnicodeAttribute(null=True)
    disconnected_at = UTCDateTimeAttribute(null=True)
    disconnect_reason = UnicodeAttribute(null=True)
    initial_sync_status = UnicodeAttribute(default="not_started")
    initial_sync_total = NumberAttribute(default=0)
    initial_sync_copied = NumberAttribute(default=0)
    initial_sync_cursor = UnicodeAttribute(null=True)  # where the next page of the initial sync starts
    initial_sync_pages_done = BooleanAttribute(null=True)  # every page of the initial sync is enqueued
    reconcile_run_id = UnicodeAttribute(null=True)  # the latest reconcile (R42): only its pages count
    reconcile_started_at = UTCDateTimeAttribute(null=True)
    reconcile_finished_at = UTCDateTimeAttribute(null=True)
    reconcile_checked = NumberAttribute(null=True)
    reconcile_repairs = NumberAttribute(null=True)
    reconcile_stuck_checking = NumberAttribute(null=True)


class RoleItem(Item):
    """A project's place in the topology: its state as a downstream, and how many downstreams it serves."""

    project_id = UnicodeAttribute()
    downstream_state = UnicodeAttribute(default="none")
    downstream_connection_id = UnicodeAttribute(null=True)
    upstream_count = NumberAttribute(default=0)


class LinkItem(Item):
    """Lists connections by project (pk PROJECT#) and by company (pk COMPANY#), newest id last."""

    connection_id = UnicodeAttribute()


def _connection_key(connection_id: str) -> tuple[str, str]:
    return f"CONNECTION#{connection_id}", "CONNECTION"


def _role(project_id: str) -> RoleItem:
    return RoleItem(project_key(project_id), "ROLE", project_id=project_id)


def get_connection(connection_id: str) -> ConnectionRow | None:
    """Read strongly: a state change must start from the connection as it is, not as a replica last saw it."""
    try:
        return as_row(ConnectionRow, ConnectionItem.get(*_connection_key(connection_id), consistent_read=True))
    except DoesNotExist:
        return None


def role_ref(project_id: str) -> Ref[RoleRow]:
    return ref(RoleItem, RoleRow, project_key(project_id), "ROLE")


def role_in(found: Found, project_id: str) -> RoleRow:
    """A project's role as read (read strongly: the request's checks start from it); a project that never took
    part in a connection has the default role."""
    return found.get(role_ref(project_id)) or RoleRow(project_id=project_id)


def get_roles(project_ids: list[str]) -> dict[str, RoleRow]:
    """Roles of projects; a project that never took part in a connection has the default role."""
    keys = [(project_key(p), "ROLE") for p in set(project_ids)]
    found = {r.project_id: as_row(RoleRow, r) for r in RoleItem.batch_get(keys, consistent_read=True)}
    return {p: found.get(p) or RoleRow(project_id=p) for p in project_ids}


def _free_downstream() -> Condition:
    return RoleItem.downstream_state.does_not_exist() | (RoleItem.downstream_state == "none")


def create(connection: ConnectionRow, outbox: list[Duty], audit: AuditEntry) -> bool:
    """Request (R11, R13, R16): one transaction, so two racing requests cannot both pass the role conditions;
    False when another change won the race (nothing is written then).

    `outbox` holds what the change owes (its announcement, an initial sync), committed with it or not at all, as
    is its record (`audit`, R46).
    """
    up, down = connection.upstream_project_id, connection.downstream_project_id
    state = connection.status
    item = ConnectionItem(*_connection_key(connection.connection_id), **held(connection))
    if state == "active":
        item.gsi2pk, item.gsi2sk = ACTIVE, connection.connection_id

    def write() -> None:
        with TransactWrite(connection=low()) as tx:
            tx.save(item, condition=ConnectionItem.pk.does_not_exist())
            for duty in outbox:
                tx.save(outbox_item(duty))
            tx.update(
                _role(down),
                actions=[
                    RoleItem.project_id.set(down),
                    RoleItem.downstream_state.set(state),
                    RoleItem.downstream_connection_id.set(connection.connection_id),
                ],
                condition=_free_downstream()
                & (RoleItem.upstream_count.does_not_exist() | (RoleItem.upstream_count == 0)),
            )
            tx.update(
                _role(up),
                actions=[RoleItem.project_id.set(up), RoleItem.upstream_count.add(1)],
                condition=_free_downstream(),
            )
            for key in _link_keys(connection):
                tx.save(LinkItem(*key, connection_id=connection.connection_id))
            audit_db.record(tx, audit)

    return written(write, lost_race)


def transition(
    connection: ConnectionRow,
    from_status: str,
    changes: Changes,
    downstream_state: str,
    release_upstream: bool,
    outbox: list[Duty],
    audit: AuditEntry,
) -> ConnectionRow | None:
    """Move a connection from one status to the next, with the roles of both projects, what the change owes
    (outbox) and its record (audit), atomically; the connection as the change left it, or None when another
    change won the race (nothing is written then)."""
    update = actions(ConnectionItem, changes)
    if changes.get("status") == "active":
        update += [ConnectionItem.gsi2pk.set(ACTIVE), ConnectionItem.gsi2sk.set(connection.connection_id)]
    elif from_status == "active":
        update += [ConnectionItem.gsi2pk.remove(), ConnectionItem.gsi2sk.remove()]
    down_actions: list[Action] = [RoleItem.downstream_state.set(downstream_state)]
    if downstream_state == "none":
        down_actions.append(RoleItem.downstream_connection_id.remove())

    def write() -> None:
        with TransactWrite(connection=low()) as tx:
            tx.update(
                ConnectionItem(*_connection_key(connection.connection_id)),
                actions=update,
                condition=ConnectionItem.status == from_status,
            )
            for duty in outbox:
                tx.save(outbox_item(duty))
            tx.update(
                _role(connection.downstream_project_id),
                actions=down_actions,
                condition=RoleItem.downstream_connection_id == connection.connection_id,
            )
            if release_upstream:
                tx.update(_role(connection.upstream_project_id), actions=[RoleItem.upstream_count.add(-1)])
            audit_db.record(tx, audit)

    if not written(write, lost_race):
        return None
    return connection._replace(**changes)


def _link_keys(connection: ConnectionRow) -> list[tuple[str, str]]:
    sk = f"CONNECTION#{connection.connection_id}"
    keys = {
        (project_key(connection.upstream_project_id), sk),
        (project_key(connection.downstream_project_id), sk),
        (company_key(connection.upstream_company_id), sk),
        (company_key(connection.downstream_company_id), sk),
    }
    return sorted(keys)


def _connections_under(
    pk: str, limit: int, next_token: str | None, consistent: bool = False
) -> tuple[list[ConnectionRow], str | None]:
    links, token = page(LinkItem, pk, LinkItem.sk.startswith("CONNECTION#"), limit=limit, next_token=next_token)
    ids = [link.connection_id for link in links]
    keys = [_connection_key(i) for i in ids]
    found = {c.connection_id: c for c in ConnectionItem.batch_get(keys, consistent_read=consistent)} if ids else {}
    return [as_row(ConnectionRow, found[i]) for i in ids if i in found], token


def active_downstreams(upstream_project_id: str) -> list[ConnectionRow]:
    """The active connections in which this project is the upstream: where its published drawings go (R12)."""
    found: list[ConnectionRow] = []
    token: str | None = None
    while True:
        # Read strongly: a connection approved a moment ago must get this manifest's copy.
        items, token = _connections_under(project_key(upstream_project_id), 100, token, consistent=True)
        found += [c for c in items if c.status == "active" and c.upstream_project_id == upstream_project_id]
        if token is None:
            return found


def active_connections(limit: int, next_token: str | None) -> tuple[list[ConnectionRow], str | None]:
    """A page of every active connection (the sparse index holds only those)."""
    items, token = page(ConnectionItem.active_index, ACTIVE, limit=limit, next_token=next_token)
    return [as_row(ConnectionRow, c) for c in items], token


def start_reconcile(connection_id: str, run_id: str, at: datetime, audit: AuditEntry | None = None) -> bool:
    """Begin a reconcile run: its counters start at zero; an older run still paging stops counting. A user's
    request is recorded with it (`audit`); the hourly pass is not a user's change."""
    connection = ConnectionItem(*_connection_key(connection_id))
    update: list[Action] = [
        ConnectionItem.reconcile_run_id.set(run_id),
        ConnectionItem.reconcile_started_at.set(at),
        ConnectionItem.reconcile_finished_at.remove(),
        ConnectionItem.reconcile_checked.set(0),
        ConnectionItem.reconcile_repairs.set(0),
        ConnectionItem.reconcile_stuck_checking.set(0),
    ]
    active = ConnectionItem.status == "active"
    if audit is None:
        return written(lambda: connection.update(actions=update, condition=active))

    def write() -> None:
        with TransactWrite(connection=low()) as tx:
            tx.update(connection, actions=update, condition=active)
            audit_db.record(tx, audit)

    return written(write)


def record_reconcile_page(
    connection_id: str, run_id: str, checked: int, repairs: int, stuck: int, finished_at: datetime | None
) -> bool:
    """Count one page into its run; False when a newer run started meanwhile (this one stops)."""
    connection = ConnectionItem(*_connection_key(connection_id))
    update: list[Action] = [
        ConnectionItem.reconcile_checked.add(checked),
        ConnectionItem.reconcile_repairs.add(repairs),
        ConnectionItem.reconcile_stuck_checking.add(stuck),
    ]
    if finished_at is not None:
        update.append(ConnectionItem.reconcile_finished_at.set(finished_at))
    return written(lambda: connection.update(actions=update, condition=ConnectionItem.reconcile_run_id == run_id))


def project_connections(project_id: str, limit: int, next_token: str | None) -> tuple[list[ConnectionRow], str | None]:
    return _connections_under(project_key(project_id), limit, next_token)


def company_connections(company_id: str, limit: int, next_token: str | None) -> tuple[list[ConnectionRow], str | None]:
    return _connections_under(company_key(company_id), limit, next_token)
