"""Sync you can see and trust (R40, R42): status exact against a recount, delivery receipts, reconcile healing each
kind of loss without copying a file twice."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from connectability.db.drawings import RevisionItem
from connectability.db.projects import project_key
from tests.integration.conftest import Faults
from tests.integration.sync_world import DOWN_ADMIN, UP_ADMIN, VIEWER, Sync


def status(sync: Sync, user: str = DOWN_ADMIN) -> dict[str, Any]:
    answer = sync.api("GET", f"/connections/{sync.connection_id}/sync-status", user)
    assert answer.status == 200, answer.body
    return dict(answer.body)


def recount(sync: Sync) -> dict[str, int]:
    """The truth, counted item by item: what the counters must equal."""
    upstream = RevisionItem.query(project_key(sync.two.up), RevisionItem.sk.startswith("REVISION#"))
    copies = RevisionItem.query(project_key(sync.two.down), RevisionItem.sk.startswith("REVISION#"))
    states = Counter(r.state for r in copies if r.connected)
    return {
        "upstream_published": sum(1 for r in upstream if r.state == "published" and not r.connected),
        "copied": states["pending_review"] + states["published"],
        "pending_review": states["pending_review"],
        "published_downstream": states["published"],
    }


def counted(sync: Sync) -> dict[str, int]:
    now = status(sync)
    return {k: now[k] for k in ("upstream_published", "copied", "pending_review", "published_downstream")}


def copying(key_part: str) -> Any:
    return lambda params: key_part in json.dumps(params.get("CopySource", {}))


def test_r40_sync_status_equals_a_recount_after_publishes_edits_deletes_retries_and_failures(
    sync: Sync, faults: Faults
) -> None:
    sync.connect()
    sheets = [sync.up.published(f"E-{n}") for n in range(6)]
    assert counted(sync) == recount(sync)  # before anything was copied: 6 published, nothing copied
    sync.pipeline.run()
    waiting = sync.review()
    sync.down("POST", "/connected-drawings/publish", body={"revision_ids": [r["id"] for r in waiting[:3]]})
    # a copy that fails once (S3 throttles it) and succeeds on its retry; one that fails every time
    flaky = sync.up.revision("E-flaky").body
    broken = sync.up.revision("E-broken").body
    faults.fail("CopyObject", times=1, code="SlowDown", when=copying(_upload_key(sync, flaky["id"])))
    faults.fail("CopyObject", times=99, code="AccessDenied", when=copying(_upload_key(sync, broken["id"])))
    for revision in (flaky, broken):
        assert sync.up.publish(revision["id"]).status == 200
    sync.api("PATCH", f"/projects/{sync.two.up}/drawings/{sheets[0]['drawing_id']}", UP_ADMIN, {"title": "Edited"})
    sync.api("DELETE", f"/projects/{sync.two.up}/drawings/{sheets[1]['drawing_id']}", UP_ADMIN)  # published downstream
    sync.api("DELETE", f"/projects/{sync.two.up}/drawings/{sheets[5]['drawing_id']}", UP_ADMIN)  # waiting for review
    sync.up.published("E-2", revision_number="2")
    sync.pipeline.run()

    now = status(sync)
    assert counted(sync) == recount(sync)
    assert (now["upstream_published"], now["copied"], now["failed"]) == (7, 6, 1)
    [failure] = now["failures"]
    assert failure["upstream_revision_id"] == broken["id"]
    assert "CopyObject" in failure["error"]
    assert "AccessDenied" in failure["error"]
    assert now["lag_seconds"] is not None
    assert now["lag_seconds"] >= 0
    assert now["last_synced_at"]
    assert now["reconcile"]["dead_letters"] == 1  # the broken job, after its ten tries
    assert now["initial_sync"]["status"] == "complete"
    # when the cause is gone, reconcile heals the failure, and the counters follow
    faults.rules.clear()
    assert sync.api("POST", f"/connections/{sync.connection_id}/reconcile", DOWN_ADMIN).status == 202
    sync.pipeline.run()
    healed = status(sync)
    assert (healed["failed"], healed["failures"], healed["copied"]) == (0, [], 7)
    assert counted(sync) == recount(sync)


def _upload_key(sync: Sync, revision_id: str) -> str:
    """The upstream file key of a revision (what CopySource names)."""
    item = RevisionItem.get(project_key(sync.two.up), f"REVISION#{revision_id}")
    return str(item.file_key)


def test_r40_only_cm_admins_of_either_project_see_sync_status(sync: Sync) -> None:
    sync.connect()
    assert status(sync, UP_ADMIN)["connection_id"] == sync.connection_id  # upstream CM admin
    assert status(sync, DOWN_ADMIN)["connection_id"] == sync.connection_id  # downstream CM admin
    for user in ("apex-reader", VIEWER):  # CM read_only on one side: may see the connection, not its sync
        answer = sync.api("GET", f"/connections/{sync.connection_id}/sync-status", user)
        assert (answer.status, answer.error["rule"]) == (403, "R40")
    for user in ("apex-admin", "volt-admin"):  # company admins outside the directories: the connection is not theirs
        answer = sync.api("GET", f"/connections/{sync.connection_id}/sync-status", user)
        assert answer.status == 404
    assert sync.api("GET", "/connections/con_nothing/sync-status", DOWN_ADMIN).status == 404
    assert sync.api("POST", f"/connections/{sync.connection_id}/reconcile", VIEWER).status == 403


def test_r40_delivery_receipts_show_where_an_upstream_revision_stands(sync: Sync) -> None:
    sync.connect()
    second = sync.two.downstream_project("Harbor Tower - Electrical 2")
    other = sync.two.request(user="req", down=second)
    sync.api("POST", f"/connections/{other.body['id']}/approve", UP_ADMIN)
    sheet = sync.up.published("E-1")
    sync.pipeline.run()
    sync.publish_all()  # in the first downstream only
    answer = sync.api("GET", f"/projects/{sync.two.up}/drawing-revisions/{sheet['id']}/deliveries", UP_ADMIN)
    assert answer.status == 200, answer.body
    states = {d["downstream"]["project_id"]: d["state"] for d in answer.body["items"]}
    assert states == {sync.two.down: "published", second: "pending_review"}
    assert all(d["downstream"]["company_name"] == "Volt Electric" for d in answer.body["items"])
    # a draft was never delivered anywhere
    draft = sync.up.revision("E-2").body
    pending = sync.api("GET", f"/projects/{sync.two.up}/drawing-revisions/{draft['id']}/deliveries", UP_ADMIN)
    assert {d["state"] for d in pending.body["items"]} == {"waiting"}
    # only the upstream's Drawings admins; the downstream sees none of the upstream's other connections
    reader = sync.api("GET", f"/projects/{sync.two.up}/drawing-revisions/{sheet['id']}/deliveries", "apex-reader")
    assert reader.status == 403
    copy = sync.register()[0]["current_revision"]["id"]
    theirs = sync.down("GET", f"/drawing-revisions/{copy}/deliveries")
    assert theirs.status == 404
    assert sync.down("GET", f"/drawing-revisions/{sheet['id']}/deliveries").status == 404


def test_r42_reconcile_heals_every_kind_of_loss_and_copies_no_file_twice(sync: Sync, faults: Faults) -> None:
    sync.connect()
    kept = sync.up.published("E-1")
    sync.pipeline.run()
    sync.publish_all()
    # lost on the way: a publish's event and an edit's event deleted from the queue
    lost = sync.up.published("E-2")
    sync.api("PATCH", f"/projects/{sync.two.up}/drawings/{kept['drawing_id']}", UP_ADMIN, {"title": "Edited"})
    assert len(sync.pipeline.take("SyncEventsQueue")) == 2
    # dropped half-way: a copy that copied its file, then died before its write, and its job lost
    half = sync.up.published("E-3")
    sync.pipeline.queues.drain("SyncEventsQueue")
    faults.fail("TransactWriteItems", times=1, code="InternalServerError")
    [job] = sync.pipeline.take("CopyJobsQueue")
    sync.pipeline.deliver("CopyJobsQueue", [job])  # copies the file, fails to write: and the job is gone
    sync.pipeline.take("CopyJobsQueue")
    sync.pipeline.run()
    assert [d["title"] for d in sync.register()] == ["Plan E-1"]
    assert {r["number"] for r in sync.review()} == set()
    copies_before = faults.calls["CopyObject"]

    assert sync.api("POST", f"/connections/{sync.connection_id}/reconcile", UP_ADMIN).status == 202
    sync.pipeline.run()
    assert [d["title"] for d in sync.register()] == ["Edited"]
    assert sorted(r["number"] for r in sync.review()) == ["E-2", "E-3"]
    assert faults.calls["CopyObject"] - copies_before == 1  # E-2's file; E-3's was already there; E-1 kept its
    run = status(sync)["reconcile"]
    assert (run["repairs"], run["checked"]) == (3, 3)
    assert run["finished_at"]
    assert {lost["id"], half["id"]} <= {r["source"]["upstream_revision_id"] for r in sync.review()}

    # a second reconcile finds nothing to repair and changes nothing
    before, calls = sync.state(), faults.calls["CopyObject"]
    assert sync.api("POST", f"/connections/{sync.connection_id}/reconcile", DOWN_ADMIN).status == 202
    sync.pipeline.run()
    assert status(sync)["reconcile"]["repairs"] == 0
    assert (sync.state(), faults.calls["CopyObject"]) == (before, calls)


def test_r42_a_retried_copy_finds_its_file_copied_by_the_attempt_that_died(sync: Sync, faults: Faults) -> None:
    sync.connect()
    sync.pipeline.run()  # the initial sync, of nothing
    sync.up.published("E-1")
    faults.fail("TransactWriteItems", times=1, code="InternalServerError")  # after the file, before the write
    sync.pipeline.run()  # the job is delivered again, as SQS does
    assert [r["number"] for r in sync.review()] == ["E-1"]
    assert faults.calls["CopyObject"] == 1
    assert status(sync)["failed"] == 0  # the failure of the first attempt is over


def test_r42_reconcile_runs_for_every_active_connection_on_its_schedule(sync: Sync) -> None:
    sync.connect()
    sync.up.published("E-1")
    sync.pipeline.take("SyncEventsQueue")  # the event is lost
    handler = sync.pipeline.queues.api.handler("ReconcileFunction")
    from local.events import LambdaContext
    from local.pollers import scheduled_event

    assert handler(scheduled_event("ReconcileFunction"), LambdaContext("ReconcileFunction")) == {"started": 1}
    sync.pipeline.run()
    assert [r["number"] for r in sync.review()] == ["E-1"]
    ended = sync.api("POST", f"/connections/{sync.connection_id}/disconnect", DOWN_ADMIN, {"reason": "done"})
    assert ended.status == 200
    assert handler(scheduled_event("ReconcileFunction"), LambdaContext("ReconcileFunction")) == {"started": 0}
    refused = sync.api("POST", f"/connections/{sync.connection_id}/reconcile", DOWN_ADMIN)
    assert (refused.status, refused.error["code"]) == (409, "invalid_state")


def test_r42_reconcile_finds_file_checks_that_never_finished(
    sync: Sync, monkeypatch: Any, small_inline_hash: None
) -> None:
    from connectability.domain import reconcile

    sync.connect()
    sync.pipeline.run()
    revision = sync.up.revision("E-big").body
    assert revision["file"]["state"] == "checking"
    sync.pipeline.take("FileChecksQueue")  # the check is lost
    monkeypatch.setattr(reconcile, "STUCK_AFTER", reconcile.STUCK_AFTER * 0)
    assert sync.api("POST", f"/connections/{sync.connection_id}/reconcile", DOWN_ADMIN).status == 202
    sync.pipeline.run()
    assert status(sync)["reconcile"]["stuck_checking"] == 1
    sync.pipeline.queues.drain("FileChecksQueue")  # asked again: the check runs now
    answer = sync.api("GET", f"/projects/{sync.two.up}/drawings/{revision['drawing_id']}", UP_ADMIN)
    assert answer.body["revisions"][0]["file"]["state"] == "ready"


def test_r42_a_reconcile_of_several_pages_checks_every_revision_once(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectability.domain import reconcile

    # Given three revisions copied, and reconcile reading one revision a page
    sync.connect()
    for number in ("E-1", "E-2", "E-3"):
        sync.up.published(number)
    sync.pipeline.run()
    monkeypatch.setattr(reconcile, "PAGE", 1)
    # When a reconcile runs: each page hands the next to the reconcile-pages queue
    assert sync.api("POST", f"/connections/{sync.connection_id}/reconcile", DOWN_ADMIN).status == 202
    sync.pipeline.run()
    # Then every revision was checked once, nothing needed repair, and the run finished
    run = status(sync)["reconcile"]
    assert (run["checked"], run["repairs"]) == (3, 0)
    assert run["finished_at"]


def test_r29_an_initial_sync_whose_first_page_was_not_sent_is_started_by_the_relay(sync: Sync, faults: Faults) -> None:
    from datetime import timedelta

    from connectability.models.common import utcnow
    from tests.integration.conftest import relay_as_scheduled

    # Given a published revision, and an approval whose initial sync's first page fails to send after its commit
    sync.up.published("E-1")
    sync.pipeline.run()  # its manifest handled before there is a connection to copy to
    faults.fail("SendMessage", times=1, when=lambda p: "initial-sync-pages" in p["QueueUrl"])
    sync.connect()
    sync.pipeline.run()
    assert sync.connection()["initial_sync"]["status"] == "running"
    assert sync.review() == []
    # When the outbox relay runs
    assert relay_as_scheduled(utcnow() + timedelta(minutes=1)) >= 1
    sync.pipeline.run()
    # Then the initial sync ran and completed
    assert sync.connection()["initial_sync"] == {"status": "complete", "total": 1, "copied": 1}
    assert [r["number"] for r in sync.review()] == ["E-1"]
