"""Notification events (R31-R37): what a change tells the notify function. A state change commits its event with
it (an outbox record) and queues it right after; if that send fails, the outbox relay sends it later."""

from __future__ import annotations

from functools import partial
from typing import NamedTuple, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from connectability import bus, queues
from connectability.aws import together
from connectability.db import outbox as outbox_db
from connectability.domain import bus_events
from connectability.domain.ids import new_id
from connectability.models.common import utcnow
from connectability.models.notifications import EventType, NotificationEvent, Side
from connectability.observability import logger, metrics


class ConnectionLike(Protocol):
    @property
    def connection_id(self) -> str: ...
    @property
    def upstream_project_id(self) -> str: ...
    @property
    def downstream_project_id(self) -> str: ...
    @property
    def upstream_company_id(self) -> str: ...
    @property
    def downstream_company_id(self) -> str: ...


class Outgoing(NamedTuple):
    """An event and its outbox record: commit the record with the change, then `dispatch` the event."""

    event: NotificationEvent
    record: outbox_db.Duty


def prepare(
    event: EventType,
    connection: ConnectionLike,
    sides: list[Side],
    *,
    reason: str | None = None,
    count: int | None = None,
    actor_name: str | None = None,
) -> Outgoing:
    message = NotificationEvent(
        event_id=new_id("evt"),
        event=event,
        connection_id=connection.connection_id,
        sides=sides,
        upstream_project_id=connection.upstream_project_id,
        downstream_project_id=connection.downstream_project_id,
        upstream_company_id=connection.upstream_company_id,
        downstream_company_id=connection.downstream_company_id,
        actor_name=actor_name,
        reason=reason,
        count=count,
        occurred_at=utcnow(),
    )
    return Outgoing(message, outbox_db.record(message.event_id, message.model_dump_json(), message.occurred_at))


def dispatch(outgoing: Outgoing) -> bool:
    """Queue a committed event for its mails and put the fact it tells on the bus (R44), at once; then clear its
    outbox record. If either fails the relay does both later: notify mails each recipient once whatever it is
    sent, and the bus's consumers deduplicate on the fact's id, the event's."""
    try:
        together(
            partial(queues.send_notification, outgoing.event),
            partial(bus.put, [bus_events.of_notification(outgoing.event)]),
        )
    except (BotoCoreError, ClientError, bus.NotPut):
        # The change has committed with its outbox record; failing the request now would only make the client
        # retry into a 409. The relay picks the record up.
        logger.exception("notification not queued yet", extra={"event_id": outgoing.event.event_id})
        metrics.add_metric(name="NotificationsDeferredToRelay", unit="Count", value=1)
        return False
    outbox_db.sent(outgoing.record)
    return True


def redispatch(item: outbox_db.Duty) -> bool:
    """Queue an event whose first send after its commit failed (the outbox relay)."""
    return dispatch(Outgoing(NotificationEvent.model_validate_json(item.body), item))
