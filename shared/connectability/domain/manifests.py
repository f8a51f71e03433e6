"""Manifests: one small JSON object per published revision, written after every change to it, whose S3 event is
the one trigger of sync (R19-R20, R25, R28).

A change records the manifests it owes before it starts (the outbox) and writes them after, so a failure midway,
a dead function or a refusing S3 leaves records the outbox relay finishes from the state as it then is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from connectability import aws, queues, storage
from connectability.db import drawings as db
from connectability.db import outbox as outbox_db
from connectability.db import records as records_db
from connectability.db.base import Found, read_items
from connectability.db.rows import DrawingRow, RevisionRow, RowRecords
from connectability.domain.ids import new_id
from connectability.domain.record_views import area_view, as_date, discipline_view, set_view, thumbnail_fields
from connectability.errors import ConnectabilityError
from connectability.models.common import utcnow
from connectability.models.manifests import (
    ManifestFile,
    ManifestThumbnail,
    RevisionManifest,
    RevisionState,
    ThumbnailState,
)
from connectability.models.sync import ManifestsDue
from connectability.observability import logger, metrics


class Due:
    """What a change tells the manifests that follow it: the revisions whose version it took in its own write."""

    def __init__(self) -> None:
        self.versions_taken: set[str] = set()

    def took_versions(self, revisions: Iterable[RevisionRow]) -> None:
        self.versions_taken |= {r.revision_id for r in revisions}


@contextmanager
def manifests_follow(project_id: str, revisions: Iterable[RevisionRow]) -> Iterator[Due]:
    """Record that these revisions' manifests are due, make the change, then write them.

    If the change fails midway, the function dies, or S3 refuses, the records stay and the outbox relay
    writes the manifests later from the state as it then is: a manifest written twice only gains a version.
    """
    due = Due()
    candidates = list({r.revision_id: r for r in revisions if not r.connected})
    if not candidates:
        yield due
        return
    duties = outbox_db.intend_manifests(project_id, candidates, lambda: new_id("mfs"), utcnow())
    try:
        yield due
    except ConnectabilityError:
        outbox_db.done(duties)  # refused: nothing changed, nothing to tell
        raise
    if len(candidates) <= WRITERS:  # one wave of writes
        write_manifests(project_id, duties, due.versions_taken)
    else:
        hand_off(project_id, duties, due.versions_taken)


def hand_off(project_id: str, duties: list[outbox_db.Duty], versions_taken: Collection[str]) -> None:
    """More manifests than one wave of writes are written by sync_fanout from the manifests-due queue, one message per
    duty, so a set of thousands answers in seconds and its duties are written side by side; if the messages
    cannot be sent, the outbox relay writes them."""
    messages = [
        ManifestsDue(
            project_id=project_id,
            duty=outbox_db.reference(d),
            versions_taken=[r for r in d.revision_ids or () if r in versions_taken],
        )
        for d in duties
    ]
    try:
        queues.send_manifests_due(messages)
    except (BotoCoreError, ClientError):
        logger.exception("manifests not handed off; the outbox relay will write them", extra={"duties": len(duties)})
        metrics.add_metric(name="ManifestsDeferredToRelay", unit="Count", value=len(duties))


def write_due(message: ManifestsDue) -> int:
    """The manifests of a duty handed off; nothing if it was done already (an earlier delivery, or the relay)."""
    duty = outbox_db.get(message.duty)
    if duty is None or duty.kind != outbox_db.MANIFEST or duty.project_id != message.project_id:
        return 0
    return write_manifests(message.project_id, [duty], set(message.versions_taken))


def write_manifests(
    project_id: str, duties: list[outbox_db.Duty], versions_taken: Collection[str] = frozenset()
) -> int:
    """One manifest per published revision (deleted ones included), from its state now; answers how many.

    Each version is taken before its content is read, with strongly consistent reads: whatever change comes
    later takes a later version, so the newest manifest never carries older content than an earlier one.
    A publish takes its revisions' versions in its own transaction (`versions_taken`); they are only read here.
    Versions are taken, and manifests written, WRITERS at a time: a duty of a hundred takes a few round trips.
    A duty is cleared when all its manifests are written; one S3 refused some of keeps just those.
    """
    ids = list(dict.fromkeys(r for duty in duties for r in duty.revision_ids or ()))
    taken = db.get_revisions(project_id, [i for i in ids if i in versions_taken], consistent=True)

    def version(revision_id: str) -> RevisionRow | None:
        if revision_id in versions_taken:
            return taken.get(revision_id)  # gone: nothing to write
        return db.bump_manifest_version(project_id, revision_id)

    with ThreadPoolExecutor(WRITERS) as pool:
        revisions = [r for r in pool.map(version, ids) if r is not None]  # none for a draft, a copy, or gone
        read_at = utcnow()  # after every version was taken, before any content is read
        drawings = [db.drawing_ref(project_id, d) for d in dict.fromkeys(r.drawing_id for r in revisions)]
        found = read_items(
            [*drawings, *(ref for r in revisions for ref in records_db.record_refs(project_id, r))], consistent=True
        )
        pointed = records_db.records_for(found, project_id, revisions)
        manifests = [
            manifest_of(r, _drawing(found, project_id, r), of, read_at)
            for r, of in zip(revisions, pointed, strict=True)
        ]
        keys = list(pool.map(_write, revisions, manifests))
    refused = {r.revision_id for r, key in zip(revisions, keys, strict=True) if key is None}
    if refused:
        logger.warning("manifests not written yet; the outbox relay will", extra={"revision_ids": sorted(refused)})
        metrics.add_metric(name="ManifestsDeferredToRelay", unit="Count", value=len(refused))
    outbox_db.done([d for d in duties if not refused.intersection(d.revision_ids or ())])
    for duty in duties:
        if refused.intersection(duty.revision_ids or ()):
            outbox_db.narrow(duty, [r for r in duty.revision_ids or () if r in refused])
    return len(revisions) - len(refused)


WRITERS = aws.AT_ONCE


def _drawing(found: Found, project_id: str, revision: RevisionRow) -> DrawingRow:
    drawing = found.get(db.drawing_ref(project_id, revision.drawing_id))
    if drawing is None:  # a revision's drawing outlives it: its deletion only marks it
        raise LookupError(f"drawing {revision.drawing_id} of revision {revision.revision_id} not found")
    return drawing


def _write(revision: RevisionRow, manifest: RevisionManifest) -> str | None:
    """The manifest's key, or None when S3 refused it (its intent stays for the relay)."""
    try:
        key = storage.write_manifest(revision.bucket, manifest)
    except (BotoCoreError, ClientError):
        logger.exception("manifest not written yet; the outbox relay will", extra={"revision_id": revision.revision_id})
        return None
    logger.debug("manifest written", extra={"key": key, "version": manifest.version, "deleted": manifest.deleted})
    return key


def manifest_of(revision: RevisionRow, drawing: DrawingRow, of: RowRecords, read_at: datetime) -> RevisionManifest:
    """The manifest of a revision as read at `read_at` (with the records it points at), under the version it holds
    now."""
    thumbnail = thumbnail_fields(revision)
    return RevisionManifest(
        version=int(revision.manifest_version),
        deleted=revision.state == RevisionState.deleted.value or bool(drawing.deleted),  # a delete may be finishing
        company_id=revision.company_id,
        project_id=revision.project_id,
        drawing_id=revision.drawing_id,
        revision_id=revision.revision_id,
        seq=int(revision.seq),
        number=revision.number,
        title=revision.title,
        obsolete=bool(drawing.obsolete),
        area=area_view(of),
        discipline=discipline_view(revision, of),
        drawing_date=as_date(revision.drawing_date),
        received_date=as_date(revision.received_date),
        revision_number=revision.revision_number,
        status=revision.status,
        drawing_set=set_view(of),
        file=ManifestFile(
            bucket=revision.bucket,
            key=revision.file_key,
            version_id=revision.file_version,
            sha256=revision.sha256 or "",
            size=int(revision.size),
            content_type=revision.content_type,
        ),
        thumbnail=ManifestThumbnail(**thumbnail, key=revision.thumbnail_key, version_id=revision.thumbnail_version)
        if thumbnail["state"] is not ThumbnailState.pending
        else None,
        published_at=revision.published_at,
        read_at=read_at,
        written_at=utcnow(),
    )
