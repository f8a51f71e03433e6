"""Sync on the local stack with its copies side by side, as Lambda runs them: the races of
tests/integration/test_sync_races.py met by real concurrency instead of a hook at the worst moment. Each test
has a stack of its own, so what GET /_local/functions counts (the most copies at once) is that test's alone."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.client import LocalStackClient, running_stack
from local.sheets import publish_sheets
from tests.e2e.conftest import unique_fixture

pytestmark = pytest.mark.e2e
SHEETS = 24


@pytest.fixture
def stack() -> Iterator[LocalStackClient]:
    with running_stack() as client:
        yield client


class World:
    """The demo's general contractor upstream and two subcontractor projects, each a downstream to connect."""

    def __init__(self, stack: LocalStackClient) -> None:
        fixture, s = unique_fixture()
        sub = next(c for c in fixture["companies"] if c["key"] == f"sub-{s}")
        annex = json.loads(json.dumps(sub["projects"][0]))
        annex.update(key=f"sub-annex-{s}", name="Harbor Tower - Annex")
        sub["projects"].append(annex)
        self.stack, self.s = stack, s
        self.ids = stack.seed(fixture)
        self.up = self.ids["projects"][f"gc-tower-{s}"]
        self.downs = [self.ids["projects"][f"sub-tower-{s}"], self.ids["projects"][f"sub-annex-{s}"]]
        self.gc, self.gc_pm, self.sub_pm = (f"{u}-{s}" for u in ("gc-admin", "gc-pm", "sub-pm"))
        self.sub_admin = f"sub-admin-{s}"
        options = {"region_name": "us-east-1", "aws_access_key_id": "local", "aws_secret_access_key": "local"}
        self.s3 = boto3.client("s3", endpoint_url=stack.aws_url, **options)
        self.sqs = boto3.client("sqs", endpoint_url=stack.aws_url, **options)

    def publish(self, count: int, first: int = 1) -> list[str]:
        rows = [(f"E-{n}", f"Sheet {n}", "Electrical", None) for n in range(first, first + count)]
        return publish_sheets(self.stack.url, self.stack.token(self.gc), self.up, rows)

    def connect(self, down: str) -> str:
        """Request and approval; answers the connection's id (its initial sync starts with the approval)."""
        call = self.stack.call
        requested = call("POST", f"/projects/{down}/connections", self.sub_pm, json={"upstream_project_id": self.up})
        assert requested.status_code == 201, requested.text
        approved = call("POST", f"/connections/{requested.json()['id']}/approve", self.gc_pm)
        assert approved.status_code == 200, approved.text
        return str(requested.json()["id"])

    def settled(self) -> None:
        answer = self.stack.settle()
        assert answer["settled"] is True, answer

    def get(self, path: str, user: str) -> Any:
        answer = self.stack.call("GET", path, user)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def review(self, down: str) -> list[dict[str, Any]]:
        return list(self.get(f"/projects/{down}/connected-drawings/review", self.sub_admin)["items"])

    def bucket(self, company_key: str) -> str:
        """A company's bucket: the one named after its id (S3's alphabet)."""
        suffix = self.ids["companies"][f"{company_key}-{self.s}"].lower().replace("_", "-")
        [name] = [b["Name"] for b in self.s3.list_buckets()["Buckets"] if b["Name"].endswith(suffix)]
        return name

    def copies(self) -> dict[str, int]:
        """Every key of the subcontractor's copies (its bucket's connected/ prefix), with its count of versions."""
        versions: dict[str, int] = {}
        pages = self.s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket("sub"), Prefix="connected/")
        for page in pages:
            for version in page.get("Versions", []):
                versions[version["Key"]] = versions.get(version["Key"], 0) + 1
        return versions

    def mails(self, event: str) -> list[tuple[str, str]]:
        """(project, recipient) of each mail of one kind sent for this world's projects."""
        projects = {self.up, *self.downs}
        return sorted(
            (m["project_id"], m["to"][0].split("@")[0].removesuffix(f"-{self.s}"))
            for m in self.stack.outbox()
            if m["event"] == event and m["project_id"] in projects
        )

    def copy_function(self) -> dict[str, Any]:
        return self.stack.functions()["SyncCopyFunction"]


def test_r29_r34_two_initial_syncs_side_by_side_copy_each_revision_once_and_complete_once(
    stack: LocalStackClient,
) -> None:
    # Given an upstream with 24 published sheets, and two downstream projects
    w = World(stack)
    w.publish(SHEETS)
    w.settled()

    # When both connect at once: 48 copy jobs, in batches that run side by side
    connections = [w.connect(down) for down in w.downs]
    w.settled()

    # Then copies ran side by side, and each initial sync counted every copy once and completed once (R29)
    ran = w.copy_function()
    assert ran["most_at_once"] >= 2, ran
    assert ran["overlapping"] >= 1, ran
    assert (ran["errors"], ran["timeouts"]) == (0, 0), ran
    for connection in connections:
        status = w.get(f"/connections/{connection}", w.sub_pm)["initial_sync"]
        assert status == {"status": "complete", "total": SHEETS, "copied": SHEETS}
    # and each downstream holds each revision once, waiting for review (R21), each copied file stored once
    for down in w.downs:
        assert sorted(r["number"] for r in w.review(down)) == sorted(f"E-{n}" for n in range(1, SHEETS + 1))
    files = w.copies()
    assert set(files.values()) == {1}, {key: n for key, n in files.items() if n != 1}
    assert len([key for key in files if not key.endswith(".thumbnail.png")]) == 2 * SHEETS, sorted(files)
    # and each downstream's Drawings admin got one mail that it completed (R34), not one per racing batch
    assert w.mails("initial_sync_complete") == sorted((down, "sub-admin") for down in w.downs)


def s3_event(bucket: str, version: dict[str, Any]) -> str:
    """The ObjectCreated notification S3 sends for one object version, as SQS delivers it (S3's own shape)."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": version["LastModified"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:LOCAL"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": uuid.uuid4().hex},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "manifests",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "LOCAL"}, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {
                "key": version["Key"],
                "size": version["Size"],
                "eTag": version["ETag"].strip('"'),
                "versionId": version["VersionId"],
                "sequencer": f"{time.time_ns():016X}",
            },
        },
    }
    return json.dumps({"Records": [record]})


def test_r26_r29_a_manifest_event_delivered_forty_more_times_while_its_initial_sync_runs_is_copied_once(
    stack: LocalStackClient,
) -> None:
    # Given an upstream with 24 published sheets, one downstream connected and synced (which warmed the copies'
    # execution environments), and another about to connect
    w = World(stack)
    first, *_ = w.publish(SHEETS)
    w.settled()
    synced, down = w.downs
    w.connect(synced)
    w.settled()
    before = w.copy_function()
    bucket = w.bucket("gc")
    [version] = [
        v
        for v in w.s3.list_object_versions(Bucket=bucket, Prefix="manifests/").get("Versions", [])
        if first in v["Key"] and v["IsLatest"]
    ]
    [notified] = w.s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"][:1]
    queue_url = w.sqs.get_queue_url(QueueName=notified["QueueArn"].rsplit(":", 1)[-1])["QueueUrl"]

    # When the other connects, and right after its approval the first sheet's manifest event is delivered forty
    # more times at once (S3 and SQS deliver at least once): duplicate copy jobs of one revision, racing each
    # other and its initial sync's job
    connection = w.connect(down)
    event = s3_event(bucket, version)
    for _ in range(4):
        entries = [{"Id": str(n), "MessageBody": event} for n in range(10)]
        assert not w.sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed")
    w.settled()

    # Then copies began while others ran, and the downstream holds each revision once, each file stored once
    ran = w.copy_function()
    assert ran["overlapping"] > before["overlapping"], (before, ran)
    assert (ran["errors"], ran["timeouts"]) == (0, 0), ran
    assert sorted(r["number"] for r in w.review(down)) == sorted(f"E-{n}" for n in range(1, SHEETS + 1))
    files = w.copies()
    assert set(files.values()) == {1}, {key: n for key, n in files.items() if n != 1}
    assert len([key for key in files if not key.endswith(".thumbnail.png")]) == 2 * SHEETS, sorted(files)
    # and its initial sync counted that revision once and completed once (R29, R34); news of it, if a duplicate
    # wrote it first, was mailed at most once (R39)
    assert w.get(f"/connections/{connection}", w.sub_pm)["initial_sync"] == {
        "status": "complete",
        "total": SHEETS,
        "copied": SHEETS,
    }
    assert w.mails("initial_sync_complete") == sorted((d, "sub-admin") for d in w.downs)
    assert w.mails("drawings_published") in ([], [(down, "sub-admin")]), [
        (m["project_id"], m["text"]) for m in stack.outbox() if m["event"] == "drawings_published"
    ]


def test_r17_r29_a_disconnect_while_copies_run_side_by_side_leaves_counts_that_match_what_landed(
    stack: LocalStackClient,
) -> None:
    # Given an upstream with 24 published sheets
    w = World(stack)
    w.publish(SHEETS)
    w.settled()
    down = w.downs[0]

    # When a downstream connects and disconnects while its initial sync's copies run side by side
    connection = w.connect(down)
    ended = stack.call("POST", f"/connections/{connection}/disconnect", w.sub_admin, json={"reason": "changed mind"})
    assert ended.status_code == 200, ended.text
    w.settled()

    # Then whatever had landed stays, and the initial sync's count is exactly what landed (R17, R29)
    landed = w.review(down)
    status = w.get(f"/connections/{connection}", w.sub_pm)["initial_sync"]
    assert status["copied"] == len(landed), (status, len(landed))
    assert status["status"] in ("complete", "stopped"), status
    assert status["status"] == "stopped" or len(landed) == SHEETS, (status, len(landed))
    assert len({r["number"] for r in landed}) == len(landed)
    files = w.copies()
    assert set(files.values()) <= {1}, files
    assert len([key for key in files if not key.endswith(".thumbnail.png")]) == len(landed), sorted(files)
