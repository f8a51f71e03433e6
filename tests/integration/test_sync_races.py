"""Sync under races and half-failed deliveries: a second actor runs at the worst moment between another's read
and its write (as the R14 tests of connections do), or a send fails after a write committed."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from connectability.db import sync_counters
from connectability.domain import digests, initial_sync, review
from connectability.domain import sync as sync_domain
from connectability.models.sync import CopyJob, InitialSyncPage
from connectability.storage import bucket_name
from tests.integration.sync_world import DOWN_ADMIN, UP_ADMIN, Sync


def news(sync: Sync) -> int:
    return sum(int(s.news_published or 0) for s in sync_counters.counter_shards(sync.connection_id))


def throttled(*_: Any, **__: Any) -> None:
    raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "SendMessage")


def test_r39_two_digest_checks_at_the_same_moment_mail_once(sync: Sync, monkeypatch: pytest.MonkeyPatch) -> None:
    sync.connect()
    sync.pipeline.run()
    sync.up.published("E-1")
    sync.pipeline.queues.drain("SyncEventsQueue")
    sync.pipeline.queues.drain("CopyJobsQueue")
    time.sleep(1.2)  # the quiet second passes
    real, raced = sync_counters.counter_shards, []

    def second_check_meanwhile(connection_id: str) -> Any:
        if not raced:
            raced.append(True)
            digests.check_digest(connection_id)  # another check, in another Lambda, runs start to finish here
        return real(connection_id)

    monkeypatch.setattr(sync_counters, "counter_shards", second_check_meanwhile)
    digests.check_digest(sync.connection_id)
    monkeypatch.setattr(sync_counters, "counter_shards", real)
    sync.pipeline.run()
    assert [m[0] for m in sync.mails()].count("drawings_published") == 1
    assert news(sync) == 0  # nothing taken twice


def test_r35_news_is_mailed_when_a_copy_batch_fails_after_its_writes(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync.connect()
    sync.pipeline.run()
    sync.up.published("E-1")
    sync.pipeline.queues.drain("SyncEventsQueue")
    jobs = sync.pipeline.take("CopyJobsQueue")
    monkeypatch.setattr(sync_domain.queues, "send_digest_checks", throttled)
    with pytest.raises(ClientError):
        sync.pipeline.deliver("CopyJobsQueue", jobs)  # the copy is written; asking for its digest fails
    monkeypatch.undo()
    redelivered = [{**j, "Attributes": {**j.get("Attributes", {}), "ApproximateReceiveCount": "2"}} for j in jobs]
    sync.pipeline.deliver("CopyJobsQueue", redelivered)  # as SQS delivers the failed batch again
    sync.pipeline.run()
    assert [m[0] for m in sync.mails()].count("drawings_published") == 1


def test_r25_a_copy_landing_during_a_downstream_publish_still_reaches_the_register(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync.connect()
    sync.pipeline.run()
    first = sync.up.published("E-101", title="Old title")
    sync.pipeline.run()
    renamed = sync.api("PATCH", f"/projects/{sync.two.up}/drawings/{first['drawing_id']}", UP_ADMIN, {"title": "New"})
    assert renamed.status == 200
    real = review.sync_db.publish_copy

    def copy_lands_meanwhile(*args: Any) -> bool:
        done = real(*args)
        sync.pipeline.run()  # the rename's copy is written right after the publish, before make-current
        return done

    monkeypatch.setattr(review.sync_db, "publish_copy", copy_lands_meanwhile)
    sync.publish_all()
    monkeypatch.undo()
    [drawing] = sync.register()
    assert drawing["title"] == drawing["current_revision"]["title"] == "New"


def test_r17_r29_a_disconnect_during_the_initial_sync_stops_it_where_it_stands(sync: Sync) -> None:
    for n in range(3):
        sync.up.published(f"E-{n}")
    sync.pipeline.run()
    sync.connect()
    sync.pipeline.queues.drain("InitialSyncPagesQueue")  # the first page: three jobs queued
    [job, *rest] = sync.pipeline.take("CopyJobsQueue")
    sync.pipeline.deliver("CopyJobsQueue", [job])  # one lands
    ended = sync.api("POST", f"/connections/{sync.connection_id}/disconnect", DOWN_ADMIN, {"reason": "done"})
    assert ended.status == 200
    sync.pipeline.deliver("CopyJobsQueue", rest)  # the others were in flight: they write nothing
    sync.pipeline.run()
    connection = sync.connection()
    assert connection["initial_sync"] == {"status": "stopped", "total": 3, "copied": 1}
    assert len(sync.review()) == 1


def test_r29_an_initial_sync_page_asked_for_again_after_a_failed_send_loses_no_page(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(initial_sync, "PAGE", 2)
    sync.up.published("E-1")
    draft = sync.up.revision("E-2").body
    for n in (3, 4, 5):
        sync.up.published(f"E-{n}")
    sync.pipeline.run()
    sync.connect()
    real, failed = initial_sync.queues.send_initial_sync_page, []

    def next_page_send_fails_once(message: Any) -> None:
        if isinstance(message, InitialSyncPage) and message.cursor and not failed:
            failed.append(message)
            throttled()
        real(message)

    monkeypatch.setattr(initial_sync.queues, "send_initial_sync_page", next_page_send_fails_once)
    [answer] = sync.pipeline.queues.drain("InitialSyncPagesQueue", rounds=1)
    assert answer["batchItemFailures"]  # the first page counted, then asking for the next failed
    assert sync.up.publish(draft["id"]).status == 200  # and the page it covered changes meanwhile
    sync.pipeline.run()
    assert sync.connection()["initial_sync"]["status"] == "complete"
    assert sorted(r["number"] for r in sync.review()) == ["E-1", "E-2", "E-3", "E-4", "E-5"]


def test_two_copies_of_one_revision_at_once_leave_one_file(sync: Sync, monkeypatch: pytest.MonkeyPatch) -> None:
    sync.connect()
    sync.pipeline.run()
    sync.up.published("E-1")
    sync.pipeline.queues.drain("SyncEventsQueue")
    [job] = sync.pipeline.take("CopyJobsQueue")
    real, raced = sync_domain.storage.copy_file, []

    def duplicate_meanwhile(*args: Any) -> str:
        version = real(*args)
        if not raced:
            raced.append(True)
            sync_domain.copy(CopyJob.model_validate_json(job["Body"]))  # the duplicate, in another Lambda
        return version

    monkeypatch.setattr(sync_domain.storage, "copy_file", duplicate_meanwhile)
    sync.pipeline.deliver("CopyJobsQueue", [job])
    monkeypatch.undo()
    listed = boto3.client("s3").list_object_versions(Bucket=bucket_name(sync.two.volt), Prefix="connected/")
    assert len(listed.get("Versions", [])) == 1
    [copy] = sync.review()
    assert sync.download(copy["id"])  # the one kept is the one the copy names


def test_r26_one_read_for_a_batch_still_lands_each_job_once(sync: Sync, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy batch reads the downstream once for all its jobs. Jobs of one drawing, and a job twice in the
    batch, must still each land once: a job reads again what an earlier job of the batch wrote."""
    sync.connect()
    sync.pipeline.run()
    sync.up.published("E-1", title="First")
    sync.up.published("E-1", title="Second", revision_number="2")  # the same drawing's next revision
    sync.up.published("E-2", title="Other")
    sync.pipeline.queues.drain("SyncEventsQueue")
    jobs = sync.pipeline.take("CopyJobsQueue")
    assert len(jobs) == 3
    again = [{**job, "MessageId": f"{job['MessageId']}-again"} for job in jobs]
    real, copied = sync_domain.storage.copy_file, []
    monkeypatch.setattr(sync_domain.storage, "copy_file", lambda *a: copied.append(a[1]) or real(*a))

    answer = sync.pipeline.deliver_batch("CopyJobsQueue", [*jobs, *again])
    sync.pipeline.run()

    assert answer["batchItemFailures"] == []
    assert len(copied) == len(set(copied)) == 3  # not even copied and taken back
    listed = boto3.client("s3").list_object_versions(Bucket=bucket_name(sync.two.volt), Prefix="connected/")
    assert len(listed.get("Versions", [])) == 3  # a file per revision, none copied twice
    assert sorted(c["title"] for c in sync.review()) == ["First", "Other", "Second"]
    sync.publish_all()
    assert sorted((d["number"], d["title"]) for d in sync.register()) == [("E-1", "Second"), ("E-2", "Other")]


def test_a_copy_that_loses_its_write_to_an_older_manifest_of_the_same_file_keeps_one_file(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copies side by side on the local stack met this: two jobs of one revision (its publish, then a metadata
    edit: one file, two manifests) both copy the file; the older one's write lands first, and the newer one,
    re-reading, writes over it. The file the older one copied must not stay behind unreferenced."""
    sync.connect()
    sync.pipeline.run()
    first = sync.up.published("E-1", title="Old title")
    sync.pipeline.queues.drain("SyncEventsQueue")
    [older] = sync.pipeline.take("CopyJobsQueue")
    renamed = sync.api("PATCH", f"/projects/{sync.two.up}/drawings/{first['drawing_id']}", UP_ADMIN, {"title": "New"})
    assert renamed.status == 200
    sync.pipeline.queues.drain("SyncEventsQueue")
    [newer] = sync.pipeline.take("CopyJobsQueue")
    real, raced = sync_domain.storage.copy_file, []

    def older_lands_meanwhile(*args: Any) -> str:
        version = real(*args)
        if not raced:
            raced.append(True)
            sync_domain.copy(CopyJob.model_validate_json(older["Body"]))  # the older manifest, in another Lambda
        return version

    monkeypatch.setattr(sync_domain.storage, "copy_file", older_lands_meanwhile)
    sync.pipeline.deliver("CopyJobsQueue", [newer])
    monkeypatch.undo()
    sync.pipeline.run()
    listed = boto3.client("s3").list_object_versions(Bucket=bucket_name(sync.two.volt), Prefix="connected/")
    files = [v for v in listed.get("Versions", []) if not v["Key"].endswith(".thumbnail.png")]
    assert len(files) == 1, files
    [copy] = sync.review()
    assert copy["title"] == "New"
    assert sync.download(copy["id"])  # the one kept is the one the copy names
