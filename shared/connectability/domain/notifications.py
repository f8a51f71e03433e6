"""Notifications (R31-R39): who is told what, the messages, and sending each one once.

A state change commits its event with it (an outbox record) and queues it right after; the notify function
resolves the recipients when it sends (docs/api.md's table, narrowed by each project's settings), writes one message
per recipient through SES, at most once per (event, recipient) even when the event is processed twice (R39),
and logs what it sent per project.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict

from connectability import aws
from connectability.config import get_settings
from connectability.db import companies as companies_db
from connectability.db import notifications as notifications_db
from connectability.db import outbox as outbox_db
from connectability.db import projects as projects_db
from connectability.db import settings as settings_db
from connectability.domain import messages
from connectability.domain.ids import new_id
from connectability.domain.permissions import Caller, project_for
from connectability.errors import InvalidInput, NotFound, NotPermitted
from connectability.models.common import Level, Page, utcnow
from connectability.models.connections import EligibleRecipient, NotificationRecipients, RecipientMode, Settings
from connectability.models.notifications import EventType, Notification, NotificationEvent, OutboxMessage, Side
from connectability.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

CM = "connection_manager"
DRAWINGS = "drawings"
CM_EVENTS = frozenset(
    {
        EventType.connection_requested,
        EventType.connection_rejected,
        EventType.connection_created,
        EventType.connection_disabled,
    }
)
THROTTLED = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException", "ServiceUnavailable"})
SERVER_FAILED = frozenset({"InternalFailure", "InternalError", "InternalServerError"})  # SES's side, not the message


class ConnectionLike(Protocol):
    connection_id: str
    upstream_project_id: str
    downstream_project_id: str


class DeliveryDeferred(Exception):
    """SES asked us to slow down: the event goes back to the queue and is retried later, never dropped."""


# -- emitting -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outgoing:
    """An event and its outbox record: commit the record with the change, then `dispatch` the event."""

    event: NotificationEvent
    record: outbox_db.OutboxItem


def prepare(
    event: EventType,
    connection: ConnectionLike,
    sides: list[Side],
    *,
    reason: str | None = None,
    count: int | None = None,
) -> Outgoing:
    message = NotificationEvent(
        event_id=new_id("evt"),
        event=event,
        connection_id=connection.connection_id,
        sides=sides,
        upstream_project_id=connection.upstream_project_id,
        downstream_project_id=connection.downstream_project_id,
        reason=reason,
        count=count,
        occurred_at=utcnow(),
    )
    return Outgoing(message, outbox_db.record(message.event_id, message.model_dump_json(), message.occurred_at))


def dispatch(outgoing: Outgoing) -> bool:
    """Queue a committed event and clear its outbox record; on failure the relay sends it later."""
    try:
        aws.sqs().send_message(QueueUrl=get_settings().notifications_queue_url, MessageBody=outgoing.record.body)
    except (BotoCoreError, ClientError):
        # The change has committed with its outbox record; failing the request now would only make the client
        # retry into a 409. The relay picks the record up.
        logger.exception("notification not queued yet", extra={"event_id": outgoing.event.event_id})
        metrics.add_metric(name="NotificationsDeferredToRelay", unit="Count", value=1)
        return False
    outbox_db.sent(outgoing.record)
    return True


def redispatch(item: outbox_db.OutboxItem) -> bool:
    """Queue an event whose first send after its commit failed (the outbox relay)."""
    return dispatch(Outgoing(NotificationEvent.model_validate_json(item.body), item))


# -- recipients -----------------------------------------------------------------------------------------------
def _tool_of(event: EventType) -> str:
    return CM if event in CM_EVENTS else DRAWINGS


def eligible_user_ids(project_id: str, tool: str) -> tuple[set[str], set[str]]:
    """(tool admins in the directory, company admins who may be added): R38's eligible users."""
    project = projects_db.get_project(project_id)
    if project is None:
        return set(), set()
    admins = {m.user_id for m in projects_db.directory_members(project_id) if getattr(m, tool) == Level.admin.value}
    company_admins: set[str] = set()
    if tool == CM:
        company_admins = {u.user_id for u in companies_db.company_admins(project.company_id)}
    return admins, company_admins


def recipients(project_id: str, event: EventType) -> list[companies_db.CompanyUserItem]:
    """Default: the project's directory members with admin on the event's tool; or the selected eligible users."""
    tool = _tool_of(event)
    project = projects_db.get_project(project_id)
    if project is None:
        return []
    admins, company_admins = eligible_user_ids(project_id, tool)
    chosen = settings_db.get_settings_of(project_id, tool)
    ids = admins if chosen.mode != RecipientMode.selected.value else set(chosen.user_ids) & (admins | company_admins)
    users = companies_db.company_users(project.company_id, ids)
    return sorted(users, key=lambda u: u.email)


# -- settings (R38) -------------------------------------------------------------------------------------------
def get_recipient_settings(caller: Caller, project_id: str, tool: str) -> Settings:
    _require_admin(caller, project_id, tool)
    return _settings_view(project_id, tool, settings_db.get_settings_of(project_id, tool))


def put_recipient_settings(caller: Caller, project_id: str, tool: str, body: NotificationRecipients) -> Settings:
    _require_admin(caller, project_id, tool)
    user_ids = list(dict.fromkeys(body.user_ids))
    if body.mode is RecipientMode.selected:
        admins, company_admins = eligible_user_ids(project_id, tool)
        wrong = [u for u in user_ids if u not in admins | company_admins]
        if wrong:
            who = (
                "Connection Manager admins of this project or company admins"
                if tool == CM
                else ("Drawings admins of this project")
            )
            raise InvalidInput(
                f"Only {who} can receive these notifications; not eligible: {', '.join(wrong)}.",
                rule="R38",
                details=[
                    {
                        "field": f"notification_recipients.user_ids.{body.user_ids.index(u)}",
                        "message": "not an eligible user",
                    }
                    for u in wrong
                ],
            )
        if not user_ids:
            raise InvalidInput(
                "A 'selected' list needs at least one user; use mode 'default' to notify every admin.",
                rule="R38",
                details=[{"field": "notification_recipients.user_ids", "message": "empty"}],
            )
    elif user_ids:
        raise InvalidInput(
            "user_ids are only for mode 'selected'; send an empty list with mode 'default'.",
            rule="R38",
            details=[{"field": "notification_recipients.user_ids", "message": "only with mode 'selected'"}],
        )
    return _settings_view(project_id, tool, settings_db.put_settings_of(project_id, tool, body.mode.value, user_ids))


def _settings_view(project_id: str, tool: str, item: settings_db.SettingsItem) -> Settings:
    """The settings with the people who may be chosen (R38), by name, so nobody types a user id."""
    admins, company_admins = eligible_user_ids(project_id, tool)
    project = projects_db.get_project(project_id)
    users = companies_db.company_users(project.company_id, admins | company_admins) if project else []
    role = "connection_manager_admin" if tool == CM else "drawings_admin"
    eligible = [
        EligibleRecipient(
            user_id=u.user_id,
            name=u.name,
            email=u.email,
            roles=[
                r for r, holds in ((role, u.user_id in admins), ("company_admin", u.user_id in company_admins)) if holds
            ],
        )
        for u in sorted(users, key=lambda u: (u.name.casefold(), u.user_id))
    ]
    return Settings(
        notification_recipients=NotificationRecipients(mode=item.mode, user_ids=list(item.user_ids)),  # type: ignore[arg-type]
        eligible=eligible,
    )


def _require_admin(caller: Caller, project_id: str, tool: str) -> None:
    access = project_for(caller, project_id)
    if access.entry is None:
        raise NotFound(f"No project {project_id} is visible to you: you are not in its directory.")
    if access.level(tool) is not Level.admin:
        label = "Connection Manager" if tool == CM else "Drawings"
        raise NotPermitted(f"Only {label} admins of this project can see or change its {label} settings.")


# -- the log --------------------------------------------------------------------------------------------------
def list_for_project(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[Notification]:
    """Notifications sent for a project, newest first: for its CM or Drawings admins."""
    access = project_for(caller, project_id)
    if access.entry is None:
        raise NotFound(f"No project {project_id} is visible to you: you are not in its directory.")
    if Level.admin not in (access.level(CM), access.level(DRAWINGS)):
        raise NotPermitted("Only Connection Manager or Drawings admins of this project can see its notifications.")
    items, token = notifications_db.for_project(project_id, limit, next_token)
    return Page[Notification](
        items=[
            Notification(
                id=i.notification_id,
                event=EventType(i.event),
                project_id=i.project_id,
                connection_id=i.connection_id,
                recipients=list(i.recipients),
                subject=i.subject,
                sent_at=i.sent_at,
            )
            for i in items
        ],
        next_token=token,
    )


def outbox(days: int = 2) -> list[OutboxMessage]:
    """Every message sent in the last `days` UTC days, one per recipient, oldest first (the local outbox)."""
    today = datetime.now(UTC).date()
    items = [
        i for d in range(days - 1, -1, -1) for i in notifications_db.sent_on((today - timedelta(days=d)).isoformat())
    ]
    return [
        OutboxMessage(
            to=[email],
            subject=i.subject,
            text=i.text,
            html=i.html,
            event=EventType(i.event),
            project_id=i.project_id,
            connection_id=i.connection_id,
            sent_at=i.sent_at,
        )
        for i in items
        for email in i.recipients
    ]


# -- sending --------------------------------------------------------------------------------------------------
class Delivery(BaseModel):
    """One message to one recipient; (event_id, to) is its idempotency key (R39). Built on first use: only notify
    sends, and every function that emits events imports this module."""

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
        notifications_db.put(
            f"{event.event_id}-{side.value}",
            event.event.value,
            project_id,
            event.connection_id,
            [p.email for p in people],
            subject,
            text,
            html,
            utcnow(),
        )
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
        answer = aws.ses().send_email(
            Source=get_settings().mail_sender,
            Destination={"ToAddresses": [delivery.to]},
            Message={
                "Subject": {"Data": delivery.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": delivery.text, "Charset": "UTF-8"},
                    "Html": {"Data": delivery.html, "Charset": "UTF-8"},
                },
            },
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in THROTTLED:
            raise DeliveryDeferred(f"SES throttled the message to {delivery.to}") from exc
        if code in SERVER_FAILED or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            raise  # SES failed, not the message: the event is retried (its idempotency record is released)
        logger.error("SES refused a message", extra={"to": delivery.to, "code": code})
        _TAKEN[(delivery.event_id, delivery.to)] = {"refused": code}
        return {"refused": code}
    _TAKEN[(delivery.event_id, delivery.to)] = {"message_id": answer["MessageId"]}
    return {"message_id": answer["MessageId"]}
