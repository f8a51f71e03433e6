"""Dead letters come back: a copy job that failed ten times is redriven once its cause is fixed, and the drawing
arrives downstream exactly once (ops.redrive, on moto, with the pipeline run as Lambda's pollers would)."""

from __future__ import annotations

import json
from typing import Any

import boto3

from ops import redrive
from tests.integration.conftest import Faults
from tests.integration.sync_world import Sync, storage_bucket

STACK = "connectability-local"  # the stack name the tests' template is resolved with


def _unreadable_upstream_files(params: dict[str, Any]) -> bool:
    source = params.get("CopySource")
    key = source.get("Key", "") if isinstance(source, dict) else str(source)
    return "uploads/" in key


def _copies(sync: Sync) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=storage_bucket(sync.two.volt), Prefix="connected/")
    return [o["Key"] for o in listed.get("Contents", [])]


def test_a_poisoned_copy_job_is_redriven_after_the_fix_and_the_drawing_arrives_once(sync: Sync, faults: Faults) -> None:
    # Given a connection, and upstream files that cannot be read (as with a wrong bucket policy)
    sync.connect()
    sync.pipeline.run()
    for operation in ("CopyObject", "UploadPartCopy"):
        faults.fail(operation, times=10**6, code="AccessDenied", when=_unreadable_upstream_files)

    # When a drawing is published, its copy job fails ten times and lands in the dead-letter queue
    sync.up.published("E-101")
    sync.pipeline.run()
    assert sync.review() == []
    assert sync.pipeline.waiting("CopyJobsDeadLetterQueue") == 1

    # and, the cause fixed, the operator redrives every dead-letter queue and the pipeline runs
    faults.rules.clear()
    said: list[str] = []
    code = redrive.main(["all", "--stack", STACK], say=said.append)
    sync.pipeline.run()

    # Then the drawing arrives once, with one file, and no dead letter is left
    assert code == 0, said
    assert [r["number"] for r in sync.review()] == ["E-101"]
    assert len(_copies(sync)) == 1
    assert sync.pipeline.waiting("CopyJobsDeadLetterQueue") == 0
    # and the operator saw what moved, and how (moto has no StartMessageMoveTask)
    assert f"{STACK}-copy-jobs-dlq -> {STACK}-copy-jobs: 1 waiting" in said
    assert any(line.startswith("  moved ") and '"copy_job"' in line for line in said), said
    assert "one by one" in "\n".join(said)
    assert said[-1] == "moved 1 message(s) back"

    # and a second redrive finds nothing to move
    again: list[str] = []
    assert redrive.main(["copy-jobs", "--stack", STACK], say=again.append) == 0
    assert again == [f"{STACK}-copy-jobs-dlq -> {STACK}-copy-jobs: 0 waiting", "moved 0 message(s) back"]


def test_a_message_that_cannot_be_sent_back_stays_dead_lettered(sync: Sync, faults: Faults) -> None:
    # Given a dead letter on the copy-jobs DLQ
    sqs = boto3.client("sqs")
    body = json.dumps({"kind": "copy_job", "note": "kept"})
    sqs.send_message(QueueUrl=sync.pipeline.queues.url("CopyJobsDeadLetterQueue"), MessageBody=body)
    # When the redrive cannot send to the source queue
    faults.fail("SendMessage", times=10, code="KMS.AccessDeniedException")
    said: list[str] = []
    code = redrive.main(["copy-jobs-dlq", "--stack", STACK], say=said.append)

    # Then it reports the failure and exits 1, and the message is still in the DLQ, not lost
    assert code == 1
    assert any(line.startswith("  not moved (kept): ") for line in said), said
    assert sync.pipeline.waiting("CopyJobsDeadLetterQueue") == 1
    assert sync.pipeline.waiting("CopyJobsQueue") == 0


def test_an_unknown_queue_name_lists_the_queues_that_have_dead_letters(sync: Sync) -> None:
    said: list[str] = []
    assert redrive.main(["no-such-queue", "--stack", STACK], say=said.append) == 2
    assert said == [
        f"no dead-letter queue for 'no-such-queue' in stack {STACK}; "
        "queues with one: copy-jobs, digest-checks, file-checks, initial-sync-pages, manifests-due, notifications, "
        "reconcile-pages, sync-events, thumbnails, webhook-deliveries, webhook-events"
    ]
