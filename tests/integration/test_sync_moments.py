"""Sync at the moments that decide: a burst of news landing over time while its digest checks run (R39), and a
connection made while an upstream change is half-way (R29, R34). Time, where it matters, is a clock the test
moves: nothing here depends on how fast the machine runs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from connectability.config import get_settings
from connectability.db import drawing_deletes as deletes_db
from connectability.db import sync_counters
from connectability.domain import digests, manifests
from connectability.domain import drawing_deletes as deletes
from connectability.domain import sync as sync_domain
from connectability.domain.notifications import outbox
from connectability.models.sync import DigestCheck
from tests.integration.sync_world import DOWN_ADMIN, UP_ADMIN, Sync
from tests.integration.test_guards_alone import hold


class Clock:
    """The time the copies and the digest checks read (time.time() in those modules), moved by the test."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(sync_domain, "time", clock)
    monkeypatch.setattr(digests, "time", clock)
    return clock


def mails(event: str) -> dict[str, list[str]]:
    """The subjects of every message of this event, by address."""
    sent: dict[str, list[str]] = {}
    for message in outbox():
        if message.event.value == event:
            for address in message.to:
                sent.setdefault(address, []).append(message.subject)
    return sent


def digest_check(sync: Sync) -> None:
    """A digest check for the connection, run now, as sync_fanout runs the delayed ones copies ask for; then
    whatever it queued is mailed."""
    body = DigestCheck(connection_id=sync.connection_id).model_dump_json()
    message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": str(uuid.uuid4()), "Body": body}
    [answer] = sync.pipeline.deliver("SyncEventsQueue", [message])
    assert answer["batchItemFailures"] == []
    sync.pipeline.queues.drain("NotificationsQueue")


def test_r39_a_burst_landing_over_time_is_mailed_once_with_its_full_count(sync: Sync, clock: Clock) -> None:
    quiet = get_settings().sync_digest_quiet_seconds  # shortened to 1 s by the pipeline fixture
    gap = (quiet - 0.5) * 0.8  # between two parts of the burst: less than a quiet period
    # Given two downstream Drawings admins, and nine sheets published upstream at once: their copy jobs split in
    # three parts, the first holding every job of one counter shard, so the parts land in different shards
    sync.two.build.user(sync.two.volt, "volt-draw")
    sync.two.build.member(sync.two.down, "volt-draw", "volt-admin", drawings="admin")
    sync.connect()
    sync.pipeline.run()
    for n in range(9):
        sync.up.published(f"E-{n}")
    sync.pipeline.queues.drain("SyncEventsQueue")
    jobs = sync.pipeline.take("CopyJobsQueue")

    def shard(job: dict[str, Any]) -> int:
        revision = json.loads(job["Body"])["manifest"]["revision_id"]
        return sync_counters.shard_of(sync_domain.connected_id("rev", sync.connection_id, revision))

    first = [j for j in jobs if shard(j) == shard(jobs[0])]
    rest = [j for j in jobs if shard(j) != shard(jobs[0])]
    parts = [first, rest[: len(rest) // 2], rest[len(rest) // 2 :]]
    assert len(jobs) == 9
    assert all(parts), [len(p) for p in parts]
    # When the parts land one after another, each less than a quiet period after the one before, and a digest
    # check runs after each part, before the next lands
    landed = 0
    for part in parts:
        answers = sync.pipeline.deliver("CopyJobsQueue", part)
        landed += len(part)
        assert all(a["batchItemFailures"] == [] for a in answers)
        clock.advance(gap)
        digest_check(sync)
        assert mails("drawings_published") == {}, f"mailed while the burst was still arriving, after {landed} copies"
    # Then once the latest news is a quiet period old, the checks left mail the burst once to each admin, with
    # its full count
    clock.advance(quiet)
    digest_check(sync)
    sync.pipeline.run()
    sent = mails("drawings_published")
    assert sorted(sent) == ["volt-cm@example.com", "volt-draw@example.com"]
    for address, subjects in sent.items():
        assert len(subjects) == 1, (address, subjects)
        assert subjects[0].startswith("9 drawing revisions"), subjects
    assert sum(int(s.news_published or 0) for s in sync_counters.counter_shards(sync.connection_id)) == 0


def connect_and_page(sync: Sync) -> None:
    """The downstream asks, the upstream approves, and the initial sync's first (only) page runs."""
    sync.connect()
    sync.pipeline.queues.drain("SyncEventsQueue")


def _initial_sync_outcome(sync: Sync) -> dict[str, Any]:
    return {
        "initial_sync": sync.connection()["initial_sync"],
        "waiting for review": sorted(c["number"] for c in sync.review()),
        "R34 mails": mails("initial_sync_complete"),
    }


def test_r29_r34_a_connection_made_while_an_upstream_delete_is_finishing_completes_its_initial_sync(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given published upstream: E-1, and E-2 with two revisions, whose delete takes two transactions
    monkeypatch.setattr(deletes_db, "FIRST_CHUNK", 1)
    sync.up.published("E-1")
    e2 = sync.up.published("E-2")
    sync.up.published("E-2", revision_number="2")
    sync.pipeline.run()

    # When the connection is made, and its initial sync pages, after E-2's delete committed its first transaction
    # and before it finished (E-2's revision 2 still published then)
    held = hold(monkeypatch, deletes, "finish_delete", lambda: connect_and_page(sync))
    assert sync.api("DELETE", f"/projects/{sync.two.up}/drawings/{e2['drawing_id']}", UP_ADMIN).status == 204
    sync.pipeline.run()
    # Then the initial sync completes: its total is the copies it made (E-1), and R34 is mailed once
    assert len(held) == 1
    outcome = _initial_sync_outcome(sync)
    assert outcome["initial_sync"] == {"status": "complete", "total": 1, "copied": 1}
    assert outcome["waiting for review"] == ["E-1"]
    assert {a: len(s) for a, s in outcome["R34 mails"].items()} == {"volt-cm@example.com": 1}
    report = sync.down("GET", "/reports/deleted-drawing-revisions", DOWN_ADMIN).body["items"]
    assert sorted(r["revision_number"] for r in report) == ["1", "2"]  # E-2's, as its delete reached it


def test_r29_r34_a_connection_made_while_a_first_manifest_is_on_its_way_completes_its_initial_sync(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given E-1 published upstream, and E-2 being published
    sync.up.published("E-1")
    sync.pipeline.run()
    # When the connection is made, and its initial sync pages, after E-2's publish committed and before its
    # manifest is written (whose event then reaches the connection, active by then)
    held = hold(monkeypatch, manifests, "write_manifests", lambda: connect_and_page(sync))
    sync.up.published("E-2")
    sync.pipeline.run()
    # Then the initial sync completes: its total is the copies made (each once), and R34 is mailed once
    assert len(held) == 1
    outcome = _initial_sync_outcome(sync)
    assert outcome["initial_sync"] == {"status": "complete", "total": 2, "copied": 2}
    assert outcome["waiting for review"] == ["E-1", "E-2"]
    assert {a: len(s) for a, s in outcome["R34 mails"].items()} == {"volt-cm@example.com": 1}
