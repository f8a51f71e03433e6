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
from connectability.models.drawings import (
    AreaUpdate,
    ConnectedPublishRequest,
    Drawing,
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
from connectability.models.manifests import Area, Discipline, DrawingSet
from connectability.models.recipients import Settings, SettingsBody
from connectability.models.sync_status import Delivery
from connectability.observability import logger, metrics, tracer

router = ApiRouter(DRAWINGS)


@router.post("/projects/<project_id>/drawing-uploads", responses=errors(403, 404, ok=201))
def create_upload(project_id: Id, body: Annotated[UploadRequest, Body()]) -> Response[Upload]:
    """Ask for an upload: a presigned S3 PUT for one file (Drawings standard and above).

    PUT the file to `url` with exactly the `headers` listed (they are signed), within 15 minutes; then create the
    revision with its `upload_id`. PDF, PNG, JPEG or TIFF, up to 5 GB."""
    return respond(201, revisions.create_upload(caller_of(router), project_id, body))


@router.post("/projects/<project_id>/drawing-revisions", responses=errors(403, 404, 409, ok=201))
def create_revision(project_id: Id, body: Annotated[RevisionCreate, Body()]) -> Response[Revision]:
    """Create a draft revision from an uploaded file (Drawings standard and above).

    A known drawing number makes the next revision of that drawing; a new one makes a new drawing. The file is
    checked (its size and type by its bytes) and hashed; its thumbnail follows. Refused (409) when the drawing
    already has that revision number, or is a connected drawing (R24)."""
    return respond(201, revisions.create_revision(caller_of(router), project_id, body))


@router.post("/projects/<project_id>/drawing-revisions/publish", responses=errors(403, 404, 409))
def publish_revisions(project_id: Id, body: Annotated[PublishRequest, Body()]) -> Published:
    """Publish drafts (Drawings admins), up to 2,000 in one call.

    All are checked before any changes; each drawing's newest revision becomes its current one, and sync copies
    them to every connected downstream project (R19)."""
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
    """The register: the project's drawings with their current published revisions (Drawings read_only and above).

    By discipline, then drawing number. Filters: area, discipline (its name), obsolete drawings; Drawings admins may
    ask for the drawings with drafts (`include_drafts`), each with its `drafts`. A connected drawing says where it
    comes from (R22, R23)."""
    return register.register(
        caller_of(router), project_id, area_id, discipline, include_obsolete, include_drafts, limit, next_token
    )


@router.get("/projects/<project_id>/drawings/<drawing_id>", responses=errors(403, 404))
def get_drawing(project_id: Id, drawing_id: Id) -> Drawing:
    """Read a drawing with its revisions (Drawings read_only and above).

    Its fields (R20), current revision and every revision the caller may see, oldest first: published ones for
    everyone, drafts and copies waiting for review for Drawings admins."""
    return drawings.get_drawing(caller_of(router), project_id, drawing_id)


@router.patch("/projects/<project_id>/drawings/<drawing_id>", responses=errors(403, 404, 409))
def update_drawing(project_id: Id, drawing_id: Id, body: Annotated[DrawingUpdate, Body()]) -> Drawing:
    """Edit a drawing (Drawings admins).

    Title, obsolete, discipline, area and set, and its current revision's status and dates. A connected drawing's
    synced fields cannot be edited here (R24); changes to a published drawing reach every connected project (R25)."""
    return drawings.update_drawing(caller_of(router), project_id, drawing_id, body)


@router.delete("/projects/<project_id>/drawings/<drawing_id>", responses=errors(403, 404, 409, ok=204))
def delete_drawing(project_id: Id, drawing_id: Id) -> Response[None]:
    """Delete a drawing and all its revisions (Drawings admins).

    It leaves the register; its revisions go to the Deleted Drawing Revisions report, and connected projects lose it
    too (R28)."""
    drawing_deletes.delete_drawing(caller_of(router), project_id, drawing_id)
    return respond(204)


@router.get("/projects/<project_id>/drawing-revisions/<revision_id>", responses=errors(403, 404))
def get_revision(project_id: Id, revision_id: Id) -> Revision:
    """Read one revision (as its drawing shows it; a draft to its uploader too).

    For following a fresh upload: its file check (`file.state`) and its thumbnail."""
    return register.get_revision(caller_of(router), project_id, revision_id)


@router.get("/projects/<project_id>/drawing-revisions/<revision_id>/file", responses=errors(403, 404))
def get_file_link(project_id: Id, revision_id: Id) -> FileLink:
    """A link to download a revision's file (Drawings read_only and above).

    A presigned S3 GET, valid 15 minutes, of the very bytes the revision recorded, saved under the drawing's number
    and revision. Drafts and copies waiting for review: Drawings admins."""
    return drawings.file_link(caller_of(router), project_id, revision_id)


@router.get("/projects/<project_id>/drawing-revisions/<revision_id>/deliveries", responses=errors(403, 404))
def list_deliveries(project_id: Id, revision_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Delivery]:
    """Delivery receipts of an upstream revision (Drawings admins, R40).

    For each connected downstream project: whether the revision is waiting, waiting for review, published or
    deleted there, or failed (with the reason), and the copy's id."""
    return sync_status.deliveries(caller_of(router), project_id, revision_id, limit, next_token)


@router.get("/projects/<project_id>/drawing-areas", responses=errors(403, 404))
def list_areas(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Area]:
    """List the project's drawing areas (Drawings read_only and above).

    The project's own areas and those that came with a connected project's drawings (those change only upstream)."""
    return register.list_areas(caller_of(router), project_id, limit, next_token)


@router.get("/projects/<project_id>/drawing-disciplines", responses=errors(403, 404))
def list_disciplines(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Discipline]:
    """List the project's own disciplines (Drawings read_only and above).

    By name, with their positions: pick one for a new revision, or name a new one."""
    return register.list_disciplines(caller_of(router), project_id, limit, next_token)


@router.get("/projects/<project_id>/drawing-sets", responses=errors(403, 404))
def list_sets(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[DrawingSet]:
    """List the project's own drawing sets (Drawings read_only and above).

    By name, with their dates: pick one for a new revision, or name a new one."""
    return register.list_sets(caller_of(router), project_id, limit, next_token)


@router.patch("/projects/<project_id>/drawing-areas/<area_id>", responses=errors(403, 404, 409))
def update_area(project_id: Id, area_id: Id, body: Annotated[AreaUpdate, Body()]) -> Area:
    """Rename an area or change its description (Drawings admins).

    Every drawing in it shows the change, and connected projects receive it (R25). A connected area changes only
    upstream (R24)."""
    return drawings.update_area(caller_of(router), project_id, area_id, body)


@router.post("/projects/<project_id>/drawings/<drawing_id>/markups", responses=errors(403, 404, ok=201))
def add_markup(project_id: Id, drawing_id: Id, body: Annotated[MarkupCreate, Body()]) -> Response[Markup]:
    """Add a markup to a drawing's revision (Drawings standard and above, R27).

    `data` is a JSON object of at most 64 KiB (a pinned note, for example). Markups stay in this project: they are
    never copied, and they stay when a new upstream revision arrives."""
    return respond(201, markups.add_markup(caller_of(router), project_id, drawing_id, body))


@router.get("/projects/<project_id>/drawings/<drawing_id>/markups", responses=errors(403, 404))
def list_markups(project_id: Id, drawing_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Markup]:
    """List a drawing's markups (Drawings read_only and above, R27).

    Every markup of the drawing, on any of its revisions, oldest first: they stay when a newer revision arrives."""
    return markups.list_markups(caller_of(router), project_id, drawing_id, limit, next_token)


@router.get("/projects/<project_id>/reports/deleted-drawing-revisions", responses=errors(403, 404))
def list_deleted_revisions(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Revision]:
    """The Deleted Drawing Revisions report (Drawings admins, R28).

    Every revision of a deleted drawing, newest deletion first, with when and by whom; a drawing deleted upstream
    appears here in each connected project."""
    return drawing_deletes.deleted_report(caller_of(router), project_id, limit, next_token)


@router.get("/projects/<project_id>/connected-drawings/review", responses=errors(403, 404))
def list_review_queue(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Revision]:
    """List the connected copies waiting for review (Drawings admins, R21).

    Each says whether it brings a new drawing or the next revision of one the project has (`arrival`)."""
    return review.review_queue(caller_of(router), project_id, limit, next_token)


@router.post("/projects/<project_id>/connected-drawings/publish", responses=errors(403, 404, 409))
def publish_connected(project_id: Id, body: Annotated[ConnectedPublishRequest, Body()]) -> Published:
    """Publish connected copies waiting for review: some by id, or all (Drawings admins, R21).

    Once published, every reader of the project sees them (R22)."""
    return review.publish_copies(caller_of(router), project_id, body)


@router.get("/projects/<project_id>/settings/drawings", responses=errors(403, 404))
def get_drawings_settings(project_id: Id) -> Settings:
    """Read who is mailed of drawings events (Drawings admins, R38).

    Initial sync complete, drawings published upstream, drawings deleted upstream (R34-R36). `eligible` lists the
    people who may be chosen, by name."""
    return recipient_settings.get_recipient_settings(caller_of(router), project_id, recipients.DRAWINGS)


@router.put("/projects/<project_id>/settings/drawings", responses=errors(403, 404))
def put_drawings_settings(project_id: Id, body: Annotated[SettingsBody, Body()]) -> Settings:
    """Set who is mailed of drawings events (Drawings admins, R38).

    `default` mails the project's Drawings admins; `selected` mails only the Drawings admins named."""
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
