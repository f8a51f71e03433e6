"""Directory fixtures: companies, their users, projects and project directories, applied through the domain.

Format (JSON; `local/demo.json` is the demo and an example):

    {"companies": [
      {"key": "gc",                          # the fixture's own name for it; the answer maps it to the id
       "name": "Apex Builders",
       "connection_approval": "manual",      # optional: automatic | manual (default manual)
       "connected_drawings_beta": false,     # optional (default false)
       "users": [{"user_id": "gc-admin", "email": "gc-admin@apex.example", "name": "Ada Admin",
                  "is_company_admin": true}],          # is_company_admin optional (default false)
       "projects": [{"key": "gc-tower", "name": "Harbor Tower",
                     "directory": [{"user_id": "gc-admin",          # must be a user of this company
                                    "connection_manager": "admin",  # none | read_only | standard | admin
                                    "drawings": "admin"}],          # both optional (default none)
                     "drawings": [{"number": "A-101", "title": "Ground floor plan",   # optional: published
                                   "discipline": "Architectural", "area": "Level 1"}]}]}]}  # (area optional)

`{"demo": true}` seeds the demo itself (local/demo.json), from any folder.

A project's drawings are published as real PDF sheets by its first Drawings admin in the directory, through the
API as a user would. A company whose name another company has already gets a number after it ("Apex Builders
2"), so a second copy of a fixture can be told apart from the first. A person who works for two companies is
listed under both. Companies are made by the platform admin, who
also adds their users; projects and directory entries are made by the company's first company admin, so a
company with projects needs one. Keys and ids never collide across runs: ids are made by the server.
The answer: {"companies": {key: id}, "company_names": {key: name}, "projects": {key: id}, "users": [user_id,
...], "published": {project id: [revision id, ...]}}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEMO = Path(__file__).resolve().parent / "demo.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FixtureUser(_Strict):
    user_id: str
    email: str
    name: str
    is_company_admin: bool = False


class FixtureEntry(_Strict):
    user_id: str
    connection_manager: str = "none"
    drawings: str = "none"


class FixtureSheet(_Strict):
    number: str
    title: str
    discipline: str
    area: str | None = None


class FixtureProject(_Strict):
    key: str
    name: str
    directory: list[FixtureEntry] = Field(default_factory=list)
    drawings: list[FixtureSheet] = Field(default_factory=list)

    def publisher(self) -> str | None:
        """Who publishes the project's drawings: its first Drawings admin."""
        return next((e.user_id for e in self.directory if e.drawings == "admin"), None)


class FixtureCompany(_Strict):
    key: str
    name: str
    connection_approval: str = "manual"
    connected_drawings_beta: bool = False
    users: list[FixtureUser] = Field(default_factory=list)
    projects: list[FixtureProject] = Field(default_factory=list)


class Fixture(_Strict):
    companies: list[FixtureCompany]


class FixtureError(ValueError):
    """The fixture is well-formed but cannot be applied (e.g. projects without a company admin)."""


def demo() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(DEMO.read_text())
    return result


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name 2`, `name 3`... the first not taken (and now taken)."""
    chosen, n = name, 1
    while chosen.casefold() in taken:
        n += 1
        chosen = f"{name} {n}"
    taken.add(chosen.casefold())
    return chosen


def apply(data: dict[str, Any], taken: set[str] | None = None) -> dict[str, Any]:
    """Create everything the fixture describes, companies named apart from those in `taken` (casefolded names);
    raises pydantic's ValidationError, FixtureError or a domain error. Drawings are left to `publish` (they go
    through the API, as a user's would)."""
    # Imported here: the domain reads settings on first use, after the stack has set the environment.
    from connectability.domain import directory
    from connectability.domain.permissions import Caller
    from connectability.models.directory import (
        CompanyCreate,
        CompanyUserPut,
        DirectoryEntryPut,
        ProjectCreate,
    )
    from local.tokens import PLATFORM_ADMIN, PLATFORM_ADMIN_GROUP

    fixture = Fixture.model_validate(data)
    for spec in fixture.companies:
        for named in spec.projects:
            if named.drawings and named.publisher() is None:
                raise FixtureError(f"project {named.key!r} has drawings but no Drawings admin to publish them")
    taken = taken if taken is not None else set()
    platform = Caller(PLATFORM_ADMIN, frozenset({PLATFORM_ADMIN_GROUP}), is_platform_admin=True)
    answer: dict[str, Any] = {"companies": {}, "projects": {}, "users": []}
    for spec in fixture.companies:
        company = directory.create_company(
            platform,
            CompanyCreate.model_validate(
                spec.model_dump(include={"connection_approval", "connected_drawings_beta"})
                | {"name": unique_name(spec.name, taken)}
            ),
        )
        answer["companies"][spec.key] = company.id
        answer.setdefault("company_names", {})[spec.key] = company.name
        for user in spec.users:
            body = CompanyUserPut.model_validate(user.model_dump(exclude={"user_id"}))
            directory.put_company_user(platform, company.id, user.user_id, body)
            if user.user_id not in answer["users"]:
                answer["users"].append(user.user_id)
        if not spec.projects:
            continue
        admin = next((u.user_id for u in spec.users if u.is_company_admin), None)
        if admin is None:
            raise FixtureError(f"company {spec.key!r} has projects but no user with is_company_admin: true")
        caller = Caller(admin)
        for project_spec in spec.projects:
            project = directory.create_project(caller, company.id, ProjectCreate(name=project_spec.name))
            answer["projects"][project_spec.key] = project.id
            for entry in project_spec.directory:
                permissions = entry.model_dump(include={"connection_manager", "drawings"})
                directory.put_directory_entry(
                    caller, project.id, entry.user_id, DirectoryEntryPut.model_validate({"permissions": permissions})
                )
    return answer


def emails(data: dict[str, Any]) -> dict[str, str]:
    """user_id → email, so the tokens the stack issues carry the `email` claim Cognito would."""
    return {u.user_id: u.email for c in Fixture.model_validate(data).companies for u in c.users}


def names(data: dict[str, Any]) -> dict[str, str]:
    """user_id → name, for the console's user picker on the local stack."""
    return {u.user_id: u.name for c in Fixture.model_validate(data).companies for u in c.users}


def memberships(data: dict[str, Any], answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(user_id, company name, company id) for every company user, for the curl lines printed at startup."""
    return [
        (u.user_id, c.name, answer["companies"][c.key]) for c in Fixture.model_validate(data).companies for u in c.users
    ]


def drawings_to_publish(
    data: dict[str, Any], answer: dict[str, Any]
) -> list[tuple[str, str, str, str, list[FixtureSheet]]]:
    """(project id, publisher, project name, company name, sheets) for each project that has drawings."""
    found = []
    for company in Fixture.model_validate(data).companies:
        for project in company.projects:
            publisher = project.publisher()
            if project.drawings and publisher is not None:
                name = answer.get("company_names", {}).get(company.key, company.name)
                found.append((answer["projects"][project.key], publisher, project.name, name, project.drawings))
    return found
