"""Drawings over HTTP on the local stack: a real presigned upload to moto's server, publish, register, download,
and the manifest's event on the sync queue (moto's S3 notifications, as in AWS)."""

from __future__ import annotations

import hashlib

import boto3
import requests

from local.client import LocalStackClient
from tests.e2e.conftest import unique_fixture

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


def test_upload_create_publish_list_download_and_the_manifest_event(local_stack: LocalStackClient) -> None:
    fixture, suffix = unique_fixture()
    ids = local_stack.seed(fixture)
    project = ids["projects"][f"gc-tower-{suffix}"]
    pm, viewer = f"gc-pm-{suffix}", f"gc-viewer-{suffix}"
    call = local_stack.call

    # When a project manager uploads a sheet to the presigned URL and creates a revision from it
    upload = call(
        "POST",
        f"/projects/{project}/drawing-uploads",
        pm,
        json={"filename": "A-101.pdf", "content_type": "application/pdf", "size": len(PDF)},
    ).json()
    assert upload["url"].startswith(local_stack.aws_url)
    assert requests.put(upload["url"], data=PDF, headers=upload["headers"], timeout=10).status_code == 200
    revision = call(
        "POST",
        f"/projects/{project}/drawing-revisions",
        pm,
        json={
            "upload_id": upload["upload_id"],
            "number": "A-101",
            "title": "Ground floor plan",
            "revision_number": "1",
            "discipline": {"name": "Architectural"},
            "area": {"name": "Level 1"},
        },
    ).json()
    assert revision["file"]["sha256"] == hashlib.sha256(PDF).hexdigest()

    # and publishes it
    published = call(
        "POST", f"/projects/{project}/drawing-revisions/publish", pm, json={"revision_ids": [revision["id"]]}
    )
    assert published.json() == {"published": [revision["id"]]}

    # Then a viewer finds it in the register and downloads exactly the bytes uploaded
    register = call("GET", f"/projects/{project}/drawings", viewer).json()["items"]
    assert [(d["number"], d["current_revision"]["id"]) for d in register] == [("A-101", revision["id"])]
    link = call("GET", f"/projects/{project}/drawing-revisions/{revision['id']}/file", viewer).json()
    assert requests.get(link["url"], timeout=10).content == PDF

    # and the manifest's ObjectCreated event reaches sync_fanout, which handles it (no connection: no copy job)
    assert local_stack.settle()["settled"] is True
    sqs = boto3.client(
        "sqs",
        endpoint_url=local_stack.aws_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    for queue in ("connectability-local-sync-events-dlq", "connectability-local-copy-jobs"):
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None
