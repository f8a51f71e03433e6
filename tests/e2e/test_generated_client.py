"""A client generated from the OpenAPI document with openapi-python-client works against the local stack, with
calls grouped by API and named as people would name them (connection_manager.approve_connection)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local.openapi import build
from tests.e2e.conftest import LocalStackClient, unique_fixture

pytestmark = pytest.mark.e2e
PACKAGE = "connectability_client"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The package openapi-python-client generates from the document, importable for the module's tests."""
    where = tmp_path_factory.mktemp("generated")
    (where / "openapi.json").write_text(json.dumps(build()))
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [
            bin_dir / "openapi-python-client",
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--output-path",
            PACKAGE,
        ],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},  # it formats with ruff
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    yield where / PACKAGE
    sys.path.remove(str(where))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def api(group: str) -> Any:
    """An API's calls by name: api("connection_manager").approve_connection.sync(...)."""

    class Calls:
        def __getattr__(self, call: str) -> ModuleType:
            return module(f"api.{group}.{call}")

    return Calls()


def test_the_client_groups_calls_by_api_with_short_names(client_package: Path) -> None:
    groups = {
        p.name: sorted(f.stem for f in p.glob("*.py") if f.stem != "__init__")
        for p in (client_package / "api").iterdir()
        if p.is_dir()
    }
    assert set(groups) == {"directory", "connection_manager", "drawings"}
    assert "approve_connection" in groups["connection_manager"]
    assert "publish_connected" in groups["drawings"]
    assert "list_my_companies" in groups["directory"]


def test_a_connection_made_and_refused_through_the_generated_client(
    client_package: Path, local_stack: LocalStackClient
) -> None:
    # Given the demo's directory, and a client per user
    fixture, suffix = unique_fixture()
    ids = local_stack.seed(fixture)
    up, down = ids["projects"][f"gc-tower-{suffix}"], ids["projects"][f"sub-tower-{suffix}"]
    authenticated = module("client").AuthenticatedClient

    def as_user(name: str) -> Any:
        return authenticated(base_url=local_stack.url, token=local_stack.token(f"{name}-{suffix}"))

    directory, cm, models = api("directory"), api("connection_manager"), module("models")

    # When Volt's project manager finds their companies and what they may connect to, and asks
    mine = directory.list_my_companies.sync(client=as_user("sub-pm"))
    connectable = cm.list_connectable_projects.sync(project_id=down, client=as_user("sub-pm"))
    requested = cm.request_connection.sync(
        project_id=down, client=as_user("sub-pm"), body=models.ConnectionRequest(upstream_project_id=up)
    )
    # and Apex's project manager approves
    # (actions without fields take an empty body: the generator cannot leave an optional body out)
    approved = cm.approve_connection.sync(connection_id=requested.id, client=as_user("gc-pm"), body=models.NoBody())

    # Then the answers are typed models with the API's values
    assert sorted(m.company_name for m in mine.items) == sorted(ids["company_names"].values())
    assert [p.project_id for p in connectable.items] == [up]
    assert requested.status == "pending"
    assert approved.status == "active"
    assert cm.get_connection.sync(connection_id=requested.id, client=as_user("sub-admin")).upstream.project_id == up

    # and a second request is refused with the error shape, its code and rule readable from the client
    again = cm.request_connection.sync_detailed(
        project_id=down, client=as_user("sub-pm"), body=models.ConnectionRequest(upstream_project_id=up)
    )
    assert again.status_code == 409
    assert again.parsed.error.code == "already_has_upstream"
    assert again.parsed.error.rule == "R11"
