"""Connection Manager API: requests, approvals, disconnects, settings, lists, notifications (docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import runtime
from connectability.api import CONNECTION_MANAGER, ApiRouter, Id, Limit, NextToken, caller_of, errors, new_api, respond
from connectability.domain import connection_views, connections, notifications, recipient_settings, recipients
from connectability.domain import sync_status as sync_status_domain
from connectability.models.common import Page, ProjectRef
from connectability.models.connections import Connection, ConnectionRequest, DisconnectBody, NoBody, RejectBody
from connectability.models.notifications import Notification
from connectability.models.recipients import Settings, SettingsBody
from connectability.models.sync_status import ReconcileStarted, SyncStatus
from connectability.observability import logger, metrics, tracer

router = ApiRouter(CONNECTION_MANAGER)


@router.post("/projects/<project_id>/connections", responses=errors(403, 404, 409, ok=201))
def request_connection(project_id: Id, body: Annotated[ConnectionRequest, Body()]) -> Response[Connection]:
    """Ask to connect this (downstream) project to an upstream project (R06, R07).

    The caller is a CM admin here and has Drawings read_only or higher upstream, in both companies (R07). The
    upstream company's `connection_approval` decides: `pending` until an upstream CM admin approves, or `active`
    at once (R08). Refused while this project has an upstream (R11), if it was ever disconnected (R16), or if it
    would make a chain (R13)."""
    return respond(201, connections.request_connection(caller_of(router), project_id, body))


@router.get("/projects/<project_id>/connections", responses=errors(403, 404))
def list_connections(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Connection]:
    """List this project's connections, upstream or downstream (CM read_only and above).

    Every status: pending, active, rejected, cancelled and disconnected, each with who acted and when, by name."""
    return connection_views.list_for_project(caller_of(router), project_id, limit, next_token)


@router.get("/projects/<project_id>/connectable-projects", responses=errors(403, 404))
def list_connectable_projects(project_id: Id) -> Page[ProjectRef]:
    """List the upstream projects the caller could request now for this project (CM admins).

    Only active projects of companies the caller belongs to, where the caller may read drawings, and that can be an
    upstream; empty when this project cannot ask for one (it has an upstream, or was disconnected: R11, R16)."""
    return connection_views.connectable_projects(caller_of(router), project_id)


@router.get("/connections/<connection_id>", responses=errors(404))
def get_connection(connection_id: Id) -> Connection:
    """Read a connection (CM read_only and above on either project).

    With the initial sync's progress (`initial_sync`: status, total, copied; R29)."""
    return connection_views.get(caller_of(router), connection_id)


@router.post("/connections/<connection_id>/approve", responses=errors(403, 404, 409))
def approve_connection(connection_id: Id, body: Annotated[NoBody, Body()] = NoBody()) -> Connection:
    """Approve a pending request (upstream CM admins, R09).

    The connection becomes `active` and its initial sync starts: every revision published upstream is copied
    downstream for review (R29). No body is needed."""
    return connections.approve(caller_of(router), connection_id)


@router.post("/connections/<connection_id>/reject", responses=errors(403, 404, 409))
def reject_connection(connection_id: Id, body: Annotated[RejectBody, Body()] = RejectBody()) -> Connection:
    """Reject a pending request, with a reason or without (upstream CM admins, R09, R10).

    The downstream project may ask again later."""
    return connections.reject(caller_of(router), connection_id, body)


@router.post("/connections/<connection_id>/cancel", responses=errors(403, 404, 409))
def cancel_connection(connection_id: Id, body: Annotated[NoBody, Body()] = NoBody()) -> Connection:
    """Withdraw a pending request (downstream CM admins, R15).

    The connection becomes `cancelled`; the downstream project may ask again. No body is needed."""
    return connections.cancel(caller_of(router), connection_id)


@router.post("/connections/<connection_id>/disconnect", responses=errors(403, 404, 409))
def disconnect_connection(connection_id: Id, body: Annotated[DisconnectBody, Body()]) -> Connection:
    """End an active connection, giving a reason (CM admins of either project, R15).

    For good: the downstream project keeps every drawing it has, nothing more arrives (R17), and it can never
    connect again, to any project (R16)."""
    return connections.disconnect(caller_of(router), connection_id, body)


@router.get("/connections/<connection_id>/sync-status", responses=errors(403, 404))
def get_sync_status(connection_id: Id) -> SyncStatus:
    """Read a connection's sync status (CM admins of either project, R40).

    What was published upstream, copied, waiting for review, published downstream and failed, with the lag of
    the newest change and the last failures."""
    return sync_status_domain.status(caller_of(router), connection_id)


@router.post("/connections/<connection_id>/reconcile", responses=errors(403, 404, 409, ok=202))
def reconcile_connection(connection_id: Id, body: Annotated[NoBody, Body()] = NoBody()) -> Response[ReconcileStarted]:
    """Start a reconcile of a connection now (CM admins of either project, R42).

    It compares the downstream with what is published upstream and repairs any difference; it also runs every hour.
    No body is needed; 202 answers at once."""
    return respond(202, sync_status_domain.start_reconcile(caller_of(router), connection_id))


@router.get("/projects/<project_id>/settings/connection-manager", responses=errors(403, 404))
def get_cm_settings(project_id: Id) -> Settings:
    """Read who is mailed of this project's connection events (CM admins, R38).

    Connection requested, rejected, created and disconnected (R31-R33, R37). `eligible` lists the people who may be
    chosen, by name."""
    return recipient_settings.get_recipient_settings(caller_of(router), project_id, recipients.CM)


@router.put("/projects/<project_id>/settings/connection-manager", responses=errors(403, 404))
def put_cm_settings(project_id: Id, body: Annotated[SettingsBody, Body()]) -> Settings:
    """Set who is mailed of this project's connection events (CM admins, R38).

    `default` mails the project's CM admins; `selected` mails only the users named, who must be CM admins of the
    project or admins of its company."""
    return recipient_settings.put_recipient_settings(
        caller_of(router), project_id, recipients.CM, body.notification_recipients
    )


@router.get("/companies/<company_id>/connections", responses=errors(403, 404))
def list_company_connections(company_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Connection]:
    """List every connection of every project of a company, either side (company admins, R41).

    One call for the whole company: upstream and downstream projects with their companies, status and initial sync."""
    return connection_views.list_for_company(caller_of(router), company_id, limit, next_token)


@router.get("/projects/<project_id>/notifications", responses=errors(403, 404))
def list_notifications(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Notification]:
    """List the mails sent for this project, newest first (CM or Drawings admins).

    Each names its event (R31-R37), the connection, the recipients and the subject."""
    return notifications.list_for_project(caller_of(router), project_id, limit, next_token)


app = new_api()
app.include_router(router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)


runtime.initialized()  # last: everything above lives as long as the function
