"""The sync-events queue (DESIGN: sync_fanout): S3's manifest events become one copy job per active connection
of the upstream project; the same queue carries our own initial-sync and reconcile pages, digest checks, and
the manifests of a change too big to write them in its request."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

from connectability import queues, storage
from connectability.db import connections as connections_db
from connectability.db.rows import ConnectionRow
from connectability.domain import digests, initial_sync, manifests, reconcile
from connectability.models.sync import CopyJob, InitialSyncPage, ManifestsDue, ReconcilePage, copy_job, sync_message
from connectability.observability import logger


class FanOut:
    """One batch of manifest events: each upstream project's active connections are read once, and the copy
    jobs of the whole batch are sent together, ten per call, by `send`.

    Reading once per batch loses no connection: every manifest of the batch was written before the first read,
    so a connection approved after it gets those revisions from its initial sync, which reads the upstream
    after the approval. The jobs are sent after the batch; if that fails, the whole batch comes back (a job
    sent twice is harmless: copies are idempotent)."""

    def __init__(self) -> None:
        self._downstreams: dict[str, list[ConnectionRow]] = {}
        self.jobs: list[CopyJob] = []

    def downstreams(self, project_id: str) -> list[ConnectionRow]:
        if project_id not in self._downstreams:
            self._downstreams[project_id] = connections_db.active_downstreams(project_id)
        return self._downstreams[project_id]

    def send(self) -> int:
        jobs, self.jobs = self.jobs, []
        queues.send_copy_jobs(jobs)
        return len(jobs)


def handle_sync_event(body: str, batch: FanOut | None = None) -> int:
    """One message of the sync-events queue: S3's manifest events, or our own page, digest check or manifests
    due. Answers how many copy jobs it made (a manifest's are sent with the batch's, by `batch.send`)."""
    if batch is None:
        batch = FanOut()
        made = handle_sync_event(body, batch)
        batch.send()
        return made
    data = json.loads(body)
    if isinstance(data, dict) and data.get("Event") == "s3:TestEvent":
        return 0  # sent once when a bucket's notifications are set up
    if isinstance(data, dict) and "kind" in data:
        message = sync_message.validate_python(data)
        if isinstance(message, InitialSyncPage):
            return initial_sync.enqueue_initial_page(message)
        if isinstance(message, ReconcilePage):
            return reconcile.reconcile_page(message)
        if isinstance(message, ManifestsDue):
            manifests.write_due(message)  # their own S3 events come back here and fan out
            return 0
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
            sent += fan_out(bucket, key, record["s3"]["object"].get("versionId"), batch)
        except storage.UnknownManifest as exc:
            logger.error("manifest parked in the DLQ: no retry can read it", extra={"key": key, "why": str(exc)})
            queues.dead_letter(json.dumps({"Records": [record]}), str(exc))
    return sent


def fan_out(bucket: str, key: str, version_id: str | None, batch: FanOut) -> int:
    """One copy job per active connection of the manifest's project, for the batch to send; answers how many."""
    manifest = storage.read_manifest(bucket, key, version_id)
    if storage.bucket_name(manifest.company_id) != bucket:
        raise storage.UnknownManifest(f"{key} names company {manifest.company_id}, not the owner of {bucket}")
    jobs = [copy_job(c, manifest) for c in batch.downstreams(manifest.project_id)]
    batch.jobs += jobs
    logger.info("manifest fanned out", extra={"key": key, "version": manifest.version, "jobs": len(jobs)})
    return len(jobs)
