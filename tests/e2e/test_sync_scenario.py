"""Sync over HTTP on the local stack, as a general contractor and a subcontractor live it: publish a set, connect,
initial sync, review, read-only download, then an edit, a new revision, a delete, and the mails of each step."""

from __future__ import annotations

from typing import Any

import requests

from local.client import LocalStackClient
from tests.e2e.conftest import unique_fixture

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 32 + b"\n%%EOF\n"


def _viewer(fixture: dict[str, Any], suffix: str) -> str:
    """The subcontractor's project gets a member with Drawings read_only and no access upstream."""
    viewer = f"sub-viewer-{suffix}"
    sub = next(c for c in fixture["companies"] if c["key"] == f"sub-{suffix}")
    sub["users"].append({"user_id": viewer, "email": f"{viewer}@volt.example", "name": "Vic Viewer"})
    sub["projects"][0]["directory"].append({"user_id": viewer, "connection_manager": "none", "drawings": "read_only"})
    return viewer


def test_r30_a_general_contractor_to_subcontractor_sync_over_http(local_stack: LocalStackClient) -> None:
    fixture, s = unique_fixture()
    viewer = _viewer(fixture, s)
    ids = local_stack.seed(fixture)
    up, down = ids["projects"][f"gc-tower-{s}"], ids["projects"][f"sub-tower-{s}"]
    gc, gc_admin, sub, sub_admin = f"gc-pm-{s}", f"gc-admin-{s}", f"sub-pm-{s}", f"sub-admin-{s}"
    call = local_stack.call

    def publish(number: str, **fields: Any) -> dict[str, Any]:
        upload = call(
            "POST",
            f"/projects/{up}/drawing-uploads",
            gc,
            json={"filename": f"{number}.pdf", "content_type": "application/pdf", "size": len(PDF)},
        ).json()
        assert requests.put(upload["url"], data=PDF, headers=upload["headers"], timeout=10).status_code == 200
        body = {"upload_id": upload["upload_id"], "number": number, "title": f"Sheet {number}", **fields}
        body.setdefault("revision_number", "1")
        body.setdefault("discipline", {"name": "Electrical"})
        revision = call("POST", f"/projects/{up}/drawing-revisions", gc, json=body)
        assert revision.status_code == 201, revision.text
        done = call(
            "POST", f"/projects/{up}/drawing-revisions/publish", gc, json={"revision_ids": [revision.json()["id"]]}
        )
        assert done.status_code == 200, done.text
        return dict(revision.json())

    def down_get(path: str, user: str = sub_admin) -> Any:
        answer = call("GET", f"/projects/{down}{path}", user)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def settled() -> None:
        result = local_stack.settle()
        assert result["settled"] is True, result  # R30: everything landed, within minutes at worst, not the hour

    # Given the general contractor has published a set, with a markup of its own on one sheet
    a101 = publish("E-101", area={"name": "Level 1"}, drawing_set={"name": "IFC", "date": "2026-11-01"})
    a102 = publish("E-102", area={"name": "Level 2"})
    a103 = publish("E-103")
    markup = call(
        "POST",
        f"/projects/{up}/drawings/{a101['drawing_id']}/markups",
        gc,
        json={"revision_id": a101["id"], "data": {"c": 1}},
    )
    assert markup.status_code == 201

    # When the subcontractor connects and the general contractor approves
    requested = call("POST", f"/projects/{down}/connections", sub, json={"upstream_project_id": up}).json()
    approved = call("POST", f"/connections/{requested['id']}/approve", gc_admin).json()
    assert approved["status"] == "active"
    assert approved["initial_sync"]["status"] == "running"  # started with the approval (R29)
    settled()

    # Then the initial sync completed with its progress readable, and the copies wait for review
    connection = call("GET", f"/connections/{requested['id']}", sub).json()
    assert connection["initial_sync"] == {"status": "complete", "total": 3, "copied": 3}
    waiting = down_get("/connected-drawings/review")["items"]
    assert sorted(r["number"] for r in waiting) == ["E-101", "E-102", "E-103"]
    assert down_get("/drawings", viewer)["items"] == []  # not before review (R21)

    # When the subcontractor's Drawings admin publishes the review queue
    published = call("POST", f"/projects/{down}/connected-drawings/publish", sub_admin, json={"all": True}).json()
    assert len(published["published"]) == 3

    # Then a read-only user there sees them and downloads the very bytes, with no access upstream (R22)
    register = {d["number"]: d for d in down_get("/drawings", viewer)["items"]}
    assert sorted(register) == ["E-101", "E-102", "E-103"]
    assert all(d["connected"] for d in register.values())
    link = down_get(f"/drawing-revisions/{register['E-101']['current_revision']['id']}/file", viewer)
    assert requests.get(link["url"], timeout=10).content == PDF
    assert call("GET", f"/projects/{up}/drawings", viewer).status_code == 404
    # and the general contractor's markup never arrived (R27)
    assert down_get(f"/drawings/{register['E-101']['id']}/markups", viewer)["items"] == []

    # When the general contractor edits a title, adds a revision and deletes a drawing
    edit = call("PATCH", f"/projects/{up}/drawings/{a101['drawing_id']}", gc, json={"title": "Lighting, level 1"})
    assert edit.status_code == 200
    b102 = publish("E-102", revision_number="2", area={"name": "Level 2"})
    assert b102["drawing_id"] == a102["drawing_id"]
    assert call("DELETE", f"/projects/{up}/drawings/{a103['drawing_id']}", gc).status_code == 204
    settled()

    # Then each reaches the subcontractor as the rules say
    register = {d["number"]: d for d in down_get("/drawings", viewer)["items"]}
    assert register["E-101"]["title"] == "Lighting, level 1"  # R25, still published
    assert "E-103" not in register  # R28
    deleted = down_get("/reports/deleted-drawing-revisions")["items"]
    assert [r["number"] for r in deleted] == ["E-103"]
    [new] = down_get("/connected-drawings/review")["items"]
    assert (new["number"], new["revision_number"], new["drawing_id"]) == ("E-102", "2", register["E-102"]["id"])  # R26
    assert register["E-102"]["current_revision"]["revision_number"] == "1"  # until reviewed
    assert {a["name"] for a in down_get("/drawing-areas")["items"]} == {"Level 1", "Level 2"}

    # and the mails are the right ones, each once, to the right people
    mails = sorted(
        (m["event"], "up" if m["project_id"] == up else "down", m["to"][0].split("@")[0].removesuffix(f"-{s}"))
        for m in local_stack.outbox()
        if m["project_id"] in (up, down)
    )
    assert mails == sorted(
        [("connection_requested", "up", u) for u in ("gc-admin", "gc-pm")]
        + [("connection_created", "up", u) for u in ("gc-admin", "gc-pm")]
        + [("connection_created", "down", u) for u in ("sub-admin", "sub-pm")]
        + [("initial_sync_complete", "down", "sub-admin")]  # R34
        + [("drawings_published", "down", "sub-admin")]  # R35: the new revision
        + [("drawings_deleted", "down", "sub-admin")]  # R36
    )

    # and the sync status (R40) equals a recount of what each side can see, as do the delivery receipts
    def published_revisions(project: str, user: str) -> list[dict[str, Any]]:
        drawings = call("GET", f"/projects/{project}/drawings?include_obsolete=true", user).json()["items"]
        revisions = [
            r
            for d in drawings
            for r in call("GET", f"/projects/{project}/drawings/{d['id']}", user).json()["revisions"]
        ]
        return [r for r in revisions if r["state"] == "published"]

    status = call("GET", f"/connections/{requested['id']}/sync-status", sub).json()
    waiting_now = down_get("/connected-drawings/review")["items"]
    published_down = published_revisions(down, sub_admin)
    assert status["upstream_published"] == len(published_revisions(up, gc)) == 3  # E-101, E-102 twice
    assert (status["pending_review"], status["published_downstream"]) == (len(waiting_now), len(published_down))
    assert status["copied"] == len(waiting_now) + len(published_down) == 3
    assert (status["failed"], status["failures"]) == (0, [])
    assert 0 <= status["lag_seconds"] < 3600  # R30: within the hour users are promised (seconds, when not loaded)
    assert status["last_synced_at"]
    receipts = call("GET", f"/projects/{up}/drawing-revisions/{b102['id']}/deliveries", gc).json()["items"]
    assert [(d["downstream"]["project_id"], d["state"]) for d in receipts] == [(down, "pending_review")]
    # and the local stack shows the metrics the functions would publish to CloudWatch
    published_metrics = local_stack.http.get(f"{local_stack.url}/_local/metrics", timeout=10).json()
    assert published_metrics["totals"]["SyncCopiesWritten"] >= 5
    assert any("SyncLagSeconds" in m["metrics"] for m in published_metrics["items"])

    # When the subcontractor disconnects, nothing published later arrives, and everything there stays (R17)
    ended = call("POST", f"/connections/{requested['id']}/disconnect", sub, json={"reason": "Scope complete"})
    assert ended.status_code == 200
    publish("E-104")
    settled()
    assert sorted(d["number"] for d in down_get("/drawings", viewer)["items"]) == ["E-101", "E-102"]
    assert len(down_get("/connected-drawings/review")["items"]) == 1
