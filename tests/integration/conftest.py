"""Handlers on moto: every resource made from template.yaml, events shaped as API Gateway sends them."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from connectability.aws import reset_clients
from connectability.config import get_settings
from local.events import LambdaContext, api_event
from local.template import Stack, create_resources, load

PLATFORM_ADMIN = "platform-admin"


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def error(self) -> dict[str, Any]:
        return self.body["error"]


@pytest.fixture(scope="session")
def stack() -> Stack:
    return load()


@pytest.fixture
def aws(stack: Stack) -> Iterator[None]:
    """A fresh moto account holding every table, queue and bucket of the template."""
    get_settings.cache_clear()
    reset_clients()
    with mock_aws():
        create_resources(stack)
        yield
    reset_clients()


class Api:
    """Calls the handler that template.yaml wires to a route, as API Gateway would."""

    def __init__(self, stack: Stack):
        self.stack = stack

    def __call__(
        self,
        method: str,
        path: str,
        user: str | None,
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> Answer:
        matched = self.stack.match(method, path.split("?")[0])
        assert matched, f"template.yaml has no route {method} {path}"
        route, params = matched
        claims = None
        if user is not None:
            claims = {"sub": user, "token_use": "id"}
            if user == PLATFORM_ADMIN:
                claims["cognito:groups"] = "platform-admins"
        event = api_event(method, route.path, path, claims=claims, body=body, query=query, path_parameters=params)
        handler = self.handler(route.function)
        response = handler(event, LambdaContext(route.function))
        raw = response.get("body")
        return Answer(response["statusCode"], json.loads(raw) if raw else None, response.get("headers") or {})

    def handler(self, function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        module, name = self.stack.functions[function].handler.rsplit(".", 1)
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


@pytest.fixture
def api(aws: None, stack: Stack) -> Api:
    return Api(stack)


@dataclass
class Directory:
    """A small world: one company with an admin and a project, for tests that need a starting point."""

    company_id: str
    project_id: str
    admin: str


@pytest.fixture
def world(api: Api) -> Directory:
    company = api("POST", "/companies", PLATFORM_ADMIN, {"name": "Apex Builders"}).body
    api(
        "PUT",
        f"/companies/{company['id']}/users/admin",
        PLATFORM_ADMIN,
        {"email": "admin@apex.example", "name": "Ada Admin", "is_company_admin": True},
    )
    project = api("POST", f"/companies/{company['id']}/projects", "admin", {"name": "Harbor Tower"}).body
    return Directory(company["id"], project["id"], "admin")
