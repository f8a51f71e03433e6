"""The API keeps the promises of its own OpenAPI document: schemathesis sends generated requests to the local
stack and checks every answer against the document (status documented, body and content type as documented,
never a server error)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from local.client import LocalStackClient
from local.openapi import build
from tests.e2e.conftest import unique_fixture

schema = schemathesis.openapi.from_dict(build())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def caller(local_stack: LocalStackClient) -> dict[str, Any]:
    """A company admin of a seeded company, and the ids that make generated requests reach real resources."""
    fixture, suffix = unique_fixture()
    ids = local_stack.seed(fixture)
    return {
        "headers": {"Authorization": f"Bearer {local_stack.token(f'gc-admin-{suffix}')}"},
        "ids": {"company_id": ids["companies"][f"gc-{suffix}"], "project_id": ids["projects"][f"gc-tower-{suffix}"]},
    }


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_document(case: Any, local_stack: LocalStackClient, caller: dict[str, Any]) -> None:
    for name, value in caller["ids"].items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    response = case.call(base_url=local_stack.url, headers=caller["headers"])
    case.validate_response(response, checks=CHECKS)  # raises with a reproducing curl line on any failure
    assert response.status_code < 500, response.text
