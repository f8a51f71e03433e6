"""The Drawings API through its handler on moto, with real presigned uploads and downloads (R19-R20, R22-R24,
R27-R28)."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests

from connectability.config import get_settings
from connectability.db import drawings as drawings_db
from connectability.storage import bucket_name
from local.world import PDF, PLATFORM_ADMIN, PNG, Api, DrawingsWorld, Queues


def test_a_new_company_gets_a_private_encrypted_versioned_bucket_that_notifies_of_manifests_and_uploads(
    api: Api,
) -> None:
    company = api("POST", "/companies", PLATFORM_ADMIN, {"name": "Volt Electric"}).body
    s3 = boto3.client("s3")
    bucket = bucket_name(company["id"])
    assert bucket.startswith("connectability-local-cmp-")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    queues = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    filters = {
        q["QueueArn"].rsplit(":", 1)[1]: {r["Name"].lower(): r["Value"] for r in q["Filter"]["Key"]["FilterRules"]}
        for q in queues
    }
    # sync hears of manifests only; the file check hears of every uploaded file (its thumbnail)
    assert filters == {
        "connectability-local-sync-events": {"prefix": "manifests/", "suffix": ".json"},
        "connectability-local-thumbnails": {"prefix": "uploads/"},
    }
    # unused uploads and their thumbnails expire; the console's origin may GET and PUT from a browser
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert sorted(r["Filter"]["And"]["Prefix"] for r in rules) == ["thumbnails/", "uploads/"]
    cors = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert cors[0]["AllowedOrigins"] == [get_settings().console_origin]
    assert set(cors[0]["AllowedMethods"]) == {"GET", "HEAD", "PUT"}
    assert "x-amz-tagging" in cors[0]["AllowedHeaders"]


def test_upload_is_a_presigned_put_and_the_bytes_downloaded_are_the_bytes_uploaded(
    drawings_world: DrawingsWorld,
) -> None:
    w = drawings_world
    answer = w.api(
        "POST",
        f"/projects/{w.project_id}/drawing-uploads",
        "dr-std",
        {"filename": "A-101.pdf", "content_type": "application/pdf", "size": len(PDF)},
    )
    assert answer.status == 201
    assert answer.body["method"] == "PUT"
    assert answer.body["headers"] == {"Content-Type": "application/pdf", "x-amz-tagging": "upload=unused"}
    assert parse_qs(urlparse(answer.body["url"]).query)["X-Amz-Expires"] == ["900"]
    assert requests.put(answer.body["url"], data=PDF, headers=answer.body["headers"], timeout=10).status_code == 200
    revision = w.api(
        "POST",
        f"/projects/{w.project_id}/drawing-revisions",
        "dr-std",
        {
            "upload_id": answer.body["upload_id"],
            "number": "A-101",
            "title": "Ground floor plan",
            "revision_number": "0",
            "discipline": {"name": "Architectural"},
        },
    ).body
    assert revision["state"] == "draft"
    assert revision["file"] == {
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "state": "ready",
    }
    link = w.api("GET", f"/projects/{w.project_id}/drawing-revisions/{revision['id']}/file", "dr-admin").body
    assert parse_qs(urlparse(link["url"]).query)["X-Amz-Expires"] == ["900"]
    assert requests.get(link["url"], timeout=10).content == PDF


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filename": "a.txt", "content_type": "text/plain", "size": 10}, "content_type"),
        ({"filename": "a.pdf", "content_type": "application/pdf", "size": 0}, "size"),
        ({"filename": "a.pdf", "content_type": "application/pdf", "size": 5 * 1024**3 + 1}, "size"),
        ({"filename": "", "content_type": "application/pdf", "size": 10}, "filename"),
    ],
)
def test_upload_refuses_other_types_and_sizes(drawings_world: DrawingsWorld, body: dict, field: str) -> None:
    answer = drawings_world.api("POST", f"/projects/{drawings_world.project_id}/drawing-uploads", "dr-std", body)
    assert answer.status == 422
    assert [d["field"] for d in answer.error["details"]] == [field]


def test_uploads_and_revisions_need_drawings_standard(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    body = {"filename": "a.pdf", "content_type": "application/pdf", "size": 10}
    assert w.api("POST", f"/projects/{w.project_id}/drawing-uploads", "dr-reader", body).status == 403
    assert w.api("POST", f"/projects/{w.project_id}/drawing-uploads", "dr-none", body).status == 403
    assert w.api("POST", f"/projects/{w.project_id}/drawing-uploads", "stranger", body).status == 404
    assert w.revision(user="dr-reader").status == 403


def test_a_revision_checks_its_upload(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    path = f"/projects/{w.project_id}/drawing-revisions"
    base = {"number": "A-1", "title": "T", "revision_number": "1", "discipline": {"name": "Civil"}}
    # no such upload
    assert w.api("POST", path, "dr-std", {**base, "upload_id": "upl_nope"}).error["details"][0]["field"] == "upload_id"
    # asked for, never uploaded
    never = w.api(
        "POST",
        f"/projects/{w.project_id}/drawing-uploads",
        "dr-std",
        {"filename": "a.pdf", "content_type": "application/pdf", "size": 100},
    ).body["upload_id"]
    answer = w.api("POST", path, "dr-std", {**base, "upload_id": never})
    assert answer.status == 422
    assert "PUT it to the upload's URL first" in answer.error["message"]
    # other size than declared
    short = w.upload(PDF, size=len(PDF) + 5)
    assert "not the" in w.api("POST", path, "dr-std", {**base, "upload_id": short}).error["message"]
    # bytes that are not of the declared type
    fake = w.upload(PNG, content_type="application/pdf")
    answer = w.api("POST", path, "dr-std", {**base, "upload_id": fake})
    assert answer.status == 422
    assert "not a application/pdf file" in answer.error["message"]
    # a good one is used once
    good = w.upload(PDF)
    assert w.api("POST", path, "dr-std", {**base, "upload_id": good}).status == 201
    again = w.api("POST", path, "dr-std", {**base, "upload_id": good})
    assert again.status == 422
    assert "already made revision" in again.error["message"]
    # nothing half-written: only the good revision exists
    drawings = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-admin", query={"include_drafts": "true"})
    assert [d["number"] for d in drawings.body["items"]] == ["A-1"]


def test_png_jpeg_and_tiff_files_are_accepted_by_their_bytes(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    for content_type, data in [
        ("image/png", PNG),
        ("image/jpeg", b"\xff\xd8\xff\xe0" + b"1" * 64),
        ("image/tiff", b"II*\x00" + b"2" * 64),
        ("image/tiff", b"MM\x00*" + b"3" * 64),
    ]:
        upload = w.upload(data, content_type=content_type)
        answer = w.api(
            "POST",
            f"/projects/{w.project_id}/drawing-revisions",
            "dr-std",
            {
                "upload_id": upload,
                "number": f"S-{len(data)}-{data[:2].hex()}",
                "title": "Photo",
                "revision_number": "1",
                "discipline": {"name": "Structural"},
            },
        )
        assert answer.status == 201, answer.body
        assert answer.body["file"]["content_type"] == content_type


def test_a_known_number_makes_the_next_revision_of_that_drawing(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    first = w.published("A-101", revision_number="1")
    second = w.revision(" a-101 ", revision_number="2", title="Ground floor plan, revised").body
    assert second["drawing_id"] == first["drawing_id"]
    assert second["number"] == "A-101"
    assert w.publish(second["id"]).status == 200
    drawing = w.api("GET", f"/projects/{w.project_id}/drawings/{first['drawing_id']}", "dr-reader").body
    assert [r["revision_number"] for r in drawing["revisions"]] == ["1", "2"]
    assert drawing["current_revision"]["id"] == second["id"]
    assert drawing["title"] == "Ground floor plan, revised"


def test_r22_readers_see_published_drawings_and_drafts_are_for_admins_only(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    draft = w.revision("A-200").body
    drawing_path = f"/projects/{w.project_id}/drawings/{draft['drawing_id']}"
    assert w.api("GET", drawing_path, "dr-reader").status == 404
    assert w.api("GET", drawing_path, "dr-std").status == 404
    assert w.api("GET", drawing_path, "dr-admin").body["revisions"][0]["state"] == "draft"
    assert w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader").body["items"] == []
    assert (
        w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader", query={"include_drafts": "true"}).body["items"]
        == []
    )
    admin_view = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-admin", query={"include_drafts": "true"})
    assert [d["id"] for d in admin_view.body["items"]] == [draft["drawing_id"]]
    file_path = f"/projects/{w.project_id}/drawing-revisions/{draft['id']}/file"
    assert w.api("GET", file_path, "dr-reader").status == 404
    # once published, every reader sees it, its file included
    w.publish(draft["id"])
    listed = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader").body["items"]
    assert [d["current_revision"]["id"] for d in listed] == [draft["id"]]
    assert listed[0]["current_revision"]["state"] == "published"
    assert requests.get(w.api("GET", file_path, "dr-reader").body["url"], timeout=10).content == PDF
    assert w.api("GET", f"/projects/{w.project_id}/drawings", "dr-none").status == 403


def test_publishing_is_for_admins_and_all_or_nothing(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    one, two = w.revision("A-1").body, w.revision("A-2").body
    assert w.publish(one["id"], user="dr-std").status == 403
    unknown = w.publish(one["id"], "rev_nope")
    assert unknown.status == 422
    assert unknown.error["details"] == [{"field": "revision_ids.1", "message": "no such revision"}]
    assert w.publish(one["id"]).body == {"published": [one["id"]]}
    mixed = w.publish(two["id"], one["id"])
    assert mixed.status == 409
    assert mixed.error["code"] == "invalid_state"
    # two was not published by the refused call
    assert w.api("GET", f"/projects/{w.project_id}/drawings/{two['drawing_id']}", "dr-reader").status == 404
    assert w.publish(two["id"]).body == {"published": [two["id"]]}


def test_register_filters_by_area_discipline_and_obsolete(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    a = w.published("A-1", area={"name": "Level 1"}, discipline={"name": "Architectural"})
    w.published("E-1", area={"name": "Level 2"}, discipline={"name": "Electrical", "position": 5})
    c = w.published("E-2", area={"name": "level 1"}, discipline={"name": "electrical"})
    w.api("PATCH", f"/projects/{w.project_id}/drawings/{c['drawing_id']}", "dr-admin", {"obsolete": True})

    def numbers(**query: str) -> list[str]:
        page = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader", query=query)
        assert page.status == 200, page.body
        return sorted(d["number"] for d in page.body["items"])

    area_1 = a["area"]["id"]
    assert numbers() == ["A-1", "E-1"]
    assert numbers(include_obsolete="true") == ["A-1", "E-1", "E-2"]
    assert numbers(area_id=area_1, include_obsolete="true") == ["A-1", "E-2"]
    assert numbers(discipline="ELECTRICAL") == ["E-1"]
    areas = w.api("GET", f"/projects/{w.project_id}/drawing-areas", "dr-reader").body["items"]
    assert sorted(x["name"] for x in areas) == ["Level 1", "Level 2"]


def test_shared_records_apply_everywhere(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    first = w.published("A-1", area={"name": "Level 1", "description": "Ground"})
    w.published("A-2", user="dr-admin", area={"name": "Level 1", "description": "Ground floor and lobby"})
    drawing = w.api("GET", f"/projects/{w.project_id}/drawings/{first['drawing_id']}", "dr-reader").body
    assert drawing["area"]["description"] == "Ground floor and lobby"
    assert w.manifest(first["id"])["area"]["description"] == "Ground floor and lobby"


def test_edits_are_for_admins_and_reach_every_published_revision_through_manifests(
    drawings_world: DrawingsWorld,
) -> None:
    w = drawings_world
    first = w.published("A-1", revision_number="1")
    second = w.published("A-1", revision_number="2", drawing_set={"name": "Tender", "date": "2026-11-01"})
    path = f"/projects/{w.project_id}/drawings/{first['drawing_id']}"
    assert w.api("PATCH", path, "dr-std", {"title": "Nope"}).status == 403
    answer = w.api(
        "PATCH",
        path,
        "dr-admin",
        {"title": "Ground floor", "status": "For construction", "discipline": {"name": "Structural", "position": 3}},
    )
    assert answer.status == 200, answer.body
    assert answer.body["title"] == "Ground floor"
    assert answer.body["discipline"] == {"name": "Structural", "position": 3}
    assert answer.body["current_revision"]["status"] == "For construction"
    for revision in (first, second):
        manifest = w.manifest(revision["id"])
        assert manifest["title"] == "Ground floor"
        assert manifest["discipline"] == {"name": "Structural", "position": 3}
    assert w.manifest(second["id"])["status"] == "For construction"
    assert w.manifest(first["id"])["status"] is None
    assert w.manifest_versions(first["id"]) == [1, 2]
    assert w.manifest_versions(second["id"]) == [1, 2]
    bad = w.api("PATCH", path, "dr-admin", {"title": "x", "number": "B-1"})
    assert bad.status == 422


def test_r19_only_published_revisions_write_manifests(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    draft = w.revision("A-9").body
    s3 = boto3.client("s3")
    assert s3.list_objects_v2(Bucket=w.bucket, Prefix="manifests/").get("KeyCount") == 0
    w.publish(draft["id"])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=w.bucket, Prefix="manifests/")["Contents"]]
    assert keys == [f"manifests/{w.project_id}/{draft['id']}.json"]


def test_r20_a_manifest_carries_every_copied_field(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    revision = w.published(
        "A-301",
        title="Roof plan",
        revision_number="C",
        status="For approval",
        discipline={"name": "Architectural", "position": 2},
        area={"name": "Roof", "description": "Top level"},
        drawing_date="2026-10-30",
        received_date="2026-11-02",
        drawing_set={"name": "IFC", "date": "2026-11-01"},
    )
    manifest = w.manifest(revision["id"])
    assert {
        k: manifest[k]
        for k in (
            "schema_version",
            "version",
            "deleted",
            "number",
            "title",
            "obsolete",
            "revision_number",
            "status",
            "drawing_date",
            "received_date",
        )
    } == {
        "schema_version": 1,
        "version": 1,
        "deleted": False,
        "number": "A-301",
        "title": "Roof plan",
        "obsolete": False,
        "revision_number": "C",
        "status": "For approval",
        "drawing_date": "2026-10-30",
        "received_date": "2026-11-02",
    }
    assert manifest["area"] == {"id": revision["area"]["id"], "name": "Roof", "description": "Top level"}
    assert manifest["discipline"] == {"name": "Architectural", "position": 2}
    assert manifest["drawing_set"] == {"name": "IFC", "date": "2026-11-01"}
    assert manifest["file"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert manifest["file"]["bucket"] == w.bucket
    assert boto3.client("s3").get_object(Bucket=w.bucket, Key=manifest["file"]["key"])["Body"].read() == PDF
    assert manifest["published_at"]
    assert (manifest["project_id"], manifest["drawing_id"], manifest["revision_id"]) == (
        w.project_id,
        revision["drawing_id"],
        revision["id"],
    )


def test_r28_a_deleted_drawing_leaves_the_register_keeps_its_areas_and_goes_to_the_report(
    drawings_world: DrawingsWorld,
) -> None:
    w = drawings_world
    first = w.published("A-1", area={"name": "Level 1"})
    second = w.published("A-1", revision_number="2")
    draft = w.revision("A-1", revision_number="3").body
    path = f"/projects/{w.project_id}/drawings/{first['drawing_id']}"
    assert w.api("DELETE", path, "dr-std").status == 403
    assert w.api("DELETE", path, "dr-admin").status == 204
    assert w.api("GET", path, "dr-admin").status == 404
    assert w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader").body["items"] == []
    assert [a["name"] for a in w.api("GET", f"/projects/{w.project_id}/drawing-areas", "dr-reader").body["items"]] == [
        "Level 1"
    ]
    report_path = f"/projects/{w.project_id}/reports/deleted-drawing-revisions"
    assert w.api("GET", report_path, "dr-reader").status == 403
    report = w.api("GET", report_path, "dr-admin").body["items"]
    assert sorted(r["id"] for r in report) == sorted([first["id"], second["id"], draft["id"]])
    assert {(r["state"], r["deleted_by"]) for r in report} == {("deleted", "dr-admin")}
    assert all(r["deleted_at"] for r in report)
    # the file is kept, for admins
    link = w.api("GET", f"/projects/{w.project_id}/drawing-revisions/{first['id']}/file", "dr-admin").body
    assert requests.get(link["url"], timeout=10).content == PDF
    # published revisions told sync, with a newer version; the draft never had a manifest
    for revision in (first, second):
        assert w.manifest(revision["id"])["deleted"] is True
        assert w.manifest_versions(revision["id"]) == [1, 2]
    # the number is free again: a new upload starts a new drawing
    again = w.revision("A-1").body
    assert again["drawing_id"] != first["drawing_id"]


def test_nothing_but_manifests_triggers_the_sync_queue(drawings_world: DrawingsWorld, queues: Queues) -> None:
    w = drawings_world
    sqs = boto3.client("sqs")
    url = queues.url("SyncEventsQueue")

    def object_events() -> list[str]:
        keys = []
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return keys
            for message in batch:
                body = json.loads(message["Body"])
                keys += [r["s3"]["object"]["key"] for r in body.get("Records", [])]
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    object_events()  # the bucket's s3:TestEvent
    revision = w.revision("A-1").body
    w.api(
        "POST",
        f"/projects/{w.project_id}/drawings/{revision['drawing_id']}/markups",
        "dr-admin",
        {"revision_id": revision["id"], "data": {"shapes": [1, 2]}},
    )
    assert object_events() == []
    w.publish(revision["id"])
    assert [k.replace("%2F", "/") for k in object_events()] == [f"manifests/{w.project_id}/{revision['id']}.json"]


def test_r27_markups_stay_with_the_project_and_never_reach_a_manifest(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    revision = w.published("A-1")
    path = f"/projects/{w.project_id}/drawings/{revision['drawing_id']}/markups"
    markup = w.api("POST", path, "dr-std", {"revision_id": revision["id"], "data": {"cloud": "check beam B4"}})
    assert markup.status == 201
    assert markup.body["created_by"] == "dr-std"
    assert w.api("POST", path, "dr-reader", {"revision_id": revision["id"], "data": {}}).status == 403
    big = w.api("POST", path, "dr-std", {"revision_id": revision["id"], "data": {"x": "y" * (65 * 1024)}})
    assert big.status == 422
    wrong = w.api("POST", path, "dr-std", {"revision_id": "rev_other", "data": {}})
    assert wrong.status == 422
    listed = w.api("GET", path, "dr-reader").body["items"]
    assert [m["data"] for m in listed] == [{"cloud": "check beam B4"}]
    # a new revision arrives: the markup stays on the drawing
    w.published("A-1", revision_number="2")
    assert len(w.api("GET", path, "dr-reader").body["items"]) == 1
    w.api("PATCH", f"/projects/{w.project_id}/drawings/{revision['drawing_id']}", "dr-admin", {"title": "New"})
    assert "check beam" not in json.dumps(w.manifest(revision["id"]))


def test_r24_connected_drawings_cannot_be_edited_or_deleted_here(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    revision = w.published("A-1")
    # Given the drawing is a connected copy (as sync marks them)
    drawing = drawings_db.get_drawing(w.project_id, revision["drawing_id"])
    assert drawing is not None
    drawings_db.drawing_at(w.project_id, drawing.drawing_id).update(
        actions=[drawings_db.DrawingItem.connected.set(True)]
    )
    path = f"/projects/{w.project_id}/drawings/{revision['drawing_id']}"
    for method, body in (("PATCH", {"title": "Mine"}), ("DELETE", None)):
        answer = w.api(method, path, "dr-admin", body)
        assert answer.status == 409
        assert (answer.error["code"], answer.error["rule"]) == ("connected_drawing_read_only", "R24")
    assert w.revision("A-1").error["rule"] == "R24"
    assert w.api("GET", path, "dr-reader").body["title"] == "Plan A-1"


def test_r38_drawings_settings_select_only_drawings_admins(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    path = f"/projects/{w.project_id}/settings/drawings"
    assert w.api("GET", path, "dr-std").status == 403
    refused = w.api(
        "PUT", path, "dr-admin", {"notification_recipients": {"mode": "selected", "user_ids": ["dr-company-admin"]}}
    )
    assert refused.status == 422
    assert refused.error["rule"] == "R38"
    chosen = {"notification_recipients": {"mode": "selected", "user_ids": ["dr-admin2"]}}
    assert w.api("PUT", path, "dr-admin", chosen).body["notification_recipients"] == chosen["notification_recipients"]
    settings = w.api("GET", path, "dr-admin2").body
    assert settings["notification_recipients"] == chosen["notification_recipients"]
    # and the people who may be chosen come by name, the project's Drawings admins only
    eligible = {e["user_id"]: e for e in settings["eligible"]}
    assert set(eligible) == {"dr-admin", "dr-admin2"}
    assert eligible["dr-admin2"]["roles"] == ["drawings_admin"]
    assert eligible["dr-admin2"]["email"] == "dr-admin2@example.com"


def test_r28_a_drawing_with_more_revisions_than_one_transaction_holds_is_deleted_whole(
    drawings_world: DrawingsWorld,
) -> None:
    w = drawings_world
    ids = [w.revision("A-1", revision_number=str(n)).body["id"] for n in range(101)]
    drawing_id = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-admin", query={"include_drafts": "true"}).body[
        "items"
    ][0]["id"]
    assert w.api("DELETE", f"/projects/{w.project_id}/drawings/{drawing_id}", "dr-admin").status == 204
    report, token = [], None
    while True:
        page = w.api(
            "GET",
            f"/projects/{w.project_id}/reports/deleted-drawing-revisions",
            "dr-admin",
            query={"limit": "200", **({"next_token": token} if token else {})},
        ).body
        report += page["items"]
        if not (token := page["next_token"]):
            break
    assert sorted(r["id"] for r in report) == sorted(ids)
    assert w.api("DELETE", f"/projects/{w.project_id}/drawings/{drawing_id}", "dr-admin").status == 404


def test_renaming_an_area_applies_everywhere_and_reaches_sync(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    first = w.published("A-1", area={"name": "Level 1"})
    second = w.published("A-2", area={"name": "Level 1"})
    w.published("A-3", area={"name": "Level 2"})
    area_id = first["area"]["id"]
    path = f"/projects/{w.project_id}/drawing-areas/{area_id}"
    assert w.api("PATCH", path, "dr-std", {"name": "Ground floor"}).status == 403
    taken = w.api("PATCH", path, "dr-admin", {"name": "level 2"})
    assert (taken.status, taken.error["code"]) == (409, "already_exists")
    renamed = w.api("PATCH", path, "dr-admin", {"name": "Ground floor", "description": "Lobby and shops"})
    assert renamed.body == {"id": area_id, "name": "Ground floor", "description": "Lobby and shops"}
    for revision in (first, second):
        drawing = w.api("GET", f"/projects/{w.project_id}/drawings/{revision['drawing_id']}", "dr-reader").body
        assert drawing["area"]["name"] == "Ground floor"
        assert w.manifest(revision["id"])["area"] == renamed.body
        assert w.manifest_versions(revision["id"]) == [1, 2]
    # the old name is free, the new one leads to the same area
    assert w.published("A-4", area={"name": "ground FLOOR"})["area"]["id"] == area_id
    assert w.published("A-5", area={"name": "Level 1"})["area"]["id"] != area_id


def test_r23_connected_drawings_and_revisions_are_marked_so(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    own = w.published("A-1")
    copy = w.published("B-1")
    # Given B-1 is a connected copy (as sync writes them: drawing and revision marked, with their source)
    drawing = drawings_db.get_drawing(w.project_id, copy["drawing_id"])
    revision = drawings_db.get_revision(w.project_id, copy["id"])
    assert drawing is not None
    assert revision is not None
    upstream = {"source_connection_id": "con_1", "source_project_id": w.project_id, "source_company_id": w.company_id}
    drawings_db.drawing_at(w.project_id, drawing.drawing_id).update(
        actions=[
            drawings_db.DrawingItem.connected.set(True),
            *(getattr(drawings_db.DrawingItem, name).set(value) for name, value in upstream.items()),
        ]
    )
    drawings_db.revision_at(w.project_id, revision.revision_id).update(
        actions=[
            drawings_db.RevisionItem.connected.set(True),
            drawings_db.RevisionItem.source_revision_id.set("rev_upstream"),
            *(getattr(drawings_db.RevisionItem, name).set(value) for name, value in upstream.items()),
        ]
    )
    # Then the register tells them apart, down to the revision and its source
    listed = {d["number"]: d for d in w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader").body["items"]}
    assert (listed["A-1"]["connected"], listed["A-1"]["current_revision"]["connected"]) == (False, False)
    assert listed["A-1"]["current_revision"]["source"] is None
    assert (listed["B-1"]["connected"], listed["B-1"]["current_revision"]["connected"]) == (True, True)
    # and says where it comes from, by name (here the project stands in for its own upstream)
    where = {
        "connection_id": "con_1",
        "upstream_project_id": w.project_id,
        "upstream_project_name": "Harbor Tower",
        "upstream_company_id": w.company_id,
        "upstream_company_name": "Apex Builders",
    }
    assert listed["B-1"]["current_revision"]["source"] == {**where, "upstream_revision_id": "rev_upstream"}
    assert listed["B-1"]["source"] == where
    assert listed["A-1"]["source"] is None
    assert own["connected"] is False


def test_a_second_put_to_the_upload_url_cannot_swap_a_revisions_bytes(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    upload = w.api(
        "POST",
        f"/projects/{w.project_id}/drawing-uploads",
        "dr-std",
        {"filename": "a.pdf", "content_type": "application/pdf", "size": len(PDF)},
    ).body
    requests.put(upload["url"], data=PDF, headers=upload["headers"], timeout=10)
    revision = w.api(
        "POST",
        f"/projects/{w.project_id}/drawing-revisions",
        "dr-std",
        {
            "upload_id": upload["upload_id"],
            "number": "A-1",
            "title": "T",
            "revision_number": "1",
            "discipline": {"name": "Civil"},
        },
    ).body
    # When the URL, still valid, is used again with other bytes of the same size
    other = PNG + b"\x00" * (len(PDF) - len(PNG))
    assert requests.put(upload["url"], data=other, headers=upload["headers"], timeout=10).status_code == 200
    # Then the revision still serves, and its manifest names, the bytes that were checked and hashed
    w.publish(revision["id"])
    link = w.api("GET", f"/projects/{w.project_id}/drawing-revisions/{revision['id']}/file", "dr-reader").body
    assert requests.get(link["url"], timeout=10).content == PDF
    file = w.manifest(revision["id"])["file"]
    body = boto3.client("s3").get_object(Bucket=file["bucket"], Key=file["key"], VersionId=file["version_id"])
    assert hashlib.sha256(body["Body"].read()).hexdigest() == file["sha256"] == revision["file"]["sha256"]


def test_only_drawings_admins_change_shared_records_through_a_revision(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    published = w.published(
        "A-1",
        discipline={"name": "Architectural", "position": 1},
        area={"name": "Level 1", "description": "Ground"},
        drawing_set={"name": "IFC", "date": "2026-11-01"},
    )
    # When a standard user creates a revision naming the same records with other values
    draft = w.revision(
        "B-1",
        user="dr-std",
        discipline={"name": "Architectural", "position": 99},
        area={"name": "Level 1", "description": "Changed"},
        drawing_set={"name": "IFC", "date": "2030-01-01"},
    )
    # Then the records are used as they are, and nothing reached sync
    assert draft.status == 201
    assert draft.body["discipline"] == {"name": "Architectural", "position": 1}
    assert draft.body["area"]["description"] == "Ground"
    assert draft.body["drawing_set"] == {"name": "IFC", "date": "2026-11-01"}
    assert w.manifest_versions(published["id"]) == [1]
    # while an admin's values do apply everywhere
    w.revision("C-1", user="dr-admin", area={"name": "Level 1", "description": "Lobby"})
    assert w.manifest(published["id"])["area"]["description"] == "Lobby"


def test_markups_that_nest_too_deep_are_refused(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    revision = w.published("A-1")
    deep: dict = {}
    node = deep
    for _ in range(300):
        node["x"] = {}
        node = node["x"]
    path = f"/projects/{w.project_id}/drawings/{revision['drawing_id']}/markups"
    answer = w.api("POST", path, "dr-std", {"revision_id": revision["id"], "data": deep})
    assert answer.status == 422
    assert "deeper than 32" in answer.error["details"][0]["message"]
    assert w.api("GET", path, "dr-reader").status == 200


def test_a_large_file_is_hashed_by_the_file_check_and_published_after(
    drawings_world: DrawingsWorld, queues: Queues, small_inline_hash: None
) -> None:
    w = drawings_world
    revision = w.revision("A-1").body
    assert revision["file"] == {
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": None,
        "state": "checking",
    }
    # Publishing waits for the check
    waiting = w.publish(revision["id"])
    assert (waiting.status, waiting.error["code"]) == (409, "invalid_state")
    assert "still being checked" in waiting.error["message"]
    # When the file check runs (twice: a redelivery changes nothing)
    body = queues.peek("FileChecksQueue")
    queues.drain("FileChecksQueue")
    boto3.client("sqs").send_message(QueueUrl=queues.url("FileChecksQueue"), MessageBody=json.dumps(body[0]))
    queues.drain("FileChecksQueue")
    # Then the revision carries its sha256 and publishes, and its manifest says so
    drawing = w.api("GET", f"/projects/{w.project_id}/drawings/{revision['drawing_id']}", "dr-admin").body
    assert drawing["revisions"][0]["file"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert drawing["revisions"][0]["file"]["state"] == "ready"
    assert w.publish(revision["id"]).status == 200
    assert w.manifest(revision["id"])["file"]["sha256"] == hashlib.sha256(PDF).hexdigest()
