"""Connection Manager API: requests, approvals, disconnects, settings, lists, notifications (docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import runtime
from connectability.api import CONNECTION_MANAGER, ApiRouter, Id, Limit, NextToken, caller_of, errors, new_api, respond
from connectability.domain import connections, notifications, recipient_settings, recipients
from connectability.domain import sync_status as sync_status_domain
from connectability.models.common import Page
from connectability.models.connections import (
    Connection,
    ConnectionRequest,
    DisconnectBody,
    NoBody,
    ProjectRef,
    RejectBody,
    Settings,
    SettingsBody,
)
from connectability.models.notifications import Notification
from connectability.models.sync import ReconcileStarted, SyncStatus
from connectability.observability import logger, metrics, tracer

router = ApiRouter(CONNECTION_MANAGER)


@router.post("/projects/<project_id>/connections", responses=errors(403, 404, 409, ok=201))
def request_connection(project_id: Id, body: Annotated[ConnectionRequest, Body()]) -> Response[Connection]:
    return respond(201, connections.request_connection(caller_of(router), project_id, body))


@router.get("/projects/<project_id>/connections", responses=errors(403, 404))
def list_connections(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Connection]:
    return connections.list_for_project(caller_of(router), project_id, limit, next_token)


@router.get("/projects/<project_id>/connectable-projects", responses=errors(403, 404))
def list_connectable_projects(project_id: Id) -> Page[ProjectRef]:
    return connections.connectable_projects(caller_of(router), project_id)


@router.get("/connections/<connection_id>", responses=errors(404))
def get_connection(connection_id: Id) -> Connection:
    return connections.get(caller_of(router), connection_id)


@router.post("/connections/<connection_id>/approve", responses=errors(403, 404, 409))
def approve_connection(connection_id: Id, body: Annotated[NoBody | None, Body()] = None) -> Connection:
    return connections.approve(caller_of(router), connection_id)


@router.post("/connections/<connection_id>/reject", responses=errors(403, 404, 409))
def reject_connection(connection_id: Id, body: Annotated[RejectBody | None, Body()] = None) -> Connection:
    return connections.reject(caller_of(router), connection_id, body or RejectBody())


@router.post("/connections/<connection_id>/cancel", responses=errors(403, 404, 409))
def cancel_connection(connection_id: Id, body: Annotated[NoBody | None, Body()] = None) -> Connection:
    return connections.cancel(caller_of(router), connection_id)


@router.post("/connections/<connection_id>/disconnect", responses=errors(403, 404, 409))
def disconnect_connection(connection_id: Id, body: Annotated[DisconnectBody, Body()]) -> Connection:
    return connections.disconnect(caller_of(router), connection_id, body)


@router.get("/connections/<connection_id>/sync-status", responses=errors(403, 404))
def get_sync_status(connection_id: Id) -> SyncStatus:
    return sync_status_domain.status(caller_of(router), connection_id)


@router.post("/connections/<connection_id>/reconcile", responses=errors(403, 404, 409, ok=202))
def reconcile_connection(
    connection_id: Id, body: Annotated[NoBody | None, Body()] = None
) -> Response[ReconcileStarted]:
    return respond(202, sync_status_domain.start_reconcile(caller_of(router), connection_id))


@router.get("/projects/<project_id>/settings/connection-manager", responses=errors(403, 404))
def get_cm_settings(project_id: Id) -> Settings:
    return recipient_settings.get_recipient_settings(caller_of(router), project_id, recipients.CM)


@router.put("/projects/<project_id>/settings/connection-manager", responses=errors(403, 404))
def put_cm_settings(project_id: Id, body: Annotated[SettingsBody, Body()]) -> Settings:
    return recipient_settings.put_recipient_settings(
        caller_of(router), project_id, recipients.CM, body.notification_recipients
    )


@router.get("/companies/<company_id>/connections", responses=errors(403, 404))
def list_company_connections(company_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Connection]:
    return connections.list_for_company(caller_of(router), company_id, limit, next_token)


@router.get("/projects/<project_id>/notifications", responses=errors(403, 404))
def list_notifications(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Notification]:
    return notifications.list_for_project(caller_of(router), project_id, limit, next_token)


app = new_api()
app.include_router(router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)


runtime.initialized()  # last: everything above lives as long as the function
