"""Who sees connected copies (R21, R22, R40), tried at every level below the one each route needs; and what a
directory entry alone grants a user who is not in the project's company (R02, R07): nothing."""

from __future__ import annotations

from typing import Any

import pytest

from connectability.db import projects as projects_db
from connectability.domain import audit
from connectability.domain.permissions import Caller
from connectability.models.audit import AuditAction
from tests.integration.conftest import Connected
from tests.integration.sync_world import DOWN_ADMIN, UP_ADMIN, VIEWER, Sync

# Downstream users by Drawings level (all CM read_only but the admin, who is CM admin too), and upstream ones.
DOWN = {"none": "volt-none", "read_only": VIEWER, "standard": "volt-std", "admin": DOWN_ADMIN}
UP = {"none": "apex-none", "read_only": "apex-reader", "standard": "apex-cm2", "admin": UP_ADMIN}
BELOW_ADMIN = ("none", "read_only", "standard")


@pytest.fixture
def copies(sync: Sync) -> dict[str, Any]:
    """A connected pair whose downstream holds one copy published (E-1), one deleted upstream (E-3, in the
    deleted report) and one waiting for review (E-2); with users at every Drawings level on both sides."""
    build, two = sync.two.build, sync.two
    build.user(two.volt, "volt-none")
    build.user(two.volt, "volt-std")
    build.user(two.apex, "apex-none")
    build.member(two.down, "volt-none", "volt-admin", cm="read_only", drawings="none")
    build.member(two.down, "volt-std", "volt-admin", cm="read_only", drawings="standard")
    build.member(two.up, "apex-none", "apex-admin", cm="read_only", drawings="none")
    sync.connect()
    sync.up.published("E-1")
    gone = sync.up.published("E-3")
    sync.pipeline.run()
    sync.publish_all()
    assert sync.api("DELETE", f"/projects/{two.up}/drawings/{gone['drawing_id']}", UP_ADMIN).status == 204
    waiting_upstream = sync.up.published("E-2")
    sync.pipeline.run()
    [waiting] = sync.review()
    [published] = sync.register(VIEWER)
    [deleted] = sync.down("GET", "/reports/deleted-drawing-revisions").body["items"]
    return {
        "waiting": waiting,
        "waiting_upstream": waiting_upstream,
        "published": published["current_revision"],
        "deleted": deleted,
    }


def test_r21_copies_waiting_for_review_are_seen_by_drawings_admins_only(sync: Sync, copies: dict[str, Any]) -> None:
    waiting, drawing = copies["waiting"]["id"], copies["waiting"]["drawing_id"]

    def listed(user: str) -> tuple[int, bool]:
        """The register with drafts asked for: its status, and whether the waiting copy's drawing is in it."""
        answer = sync.down("GET", "/drawings", user, include_drafts="true", limit="200")
        return answer.status, answer.status == 200 and drawing in [d["id"] for d in answer.body["items"]]

    routes = {
        "GET review queue": lambda u: sync.down("GET", "/connected-drawings/review", u).status,
        "POST publish by id": lambda u: (
            sync.down("POST", "/connected-drawings/publish", u, {"revision_ids": [waiting]}).status
        ),
        "POST publish all": lambda u: sync.down("POST", "/connected-drawings/publish", u, {"all": True}).status,
        "GET its drawing": lambda u: sync.down("GET", f"/drawings/{drawing}", u).status,
        "GET its file": lambda u: sync.down("GET", f"/drawing-revisions/{waiting}/file", u).status,
        "GET its drawing's markups": lambda u: sync.down("GET", f"/drawings/{drawing}/markups", u).status,
        "GET deleted report": lambda u: sync.down("GET", "/reports/deleted-drawing-revisions", u).status,
        "GET register with drafts": listed,
    }
    # Given a copy waiting for review; When each route is asked by a downstream user at each level below admin
    seen = {(route, level): ask(DOWN[level]) for route, ask in routes.items() for level in BELOW_ADMIN}
    # Then none of them sees it or acts on it: 403 for a level the route refuses, 404 where the copy is not
    # visible to them, and a register without it
    expected = {
        **{(route, level): 403 for route in list(routes)[:3] for level in BELOW_ADMIN},
        **{(route, "none"): 403 for route in list(routes)[3:6]},
        **{(route, level): 404 for route in list(routes)[3:6] for level in ("read_only", "standard")},
        **{("GET deleted report", level): 403 for level in BELOW_ADMIN},
        ("GET register with drafts", "none"): (403, False),
        ("GET register with drafts", "read_only"): (200, False),
        ("GET register with drafts", "standard"): (200, False),
    }
    assert seen == expected
    assert [c["id"] for c in sync.review()] == [waiting]  # nothing was published by them
    # And a Drawings admin sees it on every one of these routes
    admin = DOWN["admin"]
    for route in ("GET review queue", "GET its drawing", "GET its file", "GET its drawing's markups"):
        assert routes[route](admin) == 200, route
    assert listed(admin) == (200, True)
    report = sync.down("GET", "/reports/deleted-drawing-revisions", admin).body["items"]
    assert [r["id"] for r in report] == [copies["deleted"]["id"]]
    assert sync.down("POST", "/connected-drawings/publish", admin, {"revision_ids": [waiting]}).status == 200


def test_r22_r40_published_copies_and_their_deliveries_need_the_level_each_route_says(
    sync: Sync, copies: dict[str, Any]
) -> None:
    published, drawing = copies["published"]["id"], copies["published"]["drawing_id"]
    upstream = copies["waiting_upstream"]["id"]
    deliveries = f"/projects/{sync.two.up}/drawing-revisions/{upstream}/deliveries"
    # Given a published copy: When a downstream member without Drawings access asks for it
    for path in ("/drawings", f"/drawings/{drawing}", f"/drawing-revisions/{published}/file"):
        assert sync.down("GET", path, DOWN["none"]).status == 403, path
        # Then 403; from read_only up, it is seen (R22)
        for level in ("read_only", "standard", "admin"):
            assert sync.down("GET", path, DOWN[level]).status == 200, (path, level)
    # And where a revision stands in each downstream is for the upstream's Drawings admins only (R40)
    for level in BELOW_ADMIN:
        assert sync.api("GET", deliveries, UP[level]).status == 403, level
    [delivery] = sync.api("GET", deliveries, UP["admin"]).body["items"]
    assert delivery["state"] == "pending_review"
    # And a connection's sync status (its copies counted) is for CM admins: CM read_only members are refused
    status = f"/connections/{sync.connection_id}/sync-status"
    for user in (VIEWER, "volt-std", "apex-reader"):
        assert sync.api("GET", status, user).status == 403, user
    assert sync.api("GET", status, DOWN_ADMIN).body["pending_review"] == 1


@pytest.mark.parametrize("side", ["downstream", "upstream"])
def test_r02_r07_a_directory_entry_left_for_a_user_no_longer_in_the_company_grants_nothing(
    two: Connected, side: str
) -> None:
    api = two.build.api
    company, project, admin = (
        (two.volt, two.down, "volt-admin") if side == "downstream" else (two.apex, two.up, "apex-admin")
    )
    # Given `req` (CM admin downstream, Drawings read_only upstream) removed from one side's company, and its
    # directory entry there left behind (a removal that half-failed, or a stale read)
    [entry] = projects_db.entries_of_user("req", company)
    assert api("DELETE", f"/companies/{company}/users/req", admin).status == 204
    put_back = audit.entry(
        Caller(admin), None, AuditAction.directory_entry_put, "directory_entry", ["req"], companies=[company]
    )
    assert projects_db.put_entry(entry, None, put_back)
    assert projects_db.get_entry(project, "req") is not None
    # When it reads that project, or asks for a connection between the two
    seen = api("GET", f"/projects/{project}", "req")
    requested = two.request()
    # Then neither the project nor the request is open to it: both answer 404, and nothing is requested
    assert seen.status == 404, seen.body
    assert requested.status == 404, requested.body
    assert api("GET", f"/projects/{two.down}/connections", "volt-cm").body["items"] == []
