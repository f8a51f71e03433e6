"""Directory API: companies, company users, projects and project directories, and their audit trails (docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import runtime
from connectability.api import (
    DIRECTORY,
    USER_ID_PATTERN,
    ApiRouter,
    Id,
    Limit,
    NextToken,
    UserId,
    answers_csv,
    caller_of,
    csv_attachment,
    errors,
    new_api,
    respond,
    wants_csv,
)
from connectability.domain import audit, directory
from connectability.models.audit import AuditAction, AuditRecord, TrailQuery
from connectability.models.common import Page
from connectability.models.directory import (
    Company,
    CompanyCreate,
    CompanyUpdate,
    CompanyUser,
    CompanyUserPut,
    DirectoryEntry,
    DirectoryEntryPut,
    Membership,
    Project,
    ProjectCreate,
    ProjectUpdate,
)
from connectability.observability import logger, metrics, tracer
from directory_api import webhooks as webhook_routes

companies = ApiRouter(DIRECTORY)
projects = ApiRouter(DIRECTORY)


@companies.post("/companies", responses=errors(403, ok=201))
def create_company(body: Annotated[CompanyCreate, Body()]) -> Response[Company]:
    """Create a company (platform admins).

    A company is a customer account (R01). It gets its own private, encrypted, versioned S3 bucket for its
    drawings. Give it its first company admin with PUT /companies/{company_id}/users/{user_id}."""
    company = directory.create_company(caller_of(companies), body)
    return respond(201, company)


@companies.get("/companies/<company_id>", responses=errors(404))
def get_company(company_id: Id) -> Company:
    """Read a company (its users).

    Answers the company's name and settings: `connection_approval` (R08) and `connected_drawings_beta` (R05)."""
    return directory.get_company(caller_of(companies), company_id)


@companies.get("/me/companies", responses=errors())
def list_my_companies(limit: Limit = 50, next_token: NextToken = None) -> Page[Membership]:
    """List the caller's own companies.

    Where a client starts: every company the signed-in user belongs to, with whether they are its admin (R01)."""
    return directory.my_companies(caller_of(companies), limit, next_token)


@companies.patch("/companies/<company_id>", responses=errors(403, 404))
def update_company(company_id: Id, body: Annotated[CompanyUpdate, Body()]) -> Company:
    """Change a company's name or settings (company admins).

    `connection_approval`: `automatic` makes every request an active connection at once, `manual` waits for an
    upstream CM admin (R08). `connected_drawings_beta` opts the company in to receiving drawings (R05)."""
    return directory.update_company(caller_of(companies), company_id, body)


@companies.put("/companies/<company_id>/users/<user_id>", responses=errors(403, 404, ok=(200, 201)))
def put_company_user(company_id: Id, user_id: UserId, body: Annotated[CompanyUserPut, Body()]) -> Response[CompanyUser]:
    """Add a user to a company, or update them (company admins; platform admins too).

    The user id is the identity's Cognito `sub`. 201 when the user was added, 200 when updated. A user must be a
    user of a company before being added to its projects' directories."""
    user, created = directory.put_company_user(caller_of(companies), company_id, user_id, body)
    return respond(201 if created else 200, user)


@companies.delete("/companies/<company_id>/users/<user_id>", responses=errors(403, 404, ok=204))
def remove_company_user(company_id: Id, user_id: UserId) -> Response[None]:
    """Remove a user from a company (company admins).

    Their directory entries in the company's projects go too. Connections they requested stay (R18)."""
    directory.remove_company_user(caller_of(companies), company_id, user_id)
    return respond(204)


@companies.post("/companies/<company_id>/projects", responses=errors(403, 404, ok=201))
def create_project(company_id: Id, body: Annotated[ProjectCreate, Body()]) -> Response[Project]:
    """Create a project in a company (company admins).

    A project starts `active`; add people to its directory with PUT /projects/{project_id}/directory/{user_id}."""
    return respond(201, directory.create_project(caller_of(companies), company_id, body))


@companies.get("/companies/<company_id>/projects", responses=errors(404))
def list_projects(company_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Project]:
    """List a company's projects (the caller's, or all for company admins).

    A user sees the projects whose directory holds them; a company admin sees every project of the company.
    Pages of up to 200 (`limit`), the next with `next_token`."""
    return directory.list_projects(caller_of(companies), company_id, limit, next_token)


@projects.get("/projects/<project_id>", responses=errors(404))
def get_project(project_id: Id) -> Project:
    """Read a project (its directory members and its company's admins).

    Its name, company and status (`active` or `inactive`, R03). Anyone else gets 404: a project of another
    company is never revealed."""
    return directory.get_project(caller_of(projects), project_id)


@projects.patch("/projects/<project_id>", responses=errors(403, 404))
def update_project(project_id: Id, body: Annotated[ProjectUpdate, Body()]) -> Project:
    """Rename a project, or make it active or inactive (company admins).

    Only active projects can be connected (R03)."""
    return directory.update_project(caller_of(projects), project_id, body)


@projects.put("/projects/<project_id>/directory/<user_id>", responses=errors(403, 404))
def put_directory_entry(project_id: Id, user_id: UserId, body: Annotated[DirectoryEntryPut, Body()]) -> DirectoryEntry:
    """Add a user to a project's directory, or change their levels (company admins).

    Each tool has a level: `none` < `read_only` < `standard` < `admin` (R02), for the Connection Manager
    (`connection_manager`) and for Drawings (`drawings`)."""
    return directory.put_directory_entry(caller_of(projects), project_id, user_id, body)


@projects.get("/projects/<project_id>/directory/<user_id>", responses=errors(404))
def get_directory_entry(project_id: Id, user_id: UserId) -> DirectoryEntry:
    """Read one user's directory entry (directory members and the company's admins).

    A client reads the signed-in user's own entry to know what to offer them; 404 when the user is not in the
    project's directory."""
    return directory.get_directory_entry(caller_of(projects), project_id, user_id)


@projects.delete("/projects/<project_id>/directory/<user_id>", responses=errors(403, 404, ok=204))
def remove_directory_entry(project_id: Id, user_id: UserId) -> Response[None]:
    """Remove a user from a project's directory (company admins).

    They lose what the directory gave them in this project; connections they requested stay (R18)."""
    directory.remove_directory_entry(caller_of(projects), project_id, user_id)
    return respond(204)


@projects.get("/projects/<project_id>/directory", responses=errors(404))
def list_directory(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[DirectoryEntry]:
    """List a project's directory: who is in it, with their levels (directory members).

    Each entry names the user (name and email as their company knows them) and their level in the Connection Manager
    and in Drawings (R02)."""
    return directory.list_directory(caller_of(projects), project_id, limit, next_token)


AuditUser = Annotated[
    str | None, Query(min_length=1, max_length=128, pattern=USER_ID_PATTERN, description="Only this user's changes.")
]
AuditKind = Annotated[AuditAction | None, Query(description="Only changes of this kind.")]
From = Annotated[datetime | None, Query(alias="from", description="Only changes at or after (ISO 8601; UTC if bare).")]
To = Annotated[datetime | None, Query(alias="to", description="Only changes at or before (ISO 8601; UTC if bare).")]
Format = Annotated[Literal["json", "csv"] | None, Query(alias="format", description="csv: the page as a CSV file.")]
TRAIL_CSV = answers_csv(errors(403, 404), Page[AuditRecord])


@companies.get("/companies/<company_id>/audit", responses=TRAIL_CSV)
def list_company_audit(
    company_id: Id,
    user_id: AuditUser = None,
    action: AuditKind = None,
    since: From = None,
    until: To = None,
    as_format: Format = None,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> Response[Page[AuditRecord] | str]:
    """Read the company's audit trail, newest first (company admins, R46).

    Every change made to the company, its users and its projects, each with who made it (id and name), when, the
    fields it changed (before and after) and the request's id. Filter by user, action and time (`from`, `to`);
    `format=csv` (or `Accept: text/csv`) answers the same page as a CSV file. A filtered page may hold fewer than
    `limit` entries: follow `next_token`."""
    query = TrailQuery(user_id=user_id, action=action, since=since, until=until)
    page = audit.company_trail(caller_of(companies), company_id, query, limit, next_token)
    return _trail_answer(companies, page, as_format, f"audit-{company_id}.csv")


@projects.get("/projects/<project_id>/audit", responses=TRAIL_CSV)
def list_project_audit(
    project_id: Id,
    user_id: AuditUser = None,
    action: AuditKind = None,
    since: From = None,
    until: To = None,
    as_format: Format = None,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> Response[Page[AuditRecord] | str]:
    """Read the project's audit trail, newest first (its Connection Manager admins, R46).

    Every change made to the project: its settings, directory, connections (either side), drawings, markups and
    reconcile requests, with who, when, the fields changed (before and after) and the request's id. Filters, paging
    and CSV as the company's trail."""
    query = TrailQuery(user_id=user_id, action=action, since=since, until=until)
    page = audit.project_trail(caller_of(projects), project_id, query, limit, next_token)
    return _trail_answer(projects, page, as_format, f"audit-{project_id}.csv")


def _trail_answer(router: ApiRouter, page: Page[AuditRecord], given: str | None, filename: str) -> Response[Any]:
    if wants_csv(router, given):
        return csv_attachment(audit.as_csv(page), filename, page.next_token)
    return respond(200, page)


app = new_api()
app.include_router(companies)
app.include_router(projects)
app.include_router(webhook_routes.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)


runtime.initialized()  # last: everything above lives as long as the function
