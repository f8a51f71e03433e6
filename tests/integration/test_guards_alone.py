"""Rules guarded twice, each guard proven alone (README, "What we promise"): an early check, read before anything
is written, and a condition in the write itself, which decides when the state changes between the read and the
write. A test of the write's condition holds the work between its read and its write (a wrapped db call) and
lets another actor change the state in that window; a test of the early check shows what only it prevents."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from connectability.db import connections as connections_db
from connectability.db import drawing_deletes as deletes_db
from connectability.db import publishing as publishing_db
from connectability.db import sync as sync_db
from connectability.db import sync_counters
from connectability.domain import drawing_deletes as deletes
from tests.integration.conftest import Answer, Connected, DrawingsWorld, Faults
from tests.integration.sync_world import DOWN_ADMIN, UP_ADMIN, VIEWER, Sync, storage_bucket


def hold(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, meanwhile: Callable[[], Any]) -> list[Any]:
    """The first call of `module.name` waits while `meanwhile` runs (another actor, start to finish), then goes
    on; later calls, those of `meanwhile` included, run as they are. Answers the held call's arguments."""
    real, held = getattr(module, name), []

    def first(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(module, name, real)
        held.append(args)
        meanwhile()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, first)
    return held


def figures(sync: Sync) -> dict[str, Any]:
    """The connection's counters as its CM admins read them, and the news still to be mailed."""
    status = sync.api("GET", f"/connections/{sync.connection_id}/sync-status", DOWN_ADMIN)
    assert status.status == 200, status.body
    shards = sync_counters.counter_shards(sync.connection_id)
    return {
        **{k: status.body[k] for k in ("copied", "pending_review", "published_downstream", "failed")},
        "news": sum(int(s.news_published or 0) + int(s.news_deleted or 0) for s in shards),
    }


def refusal(answer: Answer) -> tuple[int, str | None, str | None]:
    """An answer's status, error code and rule (None, None for an answer that is no error)."""
    error = (answer.body or {}).get("error", {}) if isinstance(answer.body, dict) else {}
    return answer.status, error.get("code"), error.get("rule")


def mailed(event: str) -> list[str]:
    """Who was sent a message of this event, one address per message, sorted."""
    from connectability.domain.notifications import outbox

    return sorted(address for m in outbox() if m.event.value == event for address in m.to)


def copied_files(sync: Sync) -> list[str]:
    """Every version of every file under the downstream bucket's connected/ prefix, deleted ones included."""
    listed = boto3.client("s3").list_object_versions(Bucket=storage_bucket(sync.two.volt), Prefix="connected/")
    return sorted(v["Key"] for v in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])])


def _one_copy_landed_and_one_queued(sync: Sync) -> list[dict[str, Any]]:
    """A connected pair whose downstream holds E-101 published; E-102's copy job queued, not yet run."""
    sync.connect()
    sync.pipeline.run()
    sync.up.published("E-101")
    sync.pipeline.run()
    sync.publish_all()
    sync.up.published("E-102")
    sync.pipeline.queues.drain("SyncEventsQueue")
    jobs = sync.pipeline.take("CopyJobsQueue")
    assert len(jobs) == 1
    return jobs


def _disconnect(sync: Sync) -> None:
    ended = sync.api("POST", f"/connections/{sync.connection_id}/disconnect", DOWN_ADMIN, {"reason": "done"})
    assert ended.status == 200, ended.body


# -- R17: the copy's early check (the connection as the copy read it) and its transaction's ConditionCheck --------
def test_r17_a_disconnect_between_a_copys_read_and_its_write_lands_nothing(
    sync: Sync, faults: Faults, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a copy job for E-102, and the downstream as it stands
    [job] = _one_copy_landed_and_one_queued(sync)
    state, counted, files = sync.state(), figures(sync), copied_files(sync)
    copies = faults.calls["CopyObject"]
    # When the copy has read the downstream (the connection active) and copied the file, and a disconnect
    # commits before its transaction writes
    held = hold(monkeypatch, sync_db, "write_copy", lambda: _disconnect(sync))
    [answer] = sync.pipeline.deliver("CopyJobsQueue", [job])
    sync.pipeline.run()
    # Then the transaction's own condition refused it: the job is done (not retried), and nothing landed
    assert len(held) == 1  # the write was tried, after the read had seen the connection active
    assert faults.calls["CopyObject"] == copies + 1  # the file was copied for it
    assert answer["batchItemFailures"] == []
    assert sync.state() == state
    assert figures(sync) == counted
    assert copied_files(sync) == files  # the copied file was taken back
    assert [m[0] for m in sync.mails()].count("drawings_published") == 1  # E-101's only


def test_r17_a_copy_that_reads_a_disconnected_connection_copies_no_file(sync: Sync, faults: Faults) -> None:
    # Given a copy job for E-102, and the downstream as it stands
    [job] = _one_copy_landed_and_one_queued(sync)
    state, counted, files = sync.state(), figures(sync), copied_files(sync)
    # When the connection is disconnected before the job runs
    _disconnect(sync)
    copies, writes = faults.calls["CopyObject"], faults.calls["TransactWriteItems"]
    [answer] = sync.pipeline.deliver("CopyJobsQueue", [job])
    # Then the copy's early check stops it before any file is copied or any write is tried
    assert answer["batchItemFailures"] == []
    assert faults.calls["CopyObject"] == copies, "a file was copied for a connection read as disconnected"
    assert faults.calls["TransactWriteItems"] == writes
    assert sync.state() == state
    assert figures(sync) == counted
    assert copied_files(sync) == files


# -- R11, R13, R16: the request's read of both projects' roles, and its transaction's conditions on them ----------
def _pending(two: Connected) -> Callable[[], Answer]:
    """R11: the downstream has a pending request; it asks another upstream."""
    assert two.request().status == 201
    other = two.upstream_project("Harbor Tower Phase 2")
    return lambda: two.request(up=other)


def _serving(two: Connected) -> Callable[[], Answer]:
    """R13: the downstream is the upstream of another project; it asks to become a downstream."""
    third = two.downstream_project("Volt Site B")
    two.build.member(two.down, "req", "volt-admin", cm="admin", drawings="read_only")
    assert two.request(down=third, up=two.down).status == 201
    return lambda: two.request()


def _upstream_is_downstream(two: Connected) -> Callable[[], Answer]:
    """R13: the chosen upstream is itself a downstream (pending)."""
    assert two.request().status == 201
    third = two.downstream_project("Volt Site B")
    two.build.member(two.down, "req", "volt-admin", cm="admin", drawings="read_only")
    return lambda: two.request(down=third, up=two.down)


def _disconnected(two: Connected) -> Callable[[], Answer]:
    """R16: the downstream was disconnected; it asks another upstream."""
    connection = two.request().body["id"]
    assert two.build.api("POST", f"/connections/{connection}/approve", "apex-cm").status == 200
    assert two.build.api("POST", f"/connections/{connection}/disconnect", "volt-cm", {"reason": "x"}).status == 200
    other = two.upstream_project("Another Tower")
    return lambda: two.request(up=other)


@pytest.mark.parametrize(
    ("given", "code", "rule"),
    [
        (_pending, "already_has_upstream", "R11"),
        (_serving, "chain_not_allowed", "R13"),
        (_upstream_is_downstream, "chain_not_allowed", "R13"),
        (_disconnected, "reconnect_forbidden", "R16"),
    ],
    ids=["r11", "r13-downstream-serves", "r13-upstream-is-downstream", "r16"],
)
def test_r11_r13_r16_a_request_its_read_refuses_tries_no_write(
    two: Connected, faults: Faults, given: Callable[[Connected], Callable[[], Answer]], code: str, rule: str
) -> None:
    # Given projects whose roles, as read, refuse the request
    request = given(two)
    writes = faults.calls["TransactWriteItems"]
    # When it is made
    answer = request()
    # Then the early check refuses it, naming the rule, before any write is tried
    assert refusal(answer) == (409, code, rule), answer.body
    assert faults.calls["TransactWriteItems"] == writes, "the write was tried: the early check let it through"


def test_r16_a_downstream_disconnected_between_a_requests_read_and_its_write_cannot_connect(
    two: Connected, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = two.build.api
    other = two.upstream_project("Another Tower")
    made: list[str] = []

    def connected_and_disconnected() -> None:
        made.append(two.request(up=other).body["id"])
        assert api("POST", f"/connections/{made[0]}/approve", "apex-cm").status == 200
        assert api("POST", f"/connections/{made[0]}/disconnect", "volt-cm", {"reason": "x"}).status == 200

    # Given a request that has read both roles free (the downstream has never connected)
    # When, before it writes, the downstream connects to another upstream and is disconnected from it
    held = hold(monkeypatch, connections_db, "create", connected_and_disconnected)
    answer = two.request()
    # Then its transaction refuses it, as R16
    assert len(held) == 1
    assert refusal(answer) == (409, "reconnect_forbidden", "R16"), answer.body
    listed = api("GET", f"/projects/{two.down}/connections", "volt-cm").body["items"]
    assert [(c["id"], c["status"]) for c in listed] == [(made[0], "disconnected")]
    assert api("GET", f"/projects/{two.up}/connections", "apex-cm").body["items"] == []


# -- R09, R15: a decision's read of the connection's status, and its transaction's condition on it ---------------
def test_r09_an_approval_of_an_active_connection_tries_no_write(two: Connected, faults: Faults) -> None:
    # Given an approved connection
    connection = two.request().body["id"]
    assert two.build.api("POST", f"/connections/{connection}/approve", "apex-cm").status == 200
    writes = faults.calls["TransactWriteItems"]
    # When it is approved again
    answer = two.build.api("POST", f"/connections/{connection}/approve", "apex-cm2")
    # Then the early check refuses it before any write is tried
    assert refusal(answer)[:2] == (409, "invalid_state"), answer.body
    assert faults.calls["TransactWriteItems"] == writes, "the write was tried: the early check let it through"


def test_r09_r14_two_approvals_at_once_approve_once(sync: Sync, monkeypatch: pytest.MonkeyPatch) -> None:
    api = sync.api
    # Given a pending request, and an upstream with one published sheet
    sync.up.published("E-101")
    sync.pipeline.run()
    connection = sync.two.request().body["id"]
    sync.two.build.member(sync.two.up, "apex-cm2", "apex-admin", cm="admin", drawings="standard")
    second: list[Answer] = []
    # When a second upstream CM admin approves it between the first approval's read and its write
    held = hold(
        monkeypatch,
        connections_db,
        "transition",
        lambda: second.append(api("POST", f"/connections/{connection}/approve", "apex-cm2")),
    )
    first = api("POST", f"/connections/{connection}/approve", UP_ADMIN)
    sync.pipeline.run()
    # Then the first approval's transaction refuses it: one approval, one announcement, one initial sync
    assert len(held) == 1
    assert second[0].status == 200
    assert refusal(first)[:2] == (409, "invalid_state"), first.body
    seen = api("GET", f"/connections/{connection}", DOWN_ADMIN).body
    assert (seen["status"], seen["decided_by"]) == ("active", "apex-cm2")
    assert seen["initial_sync"] == {"status": "complete", "total": 1, "copied": 1}
    cm_admins = ["apex-cm", "apex-cm2", "req", "volt-cm"]  # of either side, each mailed once
    assert mailed("connection_created") == sorted(f"{u}@example.com" for u in cm_admins)
    assert mailed("initial_sync_complete") == ["volt-cm@example.com"]


# -- R21: the publish's read of the copies (waiting for review?) and its write's condition on the copy's state ------
def test_r21_two_admins_publishing_one_copy_at_once_publish_it_once(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a copy waiting for review, and two downstream Drawings admins
    sync.connect()
    sync.up.published("E-101")
    sync.pipeline.run()
    [copy] = sync.review()
    sync.two.build.member(sync.two.down, "req", "volt-admin", cm="admin", drawings="admin")
    body = {"revision_ids": [copy["id"]]}
    second: list[Answer] = []
    # When the second admin publishes it between the first's check (it was waiting) and the first's write
    held = hold(
        monkeypatch,
        sync_db,
        "publish_copy",
        lambda: second.append(sync.down("POST", "/connected-drawings/publish", "req", body)),
    )
    first = sync.down("POST", "/connected-drawings/publish", body=body)
    # Then the first's write refuses it: published once, counted once, and only the second answers it published it
    assert len(held) == 1
    assert second[0].body == {"published": [copy["id"]]}
    assert (first.status, first.body) == (200, {"published": []})
    counted = figures(sync)
    assert (counted["copied"], counted["pending_review"], counted["published_downstream"]) == (1, 0, 1)
    [drawing] = sync.register(VIEWER)
    assert drawing["current_revision"]["id"] == copy["id"]


# -- R25, R26: the copy's read of the version it holds, and its write's condition on that version ------------------
Jobs = dict[tuple[str, str, int], dict[str, Any]]


def jobs(sync: Sync) -> Jobs:
    """Fan out every manifest event waiting, and take the copy jobs made: by drawing number, revision number and
    manifest version."""
    sync.pipeline.queues.drain("SyncEventsQueue")
    taken = {}
    for job in sync.pipeline.take("CopyJobsQueue"):
        m = json.loads(job["Body"])["manifest"]
        taken[(m["number"], m["revision_number"], m["version"])] = job
    return taken


def _retitled(sync: Sync, drawing_id: str, *titles: str) -> Jobs:
    """The upstream retitles a drawing, once per title, each change's copy job taken, not run."""
    taken = {}
    for title in titles:
        path = f"/projects/{sync.two.up}/drawings/{drawing_id}"
        assert sync.api("PATCH", path, UP_ADMIN, {"title": title}).status == 200
        taken |= jobs(sync)
    return taken


def test_r25_a_late_older_manifest_writes_nothing(sync: Sync, faults: Faults) -> None:
    # Given a copy of E-101 at version 2 ("Second"), and the job of its version 1 ("First") arriving late
    sync.connect()
    sync.pipeline.run()
    first = sync.up.published("E-101", title="First")
    [late] = jobs(sync).values()
    sync.pipeline.deliver("CopyJobsQueue", list(_retitled(sync, first["drawing_id"], "Second").values()))
    assert [c["title"] for c in sync.review()] == ["Second"]
    state, counted, writes = sync.state(), figures(sync), faults.calls["TransactWriteItems"]
    # When the late job runs
    [answer] = sync.pipeline.deliver("CopyJobsQueue", [late])
    # Then the copy's early check (it holds a newer version) stops it before any write
    assert answer["batchItemFailures"] == []
    assert faults.calls["TransactWriteItems"] == writes, "the write was tried: the early check let it through"
    assert sync.state() == state
    assert figures(sync) == counted


def test_r25_a_newer_manifest_landing_between_an_older_copys_read_and_write_stays(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a copy of E-101 at version 1, and the jobs of versions 2 ("Second") and 3 ("Third")
    sync.connect()
    sync.pipeline.run()
    first = sync.up.published("E-101", title="First")
    sync.pipeline.run()
    taken = _retitled(sync, first["drawing_id"], "Second", "Third")
    # When version 2's copy has read the downstream (version 1) and, before it writes, version 3's copy lands
    held = hold(
        monkeypatch, sync_db, "write_copy", lambda: sync.pipeline.deliver("CopyJobsQueue", [taken[("E-101", "1", 3)]])
    )
    [answer] = sync.pipeline.deliver("CopyJobsQueue", [taken[("E-101", "1", 2)]])
    # Then version 2's write is refused (the version it read changed), and the downstream keeps version 3
    assert len(held) == 1
    assert answer["batchItemFailures"] == []
    assert [c["title"] for c in sync.review()] == ["Third"]
    sync.publish_all()
    assert [d["title"] for d in sync.register(VIEWER)] == ["Third"]
    counted = figures(sync)
    assert (counted["copied"], counted["published_downstream"], counted["failed"]) == (1, 1, 0)


# -- R25: the copy's read of the connection's area record, and its write's condition on the record's age ----------
def _area_renamed_twice(sync: Sync) -> Jobs:
    """E-1 and E-2 in area "Level 1", copied; then the upstream renames the area "L1", then "Ground": the
    copy jobs of both renames taken, not run."""
    sync.connect()
    sync.pipeline.run()
    e1 = sync.up.published("E-1", area={"name": "Level 1"})
    sync.up.published("E-2", area={"name": "Level 1"})
    sync.pipeline.run()
    path = f"/projects/{sync.two.up}/drawing-areas/{e1['area']['id']}"
    taken = {}
    for name in ("L1", "Ground"):
        assert sync.api("PATCH", path, UP_ADMIN, {"name": name}).status == 200
        taken |= jobs(sync)
    assert sorted(taken) == [("E-1", "1", 2), ("E-1", "1", 3), ("E-2", "1", 2), ("E-2", "1", 3)]
    return taken


def areas(sync: Sync) -> list[str]:
    return sorted(a["name"] for a in sync.down("GET", "/drawing-areas").body["items"])


def test_r25_an_older_manifest_of_another_drawing_never_renames_an_area_back(sync: Sync) -> None:
    # Given the downstream's area renamed "Ground" by E-1's newest copy
    taken = _area_renamed_twice(sync)
    sync.pipeline.deliver("CopyJobsQueue", [taken[("E-1", "1", 3)]])
    assert areas(sync) == ["Ground"]
    # When E-2's older job (the area as "L1") arrives
    [answer] = sync.pipeline.deliver("CopyJobsQueue", [taken[("E-2", "1", 2)]])
    # Then the copy's early check leaves the area out of its write: E-2's copy lands, the area keeps its name
    assert answer["batchItemFailures"] == []
    assert areas(sync) == ["Ground"]
    assert figures(sync)["failed"] == 0


def test_r25_a_newer_area_name_landing_between_an_older_copys_read_and_write_stays(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the downstream's area still "Level 1"
    taken = _area_renamed_twice(sync)
    assert areas(sync) == ["Level 1"]
    # When E-2's job (the area as "L1") has read the area and, before it writes, E-1's newest copy ("Ground") lands
    held = hold(
        monkeypatch, sync_db, "write_copy", lambda: sync.pipeline.deliver("CopyJobsQueue", [taken[("E-1", "1", 3)]])
    )
    [answer] = sync.pipeline.deliver("CopyJobsQueue", [taken[("E-2", "1", 2)]])
    # Then the older name is refused by its write's condition: the area stays "Ground", and E-2's copy lands
    assert len(held) == 1
    assert answer["batchItemFailures"] == []
    assert areas(sync) == ["Ground"]
    sync.pipeline.deliver("CopyJobsQueue", [taken[("E-1", "1", 2)], taken[("E-2", "1", 3)]])
    assert areas(sync) == ["Ground"]
    assert {c["area"]["name"] for c in sync.review()} == {"Ground"}


# -- R28: the copy's read of its drawing (deleted?) and its write's condition on the drawing --------------------------
def _revision_2_and_the_delete(sync: Sync) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """E-101's revision 1 copied; upstream, revision 2 published, then the drawing deleted: the jobs of
    revision 2's publish and of revision 1's delete, taken, not run; and revision 2's delete job."""
    sync.connect()
    sync.pipeline.run()
    first = sync.up.published("E-101")
    sync.pipeline.run()
    sync.up.published("E-101", revision_number="2")
    [published] = jobs(sync).values()
    assert sync.api("DELETE", f"/projects/{sync.two.up}/drawings/{first['drawing_id']}", UP_ADMIN).status == 204
    deletes = jobs(sync)
    assert sorted(deletes) == [("E-101", "1", 2), ("E-101", "2", 2)]
    return published, deletes[("E-101", "1", 2)], deletes[("E-101", "2", 2)]


def test_r28_a_new_revision_arriving_after_its_drawings_delete_writes_nothing(sync: Sync) -> None:
    # Given the drawing's delete has reached the downstream (revision 1's delete job ran)
    published, delete_1, delete_2 = _revision_2_and_the_delete(sync)
    sync.pipeline.deliver("CopyJobsQueue", [delete_1])
    counted = figures(sync)
    # When revision 2's publish job arrives after it
    [answer] = sync.pipeline.deliver("CopyJobsQueue", [published])
    # Then the copy's early check (its drawing is deleted) writes nothing: no copy waits for review
    assert answer["batchItemFailures"] == []
    assert sync.review() == []
    assert figures(sync) == counted
    # And once revision 2's own delete arrives, both are in the deleted report, and no news of a publish is mailed
    sync.pipeline.deliver("CopyJobsQueue", [delete_2])
    sync.pipeline.run()
    report = sync.down("GET", "/reports/deleted-drawing-revisions").body["items"]
    assert sorted(r["revision_number"] for r in report) == ["1", "2"]
    assert [m[0] for m in sync.mails()].count("drawings_published") == 1  # revision 1's, before the delete


def test_r28_a_delete_landing_between_a_new_revisions_read_and_write_keeps_it_out(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    published, delete_1, _ = _revision_2_and_the_delete(sync)
    # When revision 2's copy has read its drawing (standing) and, before it writes, the drawing's delete lands
    held = hold(monkeypatch, sync_db, "write_copy", lambda: sync.pipeline.deliver("CopyJobsQueue", [delete_1]))
    [answer] = sync.pipeline.deliver("CopyJobsQueue", [published])
    # Then its write's condition on the drawing refuses it: no copy of a deleted drawing waits for review
    assert len(held) == 1
    assert answer["batchItemFailures"] == []
    assert sync.review() == []
    counted = figures(sync)
    assert (counted["copied"], counted["pending_review"], counted["failed"]) == (0, 0, 0)


# -- R28 upstream: a publish's read of the drawing (deleted?) and its transaction's conditions --------------------
def test_r28_a_draft_of_a_drawing_whose_delete_is_finishing_is_not_published(
    drawings_world: DrawingsWorld, faults: Faults, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = drawings_world
    # Given A-1 with revision 1 published and revision 2 a draft, whose delete takes two transactions
    monkeypatch.setattr(deletes_db, "FIRST_CHUNK", 1)
    first = w.published("A-1")
    draft = w.revision("A-1", revision_number="2").body
    answers: list[Answer] = []
    writes: list[int] = []

    def publish_the_draft() -> None:
        writes.append(faults.calls["TransactWriteItems"])
        answers.append(w.publish(draft["id"]))
        writes.append(faults.calls["TransactWriteItems"])

    # When an admin publishes revision 2 after the delete's first transaction and before it finished
    held = hold(monkeypatch, deletes, "finish_delete", publish_the_draft)
    assert w.api("DELETE", f"/projects/{w.project_id}/drawings/{first['drawing_id']}", "dr-admin").status == 204
    # Then the publish's early check (the drawing is deleted) refuses it before any write
    assert len(held) == 1
    assert refusal(answers[0])[:2] == (409, "invalid_state"), answers[0].body
    assert writes[1] == writes[0], "the write was tried: the early check let it through"
    report = w.api("GET", f"/projects/{w.project_id}/reports/deleted-drawing-revisions", "dr-admin").body["items"]
    assert sorted((r["revision_number"], r["state"]) for r in report) == [("1", "deleted"), ("2", "deleted")]
    assert w.manifest_versions(draft["id"]) == []


def test_r28_a_delete_landing_between_a_publishs_read_and_write_leaves_nothing_published(
    drawings_world: DrawingsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = drawings_world
    # Given A-1 with revision 1 published and revision 2 a draft
    first = w.published("A-1")
    draft = w.revision("A-1", revision_number="2").body
    path = f"/projects/{w.project_id}/drawings/{first['drawing_id']}"
    # When the drawing is deleted after the publish of revision 2 has read it (standing) and before it writes
    held = hold(monkeypatch, publishing_db, "publish_many", lambda: w.api("DELETE", path, "dr-admin"))
    answer = w.publish(draft["id"])
    # Then the publish's write refuses it: nothing is published, both revisions are deleted, none is announced
    assert len(held) == 1
    assert (answer.status, answer.body) == (200, {"published": []})
    report = w.api("GET", f"/projects/{w.project_id}/reports/deleted-drawing-revisions", "dr-admin").body["items"]
    assert sorted((r["revision_number"], r["state"]) for r in report) == [("1", "deleted"), ("2", "deleted")]
    assert w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader").body["items"] == []
    assert w.manifest_versions(draft["id"]) == []
