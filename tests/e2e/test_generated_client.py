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

from local.client import LocalStackClient
from local.openapi import build
from tests.e2e.conftest import unique_fixture

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


def test_every_operation_of_the_generated_client_answers_as_documented(
    client_package: Path, local_stack: LocalStackClient
) -> None:
    """Every operation the document lists, called through the generated client, with and without its optional
    parts (bodies that may be left out, paging, filters, an Idempotency-Key): each answers its documented
    success, parsed into the model the document names, never a crash of the client's own."""
    import httpx

    from local.drawing_pdf import drawing_pdf

    fixture, suffix = unique_fixture(drawings=True)
    ids = local_stack.seed(fixture)
    up, down = ids["projects"][f"gc-tower-{suffix}"], ids["projects"][f"sub-tower-{suffix}"]
    gc, sub = ids["companies"][f"gc-{suffix}"], ids["companies"][f"sub-{suffix}"]
    models, authenticated = module("models"), module("client").AuthenticatedClient
    error_body = models.ErrorBody
    called: set[str] = set()

    def call(group: str, name: str, user: str, **kwargs: Any) -> Any:
        """The operation through the client, as `user` (a demo user, or platform-admin); answers the parsed model."""
        who = user if user == "platform-admin" else f"{user}-{suffix}"
        client = authenticated(base_url=local_stack.url, token=local_stack.token(who), timeout=httpx.Timeout(60))
        answer = importlib.import_module(f"{PACKAGE}.api.{group}.{name}").sync_detailed(client=client, **kwargs)
        assert 200 <= answer.status_code < 300, (name, answer.status_code, answer.content)
        assert not isinstance(answer.parsed, error_body), (name, answer.parsed)
        called.add(f"{group}.{name}")
        return answer.parsed

    def body(model: str, data: dict[str, Any]) -> Any:
        return getattr(models, model).from_dict(data)

    # -- Directory ------------------------------------------------------------------------------------------
    company = call(
        "directory", "create_company", "platform-admin", body=body("CompanyCreate", {"name": f"Client {suffix}"})
    )
    call("directory", "get_company", "gc-admin", company_id=gc)
    assert {m.company_id for m in call("directory", "list_my_companies", "sub-pm").items} == {gc, sub}
    assert len(call("directory", "list_my_companies", "sub-pm", limit=1).items) == 1
    call(
        "directory",
        "update_company",
        "gc-admin",
        company_id=gc,
        body=body("CompanyUpdate", {"connection_approval": "manual"}),
    )
    user = f"client-user-{suffix}"
    new_user = {"email": f"{user}@apex.example", "name": "Carla Client"}
    call(
        "directory", "put_company_user", "gc-admin", company_id=gc, user_id=user, body=body("CompanyUserPut", new_user)
    )
    annex = call(
        "directory", "create_project", "gc-admin", company_id=gc, body=body("ProjectCreate", {"name": "Annex"})
    )
    assert call("directory", "list_projects", "gc-admin", company_id=gc).items
    call("directory", "list_projects", "gc-admin", company_id=gc, limit=1)
    call("directory", "get_project", "gc-admin", project_id=annex.id)
    call(
        "directory", "update_project", "gc-admin", project_id=annex.id, body=body("ProjectUpdate", {"name": "Annex B"})
    )
    entry = {"permissions": {"connection_manager": "read_only", "drawings": "read_only"}}
    call(
        "directory",
        "put_directory_entry",
        "gc-admin",
        project_id=annex.id,
        user_id=user,
        body=body("DirectoryEntryPut", entry),
    )
    call("directory", "list_directory", "gc-admin", project_id=annex.id)
    got = call("directory", "get_directory_entry", "gc-admin", project_id=annex.id, user_id=user)
    assert got.permissions.drawings == "read_only"
    call("directory", "remove_directory_entry", "gc-admin", project_id=annex.id, user_id=user)
    call("directory", "remove_company_user", "gc-admin", company_id=gc, user_id=user)
    assert company.id

    # -- Webhooks (R45): a company admin's endpoint, no receiver behind it (its test delivery fails, and says so)
    hook = {"url": "http://127.0.0.1:9/client", "event_types": ["copies.landed"]}
    made = call("directory", "create_webhook", "gc-admin", company_id=gc, body=body("WebhookCreate", hook))
    assert made.secret.startswith("whsec_")
    assert [w.id for w in call("directory", "list_webhooks", "gc-admin", company_id=gc).items] == [made.id]
    call("directory", "get_webhook", "gc-admin", company_id=gc, webhook_id=made.id)
    changed = body("WebhookUpdate", {"description": "ERP", "enabled": True})
    call("directory", "update_webhook", "gc-admin", company_id=gc, webhook_id=made.id, body=changed)
    assert call("directory", "rotate_webhook_secret", "gc-admin", company_id=gc, webhook_id=made.id).secret
    assert call("directory", "test_webhook", "gc-admin", company_id=gc, webhook_id=made.id).status == "failed"
    log = call("directory", "list_webhook_deliveries", "gc-admin", company_id=gc, webhook_id=made.id, limit=5)
    assert [d.event_type for d in log.items] == ["webhook.test"]
    call("directory", "delete_webhook", "gc-admin", company_id=gc, webhook_id=made.id)

    # -- Connection Manager: reject and cancel on requests of their own, then a connection kept ---------------
    asked = {"upstream_project_id": up}
    for action, by in (("reject_connection", "gc-pm"), ("cancel_connection", "sub-pm")):
        pending = call(
            "connection_manager", "request_connection", "sub-pm", project_id=down, body=body("ConnectionRequest", asked)
        )
        call("connection_manager", action, by, connection_id=pending.id)  # no body at all
    with_reason = call(
        "connection_manager", "request_connection", "sub-pm", project_id=down, body=body("ConnectionRequest", asked)
    )
    call(
        "connection_manager",
        "reject_connection",
        "gc-pm",
        connection_id=with_reason.id,
        body=body("RejectBody", {"reason": "Not yet"}),
    )
    assert [
        p.project_id for p in call("connection_manager", "list_connectable_projects", "sub-pm", project_id=down).items
    ] == [up]
    connection = call(
        "connection_manager",
        "request_connection",
        "sub-pm",
        project_id=down,
        body=body("ConnectionRequest", asked),
        idempotency_key=f"client-{suffix}",
    )
    call("connection_manager", "approve_connection", "gc-pm", connection_id=connection.id, body=body("NoBody", {}))
    call("connection_manager", "list_connections", "sub-pm", project_id=down)
    call("connection_manager", "list_connections", "sub-pm", project_id=down, limit=2)
    call("connection_manager", "get_connection", "sub-pm", connection_id=connection.id)
    local_stack.settle()
    call("connection_manager", "get_sync_status", "sub-pm", connection_id=connection.id)
    call("connection_manager", "reconcile_connection", "sub-pm", connection_id=connection.id)
    call("connection_manager", "get_cm_settings", "gc-pm", project_id=up)
    recipients = {"notification_recipients": {"mode": "default", "user_ids": []}}
    call("connection_manager", "put_cm_settings", "gc-pm", project_id=up, body=body("SettingsBody", recipients))
    call("connection_manager", "list_company_connections", "gc-admin", company_id=gc)
    call("connection_manager", "list_notifications", "gc-pm", project_id=up)

    # -- Drawings upstream: upload, revision, publish, read, edit --------------------------------------------
    pdf = drawing_pdf("A-900", "Client plan", size="A3")
    upload = call(
        "drawings",
        "create_upload",
        "gc-pm",
        project_id=up,
        body=body("UploadRequest", {"filename": "A-900.pdf", "content_type": "application/pdf", "size": len(pdf)}),
    )
    put = httpx.put(upload.url, content=pdf, headers=upload.headers.to_dict(), timeout=30)
    assert put.status_code == 200, put.text
    revision = call(
        "drawings",
        "create_revision",
        "gc-pm",
        project_id=up,
        body=body(
            "RevisionCreate",
            {
                "upload_id": upload.upload_id,
                "number": "A-900",
                "title": "Client plan",
                "revision_number": "1",
                "discipline": {"name": "Architectural"},
                "area": {"name": "Annex", "description": "East wing"},
                "drawing_set": {"name": "IFC", "date": "2026-11-01"},
            },
        ),
    )
    call("drawings", "get_revision", "gc-pm", project_id=up, revision_id=revision.id)
    call(
        "drawings",
        "publish_revisions",
        "gc-pm",
        project_id=up,
        body=body("PublishRequest", {"revision_ids": [revision.id]}),
    )
    call("drawings", "list_drawings", "gc-viewer", project_id=up)
    call(
        "drawings",
        "list_drawings",
        "gc-pm",
        project_id=up,
        include_drafts=True,
        include_obsolete=True,
        discipline="Architectural",
        limit=5,
    )
    call("drawings", "get_drawing", "gc-viewer", project_id=up, drawing_id=revision.drawing_id)
    call(
        "drawings",
        "update_drawing",
        "gc-pm",
        project_id=up,
        drawing_id=revision.drawing_id,
        body=body("DrawingUpdate", {"title": "Client plan, revised"}),
    )
    call("drawings", "get_file_link", "gc-viewer", project_id=up, revision_id=revision.id)
    areas = call("drawings", "list_areas", "gc-viewer", project_id=up).items
    annex_area = next(a for a in areas if a.name == "Annex")
    call(
        "drawings",
        "update_area",
        "gc-pm",
        project_id=up,
        area_id=annex_area.id,
        body=body("AreaUpdate", {"description": "East wing, ground floor"}),
    )
    call("drawings", "list_disciplines", "gc-viewer", project_id=up)
    call("drawings", "list_sets", "gc-viewer", project_id=up, limit=10)
    local_stack.settle()
    call("drawings", "list_deliveries", "gc-pm", project_id=up, revision_id=revision.id)

    # -- Drawings downstream: review, publish, markups, settings; a delete upstream reaches the report --------
    waiting = call("drawings", "list_review_queue", "sub-admin", project_id=down).items
    assert waiting
    call(
        "drawings",
        "publish_connected",
        "sub-admin",
        project_id=down,
        body=body("ConnectedPublishRequest", {"all": True}),
    )
    copy = next(d for d in call("drawings", "list_drawings", "sub-site", project_id=down).items if d.number == "A-900")
    pin = {
        "revision_id": copy.current_revision.id,
        "data": {"kind": "pin", "page": 1, "x": 0.5, "y": 0.5, "note": "Here"},
    }
    call("drawings", "add_markup", "sub-pm", project_id=down, drawing_id=copy.id, body=body("MarkupCreate", pin))
    call("drawings", "list_markups", "sub-site", project_id=down, drawing_id=copy.id)
    call("drawings", "get_drawings_settings", "sub-admin", project_id=down)
    call("drawings", "put_drawings_settings", "sub-admin", project_id=down, body=body("SettingsBody", recipients))
    call("drawings", "delete_drawing", "gc-pm", project_id=up, drawing_id=revision.drawing_id)
    local_stack.settle()
    assert call("drawings", "list_deleted_revisions", "sub-admin", project_id=down).items
    call(
        "connection_manager",
        "disconnect_connection",
        "sub-admin",
        connection_id=connection.id,
        body=body("DisconnectBody", {"reason": "Done"}),
    )

    # -- the audit trails (R46): each change above is in them; filters and paging through the client -----------
    trail = call("directory", "list_company_audit", "gc-admin", company_id=gc)
    assert "connection.disconnect" in {e.action for e in trail.items}
    since = max(e.at for e in trail.items)
    kind = models.AuditAction("connection.disconnect")
    assert call("directory", "list_company_audit", "gc-admin", company_id=gc, action=kind, from_=since, limit=1).items
    by_pm = call("directory", "list_project_audit", "gc-pm", project_id=up, user_id=f"gc-pm-{suffix}", limit=5)
    assert {e.user_id for e in by_pm.items} == {f"gc-pm-{suffix}"}

    # Then every operation of the client was called
    generated = {
        f"{group.name}.{op.stem}"
        for group in (client_package / "api").iterdir()
        if group.is_dir()
        for op in group.glob("*.py")
        if op.stem != "__init__"
    }
    assert generated - called == set()
