"""Events for integrators (R44): every fact is written through the outbox with the change it tells of, then
put on the bus; none is lost, and each keeps its id however often it is told.

Two ways in. The facts that are also mailed (connection changes, an initial sync completed, a burst of copies
landed or of upstream deletes) are notification events, committed through the outbox with their change: their
dispatch queues the event for notify and puts its fact on the bus at once (notification_events.dispatch). The
others (a request cancelled, copies published downstream, a copy failing for good, a reconcile's repairs) are
outbox duties of their own, put on the bus right after their change, and by the relay if that fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from connectability import bus
from connectability.db import drawings as drawings_db
from connectability.db import outbox as outbox_db
from connectability.db import projects as projects_db
from connectability.db.rows import ConnectionRow
from connectability.domain.ids import new_id
from connectability.models.common import utcnow
from connectability.models.events import BusEvent, EventKind
from connectability.models.notifications import EventType, NotificationEvent
from connectability.models.sync import CopyJob
from connectability.observability import logger, metrics

if TYPE_CHECKING:
    pass

_TOLD_AS = {
    EventType.connection_requested: EventKind.connection_requested,
    EventType.connection_created: EventKind.connection_approved,
    EventType.connection_rejected: EventKind.connection_rejected,
    EventType.connection_disabled: EventKind.connection_disconnected,
    EventType.initial_sync_complete: EventKind.initial_sync_completed,
    EventType.drawings_published: EventKind.copies_landed,
    EventType.drawings_deleted: EventKind.drawings_deleted_upstream,
}
_WITH_ACTOR = {
    EventKind.connection_requested,
    EventKind.connection_approved,
    EventKind.connection_rejected,
    EventKind.connection_cancelled,
    EventKind.connection_disconnected,
}


def of_notification(event: NotificationEvent) -> BusEvent:
    """The fact a notification event tells, with the same id."""
    kind = _TOLD_AS[event.event]
    up, down = event.upstream_company_id, event.downstream_company_id
    if up is None or down is None:  # an event queued before events named companies
        up, down = (_company_of(p) for p in (event.upstream_project_id, event.downstream_project_id))
    data = _sides(event.connection_id, event.upstream_project_id, up, event.downstream_project_id, down)
    if kind in _WITH_ACTOR:
        data["actor_name"] = event.actor_name
    if kind in (EventKind.connection_rejected, EventKind.connection_disconnected):
        data["reason"] = event.reason
    if kind is EventKind.initial_sync_completed:
        data["total"] = event.count or 0
    if kind in (EventKind.copies_landed, EventKind.drawings_deleted_upstream):
        data["count"] = event.count
    return BusEvent(
        id=event.event_id,
        type=kind,
        occurred_at=event.occurred_at,
        company_ids=list(dict.fromkeys([up, down])),
        project_ids=[event.upstream_project_id, event.downstream_project_id],
        data=data,
    )


def _company_of(project_id: str) -> str:
    project = projects_db.get_project(project_id)
    return project.company_id if project else "unknown"


# -- facts of their own ---------------------------------------------------------------------------------------
class Fact(NamedTuple):
    """An event and its outbox duty: commit the duty with the change (or before nothing else), then `tell`."""

    event: BusEvent
    duty: outbox_db.Duty

    @classmethod
    def of(cls, event: BusEvent) -> Fact:
        return cls(event, outbox_db.bus_event(event.id, event.body(), event.occurred_at))


def fact(kind: EventKind, company_ids: Sequence[str], project_ids: Sequence[str], data: dict[str, Any]) -> Fact:
    return Fact.of(
        BusEvent(
            id=new_id("evt"),
            type=kind,
            occurred_at=utcnow(),
            company_ids=list(dict.fromkeys(company_ids)),
            project_ids=list(dict.fromkeys(project_ids)),
            data=data,
        )
    )


def record(fact_: Fact) -> None:
    """Write a fact's duty by itself, for a fact that follows no write of ours (a copy that failed for good)."""
    outbox_db.put(fact_.duty)


def tell(facts: Sequence[Fact]) -> bool:
    """Put committed facts on the bus and clear their duties; on failure the relay tells them later."""
    if not facts:
        return True
    try:
        bus.put([f.event for f in facts])
    except (BotoCoreError, ClientError, bus.NotPut):
        logger.exception("events not on the bus yet", extra={"event_ids": [f.event.id for f in facts]})
        metrics.add_metric(name="EventsDeferredToRelay", unit="Count", value=len(facts))
        return False
    if len(facts) == 1:
        outbox_db.sent(facts[0].duty)
    else:
        outbox_db.done([f.duty for f in facts])
    return True


def retell(duty: outbox_db.Duty) -> bool:
    """The relay: a fact whose first telling after its commit failed."""
    event: BusEvent | None = BusEvent.model_validate_json(duty.body)
    if event is not None and event.type is EventKind.copies_published:
        event = _still_published(event)
    if event is None:
        outbox_db.sent(duty)
        return True
    return tell([Fact(event, duty)])


# -- the facts of their own, one function each ----------------------------------------------------------------------
def copies_published(project_id: str, company_id: str, revision_ids: Sequence[str], by: str) -> Fact:
    """Naming every copy asked for; its duty is committed with the first copy published. The request tells it
    with the copies published; if the request dies, the relay tells it with those published by then."""
    return fact(
        EventKind.copies_published,
        [company_id],
        [project_id],
        {"project_id": project_id, "revision_ids": list(revision_ids), "published_by": by},
    )


def tell_published(fact_: Fact, published: Sequence[str]) -> None:
    if not published:
        return  # nothing was published, so its duty was never written
    event = fact_.event.model_copy(update={"data": {**fact_.event.data, "revision_ids": list(published)}})
    tell([Fact(event, fact_.duty)])


def _still_published(event: BusEvent) -> BusEvent | None:
    """A copies.published fact the relay found: only the copies that are published now are told."""
    project_id = str(event.data["project_id"])
    revisions = drawings_db.get_revisions(project_id, event.data["revision_ids"], consistent=True)
    published = [i for i in event.data["revision_ids"] if i in revisions and revisions[i].state == "published"]
    return event.model_copy(update={"data": {**event.data, "revision_ids": published}}) if published else None


def copy_failed(job: CopyJob, error: str) -> None:
    """The last attempt at a copy failed: its job goes to the dead-letter queue. The id is the job's, so a
    failure told twice (the function died after telling it) is one fact."""
    manifest = job.manifest
    sides = _sides(
        job.connection_id,
        manifest.project_id,
        manifest.company_id,
        job.downstream_project_id,
        job.downstream_company_id,
    )
    data = {**sides, "upstream_revision_id": manifest.revision_id, "error": error[:1000]}
    fact_ = _between(
        EventKind.copy_failed, data, f"evt_copyfail_{job.connection_id}_{manifest.revision_id}_{manifest.version}"
    )
    record(fact_)
    tell([fact_])


def connection_fact(kind: EventKind, connection: ConnectionRow, *, actor_name: str | None) -> Fact:
    """A connection change told on the bus alone (nobody is mailed of it), to commit with the change."""
    return _between(kind, {**_sides_of(connection), "actor_name": actor_name}, new_id("evt"))


def reconcile_repaired(connection: ConnectionRow, run_id: str, checked: int, repairs: int) -> None:
    """A reconcile run that sent repairs, told when its last page is counted; the id is the run's."""
    data = {**_sides_of(connection), "checked": checked, "repairs": repairs}
    fact_ = _between(EventKind.reconcile_repaired, data, f"evt_reconcile_{run_id}")
    record(fact_)
    tell([fact_])


def _sides(
    connection_id: str | None, up_project: str, up_company: str, down_project: str, down_company: str
) -> dict[str, Any]:
    """What every fact about a connection names: the connection and both sides' projects and companies."""
    return {
        "connection_id": connection_id,
        "upstream_project_id": up_project,
        "upstream_company_id": up_company,
        "downstream_project_id": down_project,
        "downstream_company_id": down_company,
    }


def _sides_of(connection: ConnectionRow) -> dict[str, Any]:
    return _sides(
        connection.connection_id,
        connection.upstream_project_id,
        connection.upstream_company_id,
        connection.downstream_project_id,
        connection.downstream_company_id,
    )


def _between(kind: EventKind, data: dict[str, Any], event_id: str) -> Fact:
    """A fact about a connection, concerning both its companies and both its projects."""
    return Fact.of(
        BusEvent(
            id=event_id,
            type=kind,
            occurred_at=utcnow(),
            company_ids=list(dict.fromkeys([data["upstream_company_id"], data["downstream_company_id"]])),
            project_ids=[data["upstream_project_id"], data["downstream_project_id"]],
            data=data,
        )
    )
