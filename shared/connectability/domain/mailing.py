"""Mailing an event (R39): one message per recipient of each side it concerns, sent through SES at most once per
(event, recipient) even when the event is processed twice (Powertools idempotency), then logged per project."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from connectability import aws, mail
from connectability.config import get_settings
from connectability.domain import messages, notifications
from connectability.domain.recipients import recipients
from connectability.models.notifications import NotificationEvent, Side
from connectability.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig


class DeliveryDeferred(Exception):
    """SES asked us to slow down: the event goes back to the queue and is retried later, never dropped."""


class Delivery(BaseModel):
    """One message to one recipient; (event_id, to) is its idempotency key (R39)."""

    model_config = ConfigDict(defer_build=True)
    event_id: str
    to: str
    subject: str
    text: str
    html: str


def deliver(event: NotificationEvent) -> int:
    """Send an event to every recipient of every side it concerns, one message each (R39); answers how many.

    Someone on both sides is written to once, on the first side listed. Replays of the event find every
    (event, recipient) pair already sent in the idempotency store and send nothing again.
    """
    reached: set[str] = set()
    for side in event.sides:
        project_id = event.upstream_project_id if side is Side.upstream else event.downstream_project_id
        people = [p for p in recipients(project_id, event.event) if p.email not in reached]
        if not people:
            logger.info("no recipients", extra={"event": event.event, "project_id": project_id})
            continue
        subject, text, html = messages.render(event, side)
        refused = set()
        for person in people:
            answer = _deliver(Delivery(event_id=event.event_id, to=person.email, subject=subject, text=text, html=html))
            if answer and answer.get("refused"):
                refused.add(person.email)
        reached.update(p.email for p in people)
        people = [p for p in people if p.email not in refused]
        notifications.record_sent(event, side, project_id, [p.email for p in people], subject, text, html)
    metrics.add_metric(name="NotificationRecipients", unit="Count", value=len(reached))
    return len(reached)


@cache
def idempotency_config() -> IdempotencyConfig:
    """Keyed on the business key (event, recipient), not on the SQS message id (R39).

    Powertools' idempotency (and boto3 with it) is imported here: only the notify function sends."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(event_key_jmespath="[event_id, to]", expires_after_seconds=14 * 24 * 3600)


@cache
def _send_once() -> Any:
    """The SES send wrapped in Powertools idempotency, built on first use (the table name comes from settings)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    store = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table_name, boto3_client=aws.dynamodb())
    return idempotent_function(data_keyword_argument="delivery", persistence_store=store, config=idempotency_config())(
        _send
    )


_TAKEN: dict[tuple[str, str], dict[str, Any]] = {}  # what SES answered, by (event, recipient), in this call


def _deliver(delivery: Delivery) -> dict[str, Any]:
    """Send once. If SES took the message but its idempotency record could not be marked done (DynamoDB
    throttled, say), it counts as sent: failing would bring the event back, find the record in progress and,
    once that expired, mail the recipient a second time."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyPersistenceLayerError

    key = (delivery.event_id, delivery.to)
    try:
        return dict(_send_once()(delivery=delivery))
    except IdempotencyPersistenceLayerError:
        if key not in _TAKEN:
            raise  # nothing was sent: the event is retried
        logger.warning("mail sent; its idempotency record stays in progress", extra={"to": delivery.to})
        return _TAKEN[key]
    finally:
        _TAKEN.pop(key, None)


def _send(delivery: Delivery) -> dict[str, Any]:
    try:
        message_id = mail.send(delivery.to, delivery.subject, delivery.text, delivery.html)
    except mail.Throttled as exc:
        raise DeliveryDeferred(str(exc)) from exc
    except mail.Refused as exc:
        logger.error("SES refused a message", extra={"to": delivery.to, "code": exc.code})
        _TAKEN[(delivery.event_id, delivery.to)] = {"refused": exc.code}
        return {"refused": exc.code}
    _TAKEN[(delivery.event_id, delivery.to)] = {"message_id": message_id}
    return {"message_id": message_id}
