"""Sync (R17, R19-R30, R34-R36): every published upstream revision copied into each connected downstream project.

A manifest's S3 event reaches `fan_out`, which sends one copy job per active connection of the upstream; `copy`
copies the file server-side into the downstream company's bucket and writes the downstream drawing and revision
in one transaction, conditioned on the connection being active and on the state it read (see db.sync). So a
duplicate, late or reordered event changes nothing, and work in flight at a disconnect writes nothing.
An initial sync pages through the upstream's published revisions into the same copy path; news for the
downstream's Drawings admins is counted and mailed as one digest per burst.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from connectability import queues, storage
from connectability.config import get_settings
from connectability.db import connections as connections_db
from connectability.db import drawings as drawings_db
from connectability.db import outbox as outbox_db
from connectability.db import sync as db
from connectability.db.base import Item
from connectability.db.connections import ConnectionItem
from connectability.db.drawings import AreaItem, DisciplineItem, SetItem, name_key, record_key
from connectability.db.sync import CopyWrite, Downstream, Written
from connectability.domain import notifications
from connectability.domain.drawing_views import revision_views
from connectability.domain.manifests import manifest_of
from connectability.models.common import utcnow
from connectability.models.drawings import RevisionManifest, RevisionState
from connectability.models.notifications import EventType, Side
from connectability.models.sync import CopyJob, InitialSyncPage, sync_message
from connectability.observability import logger, metrics

PAGE = 100  # upstream revisions per initial-sync page
ATTEMPTS = 5  # reads and writes of one copy before it is left to SQS to try again
SYNC_USER = "connectability-sync"


class CopyRaced(Exception):
    """The downstream kept changing under this copy; SQS delivers the job again later."""


# -- the sync-events queue ------------------------------------------------------------------------------------
def handle_sync_event(body: str) -> int:
    """One message of the sync-events queue: S3's manifest events, or our own initial-sync page or digest
    check. Answers how many copy jobs it sent."""
    data = json.loads(body)
    if isinstance(data, dict) and data.get("Event") == "s3:TestEvent":
        return 0  # sent once when a bucket's notifications are set up
    if isinstance(data, dict) and "kind" in data:
        message = sync_message.validate_python(data)
        if isinstance(message, InitialSyncPage):
            return enqueue_initial_page(message)
        check_digest(message.connection_id)
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
    jobs = [_job(c, manifest) for c in connections_db.active_downstreams(manifest.project_id)]
    queues.send_copy_jobs(jobs)
    logger.info("manifest fanned out", extra={"key": key, "version": manifest.version, "jobs": len(jobs)})
    return len(jobs)


def _job(connection: ConnectionItem, manifest: RevisionManifest, initial: bool = False) -> CopyJob:
    return CopyJob(
        connection_id=connection.connection_id,
        downstream_project_id=connection.downstream_project_id,
        downstream_company_id=connection.downstream_company_id,
        initial=initial,
        manifest=manifest,
    )


# -- copying --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Copied:
    """What one copy job did, for the batch's follow-ups: a digest check, an initial-sync progress check."""

    connection_id: str
    written: bool = False
    news: bool = False
    initial: bool = False
    file_copied: bool = False


def connected_id(prefix: str, connection_id: str, upstream_id: str) -> str:
    """The downstream id of an upstream drawing, revision or area: the same for every copy of it, so copies
    converge on one item however often and in whatever order they come."""
    digest = hashlib.sha256(f"{connection_id}/{upstream_id}".encode()).hexdigest()[:26]
    return f"{prefix}_{digest}"


def copy(job: CopyJob) -> Copied:
    """Bring one upstream revision's manifest into one downstream project (R19-R28)."""
    m, connection_id, project_id = job.manifest, job.connection_id, job.downstream_project_id
    revision_id = connected_id("rev", connection_id, m.revision_id)
    drawing_id = connected_id("drw", connection_id, m.drawing_id)
    records = _records(job)
    copied: tuple[str, str] | None = None  # (key, version) of a file copied by an earlier attempt
    for _ in range(ATTEMPTS):
        seen = db.read_downstream(
            connection_id, project_id, revision_id, drawing_id, m.revision_id, [r.sk for r in records]
        )
        if seen.connection is None or seen.connection.status != "active":
            return _refused(job, copied)
        revision = seen.revision
        if revision is not None and int(revision.synced_version or 0) >= m.version:
            return _count_initial(job, seen, revision_id)  # a duplicate or a late event: nothing newer to write
        drawing_gone = seen.drawing is not None and bool(seen.drawing.deleted)
        if revision is None and (m.deleted or drawing_gone):
            return _count_initial(job, seen, revision_id)  # never had it, and it is gone upstream: nothing to keep
        if copied is None and (revision is None or revision.sha256 != m.file.sha256):
            copied = _copy_file(job)
        write = _write(job, seen, revision_id, drawing_id, records, copied)
        outcome = db.write_copy(write)
        if outcome is Written.applied:
            metrics.add_metric(name="SyncCopiesWritten", unit="Count", value=1)
            return Copied(
                connection_id,
                written=True,
                news=write.news_at is not None,
                initial=job.initial,
                file_copied=copied is not None,
            )
        if outcome is Written.disconnected:
            return _refused(job, copied)
    raise CopyRaced(f"downstream revision {revision_id} kept changing; left for a retry")


def _copy_file(job: CopyJob) -> tuple[str, str]:
    f = job.manifest.file
    bucket = storage.bucket_name(job.downstream_company_id)
    key = storage.connected_key(job.connection_id, job.manifest.revision_id)
    version = storage.copy_file(f.bucket, f.key, f.version_id, f.size, bucket, key)
    metrics.add_metric(name="SyncFilesCopied", unit="Count", value=1)
    return key, version


def _refused(job: CopyJob, copied: tuple[str, str] | None) -> Copied:
    """The connection is not active (R17): nothing was written, and a file copied for it is taken back."""
    if copied is not None:
        try:
            storage.delete_version(storage.bucket_name(job.downstream_company_id), *copied)
        except (BotoCoreError, ClientError):
            logger.exception("orphan copy left in the downstream bucket", extra={"key": copied[0]})
    logger.info("copy dropped: the connection is not active", extra={"connection_id": job.connection_id})
    return Copied(job.connection_id)


def _count_initial(job: CopyJob, seen: Downstream, revision_id: str) -> Copied:
    if job.initial and not seen.initial_counted:
        db.count_initial(job.connection_id, job.manifest.revision_id, db.shard_of(revision_id))
    return Copied(job.connection_id, initial=job.initial)


def _records(job: CopyJob) -> list[Item]:
    """The connected area, discipline and set records this manifest describes, stamped with its read time."""
    m, pk = job.manifest, f"PROJECT#{job.downstream_project_id}"
    at = m.read_at or m.written_at
    found: list[Item] = []
    if m.area is not None:
        area_id = connected_id("area", job.connection_id, m.area.id)
        found.append(
            AreaItem(
                pk,
                f"AREA#{area_id}",
                area_id=area_id,
                name=m.area.name,
                description=m.area.description,
                connection_id=job.connection_id,
                read_at=at,
            )
        )
    key = record_key(name_key(m.discipline.name), job.connection_id)
    found.append(
        DisciplineItem(pk, f"DISCIPLINE#{key}", name=m.discipline.name, position=m.discipline.position, read_at=at)
    )
    if m.drawing_set is not None:
        key = record_key(name_key(m.drawing_set.name), job.connection_id)
        found.append(
            SetItem(pk, f"SET#{key}", name=m.drawing_set.name, date=m.drawing_set.date.isoformat(), read_at=at)
        )
    return found


_RECORD_FIELDS = {AreaItem: ("name", "description"), DisciplineItem: ("name", "position"), SetItem: ("name", "date")}


def _changed_records(records: list[Item], seen: Downstream) -> list[Item]:
    """Only records that differ from what is there and are newer: an older manifest never undoes a rename."""
    changed = []
    for record in records:
        there = seen.records.get(record.sk)
        if there is None:
            changed.append(record)
            continue
        fields = _RECORD_FIELDS[type(record)]
        differs = any(getattr(there, f) != getattr(record, f) for f in fields)
        newer = there.read_at is None or there.read_at < record.read_at  # type: ignore[attr-defined]
        if differs and newer:
            changed.append(record)
    return changed


def _write(
    job: CopyJob,
    seen: Downstream,
    revision_id: str,
    drawing_id: str,
    records: list[Item],
    copied: tuple[str, str] | None,
) -> CopyWrite:
    m, now = job.manifest, utcnow()
    area_id = connected_id("area", job.connection_id, m.area.id) if m.area else None
    discipline_key = name_key(m.discipline.name)
    synced: dict[str, object] = {
        "title": m.title,
        "revision_number": m.revision_number,
        "status": m.status,
        "drawing_date": m.drawing_date.isoformat() if m.drawing_date else None,
        "received_date": m.received_date.isoformat() if m.received_date else None,
        "set_key": name_key(m.drawing_set.name) if m.drawing_set else None,
        "discipline_key": discipline_key,
        "area_id": area_id,
        "obsolete": m.obsolete,
        "synced_version": m.version,
    }
    if copied is not None:
        synced |= {
            "bucket": storage.bucket_name(job.downstream_company_id),
            "file_key": copied[0],
            "file_version": copied[1],
            "content_type": m.file.content_type,
            "size": m.file.size,
            "sha256": m.file.sha256,
            "file_state": "ready",
        }
    counts: dict[str, int] = {}
    news = False
    if seen.revision is None:
        synced |= {
            "revision_id": revision_id,
            "drawing_id": drawing_id,
            "project_id": job.downstream_project_id,
            "company_id": job.downstream_company_id,
            "seq": m.seq,
            "number": m.number,
            "state": RevisionState.pending_review.value,
            "connected": True,
            "source_connection_id": job.connection_id,
            "source_revision_id": m.revision_id,
            "created_by": SYNC_USER,
            "created_at": now,
            "gsi1pk": f"DRAWING#{drawing_id}",
            "gsi1sk": f"REV#{m.seq:06d}",
            **db.review_keys(job.downstream_project_id, name_key(m.number), m.seq, revision_id),
        }
        news = not job.initial
    elif m.deleted:
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        synced |= {
            "state": RevisionState.deleted.value,
            "deleted_at": now,
            "gsi2pk": f"PROJECT#{job.downstream_project_id}#DELETED",
            "gsi2sk": f"{stamp}#{revision_id}",
        }
    drawing: dict[str, object] = {}
    if seen.drawing is None:
        drawing = {
            "drawing_id": drawing_id,
            "project_id": job.downstream_project_id,
            "company_id": job.downstream_company_id,
            "number": m.number,
            "connected": True,
            "source_connection_id": job.connection_id,
            "deleted": False,
        }
    if m.deleted and seen.drawing is not None and not seen.drawing.deleted:
        drawing["deleted"] = True  # off the register (R28); its areas stay
        counts["news_deleted"] = 1
        news = True
    elif seen.drawing is None or seen.drawing.current_revision_id == revision_id:
        drawing |= {"title": m.title, "obsolete": m.obsolete, "discipline_key": discipline_key, "area_id": area_id}
    if news and seen.revision is None:
        counts["news_published"] = 1
    return CopyWrite(
        connection_id=job.connection_id,
        project_id=job.downstream_project_id,
        revision_id=revision_id,
        drawing_id=drawing_id,
        upstream_revision_id=m.revision_id,
        revision=synced,
        revision_seen=seen.revision,
        drawing=drawing,
        drawing_seen=seen.drawing,
        records=_changed_records(records, seen),
        counts=counts,
        count_initial=job.initial and not seen.initial_counted,
        shard=db.shard_of(revision_id),
        news_at=time.time() if news else None,
    )


def after_copies(done: Iterable[Copied]) -> None:
    """The batch's follow-ups: one delayed digest check per connection with news, progress of initial syncs."""
    done = list(done)
    with_news = sorted({c.connection_id for c in done if c.news})
    if with_news:
        queues.send_digest_checks(with_news, get_settings().sync_digest_quiet_seconds)
    for connection_id in sorted({c.connection_id for c in done if c.initial}):
        finish_initial_sync(connection_id)


# -- the initial sync (R29) -----------------------------------------------------------------------------------
def initial_sync_duty(connection_id: str) -> outbox_db.OutboxItem:
    """The first page of a connection's initial sync, to commit with the change that makes it active."""
    page = InitialSyncPage(connection_id=connection_id)
    return outbox_db.sync_message(f"init-{connection_id}", page.model_dump_json(), utcnow())


def dispatch(duty: outbox_db.OutboxItem) -> bool:
    """Send a committed sync message and clear its outbox record; on failure the relay sends it later."""
    try:
        queues.send_sync_message(sync_message.validate_json(duty.body))
    except (BotoCoreError, ClientError):
        logger.exception("sync message not queued yet", extra={"event_id": duty.event_id})
        return False
    outbox_db.sent(duty)
    return True


def enqueue_initial_page(page: InitialSyncPage) -> int:
    """Enqueue one page of copy jobs, count them into the total, then ask for the next page (R29).

    The connection's cursor makes each page count once: a page delivered again after its count finds the
    cursor moved on, and only makes sure the next page was asked for (it may have died before asking).
    """
    connection = connections_db.get_connection(page.connection_id)
    if connection is None or connection.status != "active" or connection.initial_sync_status != "running":
        return 0
    if connection.initial_sync_pages_done:
        finish_initial_sync(page.connection_id)
        return 0
    revisions, next_cursor = db.published_page(connection.upstream_project_id, page.cursor, PAGE)
    if (connection.initial_sync_cursor or "") != page.cursor:
        if next_cursor is not None and connection.initial_sync_cursor == next_cursor:
            queues.send_sync_message(InitialSyncPage(connection_id=page.connection_id, cursor=next_cursor))
        return 0
    jobs = [_job(connection, m, initial=True) for m in _manifests(connection.upstream_project_id, revisions)]
    queues.send_copy_jobs(jobs)
    if db.record_initial_page(page.connection_id, page.cursor, next_cursor, len(jobs)):
        if next_cursor is None:
            finish_initial_sync(page.connection_id)
        else:
            queues.send_sync_message(InitialSyncPage(connection_id=page.connection_id, cursor=next_cursor))
    logger.info("initial sync page enqueued", extra={"connection_id": page.connection_id, "jobs": len(jobs)})
    return len(jobs)


def _manifests(project_id: str, revisions: list[drawings_db.RevisionItem]) -> list[RevisionManifest]:
    """Manifests of published revisions, from their state now and the version they last wrote. One whose
    first manifest is still on its way is left to that manifest's own event, which reaches this connection."""
    written = [r for r in revisions if int(r.manifest_version or 0) > 0]
    if not written:
        return []
    read_at = utcnow()
    drawings = drawings_db.get_drawings(project_id, {r.drawing_id for r in written}, consistent=True)
    views = {v.id: v for v in revision_views(project_id, written, consistent=True)}
    return [manifest_of(r, drawings[r.drawing_id], views[r.revision_id], read_at) for r in written]


def initial_progress(connection: ConnectionItem) -> int:
    """How many revisions of a running initial sync are in the downstream so far (copied of total)."""
    if connection.initial_sync_status != "running":
        return int(connection.initial_sync_copied or 0)
    return sum(int(s.initial_copied or 0) for s in db.counter_shards(connection.connection_id))


def finish_initial_sync(connection_id: str) -> bool:
    """Once every page is enqueued and every job done, the initial sync is complete, announced once (R34)."""
    connection = connections_db.get_connection(connection_id)
    if connection is None or connection.initial_sync_status != "running" or not connection.initial_sync_pages_done:
        return False
    total = int(connection.initial_sync_total or 0)
    if initial_progress(connection) < total:
        return False
    announce = notifications.prepare(EventType.initial_sync_complete, connection, [Side.downstream], count=total)
    if not db.complete_initial_sync(connection_id, total, [announce.record]):
        return False
    notifications.dispatch(announce)
    logger.info("initial sync complete", extra={"connection_id": connection_id, "total": total})
    return True


# -- digests of news (R35, R36, R39) --------------------------------------------------------------------------
def check_digest(connection_id: str) -> bool:
    """Mail the news counted for a connection once none came for the quiet period: one message per burst,
    whatever its size, saying how many. A later check (from a later copy) covers news still arriving."""
    shards = [s for s in db.counter_shards(connection_id) if s.news_published or s.news_deleted]
    if not shards:
        return False
    quiet = get_settings().sync_digest_quiet_seconds
    if time.time() - max(float(s.last_news_at or 0) for s in shards) < quiet - 0.5:
        return False
    connection = connections_db.get_connection(connection_id)
    if connection is None:
        return False
    published = sum(int(s.news_published or 0) for s in shards)
    deleted = sum(int(s.news_deleted or 0) for s in shards)
    mails = []
    if published > 0:
        mails.append(
            notifications.prepare(EventType.drawings_published, connection, [Side.downstream], count=published)
        )
    if deleted > 0:
        mails.append(notifications.prepare(EventType.drawings_deleted, connection, [Side.downstream], count=deleted))
    generation = db.digest_generation(connection_id)
    if not db.close_digest(connection_id, generation, shards, [m.record for m in mails]):
        return False
    for mail in mails:
        notifications.dispatch(mail)
    return True
