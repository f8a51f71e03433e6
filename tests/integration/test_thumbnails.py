"""Thumbnails through the pipeline: every uploaded file's first page drawn once, whichever comes first (the file
check or the revision), shown wherever its revision is, and copied downstream with the file."""

from __future__ import annotations

import io

import boto3
import pytest
import requests
from PIL import Image

from connectability.db import uploads as uploads_db
from connectability.domain import thumbnails
from connectability.models.manifests import StoredObject
from local.drawing_pdf import drawing_pdf
from local.world import PDF, DrawingsWorld, Queues
from tests.integration.sync_world import VIEWER, Sync, storage_bucket

SHEET = drawing_pdf("A-101", "Ground floor plan", size="A1")


def _png(url: str) -> Image.Image:
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200
    image = Image.open(io.BytesIO(answer.content))
    image.load()
    return image


def _revision(w: DrawingsWorld, revision_id: str, user: str = "dr-admin") -> dict:
    drawings = w.api("GET", f"/projects/{w.project_id}/drawings", user, query={"include_drafts": "true"}).body
    for drawing in drawings["items"]:
        for revision in [drawing["current_revision"], *(drawing.get("drafts") or [])]:
            if revision and revision["id"] == revision_id:
                return dict(revision)
    raise AssertionError(f"revision {revision_id} is not in the register")


def test_a_file_checked_before_its_revision_gives_the_revision_its_thumbnail(
    drawings_world: DrawingsWorld, queues: Queues
) -> None:
    w = drawings_world
    # Given a real drawing uploaded, and looked at by the file check before any revision is made of it
    upload_id = w.upload(SHEET)
    queues.drain("ThumbnailsQueue")

    # When the revision is created
    body = {"upload_id": upload_id, "number": "A-101", "title": "Ground floor plan", "revision_number": "1"}
    created = w.api(
        "POST", f"/projects/{w.project_id}/drawing-revisions", w.uploader, {**body, "discipline": {"name": "A"}}
    )

    # Then it has its thumbnail at once: a PNG of the sheet's first page, fitted into a small box
    assert created.status == 201, created.body
    thumbnail = created.body["thumbnail"]
    assert thumbnail["state"] == "ready"
    image = _png(thumbnail["url"])
    assert (image.width, image.height) == (thumbnail["width"], thumbnail["height"])
    assert max(image.width, image.height) == 320
    # and it is kept for good, like the file it shows
    upload = uploads_db.get_upload(w.project_id, upload_id)
    assert upload is not None
    [drawn] = uploads_db.thumbnails_of(upload).values()
    key = drawn["key"]
    s3 = boto3.client("s3")
    version = s3.head_object(Bucket=w.bucket, Key=key)["VersionId"]
    tags = s3.get_object_tagging(Bucket=w.bucket, Key=key, VersionId=version)["TagSet"]
    assert tags == [{"Key": "upload", "Value": "used"}]


def test_a_revision_made_before_its_file_is_checked_gets_its_thumbnail_after(
    drawings_world: DrawingsWorld, queues: Queues
) -> None:
    w = drawings_world
    # Given a revision made while its file's check is still to come
    created = w.revision("A-101", data=SHEET)
    assert created.status == 201
    assert created.body["thumbnail"] == {"state": "pending", "url": None, "width": None, "height": None, "reason": None}

    # When the file check runs
    queues.drain("ThumbnailsQueue")

    # Then the revision shows it, wherever it is listed
    shown = _revision(w, created.body["id"])
    assert shown["thumbnail"]["state"] == "ready"
    assert _png(shown["thumbnail"]["url"]).format == "PNG"
    # and its drawing's page too
    drawing = w.api("GET", f"/projects/{w.project_id}/drawings/{created.body['drawing_id']}", "dr-admin").body
    assert drawing["revisions"][0]["thumbnail"]["state"] == "ready"


def test_a_file_that_is_not_a_readable_pdf_says_why_and_fails_nothing(
    drawings_world: DrawingsWorld, queues: Queues
) -> None:
    w = drawings_world
    # Given a file that passes the upload's check (it starts like a PDF) but is no readable PDF
    created = w.revision("A-1", data=PDF)
    assert created.status == 201

    # When the file check looks at it
    responses = queues.drain("ThumbnailsQueue")

    # Then nothing failed, and the revision says why it has no thumbnail
    assert all(not r.get("batchItemFailures") for r in responses)
    shown = _revision(w, created.body["id"])["thumbnail"]
    assert shown["state"] == "unavailable"
    assert shown["url"] is None
    assert shown["reason"] == "The file is not a readable PDF: it may be damaged or incomplete."
    # and it still publishes
    assert w.publish(created.body["id"]).status == 200


def test_an_event_delivered_twice_draws_once(drawings_world: DrawingsWorld, queues: Queues) -> None:
    w = drawings_world
    upload_id = w.upload(SHEET)
    upload = uploads_db.get_upload(w.project_id, upload_id)
    assert upload is not None
    version = boto3.client("s3").head_object(Bucket=w.bucket, Key=upload.key)["VersionId"]
    stored = StoredObject(bucket=w.bucket, key=upload.key, version_id=version, size=len(SHEET))
    assert thumbnails.look_at(stored) == thumbnails.ThumbnailState.ready
    assert thumbnails.look_at(stored) == thumbnails.ThumbnailState.ready
    listed = boto3.client("s3").list_object_versions(Bucket=w.bucket, Prefix="thumbnails/").get("Versions", [])
    assert len(listed) == 1  # drawn and stored once


def test_a_thumbnail_waits_a_moment_for_a_revision_still_being_written(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    # Given an upload claimed by a revision whose write has not landed yet
    upload_id = w.upload(SHEET)
    upload = uploads_db.get_upload(w.project_id, upload_id)
    assert upload is not None
    assert uploads_db.claim_upload(upload, "rev_being_written")
    version = boto3.client("s3").head_object(Bucket=w.bucket, Key=upload.key)["VersionId"]
    stored = StoredObject(bucket=w.bucket, key=upload.key, version_id=version, size=len(SHEET))

    # Then its thumbnail is drawn and kept on the upload, and the message asks to come back soon
    with pytest.raises(thumbnails.RevisionNotYet):
        thumbnails.look_at(stored, deliveries=1)
    refreshed = uploads_db.get_upload(w.project_id, upload_id)
    assert refreshed is not None
    assert [d["state"] for d in uploads_db.thumbnails_of(refreshed).values()] == ["ready"]
    # and after enough tries it stops waiting for a revision that never came (its upload keeps the thumbnail)
    assert thumbnails.look_at(stored, deliveries=thumbnails.RETRIES_FOR_A_REVISION) == thumbnails.ThumbnailState.ready


def test_r20_a_thumbnail_made_after_publishing_reaches_the_downstream_copy(sync: Sync, queues: Queues) -> None:
    # Given a connected pair, and a sheet published upstream before its file was checked
    sync.connect()
    sync.pipeline.run()
    published = sync.up.published("E-101", data=SHEET)
    sync.pipeline.run()
    assert sync.review()[0]["thumbnail"]["state"] == "pending"

    # When the file check draws it
    queues.drain("ThumbnailsQueue")
    sync.pipeline.run()

    # Then the upstream's manifest brought it, and the copy holds its own thumbnail in the downstream's bucket
    assert sync.up.manifest(published["id"])["thumbnail"]["state"] == "ready"
    copy = sync.review()[0]
    assert copy["thumbnail"]["state"] == "ready"
    assert storage_bucket(sync.two.volt) in copy["thumbnail"]["url"]
    assert _png(copy["thumbnail"]["url"]).size == (copy["thumbnail"]["width"], copy["thumbnail"]["height"])
    # and a reader downstream sees it once the copy is published (R22), with no access upstream
    sync.publish_all()
    register = sync.register(VIEWER)
    assert register[0]["current_revision"]["thumbnail"]["state"] == "ready"
