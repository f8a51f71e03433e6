"""Every route that takes several ids answers for each of them: what a client shows ("Published 3 drawing
revisions") comes from these answers."""

from __future__ import annotations

from tests.integration.conftest import Connected, DrawingsWorld
from tests.integration.sync_world import DOWN_ADMIN, VIEWER, Sync


def test_r21_publishing_several_copies_answers_each_in_the_order_asked(sync: Sync) -> None:
    # Given four copies waiting for review downstream
    sync.connect()
    for n in range(4):
        sync.up.published(f"E-{n}")
    sync.pipeline.run()
    waiting = [r["id"] for r in sync.review()]
    assert len(waiting) == 4
    # When a Drawings admin publishes three of them by id, in an order of their own (one named twice)
    asked = [waiting[2], waiting[0], waiting[3], waiting[0]]
    answer = sync.down("POST", "/connected-drawings/publish", body={"revision_ids": asked})
    # Then the answer names each of the three once, in the order asked, and each is published
    assert answer.status == 200, answer.body
    assert answer.body == {"published": [waiting[2], waiting[0], waiting[3]]}
    assert [r["id"] for r in sync.review()] == [waiting[1]]
    seen = {d["current_revision"]["id"] for d in sync.register(VIEWER)}
    assert seen == {waiting[0], waiting[2], waiting[3]}
    # And publishing all that is left answers the one left
    assert sync.publish_all() == [waiting[1]]


def test_r19_publishing_several_drafts_answers_each_in_the_order_asked(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    # Given three drafts, two of them revisions of one drawing
    ids = [w.revision(n, revision_number=r).body["id"] for n, r in (("A-1", "1"), ("B-1", "1"), ("A-1", "2"))]
    # When an admin publishes them in one call, in an order of their own
    asked = [ids[2], ids[0], ids[1]]
    answer = w.publish(*asked)
    # Then the answer names each, in that order, and readers see the newest of each drawing
    assert answer.status == 200, answer.body
    assert answer.body == {"published": asked}
    listed = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader").body["items"]
    assert sorted(d["current_revision"]["id"] for d in listed) == sorted([ids[1], ids[2]])


def test_r38_recipient_settings_with_several_users_answer_each(two: Connected) -> None:
    # Given a downstream project with two CM admins and two Drawings admins
    api = two.build.api
    two.build.member(two.down, "req", "volt-admin", cm="admin", drawings="admin")
    for path, chosen in (
        (f"/projects/{two.down}/settings/connection-manager", ["volt-cm", "req"]),
        (f"/projects/{two.down}/settings/drawings", ["req", "volt-cm"]),
    ):
        # When both are chosen as recipients
        body = {"notification_recipients": {"mode": "selected", "user_ids": chosen}}
        answer = api("PUT", path, DOWN_ADMIN, body)
        # Then the answer, and a later read, name both
        assert answer.status == 200, answer.body
        assert answer.body["notification_recipients"] == body["notification_recipients"]
        assert api("GET", path, DOWN_ADMIN).body["notification_recipients"] == body["notification_recipients"]
        # and the people who may be chosen include both
        assert set(chosen) <= {e["user_id"] for e in answer.body["eligible"]}
