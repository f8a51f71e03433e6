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
import time
from collections.abc import Iterable
from typing import NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from connectability import queues, storage
from connectability.config import get_settings
from connectability.db import sync as db
from connectability.db import sync_counters as counters
from connectability.db.records import Record
from connectability.db.rows import AreaRow, DisciplineRow, RevisionRow, SetRow
from connectability.db.sync import CopyWrite, Downstream, DownstreamReads, Target, Written
from connectability.domain import initial_sync
from connectability.models.common import name_key, utcnow
from connectability.models.manifests import RevisionManifest, RevisionState, ThumbnailState
from connectability.models.sync import CopyJob
from connectability.observability import logger, metrics

PAGE = 100  # upstream revisions per initial-sync page
ATTEMPTS = 5  # reads and writes of one copy before it is left to SQS to try again
SYNC_USER = "connectability-sync"


class CopyRaced(Exception):
    """The downstream kept changing under this copy; SQS delivers the job again later."""


# -- copying --------------------------------------------------------------------------------------------------
class Copied(NamedTuple):
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


def read_ahead(jobs: Iterable[CopyJob]) -> DownstreamReads:
    """What a batch of copy jobs meets, in one read for the batch instead of one per job. It is only a head
    start: if the read fails, each job reads for itself (and records its own failure, if it fails too)."""
    reads = DownstreamReads()
    try:
        reads.read(_target(job) for job in jobs)
    except (BotoCoreError, ClientError):
        logger.warning("the batch's read-ahead failed: each copy reads for itself", exc_info=True)
    return reads


def _target(job: CopyJob) -> Target:
    """What one copy job reads before it writes."""
    m, connection_id = job.manifest, job.connection_id
    return db.copy_target(
        connection_id,
        job.downstream_project_id,
        connected_id("rev", connection_id, m.revision_id),
        connected_id("drw", connection_id, m.drawing_id),
        m.revision_id,
        _records(job),
    )


def copy(job: CopyJob, redelivered: bool = False, ahead: DownstreamReads | None = None) -> Copied:
    """Bring one upstream revision's manifest into one downstream project (R19-R28). A failure is recorded for
    the connection's status (R40), readable, and raised again so SQS retries the job (then its DLQ)."""
    try:
        return _copy(job, look_first=redelivered or job.repair, ahead=ahead or DownstreamReads())
    except Exception as exc:
        error = _readable(exc)
        logger.exception("copy failed", extra={"connection_id": job.connection_id, "error": error})
        metrics.add_metric(name="SyncCopyFailures", unit="Count", value=1)
        revision_id = connected_id("rev", job.connection_id, job.manifest.revision_id)
        counters.record_failure(job.connection_id, job.manifest.revision_id, revision_id, error, utcnow())
        raise


def _readable(exc: Exception) -> str:
    """What went wrong, in words an operator can act on (the log has the traceback)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "an AWS call")
        return f"{operation} was refused: {error.get('Code', '?')} ({error.get('Message', '')})"
    if isinstance(exc, CopyRaced):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _copy(job: CopyJob, look_first: bool, ahead: DownstreamReads) -> Copied:
    """Read, copy the file if the downstream lacks these bytes, write; again while the downstream changes.
    A file this attempt copied but did not use (refused, or written by another meanwhile) is taken back; after
    an error it is kept for the retry."""
    m, connection_id, project_id = job.manifest, job.connection_id, job.downstream_project_id
    revision_id = connected_id("rev", connection_id, m.revision_id)
    drawing_id = connected_id("drw", connection_id, m.drawing_id)
    records = _records(job)
    target = db.copy_target(connection_id, project_id, revision_id, drawing_id, m.revision_id, records)
    copied: tuple[str, str] | None = None  # (key, version) of the file for this revision
    drawn: tuple[str, str] | None = None  # (key, version) of its thumbnail, when the manifest brings a new one
    made: list[tuple[str, str]] = []  # copies this attempt made that no write refers to yet
    try:
        for attempt in range(ATTEMPTS):
            seen = (ahead.view(target) if attempt == 0 else None) or db.read_downstream(target)
            if seen.connection is None or seen.connection.status != "active":
                return _refused(job)
            revision = seen.revision
            if revision is not None and int(revision.synced_version or 0) >= m.version:
                return _nothing_to_write(job, seen, revision_id, look_first)  # a duplicate or a late event
            drawing_gone = seen.drawing is not None and bool(seen.drawing.deleted)
            if revision is None and drawing_gone and not m.deleted:
                return _nothing_to_write(job, seen, revision_id, look_first)  # its delete is on its way
            if copied is not None and revision is not None and revision.sha256 == m.file.sha256:
                _keep_theirs(copied, (revision.file_key, revision.file_version), job, made)
                copied = None
            if drawn is not None and revision is not None and not _new_thumbnail(m, revision):
                _keep_theirs(drawn, (revision.thumbnail_key, revision.thumbnail_version), job, made)
                drawn = None
            if copied is None and (revision is None or revision.sha256 != m.file.sha256):
                copied, made_file = _copy_file(job, look_first)
                made += [copied] if made_file else []
            if drawn is None and _new_thumbnail(m, revision):
                drawn, made_thumbnail = _copy_thumbnail(job, look_first)
                made += [drawn] if made_thumbnail else []
            write = _write(job, seen, revision_id, drawing_id, records, copied, drawn)
            outcome = db.write_copy(write)
            ahead.wrote(write, applied=outcome is Written.applied)
            if outcome is Written.applied:
                made.clear()
                metrics.add_metric(name="SyncCopiesWritten", unit="Count", value=1)
                metrics.add_metric(name="SyncLagSeconds", unit="Seconds", value=write.lag or 0.0)
                return Copied(
                    connection_id,
                    written=True,
                    news=write.news_at is not None,
                    initial=job.initial,
                    file_copied=copied is not None,
                )
            if outcome is Written.disconnected:
                return _refused(job)
        raise CopyRaced(f"downstream revision {revision_id} kept changing; left for a retry")
    except BaseException:
        made.clear()  # the job comes again, and its retry finds this copy (no file copied twice)
        raise
    finally:
        for taken in made:
            _take_back(job, taken)


def _keep_theirs(
    ours: tuple[str, str], theirs: tuple[str | None, str | None], job: CopyJob, made: list[tuple[str, str]]
) -> None:
    """Read again after a lost write, the downstream revision already holds these very bytes: another copy of it
    wrote first (from another manifest of the same file, side by side with this one). Its copy stays, and the one
    this attempt made is taken back now, or it would stay behind unreferenced once this write lands."""
    if ours in made and ours != theirs:
        made.remove(ours)
        _take_back(job, ours)


def _copy_file(job: CopyJob, look_first: bool) -> tuple[tuple[str, str], bool]:
    """Copy the file, unless this is a retry or a repair and an earlier attempt copied these very bytes (it died
    before its write): then that copy is used, so no file is copied twice. A first attempt does not look.
    Answers the copy's (key, version) and whether this call made it."""
    f = job.manifest.file
    bucket = storage.bucket_name(job.downstream_company_id)
    key = storage.connected_key(job.connection_id, job.manifest.revision_id)
    if look_first and (version := storage.copied_version(bucket, key, f.sha256)) is not None:
        return (key, version), False
    version = storage.copy_file(f.bucket, f.key, f.version_id, f.size, bucket, key, f.sha256, f.content_type)
    metrics.add_metric(name="SyncFilesCopied", unit="Count", value=1)
    return (key, version), True


def _new_thumbnail(m: RevisionManifest, revision: RevisionRow | None) -> bool:
    """The manifest brings a thumbnail the downstream copy does not hold yet."""
    thumbnail = m.thumbnail
    if thumbnail is None or thumbnail.state is not ThumbnailState.ready or not thumbnail.key:
        return False
    return revision is None or revision.thumbnail_source != thumbnail.version_id


def _copy_thumbnail(job: CopyJob, look_first: bool) -> tuple[tuple[str, str], bool]:
    """Copy the upstream's thumbnail beside the copied file (a retry uses the copy an earlier attempt made);
    answers the copy's (key, version) and whether this call made it."""
    thumbnail, bucket = job.manifest.thumbnail, storage.bucket_name(job.downstream_company_id)
    assert thumbnail is not None
    assert thumbnail.key
    assert thumbnail.version_id is not None
    key = storage.connected_thumbnail_key(job.connection_id, job.manifest.revision_id)
    if look_first and (version := storage.copied_thumbnail(bucket, key, thumbnail.version_id)) is not None:
        return (key, version), False
    version = storage.copy_thumbnail(job.manifest.file.bucket, thumbnail.key, thumbnail.version_id, bucket, key)
    return (key, version), True


def _refused(job: CopyJob) -> Copied:
    """The connection is not active (R17): nothing was written (a file copied for it is taken back)."""
    logger.info("copy dropped: the connection is not active", extra={"connection_id": job.connection_id})
    return Copied(job.connection_id)


def _take_back(job: CopyJob, copied: tuple[str, str]) -> None:
    try:
        storage.delete_version(storage.bucket_name(job.downstream_company_id), *copied)
    except (BotoCoreError, ClientError):
        logger.exception("an unused copy stays in the downstream bucket", extra={"key": copied[0]})


def _nothing_to_write(job: CopyJob, seen: Downstream, revision_id: str, again: bool) -> Copied:
    """The downstream is already right: an initial-sync job still counts as done, an old failure is over. A job
    delivered again may have written its news on the attempt that died before asking for the digest, so it
    asks (a check with no news sends nothing)."""
    if job.initial and not seen.initial_counted:
        counters.count_initial(job.connection_id, job.manifest.revision_id, revision_id)
    if seen.failure is not None:
        counters.clear_failure(job.connection_id, job.manifest.revision_id, revision_id)
    return Copied(job.connection_id, news=again, initial=job.initial)


def _records(job: CopyJob) -> list[Record]:
    """The connected area, discipline and set records this manifest describes, stamped with its read time."""
    m = job.manifest
    at = m.read_at or m.written_at
    found: list[Record] = []
    if m.area is not None:
        area_id = connected_id("area", job.connection_id, m.area.id)
        found.append(
            AreaRow(
                area_id=area_id,
                name=m.area.name,
                description=m.area.description,
                connection_id=job.connection_id,
                read_at=at,
            )
        )
    found.append(DisciplineRow(name=m.discipline.name, position=m.discipline.position, read_at=at))
    if m.drawing_set is not None:
        found.append(SetRow(name=m.drawing_set.name, date=m.drawing_set.date.isoformat(), read_at=at))
    return found


_STATE_COUNTER = {"pending_review": "pending_review", "published": "published_downstream"}
_RECORD_FIELDS = {AreaRow: ("name", "description"), DisciplineRow: ("name", "position"), SetRow: ("name", "date")}


def _changed_records(job: CopyJob, records: list[Record], seen: Downstream) -> list[Record]:
    """Only records that differ from what is there and are newer: an older manifest never undoes a rename."""
    changed = []
    for record in records:
        there = seen.record(job.downstream_project_id, job.connection_id, record)
        if there is None:
            changed.append(record)
            continue
        fields = _RECORD_FIELDS[type(record)]
        differs = any(getattr(there, f) != getattr(record, f) for f in fields)
        newer = there.read_at is None or (record.read_at is not None and there.read_at < record.read_at)
        if differs and newer:
            changed.append(record)
    return changed


def _write(
    job: CopyJob,
    seen: Downstream,
    revision_id: str,
    drawing_id: str,
    records: list[Record],
    copied: tuple[str, str] | None,
    drawn: tuple[str, str] | None,
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
    synced |= _thumbnail_fields(m, seen.revision, drawn)
    counts: dict[str, int] = {}
    news, moment = False, time.time()
    deleted = {"state": RevisionState.deleted.value, "deleted_at": now}
    if seen.revision is None:
        synced |= {
            "revision_id": revision_id,
            "drawing_id": drawing_id,
            "project_id": job.downstream_project_id,
            "company_id": job.downstream_company_id,
            "seq": m.seq,
            "number": m.number,
            "connected": True,
            "source_connection_id": job.connection_id,
            "source_revision_id": m.revision_id,
            "source_project_id": m.project_id,
            "source_company_id": m.company_id,
            "created_by": SYNC_USER,
            "created_at": now,
        }
        if m.deleted:
            # published and deleted upstream before it arrived: kept for the Deleted report, as in order (R28)
            synced |= deleted
        else:
            synced["state"] = RevisionState.pending_review.value
            counts |= {"copied": 1, "pending_review": 1}
            if not job.initial:
                counts["news_published"], news = 1, True
    elif m.deleted and seen.revision.state in _STATE_COUNTER:
        counts |= {"copied": -1, _STATE_COUNTER[seen.revision.state]: -1}
        synced |= deleted
    drawing: dict[str, object] = {}
    if seen.drawing is None:
        drawing = {
            "drawing_id": drawing_id,
            "project_id": job.downstream_project_id,
            "company_id": job.downstream_company_id,
            "number": m.number,
            "connected": True,
            "source_connection_id": job.connection_id,
            "source_project_id": m.project_id,
            "source_company_id": m.company_id,
            "deleted": m.deleted,
        }
    if m.deleted and seen.drawing is not None and not seen.drawing.deleted:
        drawing["deleted"] = True  # off the register (R28); its areas stay
        counts["news_deleted"], news = 1, True
    elif seen.drawing is None or seen.drawing.current_revision_id == revision_id:
        drawing |= {"title": m.title, "obsolete": m.obsolete, "discipline_key": discipline_key, "area_id": area_id}
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
        records=_changed_records(job, records, seen),
        counts=counts,
        count_initial=job.initial and not seen.initial_counted,
        news_at=moment if news else None,
        synced_at=moment,
        lag=max(0.0, moment - (m.read_at or m.written_at).timestamp()),
        clear_failure=seen.failure is not None,
    )


def _thumbnail_fields(
    m: RevisionManifest, revision: RevisionRow | None, drawn: tuple[str, str] | None
) -> dict[str, object]:
    """The copy's thumbnail: the one copied for it, or why the upstream has none; unchanged otherwise."""
    thumbnail = m.thumbnail
    if drawn is not None and thumbnail is not None:
        return {
            "thumbnail_state": ThumbnailState.ready.value,
            "thumbnail_key": drawn[0],
            "thumbnail_version": drawn[1],
            "thumbnail_width": thumbnail.width,
            "thumbnail_height": thumbnail.height,
            "thumbnail_reason": None,
            "thumbnail_source": thumbnail.version_id,
        }
    if thumbnail is None or thumbnail.state is not ThumbnailState.unavailable:
        return {}
    if revision is None or revision.thumbnail_state != ThumbnailState.unavailable.value:
        return {"thumbnail_state": ThumbnailState.unavailable.value, "thumbnail_reason": thumbnail.reason}
    return {}


def after_copies(done: Iterable[Copied]) -> None:
    """The batch's follow-ups: one delayed digest check per connection with news, progress of initial syncs."""
    done = list(done)
    with_news = sorted({c.connection_id for c in done if c.news})
    if with_news:
        queues.send_digest_checks(with_news, get_settings().sync_digest_quiet_seconds)
    for connection_id in sorted({c.connection_id for c in done if c.initial}):
        initial_sync.finish_initial_sync(connection_id)
