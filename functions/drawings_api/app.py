"""Drawings API: uploads, revisions, publishing, the register, edits, deletes, markups, files, settings."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import runtime
from connectability.api import (
    DRAWINGS,
    ID_PATTERN,
    ApiRouter,
    Id,
    Limit,
    NextToken,
    caller_of,
    errors,
    new_api,
    respond,
)
from connectability.domain import (
    drawing_deletes,
    drawings,
    markups,
    recipient_settings,
    recipients,
    register,
    review,
    revisions,
    sync_status,
)
from connectability.models.common import Page
from connectability.models.connections import Settings, SettingsBody
from connectability.models.drawings import (
    Area,
    AreaUpdate,
    ConnectedPublishRequest,
    Discipline,
    Drawing,
    DrawingSet,
    DrawingUpdate,
    FileLink,
    Markup,
    MarkupCreate,
    Published,
    PublishRequest,
    Revision,
    RevisionCreate,
    Upload,
    UploadRequest,
)
from connectability.models.sync import Delivery
from connectability.observability import logger, metrics, tracer

router = ApiRouter(DRAWINGS)


@router.post("/projects/<project_id>/drawing-uploads", responses=errors(403, 404, ok=201))
def create_upload(project_id: Id, body: Annotated[UploadRequest, Body()]) -> Response[Upload]:
    return respond(201, revisions.create_upload(caller_of(router), project_id, body))


@router.post("/projects/<project_id>/drawing-revisions", responses=errors(403, 404, 409, ok=201))
def create_revision(project_id: Id, body: Annotated[RevisionCreate, Body()]) -> Response[Revision]:
    return respond(201, revisions.create_revision(caller_of(router), project_id, body))


@router.post("/projects/<project_id>/drawing-revisions/publish", responses=errors(403, 404, 409))
def publish_revisions(project_id: Id, body: Annotated[PublishRequest, Body()]) -> Published:
    return drawings.publish_drafts(caller_of(router), project_id, body)


@router.get("/projects/<project_id>/drawings", responses=errors(403, 404))
def list_drawings(
    project_id: Id,
    area_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    discipline: Annotated[str | None, Query(max_length=64, description="A discipline's name.")] = None,
    include_obsolete: Annotated[bool, Query()] = False,
    include_drafts: Annotated[bool, Query(description="Drawings admins only: drawings with drafts only.")] = False,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> Page[Drawing]:
    return register.register(
        caller_of(router), project_id, area_id, discipline, include_obsolete, include_drafts, limit, next_token
    )


@router.get("/projects/<project_id>/drawings/<drawing_id>", responses=errors(403, 404))
def get_drawing(project_id: Id, drawing_id: Id) -> Drawing:
    return drawings.get_drawing(caller_of(router), project_id, drawing_id)


@router.patch("/projects/<project_id>/drawings/<drawing_id>", responses=errors(403, 404, 409))
def update_drawing(project_id: Id, drawing_id: Id, body: Annotated[DrawingUpdate, Body()]) -> Drawing:
    return drawings.update_drawing(caller_of(router), project_id, drawing_id, body)


@router.delete("/projects/<project_id>/drawings/<drawing_id>", responses=errors(403, 404, 409, ok=204))
def delete_drawing(project_id: Id, drawing_id: Id) -> Response[None]:
    drawing_deletes.delete_drawing(caller_of(router), project_id, drawing_id)
    return respond(204)


@router.get("/projects/<project_id>/drawing-revisions/<revision_id>", responses=errors(403, 404))
def get_revision(project_id: Id, revision_id: Id) -> Revision:
    """One revision as its drawing shows it; its uploader may follow a draft's file check and thumbnail."""
    return register.get_revision(caller_of(router), project_id, revision_id)


@router.get("/projects/<project_id>/drawing-revisions/<revision_id>/file", responses=errors(403, 404))
def get_file_link(project_id: Id, revision_id: Id) -> FileLink:
    return drawings.file_link(caller_of(router), project_id, revision_id)


@router.get("/projects/<project_id>/drawing-revisions/<revision_id>/deliveries", responses=errors(403, 404))
def list_deliveries(project_id: Id, revision_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Delivery]:
    """Delivery receipts (R40): which downstream projects hold this revision, and in which state."""
    return sync_status.deliveries(caller_of(router), project_id, revision_id, limit, next_token)


@router.get("/projects/<project_id>/drawing-areas", responses=errors(403, 404))
def list_areas(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Area]:
    return register.list_areas(caller_of(router), project_id, limit, next_token)


@router.get("/projects/<project_id>/drawing-disciplines", responses=errors(403, 404))
def list_disciplines(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Discipline]:
    """The project's own disciplines, by name, for a new revision to pick from."""
    return register.list_disciplines(caller_of(router), project_id, limit, next_token)


@router.get("/projects/<project_id>/drawing-sets", responses=errors(403, 404))
def list_sets(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[DrawingSet]:
    """The project's own drawing sets, by name, for a new revision to pick from."""
    return register.list_sets(caller_of(router), project_id, limit, next_token)


@router.patch("/projects/<project_id>/drawing-areas/<area_id>", responses=errors(403, 404, 409))
def update_area(project_id: Id, area_id: Id, body: Annotated[AreaUpdate, Body()]) -> Area:
    return drawings.update_area(caller_of(router), project_id, area_id, body)


@router.post("/projects/<project_id>/drawings/<drawing_id>/markups", responses=errors(403, 404, ok=201))
def add_markup(project_id: Id, drawing_id: Id, body: Annotated[MarkupCreate, Body()]) -> Response[Markup]:
    return respond(201, markups.add_markup(caller_of(router), project_id, drawing_id, body))


@router.get("/projects/<project_id>/drawings/<drawing_id>/markups", responses=errors(403, 404))
def list_markups(project_id: Id, drawing_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Markup]:
    return markups.list_markups(caller_of(router), project_id, drawing_id, limit, next_token)


@router.get("/projects/<project_id>/reports/deleted-drawing-revisions", responses=errors(403, 404))
def list_deleted_revisions(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Revision]:
    return drawing_deletes.deleted_report(caller_of(router), project_id, limit, next_token)


@router.get("/projects/<project_id>/connected-drawings/review", responses=errors(403, 404))
def list_review_queue(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Revision]:
    return review.review_queue(caller_of(router), project_id, limit, next_token)


@router.post("/projects/<project_id>/connected-drawings/publish", responses=errors(403, 404, 409))
def publish_connected(project_id: Id, body: Annotated[ConnectedPublishRequest, Body()]) -> Published:
    return review.publish_copies(caller_of(router), project_id, body)


@router.get("/projects/<project_id>/settings/drawings", responses=errors(403, 404))
def get_drawings_settings(project_id: Id) -> Settings:
    return recipient_settings.get_recipient_settings(caller_of(router), project_id, recipients.DRAWINGS)


@router.put("/projects/<project_id>/settings/drawings", responses=errors(403, 404))
def put_drawings_settings(project_id: Id, body: Annotated[SettingsBody, Body()]) -> Settings:
    return recipient_settings.put_recipient_settings(
        caller_of(router), project_id, recipients.DRAWINGS, body.notification_recipients
    )


app = new_api()
app.include_router(router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)


runtime.initialized()  # last: everything above lives as long as the function
