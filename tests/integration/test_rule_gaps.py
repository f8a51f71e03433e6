"""Rules whose tests let a plausible bug through: each test here fails when its rule's code is weakened."""

from __future__ import annotations

from typing import Any

import boto3

from connectability.domain import connections
from connectability.domain.permissions import Caller
from connectability.errors import ConnectabilityError
from connectability.models.connections import ConnectionRequest
from local.world import DrawingsWorld
from tests.integration.conftest import Connected
from tests.integration.sync_world import DOWN_ADMIN, FULL, VIEWER, Sync
from tests.integration.test_connections import _race


def test_r13_r14_a_project_that_becomes_an_upstream_meanwhile_cannot_become_a_downstream(two: Connected) -> None:
    # Given B (Volt's project) may ask Apex's project as its upstream, and A may ask B as its upstream
    a = two.downstream_project("Volt Site A")
    two.build.member(two.down, "req", "volt-admin", cm="admin", drawings="read_only")
    req = Caller("req")
    # When B -> Apex reads first, and A -> B writes before B -> Apex does (the chain race in the other order)
    first, second = _race(
        lambda: connections.request_connection(req, two.down, ConnectionRequest(upstream_project_id=two.up)),
        lambda: connections.request_connection(req, a, ConnectionRequest(upstream_project_id=two.down)),
    )
    # Then A -> B won, and B, an upstream now, cannot become a downstream (R13)
    assert not isinstance(second, ConnectabilityError)
    assert isinstance(first, ConnectabilityError)
    assert (first.status, first.code, first.rule) == (409, "chain_not_allowed", "R13")
    listed = two.build.api("GET", f"/projects/{two.down}/connections", "volt-cm").body["items"]
    assert [(c["downstream"]["project_id"], c["upstream"]["project_id"]) for c in listed] == [(a, two.down)]
    assert two.build.api("GET", f"/projects/{two.up}/connections", "apex-cm").body["items"] == []


def _connected_drawing(sync: Sync) -> dict[str, Any]:
    sync.connect()
    sync.up.published("E-101", title="Lighting", **FULL)
    sync.pipeline.run()
    sync.publish_all()
    [drawing] = sync.register()
    return dict(sync.down("GET", f"/drawings/{drawing['id']}").body)


def test_r24_no_synced_field_of_a_connected_drawing_changes_downstream(sync: Sync) -> None:
    drawing = _connected_drawing(sync)
    edits: list[dict[str, Any]] = [
        {"title": "Mine now"},
        {"obsolete": True},
        {"discipline": {"name": "Plumbing", "position": 9}},
        {"discipline": {"name": "Electrical", "position": 7}},
        {"area": {"name": "Elsewhere"}},
        {"area": None},
        {"drawing_set": {"name": "Tender", "date": "2026-12-01"}},
        {"status": "Superseded"},
        {"status": None},
        {"drawing_date": "2027-01-01"},
        {"received_date": "2027-01-02"},
        {"drawing_date": None},
    ]
    for body in edits:
        answer = sync.down("PATCH", f"/drawings/{drawing['id']}", body=body)
        assert answer.status == 409, (body, answer.body)
        assert (answer.error["code"], answer.error["rule"]) == ("connected_drawing_read_only", "R24")
    assert sync.down("GET", f"/drawings/{drawing['id']}").body == drawing


def test_r28_a_deleted_upstream_drawing_leaves_an_admins_register_with_drafts_too(sync: Sync) -> None:
    sync.connect()
    gone = sync.up.published("E-101")
    sync.up.published("E-102")
    sync.pipeline.run()
    # copies waiting for review: an admin's register with drafts lists them
    listed = sync.down("GET", "/drawings", include_drafts="true").body["items"]
    assert sorted(d["number"] for d in listed) == ["E-101", "E-102"]
    assert sync.api("DELETE", f"/projects/{sync.two.up}/drawings/{gone['drawing_id']}", "apex-cm").status == 204
    sync.pipeline.run()
    for query in ({"include_drafts": "true"}, {"include_drafts": "true", "include_obsolete": "true"}, {}):
        listed = sync.down("GET", "/drawings", **query).body["items"]
        assert "E-101" not in [d["number"] for d in listed], query
    assert [d["number"] for d in sync.down("GET", "/drawings", include_drafts="true").body["items"]] == ["E-102"]
    assert [r["number"] for r in sync.review()] == ["E-102"]


def test_r21_r22_readers_never_see_a_draft_revision_2_and_standard_users_cannot_mark_it_up(
    drawings_world: DrawingsWorld,
) -> None:
    w = drawings_world
    first = w.published("A-1")
    draft = w.revision("A-1", revision_number="2").body
    project, drawing = f"/projects/{w.project_id}", first["drawing_id"]
    for user in ("dr-reader", "dr-std"):
        seen = w.api("GET", f"{project}/drawings/{drawing}", user).body
        assert [r["id"] for r in seen["revisions"]] == [first["id"]], user
        assert seen["current_revision"]["id"] == first["id"]
        [listed] = w.api("GET", f"{project}/drawings", user).body["items"]
        assert listed["current_revision"]["id"] == first["id"]
        assert w.api("GET", f"{project}/drawing-revisions/{draft['id']}/file", user).status == 404
    marked = w.api("POST", f"{project}/drawings/{drawing}/markups", "dr-std", {"revision_id": draft["id"], "data": {}})
    assert (marked.status, marked.error["details"][0]["field"]) == (422, "revision_id")
    # an admin's markup on the draft stays out of readers' sight
    by_admin = {"revision_id": draft["id"], "data": {"cloud": "draft only"}}
    assert w.api("POST", f"{project}/drawings/{drawing}/markups", "dr-admin", by_admin).status == 201
    assert w.api("GET", f"{project}/drawings/{drawing}/markups", "dr-reader").body["items"] == []
    assert len(w.api("GET", f"{project}/drawings/{drawing}/markups", "dr-admin").body["items"]) == 1


def test_r21_r22_a_connected_revision_2_waiting_for_review_is_not_seen_nor_marked_up(sync: Sync) -> None:
    sync.connect()
    first = sync.up.published("E-101")
    sync.pipeline.run()
    sync.publish_all()
    sync.up.published("E-101", revision_number="2")
    sync.pipeline.run()
    [waiting] = sync.review()
    [drawing] = sync.register(VIEWER)
    assert drawing["current_revision"]["revision_number"] == first["revision_number"]
    for user in (VIEWER, "req"):  # read_only and standard downstream
        seen = sync.down("GET", f"/drawings/{drawing['id']}", user).body
        assert [r["revision_number"] for r in seen["revisions"]] == ["1"], user
        assert sync.down("GET", f"/drawing-revisions/{waiting['id']}/file", user).status == 404
    marked = sync.down("POST", f"/drawings/{drawing['id']}/markups", "req", {"revision_id": waiting["id"], "data": {}})
    assert marked.status == 422
    assert sync.down("GET", f"/drawings/{drawing['id']}", DOWN_ADMIN).body["revisions"][-1]["id"] == waiting["id"]


def test_a_draft_never_gets_a_manifest(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    s3 = boto3.client("s3")

    def manifested(revision_id: str) -> bool:
        key = f"manifests/{w.project_id}/{revision_id}.json"
        return bool(s3.list_object_versions(Bucket=w.bucket, Prefix=key).get("Versions"))

    # Given drafts beside published revisions that share their drawing and every shared record
    shared = {
        "area": {"name": "Level 1", "description": "a"},
        "discipline": {"name": "Electrical", "position": 1},
        "drawing_set": {"name": "IFC", "date": "2026-01-01"},
    }
    first = w.published("A-1", **shared)
    drafts = [w.revision("A-1", revision_number="2", **shared).body, w.revision("B-1", **shared).body]
    ids = [d["id"] for d in drafts]
    project = f"/projects/{w.project_id}"
    # When others are published, the drawing is edited, shared records change, and the drawing is deleted
    w.published("C-1", **shared)
    for body in ({"title": "New"}, {"obsolete": True}, {"status": "S"}, {"drawing_date": "2026-02-02"}):
        assert w.api("PATCH", f"{project}/drawings/{first['drawing_id']}", "dr-admin", body).status == 200
    area = first["area"]["id"]
    assert (
        w.api("PATCH", f"{project}/drawing-areas/{area}", "dr-admin", {"name": "L1", "description": "b"}).status == 200
    )
    w.published(
        "D-1", discipline={"name": "Electrical", "position": 5}, drawing_set={"name": "IFC", "date": "2026-03-03"}
    )
    assert w.api("DELETE", f"{project}/drawings/{drafts[1]['drawing_id']}", "dr-admin").status == 204
    assert w.api("DELETE", f"{project}/drawings/{first['drawing_id']}", "dr-admin").status == 204
    # Then the published ones told sync each time, and no draft ever had a manifest
    assert manifested(first["id"])
    assert (
        len(s3.list_object_versions(Bucket=w.bucket, Prefix=f"manifests/{w.project_id}/{first['id']}")["Versions"]) >= 7
    )
    assert [i for i in ids if manifested(i)] == []
