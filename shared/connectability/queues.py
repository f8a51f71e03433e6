"""SQS sends: notification events, files to check, and the sync pipeline's messages, each kind on its queue (copy
jobs, initial-sync and reconcile pages, digest checks, manifests due), and dead letters."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from botocore.exceptions import ClientError

from connectability import aws
from connectability.config import get_settings

if TYPE_CHECKING:  # annotations only: imported here, every function that sends a message would build every model
    from connectability.models.manifests import FileCheck, StoredObject
    from connectability.models.notifications import NotificationEvent
    from connectability.models.sync import CopyJob, InitialSyncPage, ManifestsDue, ReconcilePage
    from connectability.models.webhooks import DeliveryJob

BATCH = 10  # SendMessageBatch takes at most ten entries
ATTEMPTS = 3


def send_notification(event: NotificationEvent) -> None:
    """An event for the notify function to mail."""
    aws.sqs().send_message(QueueUrl=get_settings().notifications_queue_url, MessageBody=event.model_dump_json())


def send_file_check(check: FileCheck) -> None:
    """A file too large to hash within its request, for the file check to hash."""
    aws.sqs().send_message(QueueUrl=get_settings().file_checks_queue_url, MessageBody=check.model_dump_json())


def send_copy_jobs(jobs: Sequence[CopyJob]) -> None:
    """Ten per call; entries SQS refused are sent again, and an error is raised if some still fail (the
    caller's message is then retried whole: a job sent twice is harmless, sync_copy is idempotent)."""
    url = get_settings().copy_jobs_queue_url
    for start in range(0, len(jobs), BATCH):
        _send_batch(url, [j.model_dump_json() for j in jobs[start : start + BATCH]])


def send_webhook_deliveries(jobs: Sequence[DeliveryJob]) -> None:
    """One message per endpoint and event (R45), ten per call."""
    bodies = [j.model_dump_json() for j in jobs]
    for start in range(0, len(bodies), BATCH):
        _send_batch(get_settings().webhook_deliveries_queue_url, bodies[start : start + BATCH])


def send_initial_sync_page(page: InitialSyncPage) -> None:
    aws.sqs().send_message(QueueUrl=get_settings().initial_sync_pages_queue_url, MessageBody=page.model_dump_json())


def send_reconcile_page(page: ReconcilePage) -> None:
    aws.sqs().send_message(QueueUrl=get_settings().reconcile_pages_queue_url, MessageBody=page.model_dump_json())


def send_manifests_due(messages: Sequence[ManifestsDue]) -> None:
    """Ten per call; raises if some are still refused after ATTEMPTS (their duties stay for the relay)."""
    bodies = [m.model_dump_json() for m in messages]
    for start in range(0, len(bodies), BATCH):
        _send_batch(get_settings().manifests_due_queue_url, bodies[start : start + BATCH])


def send_digest_checks(connection_ids: Sequence[str], delay_seconds: int) -> None:
    """One delayed check per connection with news, in batches of ten."""
    from connectability.models.sync import DigestCheck

    bodies = [DigestCheck(connection_id=c).model_dump_json() for c in connection_ids]
    for start in range(0, len(bodies), BATCH):
        _send_batch(get_settings().digest_checks_queue_url, bodies[start : start + BATCH], delay_seconds)


def park_manifest_event(stored: StoredObject, reason: str) -> None:
    """Park the event of a manifest no retry can read in the sync-events DLQ (alarmed), with the reason beside it:
    an S3 event naming that one object, as S3 sent it, so a redrive hands it to the fan-out again."""
    record = {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": stored.bucket},
            "object": {
                "key": quote_plus(stored.key, safe="/"),
                **({"versionId": stored.version_id} if stored.version_id else {}),
                **({"size": stored.size} if stored.size is not None else {}),
            },
        },
    }
    aws.sqs().send_message(
        QueueUrl=get_settings().sync_events_dlq_url,
        MessageBody=json.dumps({"Records": [record]}),
        MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:1000]}},
    )


def queue_name(url_or_arn: str) -> str:
    """A queue's name, from its URL or its ARN."""
    return re.split(r"[/:]", url_or_arn)[-1]


def _send_batch(url: str, bodies: list[str], delay_seconds: int = 0) -> None:
    entries = [{"Id": str(n), "MessageBody": b, "DelaySeconds": delay_seconds} for n, b in enumerate(bodies)]
    for _ in range(ATTEMPTS):
        answer = aws.sqs().send_message_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]
        failed = {f["Id"] for f in answer.get("Failed", [])}
        entries = [e for e in entries if e["Id"] in failed]
        if not entries:
            return
    raise ClientError(
        {"Error": {"Code": "BatchEntriesFailed", "Message": f"{len(entries)} messages not accepted"}},
        "SendMessageBatch",
    )


def dead_letters() -> int:
    """Messages waiting in the sync pipeline's dead-letter queues, all connections together."""
    settings, total = get_settings(), 0
    for url in (settings.sync_events_dlq_url, settings.copy_jobs_dlq_url):
        if url:
            attributes = aws.sqs().get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            total += int(attributes["Attributes"].get("ApproximateNumberOfMessages", 0))
    return total


def retry_soon(queue_url: str, receipt_handle: str, seconds: int) -> None:
    """A message that failed only for now comes back after `seconds`, not after the queue's whole visibility
    timeout (the function's six times over)."""
    aws.sqs().change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)
