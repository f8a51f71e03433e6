"""Directory API: companies, company users, projects and project directories (docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import runtime
from connectability.api import DIRECTORY, ApiRouter, Id, Limit, NextToken, UserId, caller_of, errors, new_api, respond
from connectability.domain import directory
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

companies = ApiRouter(DIRECTORY)
projects = ApiRouter(DIRECTORY)


@companies.post("/companies", responses=errors(403, ok=201))
def create_company(body: Annotated[CompanyCreate, Body()]) -> Response[Company]:
    company = directory.create_company(caller_of(companies), body)
    return respond(201, company)


@companies.get("/companies/<company_id>", responses=errors(404))
def get_company(company_id: Id) -> Company:
    return directory.get_company(caller_of(companies), company_id)


@companies.get("/me/companies", responses=errors())
def list_my_companies() -> Page[Membership]:
    return directory.my_companies(caller_of(companies))


@companies.patch("/companies/<company_id>", responses=errors(403, 404))
def update_company(company_id: Id, body: Annotated[CompanyUpdate, Body()]) -> Company:
    return directory.update_company(caller_of(companies), company_id, body)


@companies.put("/companies/<company_id>/users/<user_id>", responses=errors(403, 404, ok=(200, 201)))
def put_company_user(company_id: Id, user_id: UserId, body: Annotated[CompanyUserPut, Body()]) -> Response[CompanyUser]:
    user, created = directory.put_company_user(caller_of(companies), company_id, user_id, body)
    return respond(201 if created else 200, user)


@companies.delete("/companies/<company_id>/users/<user_id>", responses=errors(403, 404, ok=204))
def remove_company_user(company_id: Id, user_id: UserId) -> Response[None]:
    directory.remove_company_user(caller_of(companies), company_id, user_id)
    return respond(204)


@companies.post("/companies/<company_id>/projects", responses=errors(403, 404, ok=201))
def create_project(company_id: Id, body: Annotated[ProjectCreate, Body()]) -> Response[Project]:
    return respond(201, directory.create_project(caller_of(companies), company_id, body))


@companies.get("/companies/<company_id>/projects", responses=errors(404))
def list_projects(company_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[Project]:
    return directory.list_projects(caller_of(companies), company_id, limit, next_token)


@projects.get("/projects/<project_id>", responses=errors(404))
def get_project(project_id: Id) -> Project:
    return directory.get_project(caller_of(projects), project_id)


@projects.patch("/projects/<project_id>", responses=errors(403, 404))
def update_project(project_id: Id, body: Annotated[ProjectUpdate, Body()]) -> Project:
    return directory.update_project(caller_of(projects), project_id, body)


@projects.put("/projects/<project_id>/directory/<user_id>", responses=errors(403, 404))
def put_directory_entry(project_id: Id, user_id: UserId, body: Annotated[DirectoryEntryPut, Body()]) -> DirectoryEntry:
    return directory.put_directory_entry(caller_of(projects), project_id, user_id, body)


@projects.delete("/projects/<project_id>/directory/<user_id>", responses=errors(403, 404, ok=204))
def remove_directory_entry(project_id: Id, user_id: UserId) -> Response[None]:
    directory.remove_directory_entry(caller_of(projects), project_id, user_id)
    return respond(204)


@projects.get("/projects/<project_id>/directory", responses=errors(404))
def list_directory(project_id: Id, limit: Limit = 50, next_token: NextToken = None) -> Page[DirectoryEntry]:
    return directory.list_directory(caller_of(projects), project_id, limit, next_token)


app = new_api()
app.include_router(companies)
app.include_router(projects)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)


runtime.initialized()  # last: everything above lives as long as the function
