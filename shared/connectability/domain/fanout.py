"""The fan-out (DESIGN: sync_fanout): the manifests S3 says were written become one copy job per active connection
of their upstream project."""

from __future__ import annotations

from connectability import queues, storage
from connectability.db import connections as connections_db
from connectability.db.rows import ConnectionRow
from connectability.models.manifests import StoredObject
from connectability.models.sync import CopyJob, copy_job
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


def fan_out(stored: list[StoredObject], batch: FanOut) -> int:
    """The copy jobs of the manifests among these objects (one S3 event's), for the batch to send; answers how
    many. A manifest no retry can read is parked in the dead-letter queue, and the others go on."""
    made = 0
    for manifest in stored:
        if not (manifest.key.startswith(storage.MANIFEST_PREFIX) and manifest.key.endswith(".json")):
            continue  # the buckets notify of manifests only; anything else is not ours to copy
        try:
            made += _fan_out(manifest, batch)
        except storage.UnknownManifest as exc:
            logger.error(
                "manifest parked in the DLQ: no retry can read it", extra={"key": manifest.key, "why": str(exc)}
            )
            queues.park_manifest_event(manifest, str(exc))
    return made


def _fan_out(stored: StoredObject, batch: FanOut) -> int:
    """One copy job per active connection of the manifest's project."""
    manifest = storage.read_manifest(stored.bucket, stored.key, stored.version_id)
    if storage.bucket_name(manifest.company_id) != stored.bucket:
        raise storage.UnknownManifest(
            f"{stored.key} names company {manifest.company_id}, not the owner of {stored.bucket}"
        )
    jobs = [copy_job(c, manifest) for c in batch.downstreams(manifest.project_id)]
    batch.jobs += jobs
    logger.info("manifest fanned out", extra={"key": stored.key, "version": manifest.version, "jobs": len(jobs)})
    return len(jobs)
