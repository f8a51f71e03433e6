"""template.yaml, the local gateway and the generated OpenAPI document describe the same routes."""

from __future__ import annotations

import re

import pytest

from local import openapi
from local.client import LocalStackClient
from local.template import load

pytestmark = pytest.mark.e2e

TEMPLATE_ROUTES = sorted({(r.method, r.path) for r in load().routes})


def test_the_gateway_route_table_is_the_template(local_stack: LocalStackClient) -> None:
    # Given the routes of template.yaml
    # When the running gateway is asked for its own table
    table = local_stack.http.get(f"{local_stack.url}/_local/routes", timeout=10).json()["items"]

    # Then they are the same routes, to the same functions
    assert sorted((r["method"], r["path"], r["function"]) for r in table) == sorted(
        (r.method, r.path, r.function) for r in load().routes
    )


@pytest.mark.parametrize(("method", "path"), TEMPLATE_ROUTES, ids=[f"{m} {p}" for m, p in TEMPLATE_ROUTES])
def test_every_template_route_reaches_a_handler_that_serves_it(
    local_stack: LocalStackClient, method: str, path: str
) -> None:
    # Given a route of template.yaml with made-up path parameters
    concrete = re.sub(r"\{[^}]+\}", "drift-check", path)

    # When the platform admin requests it with an empty object
    answer = local_stack.call(method, concrete, user="platform-admin", json={} if method != "GET" else None)

    # Then neither the gateway nor the function's resolver answers "no route", and nothing crashes
    assert answer.status_code not in (405, 502), answer.text
    if answer.status_code == 404:
        assert not answer.json()["error"]["message"].startswith("No route"), answer.text
    assert answer.status_code < 500, answer.text


def test_template_routes_and_the_openapi_document_agree() -> None:
    # Given the generated OpenAPI document
    document = openapi.build()

    # When its operations are listed
    documented = sorted((method.upper(), path) for path, ops in document["paths"].items() for method in ops)

    # Then they are exactly the routes of template.yaml
    assert documented == TEMPLATE_ROUTES
