"""Sync on moto, handlers run as Lambda's pollers would run them: every published upstream revision reaches each
connected downstream project, once, in any order, and nothing after a disconnect (R17, R19-R29, R34-R36, R39)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from connectability.config import get_settings
from local.world import PDF, DrawingsWorld, Pipeline
from tests.integration.conftest import Connected, relay_as_scheduled
from tests.integration.sync_world import DOWN_ADMIN, FULL, UP_ADMIN, VIEWER, Sync, storage_bucket


# -- what is copied -------------------------------------------------------------------------------------------
def test_r19_r20_r21_r23_a_published_revision_arrives_for_review_with_every_field(sync: Sync) -> None:
    sync.connect()
    sync.pipeline.run()
    published = sync.up.published("E-101", title="Panel schedule", revision_number="A", **FULL)
    draft = sync.up.revision("E-102", title="Draft only")
    assert draft.status == 201
    sync.pipeline.run()

    review = sync.review()
    assert [r["number"] for r in review] == ["E-101"]  # R19: only published revisions, never drafts
    copy = review[0]
    assert copy["state"] == "pending_review"  # R21
    assert copy["connected"] is True  # R23
    assert copy["source"] == {  # R22: where it comes from, by name, for readers with no access upstream
        "connection_id": sync.connection_id,
        "upstream_revision_id": published["id"],
        "upstream_project_id": sync.two.up,
        "upstream_project_name": "Harbor Tower",
        "upstream_company_id": sync.two.apex,
        "upstream_company_name": "Apex Builders",
    }
    assert {k: copy[k] for k in ("title", "revision_number", "status", "drawing_date", "received_date")} == {
        "title": "Panel schedule",
        "revision_number": "A",
        "status": "For construction",
        "drawing_date": "2026-11-02",
        "received_date": "2026-11-03",
    }
    assert copy["discipline"] == {"name": "Electrical", "position": 3}
    assert copy["area"]["name"] == "Level 1"
    assert copy["area"]["description"] == "Ground floor"
    assert copy["drawing_set"] == {"name": "IFC", "date": "2026-11-01"}
    assert copy["file"]["sha256"] == published["file"]["sha256"]
    assert sync.download(copy["id"]) == PDF  # the same bytes, from the downstream company's own bucket
    link = sync.down("GET", f"/drawing-revisions/{copy['id']}/file").body["url"]
    assert storage_bucket(sync.two.volt) in link
    assert "connected" in link
    # R19: areas come along, as records of the connection's own
    assert [a["name"] for a in sync.down("GET", "/drawing-areas").body["items"]] == ["Level 1"]


def test_r19_a_set_too_big_for_one_request_is_handed_off_and_each_revision_arrives_once(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectability.db import outbox as outbox_db
    from connectability.domain import manifests

    monkeypatch.setattr(outbox_db, "MANIFESTS_PER_DUTY", 2)  # 5 revisions: 3 duties, as 2,000 make 20
    monkeypatch.setattr(manifests, "WRITERS", 4)  # and more than one wave of writes
    sync.connect()
    sync.pipeline.run()
    ids = [sync.up.revision(f"E-{n}").body["id"] for n in range(5)]
    # When the set is published in one call
    assert sync.up.publish(*ids).body == {"published": ids}
    # Then it answered before writing any manifest: each duty went to the manifests-due queue, its versions taken
    handed = sync.pipeline.take("ManifestsDueQueue")
    bodies = [json.loads(m["Body"]) for m in handed]
    assert sorted(len(b["versions_taken"]) for b in bodies) == [1, 2, 2]
    assert sorted(r for b in bodies for r in b["versions_taken"]) == sorted(ids)
    assert all(sync.up.manifest_versions(i) == [] for i in ids)
    # And once the queue's function has them, every revision reaches the downstream, once
    sync.pipeline.deliver("ManifestsDueQueue", handed)
    sync.pipeline.run()
    assert sorted(r["number"] for r in sync.review()) == [f"E-{n}" for n in range(5)]
    assert [sync.up.manifest_versions(i) for i in ids] == [[1]] * 5
    # And a message delivered again finds its duty done and writes nothing
    sync.pipeline.deliver("ManifestsDueQueue", handed)
    sync.pipeline.run()
    assert [sync.up.manifest_versions(i) for i in ids] == [[1]] * 5
    assert len(sync.review()) == 5


def test_r19_a_set_whose_hand_off_fails_is_written_by_the_relay(sync: Sync, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from botocore.exceptions import ClientError

    from connectability import aws
    from connectability.db import outbox as outbox_db
    from connectability.domain import manifests
    from connectability.models.common import utcnow

    monkeypatch.setattr(outbox_db, "MANIFESTS_PER_DUTY", 2)
    monkeypatch.setattr(manifests, "WRITERS", 2)
    sync.connect()
    sync.pipeline.run()
    ids = [sync.up.revision(f"E-{n}").body["id"] for n in range(3)]

    def refused(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessageBatch")

    # Given SQS refuses the hand-off of a published set
    sqs, real = aws.sqs(), aws.sqs().send_message_batch
    monkeypatch.setattr(sqs, "send_message_batch", refused)
    assert sync.up.publish(*ids).body == {"published": ids}
    monkeypatch.setattr(sqs, "send_message_batch", real)
    assert sync.pipeline.take("ManifestsDueQueue") == []
    # When the relay runs, the manifests are written and every revision arrives
    later = utcnow() + timedelta(minutes=1)
    assert relay_as_scheduled(later) == 3
    sync.pipeline.run()
    assert sorted(r["number"] for r in sync.review()) == ["E-0", "E-1", "E-2"]
    assert outbox_db.pending(later) == []


def test_r21_r22_copies_are_seen_by_read_only_users_only_once_published(sync: Sync) -> None:
    sync.connect()
    sync.up.published("E-101")
    sync.up.published("E-102")
    sync.pipeline.run()
    waiting = sync.review()
    assert len(waiting) == 2
    assert sync.register(VIEWER) == []  # R21: nobody but Drawings admins sees copies waiting for review
    assert sync.down("GET", f"/drawing-revisions/{waiting[0]['id']}/file", VIEWER).status == 404
    not_admin = sync.down("POST", "/connected-drawings/publish", VIEWER, {"all": True})
    assert not_admin.status == 403

    one = sync.down("POST", "/connected-drawings/publish", body={"revision_ids": [waiting[0]["id"]]})
    assert one.status == 200
    assert one.body == {"published": [waiting[0]["id"]]}
    again = sync.down("POST", "/connected-drawings/publish", body={"revision_ids": [waiting[0]["id"]]})
    assert again.status == 409
    assert "connected-drawings/review" in again.error["message"]
    assert sync.publish_all() == [waiting[1]["id"]]
    assert sync.review() == []

    seen = sync.register(VIEWER)  # R22: a read-only user, with no access at all to the upstream project
    assert sorted(d["number"] for d in seen) == ["E-101", "E-102"]
    assert all(d["connected"] and d["current_revision"]["state"] == "published" for d in seen)
    assert sync.download(seen[0]["current_revision"]["id"], VIEWER) == PDF
    assert sync.api("GET", f"/projects/{sync.two.up}", VIEWER).status == 404


def test_connected_publish_refuses_bad_input_and_changes_nothing(sync: Sync) -> None:
    sync.connect()
    sync.up.published("E-101")
    sync.pipeline.run()
    own = DrawingsWorld(sync.api, sync.two.volt, sync.two.down, uploader=DOWN_ADMIN, admin=DOWN_ADMIN)
    own_draft = own.revision("V-1").body
    for body in ({}, {"all": True, "revision_ids": ["x"]}, {"all": False}, {"revision_ids": []}, {"all": "yes"}):
        assert sync.down("POST", "/connected-drawings/publish", body=body).status == 422, body
    not_copy = sync.down("POST", "/connected-drawings/publish", body={"revision_ids": [own_draft["id"]]})
    assert not_copy.status == 422
    assert not_copy.error["details"][0]["field"] == "revision_ids.0"
    assert len(sync.review()) == 1


# -- keeping in sync ------------------------------------------------------------------------------------------
def test_r25_metadata_changes_reach_the_downstream(sync: Sync) -> None:
    sync.connect()
    revision = sync.up.published("E-101", title="Panel schedule", **FULL)
    sync.pipeline.run()
    sync.publish_all()
    drawing_id = revision["drawing_id"]
    edit = sync.api(
        "PATCH",
        f"/projects/{sync.two.up}/drawings/{drawing_id}",
        UP_ADMIN,
        {
            "title": "Panel schedule, rev.",
            "obsolete": True,
            "status": "Superseded",
            "discipline": {"name": "Electrical", "position": 7},
            "drawing_set": {"name": "IFC", "date": "2026-12-01"},
            "received_date": "2026-11-20",
        },
    )
    assert edit.status == 200, edit.body
    area_id = revision["area"]["id"]
    renamed = sync.api("PATCH", f"/projects/{sync.two.up}/drawing-areas/{area_id}", UP_ADMIN, {"name": "Level 1 North"})
    assert renamed.status == 200
    sync.pipeline.run()

    [drawing] = sync.register()
    assert drawing["title"] == "Panel schedule, rev."
    assert drawing["obsolete"] is True
    assert drawing["discipline"] == {"name": "Electrical", "position": 7}
    assert drawing["area"]["name"] == "Level 1 North"
    current = drawing["current_revision"]
    assert current["state"] == "published"  # a change to a published copy keeps it published
    assert (current["status"], current["received_date"]) == ("Superseded", "2026-11-20")
    assert current["drawing_set"] == {"name": "IFC", "date": "2026-12-01"}
    assert [a["name"] for a in sync.down("GET", "/drawing-areas").body["items"]] == ["Level 1 North"]
    # the file did not change, so it was not copied again: one object version downstream
    versions = boto3.client("s3").list_object_versions(
        Bucket=storage_bucket(sync.two.volt), Prefix=f"connected/{sync.connection_id}/"
    )["Versions"]
    assert len(versions) == 1


def test_r26_a_new_upstream_revision_is_the_next_revision_of_the_same_downstream_drawing(sync: Sync) -> None:
    sync.connect()
    first = sync.up.published("E-101", revision_number="A")
    sync.pipeline.run()
    sync.publish_all()
    [before] = sync.register()
    second = sync.up.published("E-101", revision_number="B", title="Plan E-101 (B)")
    assert second["drawing_id"] == first["drawing_id"]
    sync.pipeline.run()
    [waiting] = sync.review()
    assert waiting["drawing_id"] == before["id"]
    assert waiting["revision_number"] == "B"
    assert sync.register()[0]["current_revision"]["revision_number"] == "A"  # until reviewed
    sync.publish_all()
    [after] = sync.register()
    assert after["id"] == before["id"]
    assert after["current_revision"]["revision_number"] == "B"
    assert after["title"] == "Plan E-101 (B)"
    revisions = sync.down("GET", f"/drawings/{after['id']}").body["revisions"]
    assert [r["revision_number"] for r in revisions] == ["A", "B"]


def test_r27_markups_stay_where_they_were_drawn(sync: Sync) -> None:
    sync.connect()
    first = sync.up.published("E-101", revision_number="A")
    upstream_markup = sync.api(
        "POST",
        f"/projects/{sync.two.up}/drawings/{first['drawing_id']}/markups",
        UP_ADMIN,
        {"revision_id": first["id"], "data": {"note": "GC only"}},
    )
    assert upstream_markup.status == 201
    sync.pipeline.run()
    sync.publish_all()
    [drawing] = sync.register()
    assert sync.down("GET", f"/drawings/{drawing['id']}/markups").body["items"] == []  # upstream's never arrive
    ours = sync.down(
        "POST",
        f"/drawings/{drawing['id']}/markups",
        body={"revision_id": drawing["current_revision"]["id"], "data": {"note": "sub's note"}},
    )
    assert ours.status == 201
    sync.up.published("E-101", revision_number="B")
    sync.pipeline.run()
    sync.publish_all()
    markups = sync.down("GET", f"/drawings/{drawing['id']}/markups").body["items"]
    assert [m["data"] for m in markups] == [{"note": "sub's note"}]  # still on the drawing
    upstream = sync.api("GET", f"/projects/{sync.two.up}/drawings/{first['drawing_id']}/markups", UP_ADMIN)
    assert [m["data"] for m in upstream.body["items"]] == [{"note": "GC only"}]  # nothing flowed back


def test_r28_an_upstream_delete_leaves_the_register_and_shows_in_the_deleted_report(sync: Sync) -> None:
    sync.connect()
    first = sync.up.published("E-101", revision_number="A", area={"name": "Roof"})
    sync.up.published("E-101", revision_number="B", area={"name": "Roof"})
    kept = sync.up.published("E-102")
    sync.pipeline.run()
    sync.publish_all()
    deleted = sync.api("DELETE", f"/projects/{sync.two.up}/drawings/{first['drawing_id']}", UP_ADMIN)
    assert deleted.status == 204
    sync.pipeline.run()
    assert [d["number"] for d in sync.register()] == [kept["number"]]
    report = sync.down("GET", "/reports/deleted-drawing-revisions").body["items"]
    assert sorted(r["revision_number"] for r in report) == ["A", "B"]
    assert all(r["connected"] and r["state"] == "deleted" and r["deleted_at"] for r in report)
    assert "Roof" in [a["name"] for a in sync.down("GET", "/drawing-areas").body["items"]]  # areas stay
    assert sync.down("GET", "/reports/deleted-drawing-revisions", VIEWER).status == 403


def test_r24_connected_drawings_and_their_areas_are_read_only_downstream(sync: Sync) -> None:
    sync.connect()
    sync.up.published("E-101", area={"name": "Level 1"})
    sync.pipeline.run()
    sync.publish_all()
    [drawing] = sync.register()
    for method, path, body in (
        ("PATCH", f"/drawings/{drawing['id']}", {"title": "Mine now"}),
        ("PATCH", f"/drawings/{drawing['id']}", {"area": {"name": "Elsewhere"}}),
        ("DELETE", f"/drawings/{drawing['id']}", None),
        ("PATCH", f"/drawing-areas/{drawing['area']['id']}", {"name": "Renamed downstream"}),
    ):
        answer = sync.down(method, path, body=body)
        assert answer.status == 409, (method, path, answer.body)
        assert (answer.error["code"], answer.error["rule"]) == ("connected_drawing_read_only", "R24")
    # the downstream's own drawings and areas, of the same names, are untouched by sync and stay its own
    own = DrawingsWorld(sync.api, sync.two.volt, sync.two.down, uploader=DOWN_ADMIN, admin=DOWN_ADMIN)
    mine = own.published("E-101", area={"name": "Level 1", "description": "ours"})
    assert mine["drawing_id"] != drawing["id"]
    assert mine["area"]["id"] != drawing["area"]["id"]
    sync.pipeline.run()
    numbers = sorted((d["number"], d["connected"]) for d in sync.register())
    assert numbers == [("E-101", False), ("E-101", True)]
    assert sync.down("PATCH", f"/drawing-areas/{mine['area']['id']}", body={"name": "Ours"}).status == 200
    [copy] = [d for d in sync.register() if d["connected"]]
    assert copy["title"] == drawing["title"]
    assert copy["area"]["name"] == "Level 1"


# -- disconnects, duplicates, order ---------------------------------------------------------------------------
def test_r17_a_disconnect_stops_work_in_flight_and_keeps_what_arrived(sync: Sync) -> None:
    sync.connect()
    sync.up.published("E-101")
    sync.pipeline.run()
    sync.publish_all()
    before = sync.state()
    sync.up.published("E-102")
    sync.up.published("E-101", revision_number="B")
    sync.pipeline.queues.drain("SyncEventsQueue")  # fanned out: copy jobs are queued
    assert sync.pipeline.waiting("CopyJobsQueue") == 2
    ended = sync.api("POST", f"/connections/{sync.connection_id}/disconnect", DOWN_ADMIN, {"reason": "done"})
    assert ended.status == 200
    sync.pipeline.run()
    assert sync.state() == before  # nothing new landed, everything there before stays
    keys = boto3.client("s3").list_objects_v2(Bucket=storage_bucket(sync.two.volt), Prefix="connected/")
    assert len(keys.get("Contents", [])) == 1  # the in-flight copies' files were taken back too
    sync.up.published("E-103")  # and nothing published later is copied
    sync.pipeline.run()
    assert sync.state() == before


def test_every_event_twice_and_in_reverse_order_gives_the_same_state_and_mails(
    two: Connected, pipeline: Pipeline
) -> None:
    def scenario(sync: Sync, deliver_badly: bool) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        sync.connect()
        first = sync.up.published("E-101", revision_number="A", **FULL)
        sync.up.published("E-102", area={"name": "Level 2"})
        gone = sync.up.published("E-103")
        sync.pipeline.run()
        sync.publish_all()
        sync.up.published("E-101", revision_number="B", **FULL)
        sync.api("PATCH", f"/projects/{sync.two.up}/drawings/{first['drawing_id']}", UP_ADMIN, {"title": "Renamed"})
        sync.api("PATCH", f"/projects/{sync.two.up}/drawing-areas/{first['area']['id']}", UP_ADMIN, {"name": "L1"})
        sync.api("DELETE", f"/projects/{sync.two.up}/drawings/{gone['drawing_id']}", UP_ADMIN)
        sync.up.published("E-104")
        if deliver_badly:
            for queue in ("SyncEventsQueue", "CopyJobsQueue"):
                messages = sync.pipeline.take(queue)
                sync.pipeline.deliver(queue, [m for m in reversed(messages) for _ in range(2)])
        sync.pipeline.run()
        return sync.state(), sync.mails()

    up = DrawingsWorld(two.build.api, two.apex, two.up, uploader=UP_ADMIN, admin=UP_ADMIN)
    pipeline.run()
    good_state, good_mails = scenario(Sync(two, up, pipeline), deliver_badly=False)
    # the same story in a second pair of projects, its events delivered twice each and newest first
    down2 = two.build.project(two.volt, "Harbor Tower - Electrical 2", "volt-admin")
    two.build.member(down2, "volt-cm", "volt-admin", cm="admin", drawings="admin")
    two.build.member(down2, "req", "volt-admin", cm="admin", drawings="standard")
    up2 = two.upstream_project("Harbor Tower 2")
    second = Connected(two.build, two.apex, two.volt, up2, down2)
    bad = Sync(second, DrawingsWorld(two.build.api, two.apex, up2, uploader="apex-cm", admin="apex-cm"), pipeline)
    bad_state, all_mails = scenario(bad, deliver_badly=True)
    assert bad_state == good_state
    assert good_state["register"]
    assert good_state["review"]
    assert good_state["deleted"]
    assert "L1" in good_state["areas"]
    assert "Renamed" in "".join(good_state["register"])
    theirs = sorted(m[0] for m in all_mails if m[1] == down2)
    ours = sorted(m[0] for m in good_mails if m[1] == two.down)
    assert theirs == ours
    assert "drawings_published" in ours
    assert "drawings_deleted" in ours


# -- initial sync ---------------------------------------------------------------------------------------------
def test_r29_r34_initial_sync_copies_every_published_revision_with_visible_progress(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectability.domain import sync as sync_domain

    monkeypatch.setattr(sync_domain, "PAGE", 2)  # several pages, so paging and its cursor are exercised
    for n in range(5):
        sync.up.published(f"E-{n:03d}")
    sync.up.revision("E-900")  # a draft: not copied
    sync.pipeline.run()
    started = sync.connect()
    assert started["initial_sync"] == {"status": "running", "total": 0, "copied": 0}
    for page in sync.pipeline.take("InitialSyncPagesQueue"):  # the first page, delivered twice: counted once
        sync.pipeline.deliver("InitialSyncPagesQueue", [page, page])
    while sync.pipeline.waiting("InitialSyncPagesQueue"):
        sync.pipeline.queues.drain("InitialSyncPagesQueue")
    progress = sync.connection()["initial_sync"]
    assert progress == {"status": "running", "total": 5, "copied": 0}
    jobs = sync.pipeline.take("CopyJobsQueue")
    assert len({json.loads(j["Body"])["manifest"]["revision_id"] for j in jobs}) == 5
    sync.pipeline.deliver("CopyJobsQueue", jobs[:3])
    assert sync.connection()["initial_sync"] == {"status": "running", "total": 5, "copied": 3}
    sync.pipeline.deliver("CopyJobsQueue", jobs[3:] + jobs[:2])  # the rest, and two again
    sync.pipeline.run()
    assert sync.connection()["initial_sync"] == {"status": "complete", "total": 5, "copied": 5}
    assert len(sync.review()) == 5
    mails = [m for m in sync.mails() if m[0] == "initial_sync_complete"]
    assert mails == [("initial_sync_complete", sync.two.down, mails[0][2])]  # R34: once, to the Drawings admin
    assert "Initial sync complete" in mails[0][2]
    assert not [m for m in sync.mails() if m[0] == "drawings_published"]  # no second mail for the same copies


def test_r29_an_upstream_with_nothing_published_completes_at_once(sync: Sync) -> None:
    sync.up.revision("E-1")  # a draft only
    sync.connect()
    sync.pipeline.run()
    assert sync.connection()["initial_sync"] == {"status": "complete", "total": 0, "copied": 0}
    assert [m[0] for m in sync.mails()].count("initial_sync_complete") == 1


# -- mails ----------------------------------------------------------------------------------------------------
def test_r35_r36_r39_a_burst_of_sheets_sends_one_digest_per_recipient(sync: Sync) -> None:
    sync.connect()
    sync.pipeline.run()
    for n in range(12):
        sync.up.published(f"E-{n:03d}")
    sync.pipeline.run()
    published = [m for m in sync.mails() if m[0] == "drawings_published"]
    assert len(published) == 1  # volt-cm, the downstream's only Drawings admin: one message, not twelve
    assert published[0][1] == sync.two.down
    assert published[0][2].startswith("12 drawing revisions")
    revisions = sync.up.api("GET", f"/projects/{sync.two.up}/drawings", UP_ADMIN, query={"limit": "2"}).body
    for drawing in revisions["items"]:
        sync.api("DELETE", f"/projects/{sync.two.up}/drawings/{drawing['id']}", UP_ADMIN)
    sync.pipeline.run()
    deleted = [m for m in sync.mails() if m[0] == "drawings_deleted"]
    assert len(deleted) == 1
    assert deleted[0][2].startswith("2 drawings deleted")
    assert not [m for m in sync.mails() if m[1] == sync.two.up and m[0] in ("drawings_published", "drawings_deleted")]


def test_r39_a_digest_check_delivered_twice_mails_once(sync: Sync) -> None:
    sync.connect()
    sync.pipeline.run()
    sync.up.published("E-1")
    sync.pipeline.queues.drain("SyncEventsQueue")
    sync.pipeline.queues.drain("CopyJobsQueue")
    import time

    time.sleep(1.2)  # the quiet second passes; the delayed check is now visible
    checks = sync.pipeline.take("DigestChecksQueue")
    assert [json.loads(c["Body"])["kind"] for c in checks] == ["digest_check"]
    sync.pipeline.deliver("DigestChecksQueue", checks * 3)
    sync.pipeline.run()
    assert [m[0] for m in sync.mails()].count("drawings_published") == 1


# -- the pipeline's edges -------------------------------------------------------------------------------------
def test_large_files_are_copied_in_parts_server_side(sync: Sync, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MULTIPART_COPY_BYTES", str(6 * 1024 * 1024))
    monkeypatch.setenv("COPY_PART_BYTES", str(5 * 1024 * 1024))
    get_settings.cache_clear()
    big = b"%PDF-1.7\n" + bytes(range(256)) * (11 * 1024 * 4)  # about 11 MiB: three parts
    sync.connect()
    revision = sync.up.revision("E-BIG", data=big)
    assert revision.status == 201, revision.body
    assert sync.up.publish(revision.body["id"]).status == 200
    sync.pipeline.run()
    [copy] = sync.review()
    assert copy["file"]["size"] == len(big)
    assert sync.download(copy["id"]) == big


def test_fanout_skips_test_events_and_other_keys_and_parks_unknown_manifests(sync: Sync) -> None:
    sync.connect()
    sync.pipeline.run()
    s3 = boto3.client("s3")
    bucket = storage_bucket(sync.two.apex)
    s3.put_object(Bucket=bucket, Key=f"manifests/{sync.two.up}/rev_future.json", Body=b'{"schema_version": 2}')
    sync.pipeline.run()
    dlq = sync.pipeline.take("SyncEventsDeadLetterQueue")
    assert len(dlq) == 1
    assert "rev_future" in dlq[0]["Body"]
    s3_event = {
        "Records": [
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket}, "object": {"key": "uploads/x"}}}
        ]
    }
    answers = sync.pipeline.deliver(
        "SyncEventsQueue",
        [
            {"MessageId": "t", "ReceiptHandle": "t", "Body": json.dumps({"Event": "s3:TestEvent"})},
            {"MessageId": "u", "ReceiptHandle": "u", "Body": json.dumps(s3_event)},
        ],
    )
    assert answers == [{"batchItemFailures": []}, {"batchItemFailures": []}]
    assert sync.pipeline.waiting("CopyJobsQueue") == 0
    assert sync.review() == []


def test_a_poison_copy_job_ends_in_the_dead_letter_queue_and_blocks_nothing(sync: Sync) -> None:
    sync.connect()
    sync.pipeline.run()
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=sync.pipeline.queues.url("CopyJobsQueue"), MessageBody='{"kind": "copy_job"}')
    sync.up.published("E-101")
    sync.pipeline.run()
    assert [r["number"] for r in sync.review()] == ["E-101"]  # the good job went through beside it
    [dead] = sync.pipeline.take("CopyJobsDeadLetterQueue")  # after ten tries, where its alarm watches
    assert json.loads(dead["Body"]) == {"kind": "copy_job"}
