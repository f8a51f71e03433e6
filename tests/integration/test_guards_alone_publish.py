"""The upstream publish's write, each of its two conditions alone (README, "What we promise"). A publish's
transaction asks the drawing to stand (`deleted` false) and each revision to be a draft; a whole delete landing
between the publish's read and its write breaks both, so each needs a moment in which it is the only one broken:
a delete half-way (the drawing deleted, the draft not moved yet) for the drawing's, and a second publish of the
same draft, one older than its drawing's current revision (the drawing left as it is), for the revision's."""

from __future__ import annotations

import pytest

from connectability.db import drawing_deletes as deletes_db
from connectability.db import drawings as drawings_db
from connectability.db import outbox as outbox_db
from connectability.db import publishing as publishing_db
from connectability.db import sync_counters
from connectability.domain import drawing_deletes as deletes
from tests.integration.conftest import Answer, DrawingsWorld
from tests.integration.test_guards_alone import hold


def test_r28_a_delete_half_done_between_a_publishs_read_and_write_publishes_nothing(
    drawings_world: DrawingsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = drawings_world
    # Given A-1 with revision 1 published and revision 2 a draft, whose delete takes two transactions, the second
    # left to the outbox relay (as when the request fails after its first)
    monkeypatch.setattr(deletes_db, "FIRST_CHUNK", 1)
    first = w.published("A-1")
    draft = w.revision("A-1", revision_number="2").body
    path = f"/projects/{w.project_id}/drawings/{first['drawing_id']}"
    finish, left = deletes.finish_delete, list[outbox_db.OutboxItem]()
    monkeypatch.setattr(deletes, "finish_delete", left.append)

    def delete_first_part() -> None:
        assert w.api("DELETE", path, "dr-admin2").status == 204
        stored = drawings_db.get_revision(w.project_id, draft["id"], consistent=True)
        assert stored is not None
        assert stored.state == "draft", "the delete's first transaction moved the draft: not the moment wanted"

    # When the delete's first transaction commits after a publish of revision 2 has read its drawing (standing)
    # and before the publish writes
    held = hold(monkeypatch, publishing_db, "publish_many", delete_first_part)
    answer = w.publish(draft["id"])
    [duty] = left
    assert finish(duty)  # the relay finishes the delete
    # Then the publish's condition on the drawing refuses it (the draft was still a draft): nothing published,
    # both revisions deleted, no manifest written for the draft
    assert len(held) == 1
    assert (answer.status, answer.body) == (200, {"published": []})
    report = w.api("GET", f"/projects/{w.project_id}/reports/deleted-drawing-revisions", "dr-admin").body["items"]
    assert sorted((r["revision_number"], r["state"]) for r in report) == [("1", "deleted"), ("2", "deleted")]
    assert w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader").body["items"] == []
    assert w.manifest_versions(draft["id"]) == []
    assert sync_counters.published_count(w.project_id) == 0


def test_r14_r40_two_admins_publishing_one_older_draft_at_once_publish_it_once(
    drawings_world: DrawingsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = drawings_world
    # Given A-1's revision 1 a draft while its revision 2 is published (current): publishing revision 1 leaves
    # the drawing as it is, so only the revision's own condition stands between two publishes of it
    older = w.revision("A-1", revision_number="1").body
    w.published("A-1", revision_number="2")
    assert sync_counters.published_count(w.project_id) == 1
    second: list[Answer] = []
    # When a second Drawings admin publishes it between the first's read (a draft) and the first's write
    held = hold(
        monkeypatch, publishing_db, "publish_many", lambda: second.append(w.publish(older["id"], user="dr-admin2"))
    )
    first = w.publish(older["id"])
    # Then the first's write is refused: published once, counted once (the figure sync status shows upstream),
    # and only the second admin is told it published it
    assert len(held) == 1
    assert (second[0].status, second[0].body) == (200, {"published": [older["id"]]})
    assert (first.status, first.body) == (200, {"published": []})
    assert sync_counters.published_count(w.project_id) == 2
    [drawing] = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader").body["items"]
    assert drawing["current_revision"]["revision_number"] == "2"
