"""Half-done work never shows (R28): a drawing delete that fails after its first transaction (in a later one, or
in the read of what is left) reads as whole to every reader and answers as done, the outbox relay finishes it,
and the project's published count stays equal to a recount."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from connectability.db import drawing_deletes as deletes_db
from connectability.db import drawings as drawings_db
from connectability.db import outbox as outbox_db
from connectability.db.sync_counters import published_count
from connectability.models.common import utcnow
from local.world import DrawingsWorld, Queues
from tests.integration.conftest import Faults, relay_as_scheduled


def _later_delete_chunk(params: dict[str, Any]) -> bool:
    """A delete's second or later transaction: revisions and counter shards only, no drawing."""
    written = [next(iter(item.values())) for item in params.get("TransactItems", [])]
    keys = [(w.get("Key") or w.get("Item") or {}).get("sk", {}).get("S", "") for w in written]
    return any(k.startswith("REVISION#") for k in keys) and all(k.startswith(("REVISION#", "PUBLISHED#")) for k in keys)


def _recount(project_id: str) -> int:
    """The project's own published revisions, counted one by one."""
    revisions = drawings_db.RevisionItem.query(
        f"PROJECT#{project_id}", drawings_db.RevisionItem.sk.startswith("REVISION#"), consistent_read=True
    )
    return sum(1 for r in revisions if r.state == "published" and not r.connected)


def _report(w: DrawingsWorld) -> list[dict[str, Any]]:
    items, token = [], None
    while True:
        page = w.api(
            "GET",
            f"/projects/{w.project_id}/reports/deleted-drawing-revisions",
            "dr-admin",
            query={"limit": "200", **({"next_token": token} if token else {})},
        ).body
        items += page["items"]
        if not (token := page["next_token"]):
            return items


def test_r28_a_delete_failing_after_its_first_transaction_shows_whole_and_the_relay_finishes_it(
    drawings_world: DrawingsWorld, faults: Faults, queues: Queues
) -> None:
    w = drawings_world
    # Given a drawing with more revisions than one transaction holds, published ones in both parts, and drafts
    total = deletes_db.FIRST_CHUNK + 6
    ids = [w.revision("A-1", revision_number=str(n)).body["id"] for n in range(total)]
    published = ids[1:-2]  # ids[0] and the last two stay drafts; the last six fall in the second transaction
    assert w.publish(*published).status == 200
    queues.drain("ManifestsDueQueue")  # a set this big has its manifests written by the fan-out function
    other = w.published("B-1")
    drawing_id = w.api("GET", f"/projects/{w.project_id}/drawings/{other['drawing_id']}", "dr-admin").body["id"]
    a1 = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-admin").body["items"]
    a1_id = next(d["id"] for d in a1 if d["number"] == "A-1")
    assert published_count(w.project_id) == _recount(w.project_id) == len(published) + 1

    # When the delete's second transaction fails (DynamoDB answers 500)
    faults.fail("TransactWriteItems", times=1, when=_later_delete_chunk)
    assert w.api("DELETE", f"/projects/{w.project_id}/drawings/{a1_id}", "dr-admin").status == 204
    second_part = ids[deletes_db.FIRST_CHUNK :]
    left = drawings_db.get_revisions(w.project_id, second_part, consistent=True)
    assert {r.state for r in left.values()} == {"published", "draft"}  # the failure happened: not moved yet
    queues.drain("ManifestsDueQueue")  # the delete's manifests, handed off like the publish's

    # Then every reader sees it deleted, whole
    _every_reader_sees_it_deleted(w, a1_id, ids, published, second_part)
    assert published_count(w.project_id) == _recount(w.project_id)  # the count follows what was moved

    # And the relay finishes it: every revision deleted, once, and the count equals a recount
    assert relay_as_scheduled(utcnow() + timedelta(minutes=5)) >= 1
    states = drawings_db.get_revisions(w.project_id, ids, consistent=True)
    assert {r.state for r in states.values()} == {"deleted"}
    assert outbox_db.deletes_under_way(w.project_id) == []
    assert published_count(w.project_id) == _recount(w.project_id) == 1
    _every_reader_sees_it_deleted(w, a1_id, ids, published, second_part)
    # a second run finds nothing to do, and counts nothing twice
    relay_as_scheduled(utcnow() + timedelta(minutes=5))
    assert published_count(w.project_id) == _recount(w.project_id) == 1
    assert w.api("GET", f"/projects/{w.project_id}/drawings/{drawing_id}", "dr-reader").status == 200


def test_r28_a_delete_whose_finishing_read_fails_answers_204_and_the_relay_finishes_it(
    drawings_world: DrawingsWorld, faults: Faults
) -> None:
    w = drawings_world
    # Given a drawing with more revisions than a delete's first transaction holds
    total = deletes_db.FIRST_CHUNK + 3
    ids = [w.revision("A-1", revision_number=str(n)).body["id"] for n in range(total)]
    drawing_id = drawings_db.get_revisions(w.project_id, ids[:1])[ids[0]].drawing_id
    project = f"/projects/{w.project_id}"

    # When DynamoDB fails the read of its revisions that comes after the first transaction (the finishing one)
    opened = faults.calls["TransactWriteItems"]

    def finishing_read(params: dict[str, Any]) -> bool:
        values = json.dumps(params.get("ExpressionAttributeValues", {}))
        return faults.calls["TransactWriteItems"] > opened and f"DRAWING#{drawing_id}" in values

    faults.fail("Query", times=1, when=finishing_read)
    answer = w.api("DELETE", f"{project}/drawings/{drawing_id}", "dr-admin")

    # Then the delete answers as done, the drawing is gone for readers, the rest is owed (not lost)
    assert answer.status == 204, answer.body
    assert faults.rules[0][1] == 0  # the failure happened
    assert w.api("GET", f"{project}/drawings/{drawing_id}", "dr-admin").status == 404
    left = drawings_db.get_revisions(w.project_id, ids[deletes_db.FIRST_CHUNK :], consistent=True)
    assert {r.state for r in left.values()} == {"draft"}
    assert len(outbox_db.deletes_under_way(w.project_id)) == 1

    # And the relay finishes it
    assert relay_as_scheduled(utcnow() + timedelta(minutes=5)) >= 1
    states = drawings_db.get_revisions(w.project_id, ids, consistent=True)
    assert {r.state for r in states.values()} == {"deleted"}
    assert outbox_db.deletes_under_way(w.project_id) == []


def _every_reader_sees_it_deleted(
    w: DrawingsWorld, drawing_id: str, ids: list[str], published: list[str], second_part: list[str]
) -> None:
    project = f"/projects/{w.project_id}"
    for user, query in (("dr-reader", None), ("dr-admin", {"include_drafts": "true"})):
        listed = w.api("GET", f"{project}/drawings", user, query=query).body["items"]
        assert [d["number"] for d in listed] == ["B-1"]
        assert w.api("GET", f"{project}/drawings/{drawing_id}", user).status == 404
        assert w.api("GET", f"{project}/drawings/{drawing_id}/markups", user).status == 404
    markup = {"revision_id": second_part[0], "data": {"cloud": 1}}
    assert w.api("POST", f"{project}/drawings/{drawing_id}/markups", "dr-admin", markup).status == 404
    late_published = [r for r in second_part if r in published]
    assert late_published
    for revision_id in late_published:
        assert w.api("GET", f"{project}/drawing-revisions/{revision_id}/file", "dr-reader").status == 404
        assert w.manifest(revision_id)["deleted"] is True
    assert w.api("GET", f"{project}/drawing-revisions/{late_published[0]}/file", "dr-admin").status == 200
    draft = second_part[-1]
    refused = w.publish(draft)
    assert (refused.status, refused.error["code"]) == (409, "invalid_state")
    report = _report(w)
    assert sorted(r["id"] for r in report) == sorted(ids)
    assert {(r["state"], r["deleted_by"]) for r in report} == {("deleted", "dr-admin")}
    assert len({r["deleted_at"] for r in report}) == 1


def test_unused_uploads_expire_and_used_ones_are_kept(drawings_world: DrawingsWorld) -> None:
    import boto3

    from connectability.db import uploads as uploads_db

    w = drawings_world
    s3 = boto3.client("s3")
    # Given the company's bucket expires untaken uploads and their thumbnails (moto keeps the rules; it does not
    # run lifecycles)
    rules = s3.get_bucket_lifecycle_configuration(Bucket=w.bucket)["Rules"]
    assert [(r["ID"], r["Status"], r["Filter"]) for r in rules] == [
        (
            f"unused-{prefix}-expire",
            "Enabled",
            {"And": {"Prefix": f"{prefix}/", "Tags": [{"Key": "upload", "Value": "unused"}]}},
        )
        for prefix in ("uploads", "thumbnails")
    ]
    for rule in rules:
        assert rule["Expiration"] == {"Days": 2}
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 2

    def tags(upload_id: str) -> dict[str, str]:
        upload = uploads_db.get_upload(w.project_id, upload_id)
        assert upload is not None
        version = s3.head_object(Bucket=w.bucket, Key=upload.key)["VersionId"]
        found = s3.get_object_tagging(Bucket=w.bucket, Key=upload.key, VersionId=version)["TagSet"]
        return {t["Key"]: t["Value"] for t in found}

    # When one upload is left unused and another makes a revision
    unused = w.upload()
    used = w.upload()
    body = {"upload_id": used, "number": "A-1", "title": "T", "revision_number": "1", "discipline": {"name": "A"}}
    assert w.api("POST", f"/projects/{w.project_id}/drawing-revisions", w.uploader, body).status == 201
    # Then the rule selects the unused one only
    assert tags(unused) == {"upload": "unused"}
    assert tags(used) == {"upload": "used"}
