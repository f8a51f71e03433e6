"""The sync-events queue (DESIGN: sync_fanout): S3's manifest events become one copy job per active connection
of the upstream project; the same queue carries our own initial-sync pages and digest checks."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

from connectability import queues, storage
from connectability.db import connections as connections_db
from connectability.domain import digests, initial_sync, reconcile
from connectability.models.sync import InitialSyncPage, ReconcilePage, copy_job, sync_message
from connectability.observability import logger


def handle_sync_event(body: str) -> int:
    """One message of the sync-events queue: S3's manifest events, or our own initial-sync page or digest
    check. Answers how many copy jobs it sent."""
    data = json.loads(body)
    if isinstance(data, dict) and data.get("Event") == "s3:TestEvent":
        return 0  # sent once when a bucket's notifications are set up
    if isinstance(data, dict) and "kind" in data:
        message = sync_message.validate_python(data)
        if isinstance(message, InitialSyncPage):
            return initial_sync.enqueue_initial_page(message)
        if isinstance(message, ReconcilePage):
            return reconcile.reconcile_page(message)
        digests.check_digest(message.connection_id)
        return 0
    sent = 0
    for record in (data or {}).get("Records", []) if isinstance(data, dict) else []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        if not (key.startswith(storage.MANIFEST_PREFIX) and key.endswith(".json")):
            continue  # the buckets notify of manifests only; anything else is not ours to copy
        try:
            sent += fan_out(bucket, key, record["s3"]["object"].get("versionId"))
        except storage.UnknownManifest as exc:
            logger.error("manifest parked in the DLQ: no retry can read it", extra={"key": key, "why": str(exc)})
            queues.dead_letter(json.dumps({"Records": [record]}), str(exc))
    return sent


def fan_out(bucket: str, key: str, version_id: str | None) -> int:
    """Send one copy job per active connection of the manifest's project; answers how many."""
    manifest = storage.read_manifest(bucket, key, version_id)
    if storage.bucket_name(manifest.company_id) != bucket:
        raise storage.UnknownManifest(f"{key} names company {manifest.company_id}, not the owner of {bucket}")
    jobs = [copy_job(c, manifest) for c in connections_db.active_downstreams(manifest.project_id)]
    queues.send_copy_jobs(jobs)
    logger.info("manifest fanned out", extra={"key": key, "version": manifest.version, "jobs": len(jobs)})
    return len(jobs)
